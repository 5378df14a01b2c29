package report

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// RunMeta identifies the run that wrote a sessions file, so tables from
// many nightly runs and machines can be unioned and told apart.
type RunMeta struct {
	RunDate time.Time // stored as a DATE (UTC day)
	Host    string    // optional: the machine or CI runner
}

// parquetRowGroup bounds a row group's size; one group per 64 Ki sessions.
const parquetRowGroup = 64 * 1024

// WriteSessionsParquet writes the per-session table (the CSV columns) as
// zstd-compressed Parquet, plus the columns run_date (DATE), tool_version
// and host, and key-value metadata tokcost.schema_version,
// tokcost.tool_version, tokcost.pricing_version, tokcost.pricing_sha256
// and tokcost.cost_source.
func WriteSessionsParquet(w io.Writer, a *Analysis, meta RunMeta) error {
	rows, err := a.SessionRows()
	if err != nil {
		return err
	}
	fields := make([]arrow.Field, 0, len(sessionColumns)+3)
	for _, c := range sessionColumns {
		fields = append(fields, arrow.Field{Name: c.name, Type: arrowType(c.kind)})
	}
	fields = append(fields,
		arrow.Field{Name: "run_date", Type: arrow.FixedWidthTypes.Date32},
		arrow.Field{Name: "tool_version", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "host", Type: arrow.BinaryTypes.String},
	)
	schema := arrow.NewSchema(fields, nil)
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithDictionaryDefault(true),
		parquet.WithMaxRowGroupLength(parquetRowGroup), parquet.WithCreatedBy("tokcost "+a.Tool.Version))
	// pqarrow closes a writer that is an io.Closer; the caller owns w.
	fw, err := pqarrow.NewFileWriter(schema, struct{ io.Writer }{w}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return err
	}
	for _, kv := range [][2]string{
		{"tokcost.schema_version", strconv.Itoa(SchemaVersion)},
		{"tokcost.tool_version", a.Tool.Version},
		{"tokcost.pricing_version", a.Pricing.Version},
		{"tokcost.pricing_sha256", a.Pricing.SHA256},
		{"tokcost.cost_source", a.Pricing.CostSource},
	} {
		if err := fw.AppendKeyValueMetadata(kv[0], kv[1]); err != nil {
			fw.Close()
			return err
		}
	}
	day := arrow.Date32FromTime(meta.RunDate.UTC())
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for start := 0; start < len(rows) || start == 0; start += parquetRowGroup {
		end := min(start+parquetRowGroup, len(rows))
		for i := start; i < end; i++ {
			for j, c := range sessionColumns {
				switch v := c.value(&rows[i]).(type) {
				case string:
					b.Field(j).(*array.StringBuilder).Append(v)
				case int64:
					b.Field(j).(*array.Int64Builder).Append(v)
				case float64:
					b.Field(j).(*array.Float64Builder).Append(v)
				case bool:
					b.Field(j).(*array.BooleanBuilder).Append(v)
				}
			}
			n := len(sessionColumns)
			b.Field(n).(*array.Date32Builder).Append(day)
			b.Field(n + 1).(*array.StringBuilder).Append(a.Tool.Version)
			b.Field(n + 2).(*array.StringBuilder).Append(meta.Host)
		}
		rec := b.NewRecordBatch()
		err := fw.Write(rec)
		rec.Release()
		if err != nil {
			fw.Close()
			return fmt.Errorf("parquet: %w", err)
		}
		if end >= len(rows) {
			break
		}
	}
	return fw.Close()
}

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
