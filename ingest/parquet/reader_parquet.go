package parquet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

func init() { ingest.Register(format{}, 10) }

type format struct{}

func (format) Name() string { return "parquet" }

func (format) Describe() string {
	return "Parquet with canonical columns (aliases, nested usage struct, any int width, TIMESTAMP), or a Langfuse observations export; row groups decoded in parallel"
}

var magic = []byte("PAR1")

func (format) Sniff(name string, head []byte) bool {
	return strings.HasSuffix(strings.ToLower(name), ".parquet") || bytes.HasPrefix(head, magic)
}

// batchRows bounds what one worker holds decoded at a time.
const batchRows = 16 << 10

// noClose hides the file's Close from the Parquet reader: the Source owns it.
type noClose struct{ pq.ReaderAtSeeker }

func readProps() *pq.ReaderProperties {
	p := pq.NewReaderProperties(memory.DefaultAllocator)
	// Stream pages instead of loading whole column chunks: memory stays
	// bounded by pages and batches, whatever the row-group size.
	p.BufferedStreamEnabled = true
	p.BufferSize = 1 << 20
	return p
}

// Decode reads a Parquet file. Schema problems (no session column, a
// column of the wrong type) are errors for the whole file; value problems
// are invalid notes naming file:row.
func (format) Decode(src *ingest.Source, newSink ingest.SinkFactory) (err error) {
	ra, size, ok := src.RandomAccess()
	if !ok {
		if src.Compression != "" {
			return fmt.Errorf("parquet inside %s cannot be read: Parquet needs random access; decompress the file first (Parquet compresses its pages itself)", src.Compression)
		}
		return errors.New("parquet needs a regular file (random access): it cannot be read from stdin or a pipe")
	}
	defer recoverTo(&err)
	// A file, or an object read by ranged requests (ingest/objstore).
	f := io.NewSectionReader(ra, 0, size)
	pf, err := file.NewParquetReader(noClose{f}, file.WithReadProps(readProps()))
	if err != nil {
		return fmt.Errorf("not a readable parquet file: %w", err)
	}
	if err := checkFooter(pf, size); err != nil {
		return err
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: batchRows}, memory.DefaultAllocator)
	if err != nil {
		return fmt.Errorf("parquet schema: %w", err)
	}
	if isLangfuse(fr.Manifest) {
		return decodeLangfuse(src, pf, fr, newSink)
	}
	p, err := planCanonical(fr.Manifest)
	if err != nil {
		return err
	}
	var flat []flatCol
	if !arrowOnly {
		flat = flatPlan(fr.Manifest, pf, p)
	}
	return eachRowGroup(noClose{f}, pf, p.leaves, p.dictLeaves, newSink, func(sink ingest.Sink, wpf *file.Reader, wfr *pqarrow.FileReader) groupFunc {
		d := &decoder{plan: p, file: src.Name, sink: sink, rec: ingest.Record{Attrs: map[string]string{}}, win: src.Window}
		if flat != nil {
			d.flat = append([]flatCol(nil), flat...)
			return func(g int, row int64) error { return d.readFlatGroup(wpf, g, row) }
		}
		return func(g int, row int64) error { return readGroup(wfr, g, row, p.leaves, sink, d.batch) }
	})
}

// recoverTo turns a panic inside the Parquet library (hostile or corrupt
// files) into an error: bad input must never crash the run.
func recoverTo(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("corrupt parquet file: %v", r)
	}
}

// column is one top-level column the reader uses.
type column struct {
	name  string
	canon string // "" for an attribute
	code  fieldCode
	cl    class
}

// fieldCode is a canonical field as a small integer, so the per-row switch
// compares integers, not names.
type fieldCode uint8

const (
	fAttr fieldCode = iota
	fID
	fSessionID
	fSeq
	fTS
	fDurationMS
	fKind
	fStatus
	fErrorClass
	fModel
	fProvider
	fTool
	fRole
	fWorkflow
	fError
	fCostUSD
	fUsage
	fInputTokens
	fOutputTokens
	fCacheReadTokens
	fCacheWriteTokens
	fCacheWrite1hTokens
	fReasoningTokens
	fToolArgs
	fToolResult
	fServiceTier
	fAudioInputTokens
	fImageInputTokens
	fAudioOutputTokens
	fImageOutputTokens
	fFastMode
	fUSOnly
	fToolArgsHash
	fToolResultHash
	fToolArgsLabel
	fToolResultBytes
)

