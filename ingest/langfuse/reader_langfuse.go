package langfuse

import (
	"github.com/tokcost/tokcost/ingest/internal/jsonutil"
	"github.com/tokcost/tokcost/ingest/internal/toolhash"
	"github.com/valyala/fastjson"

	"bytes"
	"sort"
	"strconv"
	"strings"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/spantree"
)

func init() { ingest.Register(format{}, 20) }

type format struct{}

func (format) Name() string { return "langfuse" }

func (format) Describe() string {
	return "Langfuse trace download / API observations / blob-export JSONL: GENERATION → llm, TOOL → tool, usageDetails made inclusive, costDetails.total as cost"
}

func (format) Sniff(_ string, head []byte) bool {
	has := func(s string) bool { return bytes.Contains(head, []byte(s)) }
	switch jsonutil.FirstKey(head) {
	case "trace":
		return has(`"observations"`) && !has(`"resourceSpans"`) && !has(`"batches"`)
	case "data":
		return has(`"parentObservationId"`) && !has(`"operationName"`)
	}
	// Blob-storage export: one observation per line, snake_case columns.
	return has(`"trace_id"`) && (has(`"parent_observation_id"`) || has(`"usage_details"`)) && has(`"type"`)
}

type traceObj struct {
	ID, SessionID string
	Metadata      *fastjson.Value
}

// observation lists the camelCase (UI, API) and snake_case (blob export)
// spellings side by side; numbers stay values so strings read too.
type observation struct {
	ID, TraceID, TraceID2, ParentID, ParentID2   string
	Type, Name, Level, StatusMessage, StatusMsg2 string
	Model, Model2                                string // model, provided_model_name
	SessionID                                    string // session_id: observations_v2 export
	Start, Start2, End, End2                     *fastjson.Value
	Usage, Usage2, Cost, Cost2                   *fastjson.Object // nil when missing or null
	TotalCost, TotalCost2, CalcCost              *fastjson.Value
	Metadata, Output, Input                      *fastjson.Value
}

// decodeObservation reads o by encoding/json's struct rules
// (fjson.Fields): keys match exactly, the last of repeated keys counts,
// null is missing, a wrong type is an error naming the field.
func decodeObservation(o *fastjson.Object) (ob observation, err string) {
	var f fjson.Fields
	o.Visit(func(k []byte, v *fastjson.Value) {
		key := string(k)
		switch key {
		case "id":
			ob.ID = f.String(key, v)
		case "traceId":
			ob.TraceID = f.String(key, v)
		case "trace_id":
			ob.TraceID2 = f.String(key, v)
		case "parentObservationId":
			ob.ParentID = f.String(key, v)
		case "parent_observation_id":
			ob.ParentID2 = f.String(key, v)
		case "type":
			ob.Type = f.String(key, v)
		case "name":
			ob.Name = f.String(key, v)
		case "level":
			ob.Level = f.String(key, v)
		case "statusMessage":
			ob.StatusMessage = f.String(key, v)
		case "status_message":
			ob.StatusMsg2 = f.String(key, v)
		case "model":
			ob.Model = f.String(key, v)
		case "provided_model_name":
			ob.Model2 = f.String(key, v)
		case "session_id":
			ob.SessionID = f.String(key, v)
		case "startTime":
			ob.Start = v
		case "start_time":
			ob.Start2 = v
		case "endTime":
			ob.End = v
		case "end_time":
			ob.End2 = v
		case "usageDetails":
			ob.Usage = f.Object(key, v)
		case "usage_details":
			ob.Usage2 = f.Object(key, v)
		case "costDetails":
			ob.Cost = f.Object(key, v)
		case "cost_details":
			ob.Cost2 = f.Object(key, v)
		case "totalCost":
			ob.TotalCost = v
		case "total_cost":
			ob.TotalCost2 = v
		case "calculatedTotalCost":
			ob.CalcCost = v
		case "metadata":
			ob.Metadata = v
		case "output":
			ob.Output = v
		case "input":
			ob.Input = v
		}
	})
	return ob, f.Err
}

