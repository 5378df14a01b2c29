package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/ingest"
)

// SessionTableContract names the session table's layout (columns and the
// tokcost.sessions.meta key), docs/sessions-table.md. A reader refuses a
// table of another contract rather than guess.
const SessionTableContract = "tokcost.sessions.v1"

// Key-value metadata keys of the session table.
const (
	keyContract = "tokcost.sessions.contract"
	keyMeta     = "tokcost.sessions.meta"
)

// SessionTableMeta is what a report needs beyond the per-session rows:
// the run's input accounting, the model usage with the running sums
// behind its dollars, the loop settings and the price table. It is
// stored as JSON under the key tokcost.sessions.meta.
type SessionTableMeta struct {
	Contract       string               `json:"contract"`
	Tool           ToolInfo             `json:"tool"`
	Pricing        PricingInfo          `json:"pricing"`
	Files          []ingest.FileResult  `json:"files"`
	IgnoredFiles   int64                `json:"ignored_files"`
	Counts         analyze.InputCounts  `json:"input_counts"`
	Models         []analyze.ModelState `json:"models"`
	LoopTimeoutS   float64              `json:"loop_timeout_s"`
	LoopMinRepeats int                  `json:"loop_min_repeats"`
	// CallCosts: every row has its call costs (cap sweeps can be redone).
	CallCosts bool `json:"call_costs"`
	Sessions  int  `json:"sessions"`
	// Window is the run's --since/--until, nil when it had none: the
	// figures merged from the table are windowed too.
	Window *Window `json:"window,omitempty"`
}

