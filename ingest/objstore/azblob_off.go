//go:build !tokcost_azblob

package objstore

import "github.com/tokcost/tokcost/ingest"

func init() { ingest.RegisterRemote("azblob", unbuilt{"azblob", "tokcost_azblob"}) }
