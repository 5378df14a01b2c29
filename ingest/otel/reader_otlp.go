package otel

import (
	"github.com/tokcost/tokcost/ingest/internal/jsonutil"

	"bytes"
	"encoding/json"
	"strings"

	"github.com/tokcost/tokcost/ingest"
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
// current ones. Scalars stay raw so strings and numbers both decode and
// int64 keeps its digits.
type tracesData struct {
	ResourceSpans  []resourceSpans `json:"resourceSpans"`
	ResourceSpans2 []resourceSpans `json:"resource_spans"`
	Batches        []resourceSpans `json:"batches"`
	Trace          *tracesData     `json:"trace"`
}

type resourceSpans struct {
	Resource struct {
		Attributes []keyValue `json:"attributes"`
	} `json:"resource"`
	ScopeSpans  []scopeSpans `json:"scopeSpans"`
	ScopeSpans2 []scopeSpans `json:"scope_spans"`
	ILSpans     []scopeSpans `json:"instrumentationLibrarySpans"`
	ILSpans2    []scopeSpans `json:"instrumentation_library_spans"`
}

type scopeSpans struct {
	Scope   struct{ Name string } `json:"scope"`
	Library struct{ Name string } `json:"instrumentationLibrary"`
	Spans   []otlpSpan            `json:"spans"`
}

type otlpSpan struct {
	TraceID    string          `json:"traceId"`
	TraceID2   string          `json:"trace_id"`
	SpanID     string          `json:"spanId"`
	SpanID2    string          `json:"span_id"`
	ParentID   string          `json:"parentSpanId"`
	ParentID2  string          `json:"parent_span_id"`
	Name       string          `json:"name"`
	Start      json.RawMessage `json:"startTimeUnixNano"`
	Start2     json.RawMessage `json:"start_time_unix_nano"`
	End        json.RawMessage `json:"endTimeUnixNano"`
	End2       json.RawMessage `json:"end_time_unix_nano"`
	Attributes []keyValue      `json:"attributes"`
	Status     struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	} `json:"status"`
}

type keyValue struct {
	Key   string   `json:"key"`
	Value anyValue `json:"value"`
}

type anyValue struct {
	String  json.RawMessage `json:"stringValue"`
	String2 json.RawMessage `json:"string_value"`
	Int     json.RawMessage `json:"intValue"`
	Int2    json.RawMessage `json:"int_value"`
	Double  json.RawMessage `json:"doubleValue"`
	Double2 json.RawMessage `json:"double_value"`
	Bool    json.RawMessage `json:"boolValue"`
	Bool2   json.RawMessage `json:"bool_value"`
}

// text renders the value; arrays, maps and bytes are not mapped.
func (v *anyValue) text() string {
	for _, raw := range [...]json.RawMessage{v.String, v.String2, v.Int, v.Int2, v.Double, v.Double2, v.Bool, v.Bool2} {
		if len(raw) > 0 {
			return jsonutil.RawText(raw)
		}
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

func orRaw(a, b json.RawMessage) json.RawMessage {
	if len(a) > 0 {
		return a
	}
	return b
}

// statusError reads status.code as a number (2) or enum name.
func statusError(raw json.RawMessage) bool {
	t := jsonutil.RawText(raw)
	return t == "2" || t == "STATUS_CODE_ERROR" || strings.EqualFold(t, "error")
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

// value decodes one OTLP/JSON value into spans appended to out, or into
// the note that accounts for the line. The fast decoder handles the usual
// shapes; encoding/json decides the rest.
func (d *fastDecoder) value(val []byte, file string, line int64, out []span) ([]span, *ingest.Note) {
	start := len(out)
	out, ok := d.decode(val, file, line, out)
	if !ok {
		var td tracesData
		if err := json.Unmarshal(val, &td); err != nil {
			return out[:start], &ingest.Note{Kind: ingest.NoteInvalid, File: file, Line: line, Reason: "malformed otlp", Detail: err.Error()}
		}
		if td.Trace != nil {
			td = *td.Trace
		}
		out = out[:start]
		var sub int32
		for _, list := range [][]resourceSpans{td.ResourceSpans, td.ResourceSpans2, td.Batches} {
			for i := range list {
				out, sub = appendResourceSpans(out, &list[i], file, line, sub)
			}
		}
	}
	if len(out) == start {
		// A line with no span is still a unit read.
		return out, &ingest.Note{Kind: ingest.NoteSkipped, File: file, Line: line, Reason: "no spans"}
	}
	return out, nil
}

// appendResourceSpans appends the spans of one resource and returns the
// next span index within the line.
func appendResourceSpans(out []span, rs *resourceSpans, file string, line int64, sub int32) ([]span, int32) {
	var res span
	for _, kv := range rs.Resource.Attributes {
		res.setResourceAttr(kv.Key, kv.Value.text())
	}
	for _, list := range [][]scopeSpans{rs.ScopeSpans, rs.ScopeSpans2, rs.ILSpans, rs.ILSpans2} {
		for _, ss := range list {
			for j := range ss.Spans {
				os := &ss.Spans[j]
				s := span{
					traceID:        normID(or(os.TraceID, os.TraceID2)),
					spanID:         normID(or(os.SpanID, os.SpanID2)),
					parentID:       normID(or(os.ParentID, os.ParentID2)),
					name:           os.Name,
					scope:          or(ss.Scope.Name, ss.Library.Name),
					resSession:     res.resSession,
					resSessionPrio: res.resSessionPrio,
					service:        res.service,
					file:           file,
					line:           line,
					sub:            sub,
				}
				s.start, _ = jsonutil.ParseInt(jsonutil.RawText(orRaw(os.Start, os.Start2)))
				s.end, _ = jsonutil.ParseInt(jsonutil.RawText(orRaw(os.End, os.End2)))
				for _, kv := range os.Attributes {
					s.setAttr(kv.Key, kv.Value.text())
				}
				if statusError(os.Status.Code) {
					s.statusErr = true
				}
				if os.Status.Message != "" {
					s.statusMsg = os.Status.Message
				}
				out = append(out, s)
				sub++
			}
		}
	}
	return out, sub
}
