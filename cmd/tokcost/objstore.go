package main

// Object-storage URLs (s3://, and gs:// or azblob:// with their build
// tags) are inputs like paths: docs/storage.md.
import _ "github.com/tokcost/tokcost/ingest/objstore"
