package ingest

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest/internal/fjson"
)

func init() { Register(jsonlFormat{}, 100) }

// jsonlFormat is tokcost's canonical schema, one JSON object per line
// (docs/format.md). It is the fallback: any input whose first non-blank
// byte opens a JSON object is offered to it last.
type jsonlFormat struct{}

func (jsonlFormat) Name() string { return "jsonl" }
func (jsonlFormat) Describe() string {
	return "tokcost canonical JSONL: one step per line (session_id, kind, model, *_tokens, tool, status, …); aliases and nested OpenAI/Anthropic usage accepted"
}

func (jsonlFormat) Sniff(name string, head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	return len(t) > 0 && t[0] == '{'
}

// chunkSize is the unit of parallel work: big enough to amortise the
// hand-off, small enough to keep every core busy on modest inputs.
const chunkSize = 4 << 20

type chunk struct {
	buf       []byte // whole lines, each ending in '\n' except possibly the last of the input
	firstLine int64  // 1-based number of the chunk's first line
	// tooLong marks a chunk that stands for one line over the length
	// limit, read past and not kept (buf is empty).
	tooLong bool
}

// chunkPool holds chunk buffers across inputs: a directory of many small
// files would otherwise allocate fresh megabytes for each.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize); return &b }}

// decoderPool keeps line decoders (and their string caches) across inputs.
var decoderPool = sync.Pool{New: func() any { return newLineDecoder("", nil) }}

func getDecoder(file string, sink Sink) *lineDecoder {
	d := decoderPool.Get().(*lineDecoder)
	d.file, d.sink = file, sink
	d.validSink, _ = sink.(validatedSink)
	d.fast.borrowIDs = BorrowsIDs(sink)
	return d
}

func putDecoder(d *lineDecoder) {
	d.sink, d.validSink = nil, nil
	// The last record may hold a borrowed id: a pooled decoder must not
	// keep the input's last chunk alive through it.
	d.rec.Reset()
	decoderPool.Put(d)
}

func putChunk(c chunk) {
	b := c.buf[:0]
	chunkPool.Put(&b)
}

// chunkList recycles one large input's chunk buffers while it is read.
// Unlike chunkPool, it dies with the input, so the megabytes do not stay
// live while the caller finishes its analysis.
type chunkList chan *[]byte

func (l chunkList) get() *[]byte {
	select {
	case b := <-l:
		return b
	default:
		b := make([]byte, 0, chunkSize)
		return &b
	}
}

func (l chunkList) put(c chunk) {
	b := c.buf[:0]
	select {
	case l <- &b:
	default:
	}
}

// Decode splits the input into chunks of whole lines and decodes them on
// every core. Lines may be of any length: a chunk grows until it holds one.
// An input that fits in one chunk is decoded on the calling goroutine
// with a single sink.
func (jsonlFormat) Decode(src *Source, newSink SinkFactory) error {
	sp := splitter{r: src.R, line: 1, max: src.maxLine()}
	first, last, err := sp.next()
	if err != nil {
		return err
	}
	if last {
		d := getDecoder(src.Name, newSink())
		d.maxLine = sp.max
		d.decodeChunk(first)
		putDecoder(d)
		putChunk(first)
		return nil
	}

	workers := runtime.GOMAXPROCS(0)
	chunks := make(chan chunk, workers)
	free := make(chunkList, 2*workers+2)
	sp.free = free
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := getDecoder(src.Name, newSink())
			d.maxLine = sp.max
			for c := range chunks {
				d.decodeChunk(c)
				free.put(c)
			}
			putDecoder(d)
		}()
	}
	chunks <- first
	for !last && err == nil {
		var c chunk
		if c, last, err = sp.next(); err == nil && (len(c.buf) > 0 || c.tooLong) {
			chunks <- c
		}
	}
	close(chunks)
	wg.Wait()
	return err
}

// splitter cuts a reader into chunks that end on a line boundary.
type splitter struct {
	free  chunkList // where buffers come from; chunkPool when nil
	r     io.Reader
	carry []byte
	line  int64 // number of the next chunk's first line
	max   int   // the longest line kept (Source.MaxLineBytes)
}

