package otel

import (
	"bytes"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/jsonutil"
)

func init() {
	ingest.Register(stdoutFormat{}, 20)
	ingest.Register(consoleFormat{}, 20)
}

// stdoutFormat reads what the Go SDK's stdouttrace exporter writes: one
// tracetest.SpanStub per JSON value (one per line, or tab-indented with
// WithPrettyPrint), attributes as {"Key","Value":{"Type","Value"}}.
type stdoutFormat struct{}

func (stdoutFormat) Name() string { return "stdouttrace" }

func (stdoutFormat) Describe() string {
	return "OpenTelemetry Go stdouttrace exporter output (one SpanStub per JSON value): GenAI attributes mapped as otlp"
}

// Sniff: a SpanStub's first field is Name, and SpanContext follows it.
func (stdoutFormat) Sniff(_ string, head []byte) bool {
	return jsonutil.FirstKey(head) == "Name" && bytes.Contains(head, []byte(`"SpanContext"`))
}

// consoleFormat reads what the Python SDK's ConsoleSpanExporter writes:
// ReadableSpan.to_json() (indented by 4) per span, one after another.
type consoleFormat struct{}

func (consoleFormat) Name() string { return "otel-console" }

func (consoleFormat) Describe() string {
	return "OpenTelemetry Python ConsoleSpanExporter output (span.to_json() objects one after another): GenAI attributes mapped as otlp"
}

// Sniff: to_json starts with name, then a context holding trace_id and
// span_id, and always writes parent_id (null for a root).
func (consoleFormat) Sniff(_ string, head []byte) bool {
	return jsonutil.FirstKey(head) == "name" && bytes.Contains(head, []byte(`"context"`)) &&
		bytes.Contains(head, []byte(`"trace_id"`)) && bytes.Contains(head, []byte(`"parent_id"`))
}

func (stdoutFormat) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	return decodeDump(src, newSink, "malformed stdouttrace", stubSpan)
}

func (consoleFormat) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	return decodeDump(src, newSink, "malformed console span", consoleSpan)
}

var dumpParsers fastjson.ParserPool

// decodeDump feeds every JSON value of src, one span each, to the
// collector. A value that is not a span of the expected shape is one
// invalid unit, detail saying why.
func decodeDump(src *ingest.Source, newSink ingest.SinkFactory, reason string, conv func(v *fastjson.Value, s *span) string) error {
	sink := newSink()
	c := newCollector(src.Name, sink)
	p := dumpParsers.Get()
	defer dumpParsers.Put(p)
	err := jsonutil.EachValue(src, sink, func(val []byte, line int64) {
		s := span{file: src.Name, line: line}
		sink.Lines(1)
		// EachValue hands on only what json.Valid accepts.
		v, detail, ok := fjson.ParseValid(p, val)
		if ok {
			detail = conv(v, &s)
		}
		if detail != "" {
			sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: src.Name, Line: line, Reason: reason, Detail: detail})
			return
		}
		c.add(&s)
	})
	c.flush()
	return err
}

// The span readers below read by the rules of the OTLP reader's
// otlpFields: encoding/json's struct rules (null is missing, a field of
// the wrong type is an error naming it), keys matched exactly, a known key
// in other case an error, the last of repeated keys counting whole
// (docs/formats/otel-sdk-dumps.md, "Odd JSON").

const errNotObject = "not a JSON object"

var (
	stubKeys  = []string{"Name", "SpanContext", "Parent", "StartTime", "EndTime", "Attributes", "Status", "Resource", "InstrumentationScope", "InstrumentationLibrary"}
	goIDKeys  = []string{"TraceID", "SpanID"}
	goKVKeys  = []string{"Key", "Value"}
	goValKeys = []string{"Type", "Value"}
	goStKeys  = []string{"Code", "Description"}
	goScKeys  = []string{"Name"}
)

// stubSpan reads the part of a tracetest.SpanStub that is mapped.
func stubSpan(v *fastjson.Value, s *span) string {
	if v.Type() != fastjson.TypeObject {
		return errNotObject
	}
	var f otlpFields
	var ctx, parent [2]string
	var scope, library, start, end, code, desc string
	var attrs, res []goKeyValue
	ids := func(path string, v *fastjson.Value, dst *[2]string) {
		*dst = [2]string{}
		f.object(path, v, goIDKeys, func(i int, v *fastjson.Value) { dst[i] = f.String(path+"."+goIDKeys[i], v) })
	}
	scopeName := func(path string, v *fastjson.Value) (name string) {
		f.object(path, v, goScKeys, func(_ int, v *fastjson.Value) { name = f.String(path+".Name", v) })
		return name
	}
	f.object("", v, stubKeys, func(i int, v *fastjson.Value) {
		path := stubKeys[i]
		switch i {
		case 0:
			s.name = f.String(path, v)
		case 1:
			ids(path, v, &ctx)
		case 2:
			ids(path, v, &parent)
		case 3:
			start = f.String(path, v)
		case 4:
			end = f.String(path, v)
		case 5:
			attrs = goKeyValues(&f, path, v)
		case 6:
			code, desc = "", ""
			f.object(path, v, goStKeys, func(j int, v *fastjson.Value) {
				if j == 0 {
					code = f.String(path+".Code", v)
				} else {
					desc = f.String(path+".Description", v)
				}
			})
		case 7:
			res = goKeyValues(&f, path, v)
		case 8:
			scope = scopeName(path, v)
		case 9:
			library = scopeName(path, v)
		}
	})
	if f.Err != "" {
		return f.Err
	}
	s.traceID, s.spanID = dumpID(ctx[0]), dumpID(ctx[1])
	s.parentID = dumpID(parent[1])
	s.scope = or(scope, library)
	s.start, s.end = dumpTime(start), dumpTime(end)
	for _, kv := range res {
		s.setResourceAttr(kv.key, fjson.RawText(kv.val))
	}
	for _, kv := range attrs {
		s.setAttr(kv.key, fjson.RawText(kv.val))
	}
	// codes.Code marshals as "Unset", "Error" or "Ok".
	if strings.EqualFold(code, "Error") {
		s.statusErr = true
		s.statusMsg = desc
	}
	return ""
}