// decodeDocument reads any of the shapes: trace download, API page or one
// observation, and returns its observations.
func decodeDocument(v *fastjson.Value) (list []*fastjson.Value, trace traceObj, err string) {
	o, oerr := v.Object()
	if oerr != nil {
		return nil, trace, "not a json object"
	}
	var f fjson.Fields
	var hasTrace, hasObs, hasData bool
	var obsList, traceObs, data []*fastjson.Value
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "trace":
			trace, traceObs, hasTrace = traceObj{}, nil, false
			to := f.Object("trace", v)
			if to == nil {
				return
			}
			hasTrace = true
			to.Visit(func(k []byte, v *fastjson.Value) {
				switch string(k) {
				case "id":
					trace.ID = f.String("trace.id", v)
				case "sessionId":
					trace.SessionID = f.String("trace.sessionId", v)
				case "metadata":
					trace.Metadata = v
				case "observations":
					traceObs, _ = f.Array("trace.observations", v)
				}
			})
		case "observations":
			obsList, hasObs = f.Array("observations", v)
		case "data":
			data, hasData = f.Array("data", v)
		}
	})
	if f.Err != "" {
		return nil, trace, f.Err
	}
	switch {
	case hasTrace:
		if !hasObs {
			return traceObs, trace, "" // older downloads nest them only here
		}
		return obsList, trace, ""
	case hasData:
		return data, trace, ""
	}
	return []*fastjson.Value{v}, trace, ""
}

// obs is the compact summary kept until the source is read.
type obs struct {
	id, traceID, parentID string
	typ, name             string
	start, end            int64
	errored               bool
	statusMsg             string
	model, provider       string
	session               string // from the observation's metadata
	sessionPrio           int8
	traceSession          string // from the trace object or session_id column
	usage                 [nTok]int64
	hasUsage              bool
	fromTotal             int64  // output tokens recovered from usage total
	unknownUsage          string // usage keys no rule reads, comma-separated
	tsAssumedUTC          bool   // the start time had no zone
	tsUnreadable          bool   // the start time could not be read
	hasOutput             bool   // the observation carries model output
	// A TOOL observation's input and output, as loop detection compares
	// them: hashes, a short label and a size, never the text.
	argsHash, resultHash uint64
	argsLabel            string
	resultBytes          int64
	cost                 float64
	hasCost              bool
	file                 string
	line                 int64
	sub                  int32
}

func (format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	sink := newSink()
	c := &collector{sink: sink, byTrace: map[string][]int32{}, seen: map[string]struct{}{},
		dp: parsers.Get(), mp: parsers.Get()}
	// Nothing parsed outlives the values' reading: the parsers (and the
	// memory of their last value trees) serve the next source.
	defer func() { parsers.Put(c.dp); parsers.Put(c.mp) }()
	err := jsonutil.EachValue(src, sink, func(val []byte, line int64) {
		v, detail, ok := fjson.Parse(c.dp, val)
		var list []*fastjson.Value
		var trace traceObj
		if ok {
			list, trace, detail = decodeDocument(v)
		}
		if detail != "" {
			sink.Lines(1)
			sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: src.Name, Line: line, Reason: "malformed langfuse", Detail: detail})
			return
		}
		traceSession := trace.SessionID
		if traceSession == "" {
			traceSession, _ = c.pick(c.metaAttrs(trace.Metadata), sessionKeys...)
		}
		var sub int32
		for _, raw := range list {
			sink.Lines(1)
			c.add(raw, src.Name, line, sub, trace.ID, traceSession)
			sub++
		}
		if sub == 0 {
			sink.Lines(1)
			sink.Note(ingest.Note{Kind: ingest.NoteSkipped, File: src.Name, Line: line, Reason: "no observations"})
		}
	})
	c.flush()
	return err
}

var parsers fastjson.ParserPool

type collector struct {
	sink    ingest.Sink
	obs     []obs
	byTrace map[string][]int32
	seen    map[string]struct{}
	p       fastjson.Parser  // tool values held as JSON text
	dp      *fastjson.Parser // documents
	mp      *fastjson.Parser // metadata held as JSON text
}

func (c *collector) note(kind ingest.NoteKind, file string, line int64, reason, detail string) {
	c.sink.Note(ingest.Note{Kind: kind, File: file, Line: line, Reason: reason, Detail: detail})
}

