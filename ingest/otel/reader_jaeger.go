package otel

import (
	"github.com/tokcost/tokcost/ingest/internal/jsonutil"

	"bytes"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
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

type jaegerTrace struct {
	TraceID   string
	Spans     []jaegerSpan
	Processes map[string]jaegerProcess
}

type jaegerProcess struct {
	ServiceName string
	Tags        []jaegerTag
}

type jaegerSpan struct {
	TraceID    string
	SpanID     string
	ParentID   string // parentSpanID: older exports
	Operation  string
	References []struct{ RefType, TraceID, SpanID string }
	Start      *fastjson.Value
	Duration   *fastjson.Value
	Tags       []jaegerTag
	ProcessID  string
	Process    *jaegerProcess // inline in single-span exports
}

type jaegerTag struct {
	Key   string
	Value *fastjson.Value
}

// The decoders below read by encoding/json's struct rules (fjson.Fields:
// null is missing, a wrong type is an error naming the field) with keys
// matched exactly; of repeated keys the last counts, whole
// (docs/formats/otel.md, "Odd JSON"). A null element of an array is an
// element with no fields, as encoding/json fills it.

func decodeJaegerTrace(f *fjson.Fields, path string, o *fastjson.Object, t *jaegerTrace) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "traceID":
			t.TraceID = f.String(path+"traceID", v)
		case "spans":
			t.Spans = nil
			a, _ := f.Array(path+"spans", v)
			for _, x := range a {
				var sp jaegerSpan
				if so := f.Object(path+"spans", x); so != nil {
					decodeJaegerSpan(f, path+"spans.", so, &sp)
				}
				t.Spans = append(t.Spans, sp)
			}
		case "processes":
			t.Processes = nil
			po := f.Object(path+"processes", v)
			if po == nil {
				return
			}
			t.Processes = make(map[string]jaegerProcess, po.Len())
			po.Visit(func(id []byte, v *fastjson.Value) {
				var p jaegerProcess
				if o := f.Object(path+"processes", v); o != nil {
					decodeJaegerProcess(f, path+"processes.", o, &p)
				}
				t.Processes[string(id)] = p
			})
		}
	})
}

func decodeJaegerProcess(f *fjson.Fields, path string, o *fastjson.Object, p *jaegerProcess) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "serviceName":
			p.ServiceName = f.String(path+"serviceName", v)
		case "tags":
			p.Tags = decodeJaegerTags(f, path+"tags", v)
		}
	})
}

func decodeJaegerTags(f *fjson.Fields, path string, v *fastjson.Value) []jaegerTag {
	a, _ := f.Array(path, v)
	var tags []jaegerTag
	for _, x := range a {
		var tag jaegerTag
		if o := f.Object(path, x); o != nil {
			o.Visit(func(k []byte, v *fastjson.Value) {
				switch string(k) {
				case "key":
					tag.Key = f.String(path+".key", v)
				case "value":
					tag.Value = v
				}
			})
		}
		tags = append(tags, tag)
	}
	return tags
}

func decodeJaegerSpan(f *fjson.Fields, path string, o *fastjson.Object, s *jaegerSpan) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "traceID":
			s.TraceID = f.String(path+"traceID", v)
		case "spanID":
			s.SpanID = f.String(path+"spanID", v)
		case "parentSpanID":
			s.ParentID = f.String(path+"parentSpanID", v)
		case "operationName":
			s.Operation = f.String(path+"operationName", v)
		case "references":
			s.References = nil
			a, _ := f.Array(path+"references", v)
			for _, x := range a {
				var ref struct{ RefType, TraceID, SpanID string }
				if ro := f.Object(path+"references", x); ro != nil {
					ro.Visit(func(k []byte, v *fastjson.Value) {
						switch string(k) {
						case "refType":
							ref.RefType = f.String(path+"references.refType", v)
						case "traceID":
							ref.TraceID = f.String(path+"references.traceID", v)
						case "spanID":
							ref.SpanID = f.String(path+"references.spanID", v)
						}
					})
				}
				s.References = append(s.References, ref)
			}
		case "startTime":
			s.Start = v
		case "duration":
			s.Duration = v
		case "tags":
			s.Tags = decodeJaegerTags(f, path+"tags", v)
		case "processID":
			s.ProcessID = f.String(path+"processID", v)
		case "process":
			s.Process = nil
			if po := f.Object(path+"process", v); po != nil {
				s.Process = &jaegerProcess{}
				decodeJaegerProcess(f, path+"process.", po, s.Process)
			}
		}
	})
}

// decodeJaegerDoc reads {"data":[trace…]} and a trace at the top level.
func decodeJaegerDoc(v *fastjson.Value) (traces []jaegerTrace, err string) {
	o, oerr := v.Object()
	if oerr != nil {
		return nil, "not a json object"
	}
	var f fjson.Fields
	var top jaegerTrace
	o.Visit(func(k []byte, v *fastjson.Value) {
		if string(k) != "data" {
			return
		}
		traces = nil
		a, _ := f.Array("data", v)
		for _, x := range a {
			var t jaegerTrace
			if to := f.Object("data", x); to != nil {
				decodeJaegerTrace(&f, "data.", to, &t)
			}
			traces = append(traces, t)
		}
	})
	decodeJaegerTrace(&f, "", o, &top)
	if f.Err != "" {
		return nil, f.Err
	}
	if len(top.Spans) > 0 {
		traces = append(traces, top)
	}
	return traces, ""
}

var jaegerParsers fastjson.ParserPool

func (jaegerFormat) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	sink := newSink()
	c := newCollector(src.Name, sink)
	p := jaegerParsers.Get()
	defer jaegerParsers.Put(p)
	err := jsonutil.EachValue(src, sink, func(val []byte, line int64) {
		v, detail, ok := fjson.Parse(p, val)
		var traces []jaegerTrace
		if ok {
			traces, detail = decodeJaegerDoc(v)
		}
		if detail != "" {
			sink.Lines(1)
			sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: src.Name, Line: line, Reason: "malformed jaeger", Detail: detail})
			return
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
			r.setResourceAttr(tag.Key, fjson.RawText(tag.Value))
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
				r.setResourceAttr(tag.Key, fjson.RawText(tag.Value))
			}
		}
		if r != nil {
			s.resSession, s.resSessionPrio, s.service = r.resSession, r.resSessionPrio, r.service
		}
		if us, ok := jsonutil.ParseInt(fjson.RawText(js.Start)); ok && us > 0 && us < 1<<62/1000 {
			s.start = us * 1000
			if d, ok := jsonutil.ParseInt(fjson.RawText(js.Duration)); ok && d >= 0 && d < 1<<62/1000 {
				s.end = s.start + d*1000
			}
		}
		for _, tag := range js.Tags {
			s.setAttr(tag.Key, fjson.RawText(tag.Value))
		}
		c.sink.Lines(1)
		c.add(&s)
		sub++
	}
	return sub
}
