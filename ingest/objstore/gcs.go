//go:build tokcost_gcs

package objstore

import _ "gocloud.dev/blob/gcsblob" // gs://, Application Default Credentials

func init() { register("gs") }
