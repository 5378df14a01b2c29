package otel

import (
	"regexp"
	"sort"
	"strings"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/spantree"
)

// maxDepth bounds ancestor walks: real traces are a few dozen levels deep,
// and the bound keeps a hostile or cyclic parent chain linear.
const maxDepth = 1000

// collector buffers span summaries per trace until the source is read.
type collector struct {
	file    string
	sink    ingest.Sink
	chunks  [][]span // fixed-size chunks: growing never copies a span
	n       int32    // spans buffered
	byTrace map[string][]int32
	// The spans already buffered, by "traceID/spanID". A pair of ids
	// without "/" is kept as a pair, which saves building the string and
	// cannot collide with a joined key (those hold two or more slashes).
	seen     map[string]struct{}
	seenPair map[[2]string]struct{}
}

const chunkBits = 12

func newCollector(file string, sink ingest.Sink) *collector {
	return &collector{file: file, sink: sink, byTrace: map[string][]int32{}, seen: map[string]struct{}{}, seenPair: map[[2]string]struct{}{}}
}

// span returns the i-th buffered span.
func (c *collector) span(i int32) *span { return &c.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

// firstSeen records the span's ids and reports whether they are new.
func (c *collector) firstSeen(s *span) bool {
	if strings.IndexByte(s.traceID, '/') < 0 && strings.IndexByte(s.spanID, '/') < 0 {
		k := [2]string{s.traceID, s.spanID}
		if _, dup := c.seenPair[k]; dup {
			return false
		}
		c.seenPair[k] = struct{}{}
		return true
	}
	key := s.traceID + "/" + s.spanID
	if _, dup := c.seen[key]; dup {
		return false
	}
	c.seen[key] = struct{}{}
	return true
}

// add takes one span; the caller has already counted it as a unit.
func (c *collector) add(s *span) {
	if s.traceID == "" {
		c.note(ingest.NoteInvalid, s, "missing trace id")
		return
	}
	if s.spanID == "" {
		c.note(ingest.NoteInvalid, s, "missing span id")
		return
	}
	// A span with a bad token count stays in the tree (its children need
	// its session and role; its parent must know a call is below it); it
	// becomes an invalid note, not a record, when the trace is resolved.
	if !c.firstSeen(s) {
		// Exporters retry; the same span twice is one step.
		c.note(ingest.NoteDuplicate, s, "repeated span")
		return
	}
	c.byTrace[s.traceID] = append(c.byTrace[s.traceID], c.n)
	if int(c.n>>chunkBits) == len(c.chunks) {
		c.chunks = append(c.chunks, make([]span, 1<<chunkBits))
	}
	*c.span(c.n) = *s
	c.n++
}

func (c *collector) note(kind ingest.NoteKind, s *span, reason string) {
	c.sink.Note(ingest.Note{Kind: kind, File: s.file, Line: s.line, Reason: reason, Detail: s.name})
}

// flush resolves every trace, in trace id order, and emits each trace's
// records as soon as it is resolved. Consumers order records themselves
// (the analysis by seq, time and input position; convert by position),
// so holding every record for one global sort by start time only cost
// time and a copy of every record.
func (c *collector) flush() {
	traces := make([]string, 0, len(c.byTrace))
	for t := range c.byTrace {
		traces = append(traces, t)
	}
	sort.Strings(traces)
	var recs []ingest.Record // one trace's; reused
	respSeen := map[string]bool{}
	for _, t := range traces {
		recs = c.resolve(c.byTrace[t], recs[:0], respSeen)
		for i := range recs {
			c.sink.Record(&recs[i])
		}
	}
}

// usageMatch reports whether an ancestor's usage repeats a descendant's.
// Framework spans often lack the cache attributes, so the raw input is
// compared too.
func usageMatch(a, d *span) bool {
	au, du := a.usage(), d.usage()
	if au[tokOut] != du[tokOut] {
		return false
	}
	return au[tokIn] == du[tokIn] || a.tok[tokIn] == du[tokIn] || au[tokIn] == d.tok[tokIn]
}

// resolve decides, for every span of one trace, whether it is a record or
// a note, and appends the records.
func (c *collector) resolve(idx []int32, recs []ingest.Record, respSeen map[string]bool) []ingest.Record {
	n := len(idx)
	sp := func(i int) *span { return c.span(idx[i]) }
	pos := make(map[string]int, n)
	for i := range n {
		pos[sp(i).spanID] = i
	}
	parent := make([]int, n)
	cls := make([]class, n)
	for i := range n {
		parent[i] = -1
		if p, ok := pos[sp(i).parentID]; ok && p != i {
			parent[i] = p
		}
		cls[i] = sp(i).classify()
	}
	spantree.BreakCycles(parent)
	isCand := func(i int) bool { return cls[i] == classLLM || (cls[i] != classTool && sp(i).hasUsage()) }
	// ancestors calls fn for each ancestor of i, nearest first.
	ancestors := func(i int, fn func(a int) bool) {
		for a, d := parent[i], 0; a >= 0 && a != i && d < maxDepth; a, d = parent[a], d+1 {
			if !fn(a) {
				return
			}
		}
	}

	llmBelow := make([]bool, n)
	repeated := make([]bool, n) // usage equals a descendant's usage
	toolBelow := make([]bool, n)
	for i := range n {
		switch {
		case isCand(i):
			ancestors(i, func(a int) bool {
				llmBelow[a] = true
				if sp(i).hasUsage() && sp(a).hasUsage() && usageMatch(sp(a), sp(i)) {
					repeated[a] = true
				}
				return true
			})
		case cls[i] == classTool:
			name := sp(i).toolName()
			ancestors(i, func(a int) bool {
				if cls[a] == classTool && sp(a).toolName() == name {
					toolBelow[a] = true
				}
				return true
			})
		}
	}

	// The trace's session: the earliest span that names one.
	traceSession := ""
	var traceSessionAt int64
	for i := range n {
		if s := sp(i); s.str[strSession] != "" && (traceSession == "" || s.start < traceSessionAt) {
			traceSession, traceSessionAt = s.str[strSession], s.start
		}
	}
	session := func(i int) string {
		s := sp(i)
		if s.str[strSession] != "" {
			return s.str[strSession]
		}
		if s.resSession != "" {
			return s.resSession
		}
		found := ""
		ancestors(i, func(a int) bool {
			found = sp(a).str[strSession]
			return found == ""
		})
		switch {
		case found != "":
			return found
		case traceSession != "":
			return traceSession
		}
		return s.traceID
	}
	role := func(i int) string {
		if sp(i).isInvokeAgent() {
			return sp(i).agentName()
		}
		found := ""
		ancestors(i, func(a int) bool {
			if sp(a).isInvokeAgent() {
				found = sp(a).agentName()
				return false
			}
			return true
		})
		return found
	}

	var calls []int // innermost LLM spans, deduplicated below
	for i := range n {
		s := sp(i)
		switch {
		case s.badToken != "":
			c.sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: s.file, Line: s.line, Reason: "bad token count", Detail: s.badToken})
		case cls[i] == classTool && toolBelow[i]:
			c.note(ingest.NoteSkipped, s, "wrapper span")
		case cls[i] == classTool:
			recs = append(recs, c.record(s, ingest.KindTool, session(i), role(i)))
		case isCand(i) && !llmBelow[i]:
			calls = append(calls, i)
		case isCand(i) && s.hasUsage() && repeated[i]:
			c.note(ingest.NoteDuplicate, s, "usage repeated by inner span")
		case isCand(i) && s.hasUsage() && cls[i] != classLLM:
			// invoke_agent and workflow spans may sum their calls' usage.
			c.note(ingest.NoteDuplicate, s, "aggregate usage")
		case isCand(i) && s.hasUsage():
			calls = append(calls, i) // an inference span whose usage is its own
		case isCand(i):
			c.note(ingest.NoteSkipped, s, "wrapper span")
		case cls[i] == classAgent:
			c.note(ingest.NoteSkipped, s, "agent span")
		default:
			c.note(ingest.NoteSkipped, s, "no usage")
		}
	}

	// Instrumentations side by side (not nested) can record one call twice:
	// same response id, or same model, tokens and overlapping time.
	sort.SliceStable(calls, func(a, b int) bool { return sp(calls[a]).start < sp(calls[b]).start })
	var kept []int
	// A call can only repeat a kept call with the same input and output
	// tokens that is still running when it starts (sameCall); and a call
	// with an unseen response id only one kept without a response id.
	// Kept calls are therefore filed by tokens, and those that ended
	// before the current call's start (calls come in start order) are
	// dropped from the files: the search is over overlapping calls with
	// equal usage only, not every kept call (quadratic in a trace's spans).
	type tokKey struct{ in, out int64 }
	var byTok, byTokNoResp map[tokKey][]int
	if len(calls) > 1 {
		byTok, byTokNoResp = map[tokKey][]int{}, map[tokKey][]int{}
	}
	for _, i := range calls {
		s := sp(i)
		if s.respID != "" && respSeen[s.respID] {
			c.note(ingest.NoteDuplicate, s, "same response id")
			continue
		}
		dup := -1
		var key tokKey
		if byTok != nil && s.hasUsage() {
			u := s.usage()
			key = tokKey{u[tokIn], u[tokOut]}
			files := byTok
			if s.respID != "" {
				files = byTokNoResp
			}
			list := files[key]
			live := list[:0]
			for _, k := range list {
				if max(sp(k).end, sp(k).start) < s.start {
					continue // ended before s started: overlaps no later call either
				}
				live = append(live, k)
				if dup < 0 && sameCall(sp(k), s) {
					dup = k
				}
			}
			files[key] = live
		}
		if dup >= 0 {
			fillFrom(sp(dup), s)
			c.note(ingest.NoteDuplicate, s, "same call on another span")
			continue
		}
		if s.respID != "" {
			respSeen[s.respID] = true
		}
		kept = append(kept, i)
		if byTok != nil && s.hasUsage() {
			byTok[key] = append(byTok[key], i)
			if s.respID == "" {
				byTokNoResp[key] = append(byTokNoResp[key], i)
			}
		}
	}
	for _, i := range kept {
		s := sp(i)
		r := c.record(s, ingest.KindLLM, session(i), role(i))
		u := s.usage()
		r.InputTokens, r.OutputTokens = u[tokIn], u[tokOut]
		r.CacheReadTokens, r.CacheWriteTokens, r.ReasoningTokens = u[tokCacheRead], u[tokCacheWrite], u[tokReasoning]
		r.AudioInputTokens, r.ImageInputTokens = u[tokAudioIn], u[tokImageIn]
		r.AudioOutputTokens, r.ImageOutputTokens = u[tokAudioOut], u[tokImageOut]
		r.TokensFromTotal, r.UnknownUsage = u[tokTotal], s.unknown
		r.ZeroOutputText = s.hasOutput && s.tokPrio[tokOut] > 0 && r.OutputTokens == 0
		r.Model, r.Provider = s.str[strModel], s.str[strProvider]
		r.ServiceTier = ingest.ParseServiceTier(s.str[strTier])
		recs = append(recs, r)
	}
	return recs
}