// next returns the next chunk; last is true when the input ended with it.
// A line longer than sp.max is read past in constant memory and comes
// back alone as a chunk marked tooLong.
func (sp *splitter) next() (c chunk, last bool, err error) {
	var bp *[]byte
	if sp.free != nil {
		bp = sp.free.get()
	} else {
		bp = chunkPool.Get().(*[]byte)
	}
	buf := append((*bp)[:0], sp.carry...)
	// Fill the buffer; grow it when one line is longer than a chunk.
	var rerr error
	for {
		if len(buf) == cap(buf) {
			// Full without a newline: buf is one partial line.
			if len(buf) > sp.max {
				return sp.skipLine(buf)
			}
			grow := min(cap(buf), sp.max+1-len(buf))
			buf = slices.Grow(buf, max(grow, 1))
		}
		n, err := sp.r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			rerr = err
			break
		}
		if len(buf) == cap(buf) {
			if bytes.LastIndexByte(buf, '\n') >= 0 {
				break
			}
		}
	}
	if rerr == io.EOF {
		return chunk{buf: buf, firstLine: sp.line}, true, nil
	}
	if rerr != nil {
		return chunk{}, true, rerr
	}
	cut := bytes.LastIndexByte(buf, '\n') + 1
	sp.carry = append(sp.carry[:0], buf[cut:]...)
	buf = buf[:cut]
	c = chunk{buf: buf, firstLine: sp.line}
	sp.line += int64(bytes.Count(buf, []byte{'\n'}))
	return c, false, nil
}

// skipLine reads past the rest of a line too long to keep, using buf as
// scratch, and returns it as a tooLong chunk.
func (sp *splitter) skipLine(buf []byte) (chunk, bool, error) {
	c := chunk{buf: buf[:0], firstLine: sp.line, tooLong: true}
	sp.line++
	sp.carry = sp.carry[:0]
	for {
		n, err := sp.r.Read(buf[:cap(buf)])
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			sp.carry = append(sp.carry, buf[i+1:n]...)
			if err == io.EOF && len(sp.carry) == 0 {
				return c, true, nil
			}
			if err != nil && err != io.EOF {
				return chunk{}, true, err
			}
			return c, false, nil
		}
		if err == io.EOF {
			return c, true, nil
		}
		if err != nil {
			return chunk{}, true, err
		}
	}
}

// lineDecoder turns canonical JSONL lines into records for one sink.
type lineDecoder struct {
	file string
	sink Sink
	p    fastjson.Parser
	fast fastDecoder
	rec  Record
	// validSink is sink, when it takes validated records without
	// validating them again.
	validSink validatedSink
	// noFast turns the fast path off, so tests can compare the two.
	noFast bool
	// keys is fillRecord's scratch: the keys of the line's object.
	keys [][]byte
	// maxLine is the longest line decoded (0: no limit); a longer one is
	// an invalid line.
	maxLine int
}

func newLineDecoder(file string, sink Sink) *lineDecoder {
	return &lineDecoder{file: file, sink: sink, rec: Record{Attrs: map[string]string{}}}
}

func (d *lineDecoder) decodeChunk(c chunk) {
	if c.tooLong {
		d.invalid(c.firstLine, ReasonLineTooLong, "")
		d.sink.Lines(1)
		return
	}
	buf := c.buf
	n := c.firstLine
	var lines int64
	for len(buf) > 0 {
		i := bytes.IndexByte(buf, '\n')
		var line []byte
		if i < 0 {
			line, buf = buf, nil
		} else {
			line, buf = buf[:i], buf[i+1:]
		}
		lines++
		d.decodeLine(bytes.TrimSuffix(line, []byte{'\r'}), n)
		n++
	}
	d.sink.Lines(lines)
}

func (d *lineDecoder) invalid(line int64, reason, detail string) {
	d.sink.Note(Note{Kind: NoteInvalid, File: d.file, Line: line, Reason: reason, Detail: detail})
}

func (d *lineDecoder) decodeLine(line []byte, n int64) {
	if IsBlank(line) {
		d.sink.Note(Note{Kind: NoteBlank, File: d.file, Line: n})
		return
	}
	if d.maxLine > 0 && len(line) > d.maxLine {
		d.invalid(n, ReasonLineTooLong, "")
		return
	}
	r := &d.rec
	r.Reset()
	if !d.noFast && d.fast.decode(line, r) {
		r.File, r.Line = d.file, n
		d.record(r)
		return
	}
	d.decodeGeneral(line, n)
}

