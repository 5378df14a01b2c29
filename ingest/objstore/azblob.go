//go:build tokcost_azblob

package objstore

import _ "gocloud.dev/blob/azureblob" // azblob://, the Azure SDK's default credential chain

func init() { register("azblob") }