// sameCall reports whether b repeats the call a already recorded.
func sameCall(a, b *span) bool {
	if !a.hasUsage() || !b.hasUsage() {
		return false // calls without usage (often failures) are distinct attempts
	}
	if instrumentation(a) == instrumentation(b) {
		// One instrumentation records each call once: equal sibling spans
		// of one instrumentation are parallel calls.
		return false
	}
	if a.respID != "" && b.respID != "" && a.respID != b.respID {
		return false
	}
	au, bu := a.usage(), b.usage()
	if au[tokIn] != bu[tokIn] || au[tokOut] != bu[tokOut] || au[tokIn]+au[tokOut] == 0 {
		return false
	}
	if !modelsCompatible(a.str[strModel], b.str[strModel]) {
		return false
	}
	return a.start <= max(b.end, b.start) && b.start <= max(a.end, a.start)
}

// instrumentation names what recorded a span: its scope, or, when an
// exporter drops scopes (Jaeger without otel.library.name), its span name,
// which each instrumentation spells its own way (openai.chat, call_llm,
// generate_content …).
func instrumentation(s *span) string {
	if s.scope != "" {
		return s.scope
	}
	return "\x00" + s.name
}

// modelsCompatible treats "gpt-4.1-mini" and "gpt-4.1-mini-2025-04-14" as
// one model: frameworks record the request model, clients the response one.
// Only a date suffix may differ: "gpt-4o" and "gpt-4o-mini" are two models.
func modelsCompatible(a, b string) bool {
	return a == "" || b == "" || undated(a) == undated(b)
}