// decodeGeneral decodes any line the canonical schema allows and names
// the problem with any it does not.
func (d *lineDecoder) decodeGeneral(line []byte, n int64) {
	if !utf8.Valid(line) {
		d.invalid(n, "invalid utf-8", "")
		return
	}
	// fastjson accepts more than RFC 8259 (leading zeros, "+5", raw
	// control characters, unknown escapes); the standard library's
	// validator does not, and the fast decoder accepts only strict JSON.
	if !json.Valid(line) {
		var x any
		detail := "not RFC 8259 JSON"
		if err := json.Unmarshal(line, &x); err != nil {
			detail = err.Error()
		}
		d.invalid(n, "malformed json", Shorten(detail))
		return
	}
	v, err := d.p.ParseBytes(line)
	if err != nil {
		d.invalid(n, "malformed json", Shorten(strings.TrimPrefix(err.Error(), "cannot parse JSON: ")))
		return
	}
	o, err := v.Object()
	if err != nil {
		d.invalid(n, "not a json object", "")
		return
	}
	r := &d.rec
	r.Reset()
	r.File, r.Line = d.file, n
	if ferr := fillRecord(r, o, &d.keys); ferr != nil {
		detail := ferr.Field
		if strings.Contains(ferr.Reason, ferr.Field) {
			detail = "" // the reason already names the field
		}
		d.invalid(n, ferr.Reason, detail)
		return
	}
	d.record(r)
}

// validatedSink is a sink that validates records (Run's checking sink)
// and can take one its decoder has already validated. The method is
// unexported so that no sink outside this package takes the shortcut by
// accident.
type validatedSink interface {
	recordValidated(r *Record)
}

// record hands on r, which both decoders validated as they filled it.
func (d *lineDecoder) record(r *Record) {
	if d.validSink != nil {
		d.validSink.recordValidated(r)
		return
	}
	d.sink.Record(r)
}

// fillRecord maps one canonical JSON object onto r; keys is scratch
// space, reused across calls.
func fillRecord(r *Record, o *fastjson.Object, keys *[][]byte) *FieldError {
	var ferr *FieldError
	statusExplicit := false
	var usage *fastjson.Value
	topTokens := false
	var topMedia []mediaField
	// The keys met, to refuse a duplicate (RFC 8259 leaves its meaning
	// open); they stay valid while o does.
	*keys = (*keys)[:0]
	o.Visit(func(key []byte, v *fastjson.Value) {
		if ferr != nil {
			return
		}
		for _, k := range *keys {
			if bytes.Equal(k, key) {
				ferr = &FieldError{"duplicate key", string(key)}
				return
			}
		}
		*keys = append(*keys, key)
		name, known := canonicalAliases[string(key)]
		if !known {
			if s, ok := fjson.ScalarText(v); ok {
				r.Attrs[string(key)] = s
			}
			return
		}
		if v.Type() == fastjson.TypeNull {
			return // null means absent
		}
		switch name {
		case "id":
			r.ID, ferr = stringOrNumber(v, name)
		case "session_id":
			r.SessionID, ferr = stringOrNumber(v, name)
		case "seq":
			var f float64
			if f, ferr = number(v, name); ferr == nil {
				if math.Abs(f) > 1<<53 {
					ferr = &FieldError{"seq out of range", name}
				} else if f != float64(int64(f)) {
					ferr = &FieldError{"fractional seq", name}
				}
				r.Seq, r.HasSeq = int64(f), true
			}
		case "ts":
			// A bad time makes the record unordered, not invalid: its
			// tokens still count.
			switch v.Type() {
			case fastjson.TypeString:
				SetTimeText(r, string(v.GetStringBytes()))
				r.TSUnreadable = r.TSUnreadable || len(v.GetStringBytes()) == 0
			case fastjson.TypeNumber:
				n, terr := EpochMillis(v.GetFloat64())
				SetTime(r, n, terr)
			default:
				r.TSUnreadable = true
			}
		case "duration_ms":
			r.DurationMS, ferr = number(v, name)
		case "kind":
			var s string
			if s, ferr = str(v, name); ferr == nil {
				r.Kind, ferr = ParseKind(s)
			}
		case "model":
			r.Model, ferr = str(v, name)
		case "provider":
			r.Provider, ferr = str(v, name)
		case "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens":
			var t int64
			if t, ferr = tokens(v, name); ferr == nil {
				*TokenField(r, name) = t
				topTokens = true
			}
		case "audio_input_tokens", "image_input_tokens", "audio_output_tokens", "image_output_tokens":
			// Kept apart until the usage object is read: the top-level
			// field wins over its usage counterpart.
			var t int64
			if t, ferr = tokens(v, name); ferr == nil {
				topMedia = append(topMedia, mediaField{name, t})
			}
		case "usage":
			if v.Type() != fastjson.TypeObject {
				ferr = &FieldError{"wrong type", name}
			}
			usage = v
		case "tool":
			r.Tool, ferr = str(v, name)
		case "status":
			var s string
			if s, ferr = str(v, name); ferr == nil {
				r.Status, ferr = ParseStatus(s)
				statusExplicit = true
			}
		case "error":
			if s, ok := fjson.ScalarText(v); ok {
				r.Error = s
			} else {
				r.Error = Shorten(string(v.MarshalTo(nil)))
			}
		case "error_class":
			var c string
			if c, ferr = str(v, name); ferr == nil {
				r.ErrorClass, ferr = ParseErrorClass(c)
			}
		case "role":
			r.Role, ferr = str(v, name)
		case "workflow":
			r.Workflow, ferr = str(v, name)
		case "cost_usd":
			r.CostUSD, ferr = number(v, name)
			r.HasCost = ferr == nil
		case "tool_args":
			r.setToolArgs(v)
		case "tool_result":
			r.setToolResult(v)
		case "service_tier":
			var s string
			if s, ferr = str(v, name); ferr == nil {
				r.ServiceTier = ParseServiceTier(s)
			}
		case "fast_mode", "us_only":
			var b bool
			switch v.Type() {
			case fastjson.TypeTrue:
				b = true
			case fastjson.TypeFalse:
			default:
				ferr = &FieldError{"wrong type (want boolean)", name}
			}
			if name == "fast_mode" {
				r.Fast = r.Fast || b
			} else {
				r.USOnly = r.USOnly || b
			}
		}
	})
	if ferr != nil {
		return ferr
	}
	if usage != nil && !topTokens {
		if ferr := fillUsage(r, usage); ferr != nil {
			return ferr
		}
	}
	for _, m := range topMedia {
		*TokenField(r, m.name) = m.n
	}
	if usage != nil {
		if ferr := FillUsageBilling(r, func(path ...string) (string, bool, bool) {
			v := usage.Get(path...)
			if v == nil || v.Type() == fastjson.TypeNull {
				return "", false, false
			}
			if v.Type() != fastjson.TypeString {
				return "", true, false
			}
			return string(v.GetStringBytes()), true, true
		}, func(path ...string) (int64, bool, *FieldError) {
			v := usage.Get(path...)
			if v == nil || v.Type() == fastjson.TypeNull {
				return 0, false, nil
			}
			t, err := tokens(v, "usage."+strings.Join(path, "."))
			return t, err == nil, err
		}, fjson.ObjectKeys(usage)); ferr != nil {
			return ferr
		}
	}
	return Finish(r, statusExplicit)
}