var fieldCodes = map[string]fieldCode{
	"id":                    fID,
	"session_id":            fSessionID,
	"seq":                   fSeq,
	"ts":                    fTS,
	"duration_ms":           fDurationMS,
	"kind":                  fKind,
	"status":                fStatus,
	"error_class":           fErrorClass,
	"model":                 fModel,
	"provider":              fProvider,
	"tool":                  fTool,
	"role":                  fRole,
	"workflow":              fWorkflow,
	"error":                 fError,
	"cost_usd":              fCostUSD,
	"usage":                 fUsage,
	"input_tokens":          fInputTokens,
	"output_tokens":         fOutputTokens,
	"cache_read_tokens":     fCacheReadTokens,
	"cache_write_tokens":    fCacheWriteTokens,
	"cache_write_1h_tokens": fCacheWrite1hTokens,
	"reasoning_tokens":      fReasoningTokens,
	"tool_args":             fToolArgs,
	"tool_result":           fToolResult,
	"service_tier":          fServiceTier,
	"audio_input_tokens":    fAudioInputTokens,
	"image_input_tokens":    fImageInputTokens,
	"audio_output_tokens":   fAudioOutputTokens,
	"image_output_tokens":   fImageOutputTokens,
	"fast_mode":             fFastMode,
	"us_only":               fUSOnly,
}

type plan struct {
	cols       []column
	usage      int // index in cols of the usage column, -1 when none
	leaves     []int
	dictLeaves []int
}

// accepts lists the classes each canonical field may hold.
var accepts = map[string][]class{
	"id": {clString, clInt}, "session_id": {clString, clInt},
	"seq":         {clInt, clFloat, clDecimal},
	"ts":          {clString, clInt, clFloat, clTime},
	"duration_ms": {clInt, clFloat, clDecimal}, "cost_usd": {clInt, clFloat, clDecimal},
	"kind": {clString}, "model": {clString}, "provider": {clString}, "tool": {clString},
	"status": {clString}, "role": {clString}, "workflow": {clString}, "error_class": {clString},
	"error":        {clString, clInt, clFloat, clDecimal, clBool},
	"usage":        {clStruct, clString},
	"input_tokens": {clInt, clFloat, clDecimal}, "output_tokens": {clInt, clFloat, clDecimal},
	"cache_read_tokens": {clInt, clFloat, clDecimal}, "cache_write_tokens": {clInt, clFloat, clDecimal},
	"cache_write_1h_tokens": {clInt, clFloat, clDecimal}, "reasoning_tokens": {clInt, clFloat, clDecimal},
	// JSON text (or plain text) in a string column.
	"tool_args": {clString}, "tool_result": {clString},
	"service_tier":       {clString},
	"audio_input_tokens": {clInt, clFloat, clDecimal}, "image_input_tokens": {clInt, clFloat, clDecimal},
	"audio_output_tokens": {clInt, clFloat, clDecimal}, "image_output_tokens": {clInt, clFloat, clDecimal},
	"fast_mode": {clBool}, "us_only": {clBool},
	// Writer's tool-io columns (toolIOColumns).
	"tool_args_hash": {clInt}, "tool_result_hash": {clInt}, "tool_args_label": {clString}, "tool_result_bytes": {clInt},
}

func classList(cs []class) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	return strings.Join(s, " or ")
}

// planCanonical picks the columns to read: every canonical one (checked
// for type) and scalar string, number and boolean attributes. Lists, maps
// and structs under unknown names are never read.
func planCanonical(m *pqarrow.SchemaManifest) (*plan, error) {
	p := &plan{usage: -1}
	var names []string
	hasSession := false
	for i := range m.Fields {
		sf := &m.Fields[i]
		name := sf.Field.Name
		names = append(names, name)
		cl := classify(sf.Field.Type)
		canon, known := ingest.CanonicalField(name)
		code := fieldCodes[canon]
		if c := toolIOColumns[name]; c != 0 && !known {
			// Written by Writer: checked like a canonical column.
			canon, known, code = name, true, c
		}
		if known {
			ok := cl == clNull
			for _, c := range accepts[canon] {
				ok = ok || c == cl
			}
			if !ok {
				return nil, fmt.Errorf("column %q has type %s (%s), want %s", name, cl, sf.Field.Type, classList(accepts[canon]))
			}
			if canon == "session_id" {
				hasSession = true
			}
			if canon == "usage" {
				p.usage = len(p.cols)
			}
		} else if cl != clString && cl != clInt && cl != clFloat && cl != clDecimal && cl != clBool {
			continue
		}
		if cl == clNull {
			continue // nothing to read
		}
		p.cols = append(p.cols, column{name: name, canon: canon, code: code, cl: cl})
		leafIndices(sf, func(leaf int, t arrow.DataType) {
			p.leaves = append(p.leaves, leaf)
			if id := t.ID(); id == arrow.STRING || id == arrow.BINARY {
				p.dictLeaves = append(p.dictLeaves, leaf)
			}
		})
	}
	if !hasSession {
		return nil, fmt.Errorf("no session_id column (or alias sessionId, conversation_id, conversationId); columns found: %s", strings.Join(names, ", "))
	}
	return p, nil
}