// Columns the session table adds after the per-session export's
// (sessionColumns, run_date, tool_version, host).
var tableExtra = []arrow.Field{
	{Name: "model", Type: arrow.BinaryTypes.String},
	{Name: "attrs_json", Type: arrow.BinaryTypes.String},
	{Name: "timed_out", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "duplicates", Type: arrow.PrimitiveTypes.Int64},
	{Name: "unpriced_tokens", Type: arrow.PrimitiveTypes.Int64},
	{Name: "max_call_input_tokens", Type: arrow.PrimitiveTypes.Int64},
	{Name: "start_unix_nano", Type: arrow.PrimitiveTypes.Int64},
	{Name: "end_unix_nano", Type: arrow.PrimitiveTypes.Int64},
	{Name: "loop_json", Type: arrow.BinaryTypes.String},
	{Name: "call_input_tokens", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	{Name: "call_costs_usd", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	{Name: "other_cost_after_call", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	{Name: "other_costs_usd", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	{Name: "totals_only", Type: arrow.FixedWidthTypes.Boolean},
	// Added within v1: the audio and image parts of the token counts.
	// A table without them (written before) reads as 0.
	{Name: "audio_input_tokens", Type: arrow.PrimitiveTypes.Int64},
	{Name: "image_input_tokens", Type: arrow.PrimitiveTypes.Int64},
	{Name: "audio_output_tokens", Type: arrow.PrimitiveTypes.Int64},
	{Name: "image_output_tokens", Type: arrow.PrimitiveTypes.Int64},
}

// WriteSessionsParquet writes a's session table (WriteSessionTable):
// the per-session export's columns, run_date (DATE), tool_version and
// host, then the columns merge needs, with key-value metadata
// tokcost.schema_version, tokcost.tool_version, tokcost.pricing_version,
// tokcost.pricing_sha256, tokcost.cost_source, tokcost.sessions.contract
// and tokcost.sessions.meta.
func WriteSessionsParquet(w io.Writer, a *Analysis, meta RunMeta) error {
	all, ok := a.allSessions()
	if !ok {
		return ErrNoSessions
	}
	m := SessionTableMeta{Tool: a.Tool, Pricing: a.Pricing, Files: a.Input.Files, IgnoredFiles: a.Input.IgnoredFiles,
		Counts: a.Input.InputCounts, LoopTimeoutS: a.Runaway.TimeoutS, LoopMinRepeats: a.Runaway.MinRepeats, Window: a.Input.Window}
	for i := range a.Models {
		m.Models = append(m.Models, a.Models[i].State())
	}
	n, costs := len(a.sessions), allCallCosts(a.sessions)
	if a.spilled != nil {
		// Read back from disk: the summaries keep their call costs when
		// the run kept them for every session (Config.KeepCapCosts).
		n, costs = a.spilled.Len(), a.spilled.KeptCallCosts()
	}
	return writeSessionTable(w, n, all, costs, a.loopOf(), m, meta)
}

// allCallCosts reports whether every session kept its call costs.
func allCallCosts(sessions []*analyze.Summary) bool {
	for _, s := range sessions {
		if _, _, _, ok := s.CallCosts(); !ok {
			return false
		}
	}
	return true
}

// WriteSessionTable writes sessions (sorted by id, each with its Loop) and
// m as a session table: what tokcost merge reads back. Pipelines that
// summarise sessions themselves (Beam) write their tables with it.
func WriteSessionTable(w io.Writer, sessions []*analyze.Summary, m SessionTableMeta, run RunMeta) error {
	return writeSessionTable(w, len(sessions), slices.Values(sessions), allCallCosts(sessions),
		func(s *analyze.Summary) *analyze.RunawaySession { return s.Loop }, m, run)
}

// writeSessionTable writes the n sessions all yields (in id order, each
// valid until the next); callCosts is whether every one kept its call
// costs.
func writeSessionTable(w io.Writer, n int, all iter.Seq[*analyze.Summary], callCosts bool, loopOf func(*analyze.Summary) *analyze.RunawaySession,
	m SessionTableMeta, run RunMeta) error {
	m.Contract, m.Sessions, m.CallCosts = SessionTableContract, n, callCosts
	metaJSON, err := json.Marshal(m)
	if err != nil {
		return err
	}
	fields := make([]arrow.Field, 0, len(sessionColumns)+3+len(tableExtra))
	for _, c := range sessionColumns {
		fields = append(fields, arrow.Field{Name: c.name, Type: arrowType(c.kind)})
	}
	fields = append(fields,
		arrow.Field{Name: "run_date", Type: arrow.FixedWidthTypes.Date32},
		arrow.Field{Name: "tool_version", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "host", Type: arrow.BinaryTypes.String},
	)
	fields = append(fields, tableExtra...)
	schema := arrow.NewSchema(fields, nil)
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithDictionaryDefault(true),
		parquet.WithMaxRowGroupLength(int64(parquetRowGroup)), parquet.WithCreatedBy("tokcost "+m.Tool.Version))
	// pqarrow closes a writer that is an io.Closer; the caller owns w.
	fw, err := pqarrow.NewFileWriter(schema, struct{ io.Writer }{w}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return err
	}
	for _, kv := range [][2]string{
		{"tokcost.schema_version", strconv.Itoa(SchemaVersion)},
		{"tokcost.tool_version", m.Tool.Version},
		{"tokcost.pricing_version", m.Pricing.Version},
		{"tokcost.pricing_sha256", m.Pricing.SHA256},
		{"tokcost.cost_source", m.Pricing.CostSource},
		{keyContract, SessionTableContract},
		{keyMeta, string(metaJSON)},
	} {
		if err := fw.AppendKeyValueMetadata(kv[0], kv[1]); err != nil {
			_ = fw.Close() // the first error is the one reported
			return err
		}
	}
	day := arrow.Date32FromTime(run.RunDate.UTC())
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	// A row group of parquetRowGroup rows at a time; one empty group
	// when there are no sessions.
	rows, written := 0, 0
	flush := func() error {
		rec := b.NewRecordBatch()
		err := fw.Write(rec)
		rec.Release()
		if err != nil {
			_ = fw.Close() // the first error is the one reported
			return fmt.Errorf("parquet: %w", err)
		}
		written, rows = written+rows, 0
		return nil
	}
	for s := range all {
		row := sessionRow(s, loopOf(s))
		for j, c := range sessionColumns {
			switch v := c.value(&row).(type) {
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
		k := len(sessionColumns)
		b.Field(k).(*array.Date32Builder).Append(day)
		b.Field(k + 1).(*array.StringBuilder).Append(m.Tool.Version)
		b.Field(k + 2).(*array.StringBuilder).Append(run.Host)
		if err := appendExtra(b, k+3, s, loopOf(s)); err != nil {
			_ = fw.Close() // the first error is the one reported
			return err
		}
		if rows++; rows == parquetRowGroup {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if rows > 0 || written == 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	if written != n {
		_ = fw.Close() // the first error is the one reported
		return fmt.Errorf("session table: %d sessions written, %d expected", written, n)
	}
	return fw.Close()
}

func appendExtra(b *array.RecordBuilder, k int, s *analyze.Summary, l *analyze.RunawaySession) error {
	attrs := ""
	if len(s.Attrs) > 0 {
		j, err := json.Marshal(s.Attrs) // keys sorted
		if err != nil {
			return err
		}
		attrs = string(j)
	}
	loop := ""
	if l != nil {
		j, err := json.Marshal(l)
		if err != nil {
			return err
		}
		loop = string(j)
	}
	b.Field(k).(*array.StringBuilder).Append(s.Model)
	b.Field(k + 1).(*array.StringBuilder).Append(attrs)
	b.Field(k + 2).(*array.BooleanBuilder).Append(s.TimedOut)
	b.Field(k + 3).(*array.Int64Builder).Append(int64(s.Duplicates))
	b.Field(k + 4).(*array.Int64Builder).Append(s.UnpricedTokens)
	b.Field(k + 5).(*array.Int64Builder).Append(s.MaxCallInput)
	b.Field(k + 6).(*array.Int64Builder).Append(s.StartNano)
	b.Field(k + 7).(*array.Int64Builder).Append(s.EndNano)
	b.Field(k + 8).(*array.StringBuilder).Append(loop)
	appendInts(b.Field(k+9).(*array.ListBuilder), s.LLMInputs(), s.CallInputs != nil)
	calls, after, other, ok := s.CallCosts()
	appendFloats(b.Field(k+10).(*array.ListBuilder), calls, ok)
	appendInts(b.Field(k+11).(*array.ListBuilder), after, ok)
	appendFloats(b.Field(k+12).(*array.ListBuilder), other, ok)
	b.Field(k + 13).(*array.BooleanBuilder).Append(s.TotalsOnly)
	for j, n := range [...]int64{s.Tokens.AudioInput, s.Tokens.ImageInput, s.Tokens.AudioOutput, s.Tokens.ImageOutput} {
		b.Field(k + 14 + j).(*array.Int64Builder).Append(n)
	}
	return nil
}

func appendInts(lb *array.ListBuilder, v []int64, valid bool) {
	if !valid {
		lb.AppendNull()
		return
	}
	lb.Append(true)
	lb.ValueBuilder().(*array.Int64Builder).AppendValues(v, nil)
}

func appendFloats(lb *array.ListBuilder, v []float64, valid bool) {
	if !valid {
		lb.AppendNull()
		return
	}
	lb.Append(true)
	lb.ValueBuilder().(*array.Float64Builder).AppendValues(v, nil)
}

// SessionTable is one session table read back.
type SessionTable struct {
	Name     string
	Meta     SessionTableMeta
	Sessions []*analyze.Summary // in the table's order (by id)
}

// ReadSessionTable reads a session table written by WriteSessionTable.
func ReadSessionTable(path string) (*SessionTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return ReadSessionTableAt(path, f, st.Size())
}

// ReadSessionTableAt reads a session table of size bytes from r, named
// path in messages: an object read by ranged requests, or a file.
func ReadSessionTableAt(path string, r io.ReaderAt, size int64) (*SessionTable, error) {
	pf, err := file.NewParquetReader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable parquet file: %w", path, err)
	}
	defer func() { _ = pf.Close() }() // read only
	kv := pf.MetaData().KeyValueMetadata()
	if c := kv.FindValue(keyContract); c == nil || *c != SessionTableContract {
		got := "none"
		if c != nil {
			got = *c
		}
		return nil, fmt.Errorf("%s: not a %s session table (contract %s): write it with tokcost analyze --sessions-out", path, SessionTableContract, got)
	}
	t := &SessionTable{Name: path}
	mj := kv.FindValue(keyMeta)
	if mj == nil {
		return nil, fmt.Errorf("%s: session table without %s", path, keyMeta)
	}
	if err := json.Unmarshal([]byte(*mj), &t.Meta); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, keyMeta, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 16 << 10}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("%s: parquet schema: %w", path, err)
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer rr.Release()
	for rr.Next() {
		if err := t.readBatch(rr.RecordBatch()); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(t.Sessions) != t.Meta.Sessions {
		return nil, fmt.Errorf("%s: %d rows, the metadata says %d sessions", path, len(t.Sessions), t.Meta.Sessions)
	}
	return t, nil
}

func (t *SessionTable) readBatch(rec arrow.RecordBatch) error {
	sc := rec.Schema()
	col := func(name string) (arrow.Array, error) {
		idx := sc.FieldIndices(name)
		if len(idx) != 1 {
			return nil, fmt.Errorf("no column %s", name)
		}
		return rec.Column(idx[0]), nil
	}
	var err error
	get := func(name string) arrow.Array {
		c, e := col(name)
		if e != nil && err == nil {
			err = e
		}
		return c
	}
	id, wf, model, attrs, loop := get("session_id"), get("workflow"), get("model"), get("attrs_json"), get("loop_json")
	llm, tools, terr := get("llm_calls"), get("tool_calls"), get("tool_errors")
	in, out, cr, cw, rs := get("input_tokens"), get("output_tokens"), get("cache_read_tokens"), get("cache_write_tokens"), get("reasoning_tokens")
	cost, unp, timed, dups, unpTok := get("cost_usd"), get("unpriced_calls"), get("timed_out"), get("duplicates"), get("unpriced_tokens")
	maxIn, start, end := get("max_call_input_tokens"), get("start_unix_nano"), get("end_unix_nano")
	callIn, callCost, otherAfter, otherCost := get("call_input_tokens"), get("call_costs_usd"), get("other_cost_after_call"), get("other_costs_usd")
	totalsOnly := get("totals_only")
	if err != nil {
		return err
	}
	str := func(a arrow.Array, i int) string { return a.(*array.String).Value(i) }
	i64 := func(a arrow.Array, i int) int64 { return a.(*array.Int64).Value(i) }
	// Columns added within v1: absent from older tables, read as 0.
	var media [4]*array.Int64
	for j, name := range [...]string{"audio_input_tokens", "image_input_tokens", "audio_output_tokens", "image_output_tokens"} {
		if idx := sc.FieldIndices(name); len(idx) == 1 {
			c, ok := rec.Column(idx[0]).(*array.Int64)
			if !ok {
				return fmt.Errorf("column %s is not int64", name)
			}
			media[j] = c
		}
	}
	opt := func(j, i int) int64 {
		if media[j] == nil {
			return 0
		}
		return media[j].Value(i)
	}
	for i := 0; i < int(rec.NumRows()); i++ {
		s := &analyze.Summary{ID: str(id, i), Workflow: str(wf, i), Model: str(model, i),
			LLMCalls: int(i64(llm, i)), ToolCalls: int(i64(tools, i)), ToolErrors: int(i64(terr, i)),
			Duplicates: int(i64(dups, i)), UnpricedCalls: int(i64(unp, i)), TimedOut: timed.(*array.Boolean).Value(i),
			UnpricedTokens: i64(unpTok, i), CostUSD: cost.(*array.Float64).Value(i),
			Tokens:    analyze.Tokens{Input: i64(in, i), Output: i64(out, i), CacheRead: i64(cr, i), CacheWrite: i64(cw, i), Reasoning: i64(rs, i)},
			StartNano: i64(start, i), EndNano: i64(end, i), MaxCallInput: i64(maxIn, i),
			TotalsOnly: totalsOnly.(*array.Boolean).Value(i)}
		s.Tokens.AudioInput, s.Tokens.ImageInput = opt(0, i), opt(1, i)
		s.Tokens.AudioOutput, s.Tokens.ImageOutput = opt(2, i), opt(3, i)
		if a := str(attrs, i); a != "" {
			if err := json.Unmarshal([]byte(a), &s.Attrs); err != nil {
				return fmt.Errorf("session %s: attrs_json: %w", s.ID, err)
			}
		}
		if l := str(loop, i); l != "" {
			s.Loop = &analyze.RunawaySession{}
			if err := json.Unmarshal([]byte(l), s.Loop); err != nil {
				return fmt.Errorf("session %s: loop_json: %w", s.ID, err)
			}
		}
		if ci := listInts(callIn, i); ci != nil {
			s.CallInputs = make([]uint32, len(ci))
			for k, v := range ci {
				s.CallInputs[k] = uint32(v)
			}
		}
		if !callCost.IsNull(i) {
			s.SetCallCosts(listFloats(callCost, i), listInts(otherAfter, i), listFloats(otherCost, i))
		}
		t.Sessions = append(t.Sessions, s)
	}
	return nil
}

// listInts returns row i of a list<int64> column; nil when null.
func listInts(a arrow.Array, i int) []int64 {
	l := a.(*array.List)
	if l.IsNull(i) {
		return nil
	}
	lo, hi := l.ValueOffsets(i)
	vals := l.ListValues().(*array.Int64)
	out := make([]int64, 0, hi-lo)
	for k := lo; k < hi; k++ {
		out = append(out, vals.Value(int(k)))
	}
	return out
}

func listFloats(a arrow.Array, i int) []float64 {
	l := a.(*array.List)
	if l.IsNull(i) {
		return nil
	}
	lo, hi := l.ValueOffsets(i)
	vals := l.ListValues().(*array.Float64)
	out := make([]float64, 0, hi-lo)
	for k := lo; k < hi; k++ {
		out = append(out, vals.Value(int(k)))
	}
	return out
}

// sessionRow is one session's row of the per-session export.
func sessionRow(s *analyze.Summary, l *analyze.RunawaySession) SessionRow {
	r := SessionRow{
		SessionID: s.ID, Workflow: s.Workflow,
		LLMCalls: int64(s.LLMCalls), ToolCalls: int64(s.ToolCalls), ToolErrors: int64(s.ToolErrors),
		InputTokens: s.Tokens.Input, OutputTokens: s.Tokens.Output, CacheRead: s.Tokens.CacheRead,
		CacheWrite: s.Tokens.CacheWrite, Reasoning: s.Tokens.Reasoning,
		CostUSD: s.CostUSD, UnpricedCalls: int64(s.UnpricedCalls), DurationS: s.DurationS(),
	}
	if s.StartNano != 0 {
		r.StartTS = time.Unix(0, s.StartNano).UTC().Format(time.RFC3339Nano)
	}
	if l != nil {
		r.Runaway, r.LoopSignal, r.LoopTool, r.LoopRepeats, r.LoopEnded = true, l.Signal, l.Tool, int64(l.Repeats), l.Ended
		r.WastedTokens, r.WastedCostUSD = l.WastedTokens, l.WastedCostUSD
	}
	return r
}
