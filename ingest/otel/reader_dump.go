package otel

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/tokcost/tokcost/ingest"
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

type goSpanContext struct {
	TraceID string `json:"TraceID"`
	SpanID  string `json:"SpanID"`
}

type goKeyValue struct {
	Key   string `json:"Key"`
	Value struct {
		Type  string          `json:"Type"`
		Value json.RawMessage `json:"Value"`
	} `json:"Value"`
}

type goScope struct {
	Name string `json:"Name"`
}

// goStub is the part of tracetest.SpanStub that is mapped.
type goStub struct {
	Name        string        `json:"Name"`
	SpanContext goSpanContext `json:"SpanContext"`
	Parent      goSpanContext `json:"Parent"`
	StartTime   string        `json:"StartTime"`
	EndTime     string        `json:"EndTime"`
	Attributes  []goKeyValue  `json:"Attributes"`
	Status      struct {
		Code        string `json:"Code"`
		Description string `json:"Description"`
	} `json:"Status"`
	Resource               []goKeyValue `json:"Resource"`
	InstrumentationScope   goScope      `json:"InstrumentationScope"`
	InstrumentationLibrary goScope      `json:"InstrumentationLibrary"`
}

func (stdoutFormat) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	return decodeDump(src, newSink, "malformed stdouttrace", stubSpan)
}

func (consoleFormat) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	return decodeDump(src, newSink, "malformed console span", consoleSpan)
}

// decodeDump feeds every JSON value of src, one span each, to the
// collector. A value that is not a span of the expected shape is one
// invalid unit.
func decodeDump(src *ingest.Source, newSink ingest.SinkFactory, reason string, conv func(val []byte, s *span) error) error {
	sink := newSink()
	c := newCollector(src.Name, sink)
	err := jsonutil.EachValue(src, sink, func(val []byte, line int64) {
		s := span{file: src.Name, line: line}
		sink.Lines(1)
		if err := conv(val, &s); err != nil {
			sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: src.Name, Line: line, Reason: reason, Detail: err.Error()})
			return
		}
		c.add(&s)
	})
	c.flush()
	return err
}

var errNotObject = errors.New("not a JSON object")

func stubSpan(val []byte, s *span) error {
	if v := bytes.TrimSpace(val); len(v) == 0 || v[0] != '{' {
		return errNotObject
	}
	var st goStub
	if err := json.Unmarshal(val, &st); err != nil {
		return err
	}
	s.traceID, s.spanID = dumpID(st.SpanContext.TraceID), dumpID(st.SpanContext.SpanID)
	s.parentID = dumpID(st.Parent.SpanID)
	s.name = st.Name
	s.scope = or(st.InstrumentationScope.Name, st.InstrumentationLibrary.Name)
	s.start, s.end = dumpTime(st.StartTime), dumpTime(st.EndTime)
	for _, kv := range st.Resource {
		s.setResourceAttr(kv.Key, jsonutil.RawText(kv.Value.Value))
	}
	for _, kv := range st.Attributes {
		s.setAttr(kv.Key, jsonutil.RawText(kv.Value.Value))
	}
	// codes.Code marshals as "Unset", "Error" or "Ok".
	if strings.EqualFold(st.Status.Code, "Error") {
		s.statusErr = true
		s.statusMsg = st.Status.Description
	}
	return nil
}

// pySpan is the part of ReadableSpan.to_json() that is mapped. Attribute
// maps stay raw so their keys are read in file order.
type pySpan struct {
	Name    string `json:"name"`
	Context struct {
		TraceID string `json:"trace_id"`
		SpanID  string `json:"span_id"`
	} `json:"context"`
	ParentID  *string `json:"parent_id"`
	StartTime string  `json:"start_time"`
	EndTime   string  `json:"end_time"`
	Status    struct {
		StatusCode    string `json:"status_code"`
		CanonicalCode string `json:"canonical_code"` // SDKs before 0.16
		Description   string `json:"description"`
	} `json:"status"`
	Attributes json.RawMessage `json:"attributes"`
	Resource   struct {
		Attributes json.RawMessage `json:"attributes"`
	} `json:"resource"`
}

func consoleSpan(val []byte, s *span) error {
	if v := bytes.TrimSpace(val); len(v) == 0 || v[0] != '{' {
		return errNotObject
	}
	var ps pySpan
	if err := json.Unmarshal(val, &ps); err != nil {
		return err
	}
	s.traceID, s.spanID = dumpID(ps.Context.TraceID), dumpID(ps.Context.SpanID)
	if ps.ParentID != nil {
		s.parentID = dumpID(*ps.ParentID)
	}
	s.name = ps.Name
	s.start, s.end = dumpTime(ps.StartTime), dumpTime(ps.EndTime)
	if err := eachMember(ps.Resource.Attributes, s.setResourceAttr); err != nil {
		return err
	}
	if err := eachMember(ps.Attributes, s.setAttr); err != nil {
		return err
	}
	switch code := strings.ToUpper(or(ps.Status.StatusCode, ps.Status.CanonicalCode)); code {
	case "", "UNSET", "OK":
	default:
		// ERROR, or one of the gRPC-style canonical codes of old SDKs.
		s.statusErr = true
		s.statusMsg = ps.Status.Description
	}
	return nil
}

// eachMember calls fn with every member of a JSON object, in file order
// (so aliases of equal priority resolve the same way on every run), the
// value as text. null or absent is no members.
func eachMember(raw json.RawMessage, fn func(key, val string)) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("attributes: not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		fn(key, jsonutil.RawText(v))
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		return err
	}
	return nil
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
