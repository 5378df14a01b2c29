package otel

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/jsonutil"
)

func init() {
	ingest.Register(otlpFormat{}, 20)
	ingest.Register(tempoFormat{}, 20)
}

// otlpFormat reads the OTLP/JSON file exporter: one TracesData per line, or
// pretty-printed documents.
type otlpFormat struct{}

func (otlpFormat) Name() string { return "otlp" }

func (otlpFormat) Describe() string {
	return "OTLP/JSON traces (collector file exporter): GenAI span attributes and aliases; usage counted once per call"
}

func (otlpFormat) Sniff(_ string, head []byte) bool {
	k := jsonutil.FirstKey(head)
	return k == "resourceSpans" || k == "resource_spans"
}

func (otlpFormat) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	return decodeOTLP(src, newSink)
}

// tempoFormat reads a Grafana Tempo trace export. It is OTLP/JSON with the
// pre-1.0 names (batches, instrumentationLibrarySpans), enum names for kind
// and status, and numbers for int64 values; the decoder accepts both shapes.
type tempoFormat struct{}

func (tempoFormat) Name() string { return "tempo" }

func (tempoFormat) Describe() string {
	return "Grafana Tempo trace JSON (batches/instrumentationLibrarySpans or {\"trace\":{resourceSpans}}): mapped as otlp"
}

func (tempoFormat) Sniff(_ string, head []byte) bool {
	switch jsonutil.FirstKey(head) {
	case "batches":
		return true
	case "trace":
		// Tempo's v2 API wraps OTLP in {"trace":…}; Langfuse uses the same key.
		return bytes.Contains(head, []byte(`"resourceSpans"`)) || bytes.Contains(head, []byte(`"batches"`))
	}
	return false
}

func (tempoFormat) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	return decodeOTLP(src, newSink)
}

// The OTLP/JSON shape with the older Tempo and proto field names beside the
// current ones. Scalars stay fastjson values so strings and numbers both
// read and int64 keeps its digits.
type tracesData struct {
	lists [3][]resourceSpans // resourceSpans, resource_spans, batches
	trace *tracesData
}

type resourceSpans struct {
	attrs []keyValue
	lists [4][]scopeSpans // scopeSpans, scope_spans, instrumentationLibrarySpans, instrumentation_library_spans
}

type scopeSpans struct {
	scope, library string
	spans          []otlpSpan
}

// otlpSpan holds spanKeys' fields: strs the ids and name, times the four
// time fields (raw), status the code (raw) and message.
type otlpSpan struct {
	strs    [7]string
	times   [4]*fastjson.Value
	attrs   []keyValue
	code    *fastjson.Value
	message string
}

type keyValue struct {
	key string
	val [8]*fastjson.Value // valueKeys
}

// text renders the value as fjson.RawText does: the first of valueKeys
// present (null too, as ""); arrays, maps and bytes are not mapped. As
// the fast path's valueText, token counts are read from the parser's
// bytes without a copy (they are parsed at once, never kept), response
// ids are copied, and other text is interned.
func (d *fastDecoder) text(kv *keyValue) string {
	for _, v := range kv.val {
		if v == nil {
			continue
		}
		var b []byte
		switch v.Type() {
		case fastjson.TypeString:
			if b = v.GetStringBytes(); !utf8.Valid(b) {
				return fjson.Text(b)
			}
		case fastjson.TypeNumber:
			d.num = v.MarshalTo(d.num[:0])
			b = d.num
		default:
			return fjson.RawText(v)
		}
		if _, ok := tokenAttrs[kv.key]; ok {
			return unsafe.String(unsafe.SliceData(b), len(b))
		}
		if kv.key == "gen_ai.response.id" {
			return string(b)
		}
		return d.str(b)
	}
	return ""
}

func or[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}

// statusError reads status.code as a number (2) or enum name.
func statusError(t string) bool {
	return t == "2" || t == "STATUS_CODE_ERROR" || strings.EqualFold(t, "error")
}

// otlpFields reads the OTLP/JSON shape by encoding/json's struct rules
// (fjson.Fields: null is missing, a wrong type is an error naming the
// field), keys matched exactly; of repeated keys the last counts, whole. A
// key that is a known key in other case is an error too, so a mis-cased
// "Attributes" or "Key" is loud instead of silently dropping the usage
// under it (docs/formats/otel.md, "Odd JSON").
type otlpFields struct {
	fjson.Fields
	d *fastDecoder // interns the strings it reads; nil: copies them
}

// str reads a string field as Fields.String does.
func (f *otlpFields) str(path string, v *fastjson.Value) string {
	if f.d == nil || v == nil || v.Type() != fastjson.TypeString {
		return f.String(path, v)
	}
	b := v.GetStringBytes()
	if !utf8.Valid(b) {
		return fjson.Text(b)
	}
	return f.d.str(b)
}

