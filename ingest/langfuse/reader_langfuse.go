package langfuse

import (
	"github.com/tokcost/tokcost/ingest/internal/jsonutil"
	"github.com/tokcost/tokcost/ingest/internal/toolhash"
	"github.com/valyala/fastjson"

	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/tokcost/tokcost/ingest"
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

// document is any of the shapes: trace download, API page or one observation.
type document struct {
	Trace        *traceObj         `json:"trace"`
	Observations []json.RawMessage `json:"observations"`
	Data         []json.RawMessage `json:"data"`
}

type traceObj struct {
	ID           string            `json:"id"`
	SessionID    string            `json:"sessionId"`
	Metadata     json.RawMessage   `json:"metadata"`
	Observations []json.RawMessage `json:"observations"`
}

// observation lists the camelCase (UI, API) and snake_case (blob export)
// spellings side by side; numbers stay raw so strings decode too.
type observation struct {
	ID            string                     `json:"id"`
	TraceID       string                     `json:"traceId"`
	TraceID2      string                     `json:"trace_id"`
	ParentID      string                     `json:"parentObservationId"`
	ParentID2     string                     `json:"parent_observation_id"`
	Type          string                     `json:"type"`
	Name          string                     `json:"name"`
	Start         json.RawMessage            `json:"startTime"`
	Start2        json.RawMessage            `json:"start_time"`
	End           json.RawMessage            `json:"endTime"`
	End2          json.RawMessage            `json:"end_time"`
	Level         string                     `json:"level"`
	StatusMessage string                     `json:"statusMessage"`
	StatusMsg2    string                     `json:"status_message"`
	Model         string                     `json:"model"`
	Model2        string                     `json:"provided_model_name"`
	Usage         map[string]json.RawMessage `json:"usageDetails"`
	Usage2        map[string]json.RawMessage `json:"usage_details"`
	Cost          map[string]json.RawMessage `json:"costDetails"`
	Cost2         map[string]json.RawMessage `json:"cost_details"`
	TotalCost     json.RawMessage            `json:"totalCost"`
	TotalCost2    json.RawMessage            `json:"total_cost"`
	CalcCost      json.RawMessage            `json:"calculatedTotalCost"`
	SessionID     string                     `json:"session_id"` // observations_v2 export
	Metadata      json.RawMessage            `json:"metadata"`
	Output        json.RawMessage            `json:"output"`
	Input         json.RawMessage            `json:"input"`
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
	c := &collector{sink: sink, byTrace: map[string][]int32{}, seen: map[string]struct{}{}}
	err := jsonutil.EachValue(src, sink, func(val []byte, line int64) {
		var doc document
		if err := json.Unmarshal(val, &doc); err != nil {
			sink.Lines(1)
			sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: src.Name, Line: line, Reason: "malformed langfuse", Detail: err.Error()})
			return
		}
		var list []json.RawMessage
		var trace traceObj
		switch {
		case doc.Trace != nil:
			trace = *doc.Trace
			list = doc.Observations
			if list == nil {
				list = trace.Observations // older downloads nest them only here
			}
		case doc.Data != nil:
			list = doc.Data
		default:
			list = []json.RawMessage{val}
		}
		traceSession := trace.SessionID
		if traceSession == "" {
			traceSession, _ = metaSession(trace.Metadata)
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

type collector struct {
	sink    ingest.Sink
	obs     []obs
	byTrace map[string][]int32
	seen    map[string]struct{}
	p       fastjson.Parser
}

func (c *collector) note(kind ingest.NoteKind, file string, line int64, reason, detail string) {
	c.sink.Note(ingest.Note{Kind: kind, File: file, Line: line, Reason: reason, Detail: detail})
}

// add decodes one observation; the caller has counted it as a unit.
func (c *collector) add(raw json.RawMessage, file string, line int64, sub int32, traceID, traceSession string) {
	var o observation
	if err := json.Unmarshal(raw, &o); err != nil {
		c.note(ingest.NoteInvalid, file, line, "malformed observation", err.Error())
		return
	}
	s := obs{
		id:           o.ID,
		traceID:      first(o.TraceID, o.TraceID2, traceID),
		parentID:     first(o.ParentID, o.ParentID2),
		typ:          strings.ToUpper(o.Type),
		name:         o.Name,
		end:          parseTime(first(jsonutil.RawText(o.End), jsonutil.RawText(o.End2))).nanos,
		errored:      strings.EqualFold(o.Level, "ERROR"),
		statusMsg:    first(o.StatusMessage, o.StatusMsg2),
		model:        first(o.Model, o.Model2),
		traceSession: first(traceSession, o.SessionID),
		file:         file,
		line:         line,
		sub:          sub,
	}
	start := parseTime(first(jsonutil.RawText(o.Start), jsonutil.RawText(o.Start2)))
	s.start, s.tsAssumedUTC, s.tsUnreadable = start.nanos, start.assumedUTC, start.unreadable
	if s.id == "" || s.traceID == "" {
		c.note(ingest.NoteInvalid, file, line, "missing id", o.Name)
		return
	}
	attrs := metaAttrs(o.Metadata)
	s.session, s.sessionPrio = pick(attrs, "langfuse.session.id", "session.id", "gen_ai.conversation.id")
	s.provider, _ = pick(attrs, "gen_ai.provider.name", "gen_ai.system", "llm.provider")
	if s.model == "" {
		s.model, _ = pick(attrs, "gen_ai.response.model", "gen_ai.request.model", "llm.model_name")
	}
	usage := o.Usage
	if usage == nil {
		usage = o.Usage2
	}
	var unknown []string
	s.usage, s.hasUsage, s.fromTotal, unknown = convertUsage(usage)
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
func (c *collector) toolValue(raw json.RawMessage) (hash uint64, label string, size int64) {
	if !hasOutput(raw) {
		return 0, "", 0
	}
	v, err := c.p.ParseBytes(raw)
	if err != nil {
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

// cost is the producer's total: costDetails.total, else a positive
// totalCost. A zero totalCost means "no price known", not "free".
func cost(o observation) (float64, bool) {
	details := o.Cost
	if details == nil {
		details = o.Cost2
	}
	if raw, ok := details["total"]; ok {
		if v, err := strconv.ParseFloat(jsonutil.RawText(raw), 64); err == nil && v >= 0 {
			return v, true
		}
	}
	for _, raw := range [...]json.RawMessage{o.TotalCost, o.TotalCost2, o.CalcCost} {
		if v, err := strconv.ParseFloat(jsonutil.RawText(raw), 64); err == nil && v > 0 {
			return v, true
		}
	}
	return 0, false
}

// hasOutput reports whether an observation's output holds anything: not
// absent, null, "" or an empty object or array.
func hasOutput(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	switch string(raw) {
	case "", "null", `""`, "{}", "[]":
		return false
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

// pick returns the first present key's value and its rank (higher = earlier key).
func pick(attrs map[string]json.RawMessage, keys ...string) (string, int8) {
	for i, k := range keys {
		if v := jsonutil.RawText(attrs[k]); v != "" {
			return v, int8(len(keys) - i)
		}
	}
	return "", 0
}

// metaAttrs reads observation metadata: a JSON string (or object) that
// holds the original OTel "attributes", or flat SDK metadata.
func metaAttrs(raw json.RawMessage) map[string]json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		raw = json.RawMessage(jsonutil.RawText(raw))
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var inner map[string]json.RawMessage
	if a, ok := m["attributes"]; ok && json.Unmarshal(a, &inner) == nil {
		var res map[string]json.RawMessage
		if json.Unmarshal(m["resourceAttributes"], &res) == nil {
			for k, v := range res {
				if _, taken := inner[k]; !taken {
					inner[k] = v
				}
			}
		}
		return inner
	}
	return m
}

func metaSession(raw json.RawMessage) (string, int8) {
	return pick(metaAttrs(raw), "langfuse.session.id", "session.id", "gen_ai.conversation.id")
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