// mediaField is a top-level audio or image token count (canonical JSONL).
type mediaField struct {
	name string
	n    int64
}

// TokenField points at the record field a canonical *_tokens name names
// (reasoning_tokens for any other name).
func TokenField(r *Record, name string) *int64 {
	switch name {
	case "input_tokens":
		return &r.InputTokens
	case "output_tokens":
		return &r.OutputTokens
	case "cache_read_tokens":
		return &r.CacheReadTokens
	case "cache_write_tokens":
		return &r.CacheWriteTokens
	case "cache_write_1h_tokens":
		return &r.CacheWrite1hTokens
	case "audio_input_tokens":
		return &r.AudioInputTokens
	case "image_input_tokens":
		return &r.ImageInputTokens
	case "audio_output_tokens":
		return &r.AudioOutputTokens
	case "image_output_tokens":
		return &r.ImageOutputTokens
	}
	return &r.ReasoningTokens
}

// fillUsage reads a nested provider usage object (see FillUsage).
func fillUsage(r *Record, u *fastjson.Value) *FieldError {
	return FillUsageObject(r, func(path ...string) (int64, bool, *FieldError) {
		v := u.Get(path...)
		if v == nil || v.Type() == fastjson.TypeNull {
			return 0, false, nil
		}
		t, err := tokens(v, "usage."+strings.Join(path, "."))
		return t, err == nil, err
	}, fjson.ObjectKeys(u))
}

func str(v *fastjson.Value, field string) (string, *FieldError) {
	s, ok := fjson.String(v)
	if !ok {
		return "", &FieldError{"wrong type (want string)", field}
	}
	return s, nil
}

func stringOrNumber(v *fastjson.Value, field string) (string, *FieldError) {
	s, ok := fjson.StringOrNumber(v)
	if !ok {
		return "", &FieldError{"wrong type (want string)", field}
	}
	return s, nil
}

func number(v *fastjson.Value, field string) (float64, *FieldError) {
	if v.Type() != fastjson.TypeNumber {
		return 0, &FieldError{"wrong type (want number)", field}
	}
	f, err := v.Float64()
	if err != nil {
		return 0, &FieldError{"non-finite number", field}
	}
	return f, nil
}

func tokens(v *fastjson.Value, field string) (int64, *FieldError) {
	f, ferr := number(v, field)
	if ferr != nil {
		return 0, ferr
	}
	return TokenCount(field, f)
}

// Shorten keeps messages readable when a line holds megabytes.
func Shorten(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return TruncateUTF8(s, max) + "…" // never half a character
}
