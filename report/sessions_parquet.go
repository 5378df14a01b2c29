package report

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// RunMeta identifies the run that wrote a sessions file, so tables from
// many nightly runs and machines can be unioned and told apart.
type RunMeta struct {
	RunDate time.Time // stored as a DATE (UTC day)
	Host    string    // optional: the machine or CI runner
}

// parquetRowGroup bounds a row group's size; one group per 64 Ki sessions.
// A variable so that a memory test can make it small.
var parquetRowGroup = 64 * 1024

func arrowType(k colKind) arrow.DataType {
	switch k {
	case kInt:
		return arrow.PrimitiveTypes.Int64
	case kFloat:
		return arrow.PrimitiveTypes.Float64
	case kBool:
		return arrow.FixedWidthTypes.Boolean
	}
	return arrow.BinaryTypes.String
}