func leafIndices(sf *pqarrow.SchemaField, fn func(int, arrow.DataType)) {
	if sf.IsLeaf() {
		fn(sf.ColIndex, sf.Field.Type)
		return
	}
	for i := range sf.Children {
		leafIndices(&sf.Children[i], fn)
	}
}

// batchFunc decodes one record batch whose first row is the file's row
// firstRow (1-based).
type batchFunc func(rec arrow.RecordBatch, firstRow int64)

// groupFunc decodes row group g, whose first row is the file's row row
// (1-based).
type groupFunc func(g int, row int64) error

// eachRowGroup decodes the row groups on every core: each worker has its
// own reader and sink and pulls row groups from a queue; Line numbers come
// from the row group's position, so the order workers finish in is
// irrelevant.
func eachRowGroup(ra pq.ReaderAtSeeker, pf *file.Reader, leaves, dictLeaves []int, newSink ingest.SinkFactory, newWorker func(ingest.Sink, *file.Reader, *pqarrow.FileReader) groupFunc) error {
	meta := pf.MetaData()
	n := pf.NumRowGroups()
	start := make([]int64, n)
	var total int64
	for g := range n {
		start[g] = total + 1
		total += meta.RowGroup(g).NumRows()
	}
	if n == 0 || len(leaves) == 0 {
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), n)
	groups := make(chan int, n)
	for g := range n {
		groups <- g
	}
	close(groups)
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
	}
	failed := func() bool { mu.Lock(); defer mu.Unlock(); return first != nil }
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			defer func() {
				// recover must be called by the deferred function itself.
				if r := recover(); r != nil {
					err = fmt.Errorf("corrupt parquet file: %v", r)
				}
				if err != nil {
					fail(err)
				}
			}()
			props := pqarrow.ArrowReadProperties{BatchSize: batchRows}
			for _, l := range dictLeaves {
				props.SetReadDict(l, true)
			}
			wpf, err := file.NewParquetReader(ra, file.WithReadProps(readProps()), file.WithMetadata(meta))
			if err != nil {
				return
			}
			fr, err := pqarrow.NewFileReader(wpf, props, memory.DefaultAllocator)
			if err != nil {
				return
			}
			decode := newWorker(newSink(), wpf, fr)
			for g := range groups {
				if failed() {
					return
				}
				if err = decode(g, start[g]); err != nil {
					err = fmt.Errorf("row group %d (rows %d-%d): %w", g, start[g], start[g]+meta.RowGroup(g).NumRows()-1, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func readGroup(fr *pqarrow.FileReader, g int, row int64, leaves []int, sink ingest.Sink, decode batchFunc) error {
	rr, err := fr.GetRecordReader(context.Background(), leaves, []int{g})
	if err != nil {
		return err
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		decode(rec, row)
		sink.Lines(rec.NumRows())
		row += rec.NumRows()
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// decoder turns canonical rows into records for one sink.
type decoder struct {
	plan *plan
	file string
	sink ingest.Sink
	rec  ingest.Record
	get  []getter
	us   *structNode
	jp   fastjson.Parser
	flat []flatCol // the flat path's columns; nil on the Arrow path

	// The flat path's batch of valid rows, and the window row groups are
	// left unread outside of (columns.go).
	rows *rowBatch
	win  ingest.Window
}

func (d *decoder) batch(rec arrow.RecordBatch, firstRow int64) {
	sc := rec.Schema()
	d.get = d.get[:0]
	d.us = nil
	var usageArr arrow.Array
	for ci, c := range d.plan.cols {
		idx := sc.FieldIndices(c.name)
		if len(idx) == 0 {
			d.get = append(d.get, nullGetter)
			continue
		}
		a := rec.Column(idx[0])
		if ci == d.plan.usage {
			usageArr = a
			if s, ok := a.(*array.Struct); ok {
				d.us = newStructNode(s)
			}
		}
		d.get = append(d.get, makeGetter(a))
	}
	for i := 0; i < int(rec.NumRows()); i++ {
		d.row(i, firstRow+int64(i), usageArr)
	}
}

func (d *decoder) invalid(line int64, ferr *ingest.FieldError) {
	detail := ferr.Field
	if strings.Contains(ferr.Reason, ferr.Field) {
		detail = "" // the reason already names the field
	}
	d.sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: d.file, Line: line, Reason: ferr.Reason, Detail: detail})
}

// text reads a string cell to keep, or a number as its decimal text (for
// id and session_id).
func text(field string, v val, numbers bool) (string, *ingest.FieldError) {
	switch {
	case v.cl == clString:
		if v.badUTF8 || (!v.owned && !utf8.ValidString(v.s)) {
			return "", &ingest.FieldError{Reason: "invalid utf-8", Field: field}
		}
		return v.ownedString(), nil
	case numbers && v.cl == clInt:
		s, _ := v.text()
		return s, nil
	}
	return "", &ingest.FieldError{Reason: "wrong type (want string)", Field: field}
}

func number(field string, v val) (float64, *ingest.FieldError) {
	if v.cl == clInt || v.cl == clFloat || v.cl == clDecimal {
		return v.f, nil
	}
	return 0, &ingest.FieldError{Reason: "wrong type (want number)", Field: field}
}

func (d *decoder) row(i int, line int64, usageArr arrow.Array) {
	r := &d.rec
	r.Reset()
	r.File, r.Line = d.file, line
	var st rowState
	hasUsage := false
	var ferr *ingest.FieldError
	for ci := range d.plan.cols {
		c := &d.plan.cols[ci]
		v := d.get[ci](i)
		if c.code == fUsage {
			hasUsage = usageArr != nil && usageArr.IsValid(i)
			continue
		}
		if v.cl == clNull {
			continue // null means absent
		}
		ferr = d.set(r, c, v, &st)
		if ferr != nil {
			d.invalid(line, ferr)
			return
		}
	}
	if hasUsage {
		var get func(path ...string) val
		var keys ingest.UsageKeys
		if d.us != nil {
			get = func(path ...string) val { return d.us.lookup(i, path...) }
			keys = func(path ...string) []string { return d.us.keys(i, path...) }
		} else if v := d.get[d.plan.usage](i); v.cl == clString {
			o, err := d.jp.Parse(v.s)
			if err != nil || o.Type() != fastjson.TypeObject {
				ferr = &ingest.FieldError{Reason: "wrong type", Field: "usage"}
			} else {
				get, keys = jsonLookup(o), fjson.ObjectKeys(o)
			}
		}
		if get != nil && !st.topTokens {
			ferr = fillUsage(r, get, keys)
			for _, m := range st.media {
				*ingest.TokenField(r, m.canon) = m.n
			}
		}
		// The billing fields are read beside top-level tokens too, as
		// the JSONL reader reads them.
		if get != nil && ferr == nil {
			ferr = fillUsageBilling(r, get, keys)
		}
		if ferr != nil {
			d.invalid(line, ferr)
			return
		}
	}
	if ferr = ingest.Finish(r, st.statusExplicit); ferr != nil {
		d.invalid(line, ferr)
		return
	}
	d.sink.Record(r)
}

// rowState is what set learns about a row beyond the record itself.
type rowState struct {
	statusExplicit, topTokens bool
	media                     []mediaCol // audio and image columns, which win over the usage column's
}

type mediaCol struct {
	canon string
	n     int64
}

// set applies cell v of column c to r: the canonical rules for one field.
func (d *decoder) set(r *ingest.Record, c *column, v val, st *rowState) (ferr *ingest.FieldError) {
	switch c.code {
	case fAttr:
		if s, ok := v.text(); ok && (v.cl != clString || (!v.badUTF8 && utf8.ValidString(s))) {
			r.Attrs[c.name] = s
		}
	case fID:
		r.ID, ferr = text(c.canon, v, true)
	case fSessionID:
		r.SessionID, ferr = text(c.canon, v, true)
	case fSeq:
		var f float64
		if f, ferr = number(c.canon, v); ferr == nil {
			if v.cl == clInt && !v.overflow {
				r.Seq = v.i
			} else if f != float64(int64(f)) {
				ferr = &ingest.FieldError{Reason: "fractional seq", Field: c.canon}
			} else {
				r.Seq = int64(f)
			}
			r.HasSeq = true
		}
	case fTS:
		// A bad time makes the record unordered, not invalid: its tokens
		// still count.
		switch v.cl {
		case clTime:
			r.TSNano, r.TSUnreadable = v.i, v.overflow || v.i < 0
		case clString:
			ingest.SetTimeText(r, v.s)
			r.TSUnreadable = r.TSUnreadable || v.s == ""
		case clInt:
			// Exact, where a float64 detour would be off by ~100 ns.
			r.TSNano, r.TSUnreadable = v.i*1e6, v.overflow || v.i < 0 || v.i > 1e14
		default:
			n, terr := ingest.EpochMillis(v.f)
			ingest.SetTime(r, n, terr)
		}
		if r.TSUnreadable {
			r.TSNano = 0
		}
	case fDurationMS:
		r.DurationMS, ferr = number(c.canon, v)
	case fKind:
		r.Kind, ferr = ingest.ParseKind(v.s)
	case fStatus:
		r.Status, ferr = ingest.ParseStatus(v.s)
		st.statusExplicit = true
	case fErrorClass:
		r.ErrorClass, ferr = ingest.ParseErrorClass(v.s)
	case fModel:
		r.Model, ferr = text(c.canon, v, false)
	case fProvider:
		r.Provider, ferr = text(c.canon, v, false)
	case fTool:
		r.Tool, ferr = text(c.canon, v, false)
	case fRole:
		r.Role, ferr = text(c.canon, v, false)
	case fWorkflow:
		r.Workflow, ferr = text(c.canon, v, false)
	case fServiceTier:
		var s string
		if s, ferr = text(c.canon, v, false); ferr == nil {
			r.ServiceTier = ingest.ParseServiceTier(s)
		}
	case fError:
		if v.cl == clString {
			r.Error, ferr = text(c.canon, v, false)
		} else {
			r.Error, _ = v.text()
		}
	case fCostUSD:
		r.CostUSD, ferr = number(c.canon, v)
		r.HasCost = ferr == nil
	case fToolArgs:
		var p fastjson.Parser
		r.ToolArgsHash, r.ToolArgsLabel, _ = toolhash.ValueText(&p, v.s)
	case fToolResult:
		var p fastjson.Parser
		r.ToolResultHash, _, r.ToolResultBytes = toolhash.ValueText(&p, v.s)
	case fToolArgsHash, fToolResultHash:
		// The hash's 64 bits, whether the column is unsigned or signed (a
		// tool that has no unsigned type). A text column of the same
		// call, when the file has one, is hashed instead.
		h := uint64(v.i)
		if v.unsigned {
			h = v.u
		}
		if c.code == fToolArgsHash && r.ToolArgsHash == 0 {
			r.ToolArgsHash = h
		} else if c.code == fToolResultHash && r.ToolResultHash == 0 {
			r.ToolResultHash = h
		}
	case fToolArgsLabel:
		if r.ToolArgsLabel == "" && !v.badUTF8 {
			r.ToolArgsLabel = toolhash.Label(v.s)
		}
	case fToolResultBytes:
		// Only describes a loop; a negative size is not one.
		if r.ToolResultBytes == 0 && v.i > 0 { // an unsigned value past int64 is negative here
			r.ToolResultBytes = v.i
		}
	case fInputTokens, fOutputTokens, fCacheReadTokens, fCacheWriteTokens, fCacheWrite1hTokens, fReasoningTokens:
		var t int64
		if t, ferr = tokenVal(c.canon, v); ferr == nil {
			*tokenFieldCode(r, c.code) = t
			st.topTokens = true
		}
	case fAudioInputTokens, fImageInputTokens, fAudioOutputTokens, fImageOutputTokens:
		var t int64
		if t, ferr = tokenVal(c.canon, v); ferr == nil {
			*ingest.TokenField(r, c.canon) = t
			st.media = append(st.media, mediaCol{c.canon, t})
		}
	case fFastMode:
		r.Fast = r.Fast || v.b
	case fUSOnly:
		r.USOnly = r.USOnly || v.b
	}
	return ferr
}

func tokenFieldCode(r *ingest.Record, c fieldCode) *int64 {
	switch c {
	case fInputTokens:
		return &r.InputTokens
	case fOutputTokens:
		return &r.OutputTokens
	case fCacheReadTokens:
		return &r.CacheReadTokens
	case fCacheWriteTokens:
		return &r.CacheWriteTokens
	case fCacheWrite1hTokens:
		return &r.CacheWrite1hTokens
	}
	return &r.ReasoningTokens
}
