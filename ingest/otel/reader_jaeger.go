package otel

import (
	"github.com/tokcost/tokcost/ingest/internal/jsonutil"

	"bytes"
	"encoding/json"

	"github.com/tokcost/tokcost/ingest"
)

func init() { ingest.Register(jaegerFormat{}, 20) }

// jaegerFormat reads the Jaeger UI/API JSON export:
// {"data":[{"traceID","spans":[…],"processes":{…}}]}, times in microseconds,
// attributes as typed tags, parents in references.
type jaegerFormat struct{}

func (jaegerFormat) Name() string { return "jaeger" }

func (jaegerFormat) Describe() string {
	return "Jaeger UI/API trace JSON (data[].spans[].tags): GenAI tags mapped as otlp, µs times"
}

func (jaegerFormat) Sniff(_ string, head []byte) bool {
	switch jsonutil.FirstKey(head) {
	case "data":
		return bytes.Contains(head, []byte(`"operationName"`)) && bytes.Contains(head, []byte(`"spanID"`))
	case "traceID":
		return bytes.Contains(head, []byte(`"operationName"`))
	}
	return false
}

type jaegerDoc struct {
	Data []jaegerTrace `json:"data"`
	jaegerTrace
}

type jaegerTrace struct {
	TraceID   string                   `json:"traceID"`
	Spans     []jaegerSpan             `json:"spans"`
	Processes map[string]jaegerProcess `json:"processes"`
}

type jaegerProcess struct {
	ServiceName string      `json:"serviceName"`
	Tags        []jaegerTag `json:"tags"`
}

type jaegerSpan struct {
	TraceID    string `json:"traceID"`
	SpanID     string `json:"spanID"`
	ParentID   string `json:"parentSpanID"` // older exports
	Operation  string `json:"operationName"`
	References []struct {
		RefType string `json:"refType"`
		TraceID string `json:"traceID"`
		SpanID  string `json:"spanID"`
	} `json:"references"`
	Start     json.RawMessage `json:"startTime"`
	Duration  json.RawMessage `json:"duration"`
	Tags      []jaegerTag     `json:"tags"`
	ProcessID string          `json:"processID"`
	Process   *jaegerProcess  `json:"process"` // inline in single-span exports
}

type jaegerTag struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

func (jaegerFormat) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	sink := newSink()
	c := newCollector(src.Name, sink)
	err := jsonutil.EachValue(src, sink, func(val []byte, line int64) {
		var doc jaegerDoc
		if err := json.Unmarshal(val, &doc); err != nil {
			sink.Lines(1)
			sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: src.Name, Line: line, Reason: "malformed jaeger", Detail: err.Error()})
			return
		}
		traces := doc.Data
		if len(doc.Spans) > 0 {
			traces = append(traces, doc.jaegerTrace)
		}
		var sub int32
		for i := range traces {
			sub = addJaegerTrace(c, &traces[i], src.Name, line, sub)
		}
		if sub == 0 {
			sink.Lines(1)
			sink.Note(ingest.Note{Kind: ingest.NoteSkipped, File: src.Name, Line: line, Reason: "no spans"})
		}
	})
	c.flush()
	return err
}

func addJaegerTrace(c *collector, t *jaegerTrace, file string, line int64, sub int32) int32 {
	// Processes play the part of OTLP resources.
	res := make(map[string]*span, len(t.Processes))
	for id, p := range t.Processes {
		r := &span{service: p.ServiceName}
		for _, tag := range p.Tags {
			r.setResourceAttr(tag.Key, jsonutil.RawText(tag.Value))
		}
		res[id] = r
	}
	for j := range t.Spans {
		js := &t.Spans[j]
		s := span{
			traceID:  normID(or(js.TraceID, t.TraceID)),
			spanID:   normID(js.SpanID),
			parentID: normID(js.ParentID),
			name:     js.Operation,
			file:     file,
			line:     line,
			sub:      sub,
		}
		// CHILD_OF names the parent; FOLLOWS_FROM only when nothing else does.
		for _, ref := range js.References {
			if ref.RefType == "CHILD_OF" || s.parentID == "" {
				s.parentID = normID(ref.SpanID)
			}
			if ref.RefType == "CHILD_OF" {
				break
			}
		}
		r := res[js.ProcessID]
		if js.Process != nil {
			r = &span{service: js.Process.ServiceName}
			for _, tag := range js.Process.Tags {
				r.setResourceAttr(tag.Key, jsonutil.RawText(tag.Value))
			}
		}
		if r != nil {
			s.resSession, s.resSessionPrio, s.service = r.resSession, r.resSessionPrio, r.service
		}
		if us, ok := jsonutil.ParseInt(jsonutil.RawText(js.Start)); ok && us > 0 && us < 1<<62/1000 {
			s.start = us * 1000
			if d, ok := jsonutil.ParseInt(jsonutil.RawText(js.Duration)); ok && d >= 0 && d < 1<<62/1000 {
				s.end = s.start + d*1000
			}
		}
		for _, tag := range js.Tags {
			s.setAttr(tag.Key, jsonutil.RawText(tag.Value))
		}
		c.sink.Lines(1)
		c.add(&s)
		sub++
	}
	return sub
}
