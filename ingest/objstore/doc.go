// Package objstore reads tokcost inputs from object storage: a URL such as
// s3://bucket/prefix/ is one more kind of input, listed recursively and
// read through gocloud.dev/blob with each cloud's standard credential
// chain. Importing it registers the schemes it was built with
// (ingest.RegisterRemote); the CLI imports it.
//
// A prefix is listed like a directory is walked: hidden keys skipped,
// only trace names read (ingest.IsTraceName), compression by magic bytes.
// Objects stream; Parquet, which needs random access, is read by ranged
// requests (one per ReadAt), never downloaded whole. An object that
// cannot be read is listed with its error and the run goes on.
//
// Hive-style partitions in a key (year=/month=/day=/hour=, dt=) let a
// time window prune objects without reading them (partition.go).
//
// s3:// is always built in; gs:// and azblob:// only with the build tags
// tokcost_gcs and tokcost_azblob, since each SDK costs megabytes of binary
// (docs/storage.md).
package objstore
