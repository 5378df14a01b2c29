package parquet

import (
	"fmt"
	"io"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tokcost/tokcost/ingest"
)

// defaultRowGroupRows is the row-group size Writer uses: large enough for good
// compression, small enough that readers decode row groups in parallel.
const defaultRowGroupRows = 128 << 10

// rowGroupRows is defaultRowGroupRows, lowered by tests to get many row groups.
var rowGroupRows = defaultRowGroupRows

// canonicalColumns is the column order Writer produces (docs/format.md).
var canonicalColumns = []arrow.Field{
	{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "session_id", Type: arrow.BinaryTypes.String},
	{Name: "seq", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "duration_ms", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "kind", Type: arrow.BinaryTypes.String},
	{Name: "model", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "provider", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "input_tokens", Type: arrow.PrimitiveTypes.Int64},
	{Name: "output_tokens", Type: arrow.PrimitiveTypes.Int64},
	{Name: "cache_read_tokens", Type: arrow.PrimitiveTypes.Int64},
	{Name: "cache_write_tokens", Type: arrow.PrimitiveTypes.Int64},
	{Name: "cache_write_1h_tokens", Type: arrow.PrimitiveTypes.Int64},
	{Name: "reasoning_tokens", Type: arrow.PrimitiveTypes.Int64},
	{Name: "tool", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "status", Type: arrow.BinaryTypes.String},
	{Name: "error", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "role", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "workflow", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "cost_usd", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "error_class", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "service_tier", Type: arrow.BinaryTypes.String, Nullable: true},
	// A tool call's arguments and result as ingest keeps them (hashes,
	// excerpt, size; never the text), so loops found in the source are
	// found in the converted file. Null when not recorded.
	{Name: "tool_args_hash", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
	{Name: "tool_result_hash", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
	{Name: "tool_args_label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "tool_result_bytes", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	// Billing facts (docs/format.md): the audio and image parts of the
	// token counts, and Anthropic's fast mode and US-only inference.
	// Null when 0 or false, so text-only files grow by a few bytes.
	{Name: "audio_input_tokens", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "image_input_tokens", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "audio_output_tokens", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "image_output_tokens", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "fast_mode", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "us_only", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
}

// toolIOColumns are the columns that carry ingest's tool-io fields; they
// are Writer's own, not canonical JSONL fields (docs/formats/parquet.md).
var toolIOColumns = map[string]fieldCode{
	"tool_args_hash":    fToolArgsHash,
	"tool_result_hash":  fToolResultHash,
	"tool_args_label":   fToolArgsLabel,
	"tool_result_bytes": fToolResultBytes,
}

// plainColumns are written without a dictionary, deltaColumns (the
// integers among them) delta-encoded (see NewWriter).
var (
	plainColumns = []string{"id", "seq", "ts", "duration_ms", "input_tokens", "output_tokens", "cache_read_tokens",
		"cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens", "cost_usd", "tool_args_hash", "tool_result_hash",
		"tool_result_bytes"}
	deltaColumns = []string{"seq", "ts", "input_tokens", "output_tokens", "cache_read_tokens",
		"cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens"}
)

// Writer writes canonical records as Parquet: zstd, dictionary-encoded
// names, delta-encoded integers, row groups of defaultRowGroupRows. Attributes become nullable string
// columns after the canonical ones; their names are fixed when the writer
// is made, because a Parquet schema precedes the data.
type Writer struct {
	fw    *pqarrow.FileWriter
	b     *array.RecordBuilder
	attrs []string
	rows  int
}

// NewWriter starts a Parquet file on w with the canonical columns plus one
// string column per attribute name (sorted; names that collide with a
// canonical column are an error).
func NewWriter(w io.Writer, attrs []string) (*Writer, error) {
	fields := append([]arrow.Field(nil), canonicalColumns...)
	attrs = append([]string(nil), attrs...)
	sort.Strings(attrs)
	for _, a := range attrs {
		if _, known := ingest.CanonicalField(a); known || toolIOColumns[a] != 0 {
			return nil, fmt.Errorf("attribute %q collides with a canonical column", a)
		}
		fields = append(fields, arrow.Field{Name: a, Type: arrow.BinaryTypes.String, Nullable: true})
	}
	schema := arrow.NewSchema(fields, nil)
	opts := []pq.WriterProperty{
		pq.WithCompression(compress.Codecs.Zstd),
		pq.WithDictionaryDefault(true),
		pq.WithMaxRowGroupLength(int64(rowGroupRows)),
		pq.WithStats(true),
	}
	// Columns of mostly distinct values gain nothing from a dictionary but
	// cost every reader a dictionary to build and then abandon: ids, times
	// and counts are written without one, the integers delta-encoded
	// (smaller pages to decompress: peak memory reading the benchmark file
	// 370 -> 345 MiB, same speed; 6% bigger file).
	for _, c := range plainColumns {
		opts = append(opts, pq.WithDictionaryFor(c, false))
	}
	for _, c := range deltaColumns {
		opts = append(opts, pq.WithEncodingFor(c, pq.Encodings.DeltaBinaryPacked))
	}
	props := pq.NewWriterProperties(opts...)
	// Hide w's Close: the Parquet writer would close it, the caller owns it.
	fw, err := pqarrow.NewFileWriter(schema, struct{ io.Writer }{w}, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return nil, err
	}
	return &Writer{fw: fw, b: array.NewRecordBuilder(memory.DefaultAllocator, schema), attrs: attrs}, nil
}

// Write appends one record. Records must already be valid (as a reader
// emits them); kind and status are written explicitly.
func (w *Writer) Write(r *ingest.Record) error {
	b := w.b
	str := func(i int, s string) {
		if s == "" {
			b.Field(i).AppendNull()
			return
		}
		b.Field(i).(*array.StringBuilder).Append(s)
	}
	i64 := func(i int, v int64) { b.Field(i).(*array.Int64Builder).Append(v) }
	str(0, r.ID)
	b.Field(1).(*array.StringBuilder).Append(r.SessionID)
	if r.HasSeq {
		i64(2, r.Seq)
	} else {
		b.Field(2).AppendNull()
	}
	if r.TSNano != 0 {
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(r.TSNano))
	} else {
		b.Field(3).AppendNull()
	}
	if r.DurationMS != 0 {
		b.Field(4).(*array.Float64Builder).Append(r.DurationMS)
	} else {
		b.Field(4).AppendNull()
	}
	b.Field(5).(*array.StringBuilder).Append(r.Kind.String())
	str(6, r.Model)
	str(7, r.Provider)
	i64(8, r.InputTokens)
	i64(9, r.OutputTokens)
	i64(10, r.CacheReadTokens)
	i64(11, r.CacheWriteTokens)
	i64(12, r.CacheWrite1hTokens)
	i64(13, r.ReasoningTokens)
	str(14, r.Tool)
	b.Field(15).(*array.StringBuilder).Append(r.Status.String())
	str(16, r.Error)
	str(17, r.Role)
	str(18, r.Workflow)
	if r.HasCost {
		b.Field(19).(*array.Float64Builder).Append(r.CostUSD)
	} else {
		b.Field(19).AppendNull()
	}
	str(20, r.ErrorClass.String())
	if r.ServiceTier != ingest.TierStandard {
		str(21, r.ServiceTier.String())
	} else {
		b.Field(21).AppendNull()
	}
	u64 := func(i int, v uint64) {
		if v == 0 {
			b.Field(i).AppendNull()
			return
		}
		b.Field(i).(*array.Uint64Builder).Append(v)
	}
	u64(22, r.ToolArgsHash)
	u64(23, r.ToolResultHash)
	str(24, r.ToolArgsLabel)
	if r.ToolResultHash != 0 || r.ToolResultBytes != 0 {
		i64(25, r.ToolResultBytes)
	} else {
		b.Field(25).AppendNull()
	}
	for j, n := range [...]int64{r.AudioInputTokens, r.ImageInputTokens, r.AudioOutputTokens, r.ImageOutputTokens} {
		if n == 0 {
			b.Field(26 + j).AppendNull()
		} else {
			i64(26+j, n)
		}
	}
	for j, on := range [...]bool{r.Fast, r.USOnly} {
		if on {
			b.Field(30 + j).(*array.BooleanBuilder).Append(true)
		} else {
			b.Field(30 + j).AppendNull()
		}
	}
	for j, a := range w.attrs {
		v, ok := r.Attrs[a]
		if !ok {
			b.Field(len(canonicalColumns) + j).AppendNull()
			continue
		}
		b.Field(len(canonicalColumns) + j).(*array.StringBuilder).Append(v)
	}
	w.rows++
	if w.rows == rowGroupRows {
		return w.flush()
	}
	return nil
}

// flush writes the buffered rows as one row group.
func (w *Writer) flush() error {
	if w.rows == 0 {
		return nil
	}
	rec := w.b.NewRecordBatch()
	defer rec.Release()
	w.rows = 0
	return w.fw.Write(rec)
}

// Close writes the last row group and the footer. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	err := w.flush()
	w.b.Release()
	if cerr := w.fw.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteCanonical writes recs as one canonical Parquet file, in the order
// given, with a column for every attribute any record carries. Readers
// number rows from 1, so records sorted by input line keep their order.
func WriteCanonical(w io.Writer, recs []ingest.Record) error {
	seen := map[string]bool{}
	var attrs []string
	for i := range recs {
		for k := range recs[i].Attrs {
			if !seen[k] {
				seen[k] = true
				attrs = append(attrs, k)
			}
		}
	}
	pw, err := NewWriter(w, attrs)
	if err != nil {
		return err
	}
	for i := range recs {
		if err := pw.Write(&recs[i]); err != nil {
			_ = pw.Close() // the Write error is the one to report
			return err
		}
	}
	return pw.Close()
}