// goKeyValue is an attribute.KeyValue as the Go SDK marshals it:
// {"Key","Value":{"Type","Value"}}; val is the inner Value, raw.
type goKeyValue struct {
	key string
	val *fastjson.Value
}

func goKeyValues(f *otlpFields, path string, v *fastjson.Value) []goKeyValue {
	var kvs []goKeyValue
	f.array(path, v, func(x *fastjson.Value) {
		var kv goKeyValue
		f.object(path, x, goKVKeys, func(i int, v *fastjson.Value) {
			if i == 0 {
				kv.key = f.String(path+".Key", v)
				return
			}
			kv.val = nil
			f.object(path+".Value", v, goValKeys, func(j int, v *fastjson.Value) {
				if j == 0 {
					f.String(path+".Value.Type", v) // read only to check its type, as before
				} else {
					kv.val = v
				}
			})
		})
		kvs = append(kvs, kv)
	})
	return kvs
}

var (
	pyKeys    = []string{"name", "context", "parent_id", "start_time", "end_time", "status", "attributes", "resource"}
	pyCtxKeys = []string{"trace_id", "span_id"}
	pyStKeys  = []string{"status_code", "canonical_code", "description"} // canonical_code: SDKs before 0.16
	pyResKeys = []string{"attributes"}
)

// consoleSpan reads the part of ReadableSpan.to_json() that is mapped.
// Attribute maps are walked in file order, a repeated member too (so
// aliases of equal priority resolve the same way on every run).
func consoleSpan(v *fastjson.Value, s *span) string {
	if v.Type() != fastjson.TypeObject {
		return errNotObject
	}
	var f otlpFields
	var ctx [2]string
	var parent, start, end string
	var status [3]string
	var attrs, resAttrs *fastjson.Value
	f.object("", v, pyKeys, func(i int, v *fastjson.Value) {
		path := pyKeys[i]
		switch i {
		case 0:
			s.name = f.String(path, v)
		case 1:
			ctx = [2]string{}
			f.object(path, v, pyCtxKeys, func(j int, v *fastjson.Value) { ctx[j] = f.String(path+"."+pyCtxKeys[j], v) })
		case 2:
			parent = f.String(path, v)
		case 3:
			start = f.String(path, v)
		case 4:
			end = f.String(path, v)
		case 5:
			status = [3]string{}
			f.object(path, v, pyStKeys, func(j int, v *fastjson.Value) { status[j] = f.String(path+"."+pyStKeys[j], v) })
		case 6:
			attrs = v
		case 7:
			resAttrs = nil
			f.object(path, v, pyResKeys, func(_ int, v *fastjson.Value) { resAttrs = v })
		}
	})
	if f.Err != "" {
		return f.Err
	}
	s.traceID, s.spanID = dumpID(ctx[0]), dumpID(ctx[1])
	s.parentID = dumpID(parent)
	s.start, s.end = dumpTime(start), dumpTime(end)
	if !eachMember(resAttrs, s.setResourceAttr) || !eachMember(attrs, s.setAttr) {
		return "attributes: not a JSON object"
	}
	switch code := strings.ToUpper(or(status[0], status[1])); code {
	case "", "UNSET", "OK":
	default:
		// ERROR, or one of the gRPC-style canonical codes of old SDKs.
		s.statusErr = true
		s.statusMsg = status[2]
	}
	return ""
}

// eachMember calls fn with every member of a JSON object, in file order,
// the value as text; false when v is not an object. null or absent is no
// members.
func eachMember(v *fastjson.Value, fn func(key, val string)) bool {
	if v == nil || v.Type() == fastjson.TypeNull {
		return true
	}
	o, err := v.Object()
	if err != nil {
		return false
	}
	o.Visit(func(k []byte, v *fastjson.Value) { fn(fjson.Text(k), fjson.RawText(v)) })
	return true
}

// dumpID normalises a span or trace id: Python writes "0x…" hex, and the
// Go SDK writes an all-zero id for "no parent".
func dumpID(id string) string {
	id = strings.TrimSpace(id)
	if len(id) > 2 && (id[:2] == "0x" || id[:2] == "0X") {
		id = id[2:]
	}
	if strings.Trim(id, "0") == "" {
		return ""
	}
	return normID(id)
}

// dumpTime reads an RFC 3339 time. The Go exporter writes the zero time
// (year 1) when built WithoutTimestamps: that is no time, 0.
func dumpTime(s string) int64 { return ingest.ParseTimeOrZero(s) }
