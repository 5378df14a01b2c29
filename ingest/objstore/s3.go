package objstore

import _ "gocloud.dev/blob/s3blob" // s3:// and S3-compatible servers (endpoint= in the URL's query)

func init() { register("s3") }
