//go:build !tokcost_gcs

package objstore

import "github.com/tokcost/tokcost/ingest"

func init() { ingest.RegisterRemote("gs", unbuilt{"gs", "tokcost_gcs"}) }