var dateSuffix = regexp.MustCompile(`-(\d{4}-\d{2}-\d{2}|\d{8})$`)

// undated strips a trailing -YYYY-MM-DD or -YYYYMMDD.
func undated(model string) string { return dateSuffix.ReplaceAllString(model, "") }

// fillFrom completes the kept span k with what only its duplicate d knows.
func fillFrom(k, d *span) {
	if k.respID == "" {
		k.respID = d.respID
	}
	for f := range nStr {
		if d.strPrio[f] > k.strPrio[f] {
			k.str[f], k.strPrio[f] = d.str[f], d.strPrio[f]
		}
	}
}

// record builds the fields every record shares.
func (c *collector) record(s *span, kind ingest.Kind, session, role string) ingest.Record {
	r := ingest.Record{
		ID:        s.traceID + "/" + s.spanID,
		SessionID: session,
		TSNano:    s.start,
		Kind:      kind,
		Role:      role,
		Workflow:  s.workflow,
		File:      s.file,
		Line:      s.line,
		Sub:       s.sub,
	}
	if kind == ingest.KindLLM && s.respID != "" {
		r.ID = s.respID
	}
	if s.start > 0 && s.end >= s.start {
		r.DurationMS = float64(s.end-s.start) / 1e6
	}
	if kind == ingest.KindTool {
		r.Tool = s.toolName()
		r.ToolArgsHash, r.ToolArgsLabel = s.argsHash, s.argsLabel
		r.ToolResultHash, r.ToolResultBytes = s.resultHash, s.resultBytes
	}
	if s.failed() {
		r.Status, r.Error = ingest.StatusError, s.errMessage()
		if strings.Contains(strings.ToLower(s.errType), "timeout") {
			r.Status = ingest.StatusTimeout
		}
	}
	if s.service != "" {
		r.Attrs = map[string]string{"service.name": s.service}
	}
	return r
}