// object visits the members of v (an object, or null: none) at path,
// calling fn with the index of each known key.
func (f *otlpFields) object(path string, v *fastjson.Value, known []string, fn func(i int, v *fastjson.Value)) {
	o := f.Object(path, v)
	if o == nil {
		return
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		if i := slices.Index(known, string(k)); i >= 0 {
			fn(i, v)
			return
		}
		for _, name := range known {
			if f.Err == "" && strings.EqualFold(string(k), name) {
				f.Err = fmt.Sprintf("key %q is not %q", fjson.Text(k), name)
				if path != "" {
					f.Err = path + ": " + f.Err
				}
			}
		}
	})
}

// array calls fn with each element of v (an array, or null: none).
func (f *otlpFields) array(path string, v *fastjson.Value, fn func(v *fastjson.Value)) {
	a, _ := f.Array(path, v)
	for _, x := range a {
		fn(x)
	}
}

// join names the field key of the object at path. Paths are built once a
// decoder: naming each field of each span allocated.
func (f *otlpFields) join(path, key string) string {
	if path == "" {
		return key
	}
	if f.d == nil {
		return path + "." + key
	}
	if p, ok := f.d.paths[[2]string{path, key}]; ok {
		return p
	}
	p := path + "." + key
	f.d.paths[[2]string{path, key}] = p
	return p
}

func (f *otlpFields) traces(path string, v *fastjson.Value, td *tracesData) {
	f.object(path, v, tracesKeys, func(i int, v *fastjson.Value) {
		p := f.join(path, tracesKeys[i])
		if i == 3 {
			td.trace = nil
			if v.Type() != fastjson.TypeNull {
				td.trace = &tracesData{}
				f.traces(p, v, td.trace)
			}
			return
		}
		td.lists[i] = nil
		f.array(p, v, func(x *fastjson.Value) {
			var rs resourceSpans
			f.resourceSpans(p, x, &rs)
			td.lists[i] = append(td.lists[i], rs)
		})
	})
}

func (f *otlpFields) resourceSpans(path string, v *fastjson.Value, rs *resourceSpans) {
	f.object(path, v, rsKeys, func(i int, v *fastjson.Value) {
		p := f.join(path, rsKeys[i])
		if i == 0 {
			rs.attrs = nil
			f.object(p, v, resourceKeys, func(_ int, v *fastjson.Value) {
				rs.attrs = f.keyValues(f.join(p, "attributes"), v)
			})
			return
		}
		rs.lists[i-1] = nil
		f.array(p, v, func(x *fastjson.Value) {
			var ss scopeSpans
			f.scopeSpans(p, x, &ss)
			rs.lists[i-1] = append(rs.lists[i-1], ss)
		})
	})
}

var nameKeys = []string{"name"}

func (f *otlpFields) scopeSpans(path string, v *fastjson.Value, ss *scopeSpans) {
	f.object(path, v, ssKeys, func(i int, v *fastjson.Value) {
		p := f.join(path, ssKeys[i])
		switch i {
		case 0, 1:
			name := ""
			f.object(p, v, nameKeys, func(_ int, v *fastjson.Value) { name = f.str(f.join(p, "name"), v) })
			if i == 0 {
				ss.scope = name
			} else {
				ss.library = name
			}
			return
		}
		ss.spans = nil
		f.array(p, v, func(x *fastjson.Value) {
			var s otlpSpan
			f.object(p, x, spanKeys, func(i int, v *fastjson.Value) {
				sp := f.join(p, spanKeys[i])
				switch {
				case i <= 6:
					s.strs[i] = f.str(sp, v)
				case i <= 10:
					s.times[i-7] = v
				case i == 11:
					s.attrs = f.keyValues(sp, v)
				default:
					s.code, s.message = nil, ""
					f.object(sp, v, statusKeys, func(j int, v *fastjson.Value) {
						if j == 0 {
							s.code = v
						} else {
							s.message = f.str(f.join(sp, "message"), v)
						}
					})
				}
			})
			ss.spans = append(ss.spans, s)
		})
	})
}

func (f *otlpFields) keyValues(path string, v *fastjson.Value) []keyValue {
	var kvs []keyValue
	f.array(path, v, func(x *fastjson.Value) {
		var kv keyValue
		f.object(path, x, kvKeys, func(i int, v *fastjson.Value) {
			if i == 0 {
				kv.key = f.str(f.join(path, "key"), v)
				return
			}
			kv.val = [8]*fastjson.Value{}
			f.object(f.join(path, "value"), v, valueKeys, func(j int, v *fastjson.Value) { kv.val[j] = v })
		})
		kvs = append(kvs, kv)
	})
	return kvs
}