// add decodes one observation; the caller has counted it as a unit.
func (c *collector) add(raw *fastjson.Value, file string, line int64, sub int32, traceID, traceSession string) {
	ro, err := raw.Object()
	if err != nil {
		c.note(ingest.NoteInvalid, file, line, "malformed observation", "not a json object")
		return
	}
	o, ferr := decodeObservation(ro)
	if ferr != "" {
		c.note(ingest.NoteInvalid, file, line, "malformed observation", ferr)
		return
	}
	s := obs{
		id:           o.ID,
		traceID:      first(o.TraceID, o.TraceID2, traceID),
		parentID:     first(o.ParentID, o.ParentID2),
		typ:          strings.ToUpper(o.Type),
		name:         o.Name,
		end:          parseTime(first(fjson.RawText(o.End), fjson.RawText(o.End2))).nanos,
		errored:      strings.EqualFold(o.Level, "ERROR"),
		statusMsg:    first(o.StatusMessage, o.StatusMsg2),
		model:        first(o.Model, o.Model2),
		traceSession: first(traceSession, o.SessionID),
		file:         file,
		line:         line,
		sub:          sub,
	}
	start := parseTime(first(fjson.RawText(o.Start), fjson.RawText(o.Start2)))
	s.start, s.tsAssumedUTC, s.tsUnreadable = start.nanos, start.assumedUTC, start.unreadable
	if s.id == "" || s.traceID == "" {
		c.note(ingest.NoteInvalid, file, line, "missing id", o.Name)
		return
	}
	attrs := c.metaAttrs(o.Metadata)
	s.session, s.sessionPrio = c.pick(attrs, sessionKeys...)
	s.provider, _ = c.pick(attrs, "gen_ai.provider.name", "gen_ai.system", "llm.provider")
	if s.model == "" {
		s.model, _ = c.pick(attrs, "gen_ai.response.model", "gen_ai.request.model", "llm.model_name")
	}
	usage := o.Usage
	if usage == nil {
		usage = o.Usage2
	}
	var unknown []string
	s.usage, s.hasUsage, s.fromTotal, unknown = convertUsage(texts(usage))
	s.unknownUsage = strings.Join(unknown, ",")
	s.cost, s.hasCost = cost(o)
	s.hasOutput = hasOutput(o.Output)
	if s.typ == "TOOL" {
		s.argsHash, s.argsLabel, _ = c.toolValue(o.Input)
		if s.hasOutput {
			s.resultHash, _, s.resultBytes = c.toolValue(o.Output)
		}
	}
	key := s.traceID + "/" + s.id
	if _, dup := c.seen[key]; dup {
		c.note(ingest.NoteDuplicate, file, line, "repeated observation", o.Name)
		return
	}
	c.seen[key] = struct{}{}
	c.byTrace[s.traceID] = append(c.byTrace[s.traceID], int32(len(c.obs)))
	c.obs = append(c.obs, s)
}

// toolValue hashes a TOOL observation's input or output. SDKs store
// arguments either as JSON or as a string holding JSON text
// ("{\"city\":\"Tokyo\"}"); both compare as the same canonical JSON,
// and any other string as its text (toolhash.ValueText). Empty is none.
func (c *collector) toolValue(v *fastjson.Value) (hash uint64, label string, size int64) {
	if !hasOutput(v) {
		return 0, "", 0
	}
	if v.Type() == fastjson.TypeString {
		return toolhash.ValueText(&c.p, string(v.GetStringBytes()))
	}
	var r ingest.Record
	r.ToolArgsHash, r.ToolArgsLabel = toolhash.Args(v)
	r.ToolResultHash, r.ToolResultBytes = toolhash.Result(v)
	return r.ToolArgsHash, r.ToolArgsLabel, r.ToolResultBytes
}

// texts maps each key of o to its value's rawText, the last of repeated
// keys counting.
func texts(o *fastjson.Object) map[string]string {
	if o == nil {
		return nil
	}
	m := make(map[string]string, o.Len())
	o.Visit(func(k []byte, v *fastjson.Value) { m[string(k)] = fjson.RawText(v) })
	return m
}

// cost is the producer's total: costDetails.total, else a positive
// totalCost. A zero totalCost means "no price known", not "free".
func cost(o observation) (float64, bool) {
	details := o.Cost
	if details == nil {
		details = o.Cost2
	}
	if details != nil {
		if raw := lastKey(details, "total"); raw != nil {
			if v, err := strconv.ParseFloat(fjson.RawText(raw), 64); err == nil && v >= 0 {
				return v, true
			}
		}
	}
	for _, raw := range [...]*fastjson.Value{o.TotalCost, o.TotalCost2, o.CalcCost} {
		if v, err := strconv.ParseFloat(fjson.RawText(raw), 64); err == nil && v > 0 {
			return v, true
		}
	}
	return 0, false
}