func decodeOTLP(src *ingest.Source, newSink ingest.SinkFactory) error {
	sink := newSink()
	c := newCollector(src.Name, sink)
	if !jsonutil.PrettyDocument(src.Head()) {
		err := decodeOTLPLines(src, c)
		c.flush()
		return err
	}
	d := newFastDecoder()
	var spans []span
	err := jsonutil.EachValue(src, sink, func(val []byte, line int64) {
		var note *ingest.Note
		spans, note = d.value(val, src.Name, line, spans[:0])
		c.addLine(spans, note)
	})
	c.flush()
	return err
}

// addLine takes what one value (line) yielded: its spans, or the note
// that accounts for it.
func (c *collector) addLine(spans []span, note *ingest.Note) {
	if note != nil {
		c.sink.Lines(1)
		c.sink.Note(*note)
		return
	}
	for i := range spans {
		c.sink.Lines(1)
		c.add(&spans[i])
	}
}

// value decodes one OTLP/JSON value, which json.Valid has accepted, into
// spans appended to out, or into the note that accounts for the line. The
// fast decoder handles the usual shapes; the general decoder (fastjson,
// read by otlpFields) decides the rest.
func (d *fastDecoder) value(val []byte, file string, line int64, out []span) ([]span, *ingest.Note) {
	start := len(out)
	out, ok := d.decode(val, file, line, out)
	if !ok {
		out = out[:start]
		var note *ingest.Note
		if out, note = d.general(val, file, line, out); note != nil {
			return out, note
		}
	}
	if len(out) == start {
		// A line with no span is still a unit read.
		return out, &ingest.Note{Kind: ingest.NoteSkipped, File: file, Line: line, Reason: "no spans"}
	}
	return out, nil
}

// otlpParsers are the general decoder's: a parser per decoder re-grew its
// value tree for every source.
var otlpParsers fastjson.ParserPool

// general is the general decoder: it reads val (valid JSON) by
// otlpFields' rules. A value of the wrong shape is one invalid unit.
func (d *fastDecoder) general(val []byte, file string, line int64, out []span) ([]span, *ingest.Note) {
	malformed := func(detail string) *ingest.Note {
		return &ingest.Note{Kind: ingest.NoteInvalid, File: file, Line: line, Reason: "malformed otlp", Detail: detail}
	}
	p := otlpParsers.Get()
	defer otlpParsers.Put(p)
	v, detail, ok := fjson.ParseValid(p, val)
	if !ok {
		return out, malformed(detail)
	}
	var td tracesData
	switch v.Type() {
	case fastjson.TypeNull:
		return out, nil
	case fastjson.TypeObject:
	default:
		return out, malformed("not a json object")
	}
	f := otlpFields{d: d}
	f.traces("", v, &td)
	if f.Err != "" {
		return out, malformed(f.Err)
	}
	if td.trace != nil {
		td = *td.trace
	}
	var sub int32
	for _, list := range td.lists {
		for i := range list {
			out, sub = d.appendResourceSpans(out, &list[i], file, line, sub)
		}
	}
	return out, nil
}

// appendResourceSpans appends the spans of one resource and returns the
// next span index within the line.
func (d *fastDecoder) appendResourceSpans(out []span, rs *resourceSpans, file string, line int64, sub int32) ([]span, int32) {
	var res span
	for i := range rs.attrs {
		res.setResourceAttr(rs.attrs[i].key, d.text(&rs.attrs[i]))
	}
	for _, list := range rs.lists {
		for _, ss := range list {
			for j := range ss.spans {
				os := &ss.spans[j]
				s := span{
					traceID:        normID(or(os.strs[0], os.strs[1])),
					spanID:         normID(or(os.strs[2], os.strs[3])),
					parentID:       normID(or(os.strs[4], os.strs[5])),
					name:           os.strs[6],
					scope:          or(ss.scope, ss.library),
					resSession:     res.resSession,
					resSessionPrio: res.resSessionPrio,
					service:        res.service,
					file:           file,
					line:           line,
					sub:            sub,
				}
				s.start, _ = jsonutil.ParseInt(fjson.RawText(or(os.times[0], os.times[1])))
				s.end, _ = jsonutil.ParseInt(fjson.RawText(or(os.times[2], os.times[3])))
				for k := range os.attrs {
					s.setAttr(os.attrs[k].key, d.text(&os.attrs[k]))
				}
				if statusError(fjson.RawText(os.code)) {
					s.statusErr = true
				}
				if os.message != "" {
					s.statusMsg = os.message
				}
				out = append(out, s)
				sub++
			}
		}
	}
	return out, sub
}