// lastKey is the value of the last key k of o, nil when there is none.
func lastKey(o *fastjson.Object, k string) *fastjson.Value {
	var last *fastjson.Value
	o.Visit(func(key []byte, v *fastjson.Value) {
		if string(key) == k {
			last = v
		}
	})
	return last
}

// hasOutput reports whether an observation's output holds anything: not
// absent, null, "" or an empty object or array.
func hasOutput(v *fastjson.Value) bool {
	if v == nil {
		return false
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return false
	case fastjson.TypeString:
		return len(v.GetStringBytes()) > 0
	case fastjson.TypeObject:
		o, _ := v.Object()
		return o.Len() > 0
	case fastjson.TypeArray:
		a, _ := v.Array()
		return len(a) > 0
	}
	return true
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// sessionKeys name a session in metadata attributes, best first.
var sessionKeys = []string{"langfuse.session.id", "session.id", "gen_ai.conversation.id"}

// attrs are metadata attributes: keys of own, else of res (OTel resource
// attributes); either may be nil.
type attrs struct{ own, res *fastjson.Value }

func (a attrs) get(k string) *fastjson.Value {
	if v := fjson.Last(a.own, k); v != nil {
		return v
	}
	return fjson.Last(a.res, k)
}

// pick returns the first present key's value and its rank (higher = earlier key).
func (c *collector) pick(a attrs, keys ...string) (string, int8) {
	for i, k := range keys {
		if v := fjson.RawText(a.get(k)); v != "" {
			return v, int8(len(keys) - i)
		}
	}
	return "", 0
}

// metaAttrs reads observation metadata: a JSON string (or object) that
// holds the original OTel "attributes", or flat SDK metadata. What it
// returns is valid until its next call (a string's JSON is parsed with c.mp).
func (c *collector) metaAttrs(v *fastjson.Value) attrs {
	if v != nil && v.Type() == fastjson.TypeString {
		pv, _, ok := fjson.Parse(c.mp, []byte(fjson.Text(v.GetStringBytes())))
		if !ok {
			return attrs{}
		}
		v = pv
	}
	if v == nil || v.Type() != fastjson.TypeObject {
		return attrs{}
	}
	a := fjson.Last(v, "attributes")
	if a == nil {
		return attrs{own: v}
	}
	var res *fastjson.Value
	if r := fjson.Last(v, "resourceAttributes"); r != nil && r.Type() == fastjson.TypeObject {
		res = r
	}
	switch a.Type() {
	case fastjson.TypeObject:
		return attrs{own: a, res: res}
	case fastjson.TypeNull:
		// null attributes are none; the resource's still count (earlier
		// builds panicked here).
		return attrs{res: res}
	}
	return attrs{own: v}
}

// when is a parsed time: Unix nanoseconds (0 when unknown), whether the
// zone was assumed to be UTC, and whether text was there but unreadable.
type when struct {
	nanos      int64
	assumedUTC bool
	unreadable bool
}

// parseTime reads ISO from the UI and API, "YYYY-MM-DD HH:MM:SS.ffffff"
// from the blob export (UTC, though it says no zone) or epoch
// milliseconds.
func parseTime(s string) when {
	if s == "" {
		return when{}
	}
	if n, assumed, ok := ingest.ParseTimeLoose(s); ok {
		return when{nanos: n, assumedUTC: assumed}
	}
	if n, ok := jsonutil.ParseInt(s); ok && n > 0 && n < 1<<62/1_000_000 {
		return when{nanos: n * 1_000_000} // epoch milliseconds
	}
	return when{unreadable: true}
}

// flush resolves each trace and emits records in start-time order.
func (c *collector) flush() {
	traces := make([]string, 0, len(c.byTrace))
	for t := range c.byTrace {
		traces = append(traces, t)
	}
	sort.Strings(traces)
	var recs []ingest.Record
	for _, t := range traces {
		recs = c.resolve(c.byTrace[t], recs)
	}
	sort.SliceStable(recs, func(i, j int) bool {
		a, b := &recs[i], &recs[j]
		if a.TSNano != b.TSNano {
			return a.TSNano < b.TSNano
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Sub < b.Sub
	})
	for i := range recs {
		c.sink.Record(&recs[i])
	}
}

// maxDepth bounds ancestor walks against cyclic or hostile parent chains.
const maxDepth = 1000

func (c *collector) resolve(idx []int32, recs []ingest.Record) []ingest.Record {
	n := len(idx)
	ob := func(i int) *obs { return &c.obs[idx[i]] }
	pos := make(map[string]int, n)
	for i := range n {
		pos[ob(i).id] = i
	}
	parent := make([]int, n)
	for i := range n {
		parent[i] = -1
		if p, ok := pos[ob(i).parentID]; ok && p != i {
			parent[i] = p
		}
	}
	spantree.BreakCycles(parent) // a cycle would make its observations wrappers of each other
	ancestors := func(i int, fn func(a int) bool) {
		for a, d := parent[i], 0; a >= 0 && a != i && d < maxDepth; a, d = parent[a], d+1 {
			if !fn(a) {
				return
			}
		}
	}
	// A GENERATION wrapping another with the same usage is one call seen by
	// two instrumentations (framework span around a client span).
	repeated := make([]bool, n)
	for i := range n {
		if ob(i).typ != "GENERATION" || !ob(i).hasUsage {
			continue
		}
		ancestors(i, func(a int) bool {
			if o := ob(a); o.typ == "GENERATION" && o.hasUsage && o.usage[tokIn] == ob(i).usage[tokIn] && o.usage[tokOut] == ob(i).usage[tokOut] {
				repeated[a] = true
			}
			return true
		})
	}
	// One session per trace: the trace's own, else the best one named in
	// any observation's metadata, else the trace id.
	session := ""
	var prio int8
	for i := range n {
		o := ob(i)
		if o.traceSession != "" {
			session = o.traceSession
			break
		}
		if o.sessionPrio > prio {
			session, prio = o.session, o.sessionPrio
		}
	}
	if session == "" {
		session = ob(0).traceID
	}
	for i := range n {
		o := ob(i)
		var kind ingest.Kind
		switch {
		case o.typ == "GENERATION" && repeated[i]:
			c.note(ingest.NoteDuplicate, o.file, o.line, "usage repeated by inner observation", o.name)
			continue
		case o.typ == "GENERATION" && !o.hasUsage && o.model == "":
			// Framework start/finish events are GENERATIONs with neither
			// usage nor a model: not a model call.
			c.note(ingest.NoteSkipped, o.file, o.line, "generation without usage or model", o.name)
			continue
		case o.typ == "GENERATION":
			kind = ingest.KindLLM
		case o.typ == "TOOL":
			kind = ingest.KindTool
		case o.typ == "":
			c.note(ingest.NoteSkipped, o.file, o.line, "no type", o.name)
			continue
		default:
			c.note(ingest.NoteSkipped, o.file, o.line, strings.ToLower(o.typ)+" observation", o.name)
			continue
		}
		r := ingest.Record{
			ID:           o.id,
			SessionID:    session,
			TSNano:       o.start,
			TSAssumedUTC: o.tsAssumedUTC,
			TSUnreadable: o.tsUnreadable,
			Kind:         kind,
			File:         o.file,
			Line:         o.line,
			Sub:          o.sub,
		}
		if o.start > 0 && o.end >= o.start {
			r.DurationMS = float64(o.end-o.start) / 1e6
		}
		if o.errored {
			r.Status, r.Error = ingest.StatusError, first(o.statusMsg, "error")
		}
		ancestors(i, func(a int) bool {
			if ob(a).typ == "AGENT" {
				r.Role = ob(a).name
				return false
			}
			return true
		})
		if kind == ingest.KindTool {
			r.Tool = o.name
			r.ToolArgsHash, r.ToolArgsLabel = o.argsHash, o.argsLabel
			r.ToolResultHash, r.ToolResultBytes = o.resultHash, o.resultBytes
		} else {
			r.Model, r.Provider = o.model, o.provider
			u := o.usage
			r.InputTokens, r.OutputTokens = u[tokIn], u[tokOut]
			r.CacheReadTokens, r.CacheWriteTokens, r.ReasoningTokens = u[tokCacheRead], u[tokCacheWrite], u[tokReasoning]
			r.AudioInputTokens, r.ImageInputTokens = u[tokAudioIn], u[tokImageIn]
			r.AudioOutputTokens, r.ImageOutputTokens = u[tokAudioOut], u[tokImageOut]
			r.CostUSD, r.HasCost = o.cost, o.hasCost
			r.TokensFromTotal, r.UnknownUsage = o.fromTotal, o.unknownUsage
			r.ZeroOutputText = o.hasUsage && u[tokOut] == 0 && o.hasOutput
		}
		recs = append(recs, r)
	}
	return recs
}
