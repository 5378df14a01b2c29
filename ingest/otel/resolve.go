package otel

import (
	"hash/maphash"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/spantree"
)

// maxDepth bounds ancestor walks: real traces are a few dozen levels deep,
// and the bound keeps a hostile or cyclic parent chain linear.
const maxDepth = 1000

// collector buffers span summaries per trace until the source is read,
// in the pointer-free form of pack.go.
type collector struct {
	file   string
	sink   ingest.Sink
	chunks [][]packed // chunks of 1<<chunkBits spans: growing never copies a span past the first chunk
	n      int32      // spans buffered
	strs   strTable   // the spans' repeated text
	ids    arena      // span, parent and response ids, and trace ids
	seed   maphash.Seed

	traces []traceEntry
	// byTrace and byID index traces and spans by a hash of their ids, to
	// the last one added with that hash; entries with equal hashes are
	// chained (traceEntry.hashNext, packed.idNext) and told apart by
	// their text.
	byTrace map[uint64]int32
	// The spans already buffered, by trace and span id. A span whose
	// trace or span id holds "/" is kept apart, in seen, by
	// "traceID/spanID" as ever: a pair without "/" cannot collide with
	// a joined key (those hold two or more slashes), but joined keys can
	// collide with each other ("a/b"+"/"+"c" is "a"+"/"+"b/c").
	byID map[uint64]int32
	seen map[string]struct{}
}

// traceEntry is one trace: its id and its spans, in the order added.
type traceEntry struct {
	id          aref
	hashNext    int32
	first, last int32
}

const chunkBits = 12

func newCollector(file string, sink ingest.Sink) *collector {
	return &collector{file: file, sink: sink, strs: newStrTable(), seed: maphash.MakeSeed(),
		byTrace: map[uint64]int32{}, byID: map[uint64]int32{}, seen: map[string]struct{}{}}
}

// span returns the i-th buffered span.
func (c *collector) span(i int32) *packed { return &c.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

// findTrace returns the index of the trace with id t and its hash h, or
// -1 when there is none yet.
func (c *collector) findTrace(t string, h uint64) int32 {
	i, ok := c.byTrace[h]
	for ok && i >= 0 {
		if c.ids.str(c.traces[i].id) == t {
			return i
		}
		i = c.traces[i].hashNext
	}
	return -1
}

// traceHash is the hash of a trace id.
func (c *collector) traceHash(traceID string) uint64 {
	return maphash.String(c.seed, traceID) & hashMask
}

// idHash is the hash of a span id within trace t.
func (c *collector) idHash(t int32, spanID string) uint64 {
	return (maphash.String(c.seed, spanID) ^ uint64(t+1)*0x9e3779b97f4a7c15) & hashMask
}

// hashMask is all ones; tests clear it to make every trace id, and every
// span id, collide.
var hashMask = ^uint64(0)

// firstSeen reports whether the span's ids are new, and records them when
// they hold "/"; trace is the index of its trace, -1 for a new trace.
func (c *collector) firstSeen(s *span, trace int32) bool {
	if strings.IndexByte(s.traceID, '/') < 0 && strings.IndexByte(s.spanID, '/') < 0 {
		if trace < 0 {
			return true
		}
		i, ok := c.byID[c.idHash(trace, s.spanID)]
		for ok && i >= 0 {
			p := c.span(i)
			if p.trace == trace && c.ids.str(p.spanID) == s.spanID {
				return false
			}
			i = p.idNext
		}
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
	th := c.traceHash(s.traceID)
	t := c.findTrace(s.traceID, th)
	if !c.firstSeen(s, t) {
		// Exporters retry; the same span twice is one step.
		c.note(ingest.NoteDuplicate, s, "repeated span")
		return
	}
	if t < 0 {
		t = int32(len(c.traces))
		prev, ok := c.byTrace[th]
		if !ok {
			prev = -1
		}
		c.traces = append(c.traces, traceEntry{id: c.ids.add(s.traceID), hashNext: prev, first: -1, last: -1})
		c.byTrace[th] = t
	}
	if int(c.n>>chunkBits) == len(c.chunks) {
		size := 1 << chunkBits
		if len(c.chunks) == 0 {
			size = 64 // the first chunk grows from 64 spans, for small files
		}
		c.chunks = append(c.chunks, make([]packed, 0, size))
	}
	ch := &c.chunks[len(c.chunks)-1]
	if len(*ch) == cap(*ch) {
		*ch = append(make([]packed, 0, min(2*cap(*ch), 1<<chunkBits)), *ch...)
	}
	*ch = append(*ch, c.pack(s, t))
	p := c.span(c.n)
	if strings.IndexByte(s.traceID, '/') < 0 && strings.IndexByte(s.spanID, '/') < 0 {
		h := c.idHash(t, s.spanID)
		if prev, ok := c.byID[h]; ok {
			p.idNext = prev
		}
		c.byID[h] = c.n
	}
	tr := &c.traces[t]
	if tr.last >= 0 {
		c.span(tr.last).next = c.n
	} else {
		tr.first = c.n
	}
	tr.last = c.n
	c.n++
}

func (c *collector) note(kind ingest.NoteKind, s *span, reason string) {
	c.sink.Note(ingest.Note{Kind: kind, File: s.file, Line: s.line, Reason: reason, Detail: s.name})
}

// notePacked is note for a buffered span.
func (c *collector) notePacked(kind ingest.NoteKind, p *packed, reason string) {
	c.sink.Note(ingest.Note{Kind: kind, File: c.strs.str(p.file), Line: p.line, Reason: reason, Detail: c.strs.str(p.name)})
}

// flush resolves every trace, in trace id order, and emits each trace's
// records as soon as it is resolved. Consumers order records themselves
// (the analysis by seq, time and input position; convert by position),
// so holding every record for one global sort by start time only cost
// time and a copy of every record.
func (c *collector) flush() {
	order := make([]int32, len(c.traces))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		return strings.Compare(c.ids.str(c.traces[a].id), c.ids.str(c.traces[b].id))
	})
	var recs []ingest.Record // one trace's; reused
	var idx []int32          // one trace's spans; reused
	respSeen := map[string]bool{}
	for _, t := range order {
		idx = idx[:0]
		for i := c.traces[t].first; i >= 0; i = c.span(i).next {
			idx = append(idx, i)
		}
		recs = c.resolve(idx, recs[:0], respSeen)
		for i := range recs {
			c.sink.Record(&recs[i])
		}
	}
}

// usageMatch reports whether an ancestor's usage repeats a descendant's.
// Framework spans often lack the cache attributes, so the raw input is
// compared too.
func usageMatch(a, d *packed) bool {
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
	sp := func(i int) *packed { return c.span(idx[i]) }
	str := c.strs.str
	// The trace's id, copied: a record may keep it as its session.
	traceID := ""
	if n > 0 {
		traceID = strings.Clone(c.ids.str(c.traces[sp(0).trace].id))
	}
	pos := make(map[string]int, n)
	for i := range n {
		pos[c.ids.str(sp(i).spanID)] = i
	}
	parent := make([]int, n)
	cls := make([]class, n)
	for i := range n {
		parent[i] = -1
		if p, ok := pos[c.ids.str(sp(i).parentID)]; ok && p != i {
			parent[i] = p
		}
		cls[i] = sp(i).cls
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
			name := sp(i).tool // interned: equal refs are equal names
			ancestors(i, func(a int) bool {
				if cls[a] == classTool && sp(a).tool == name {
					toolBelow[a] = true
				}
				return true
			})
		}
	}

	// The trace's session: the earliest span that names one.
	var traceSession ref
	var traceSessionAt int64
	for i := range n {
		if s := sp(i); s.str[strSession] != 0 && (traceSession == 0 || s.start < traceSessionAt) {
			traceSession, traceSessionAt = s.str[strSession], s.start
		}
	}
	session := func(i int) string {
		s := sp(i)
		if s.str[strSession] != 0 {
			return str(s.str[strSession])
		}
		if s.resSession != 0 {
			return str(s.resSession)
		}
		var found ref
		ancestors(i, func(a int) bool {
			found = sp(a).str[strSession]
			return found == 0
		})
		switch {
		case found != 0:
			return str(found)
		case traceSession != 0:
			return str(traceSession)
		}
		return traceID
	}
	role := func(i int) string {
		if sp(i).invokeAgent {
			return str(sp(i).agentName)
		}
		found := ""
		ancestors(i, func(a int) bool {
			if sp(a).invokeAgent {
				found = str(sp(a).agentName)
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
		case s.badToken != 0:
			c.sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: str(s.file), Line: s.line, Reason: "bad token count", Detail: str(s.badToken)})
		case cls[i] == classTool && toolBelow[i]:
			c.notePacked(ingest.NoteSkipped, s, "wrapper span")
		case cls[i] == classTool:
			recs = append(recs, c.record(s, traceID, ingest.KindTool, session(i), role(i)))
		case isCand(i) && !llmBelow[i]:
			calls = append(calls, i)
		case isCand(i) && s.hasUsage() && repeated[i]:
			c.notePacked(ingest.NoteDuplicate, s, "usage repeated by inner span")
		case isCand(i) && s.hasUsage() && cls[i] != classLLM:
			// invoke_agent and workflow spans may sum their calls' usage.
			c.notePacked(ingest.NoteDuplicate, s, "aggregate usage")
		case isCand(i) && s.hasUsage():
			calls = append(calls, i) // an inference span whose usage is its own
		case isCand(i):
			c.notePacked(ingest.NoteSkipped, s, "wrapper span")
		case cls[i] == classAgent:
			c.notePacked(ingest.NoteSkipped, s, "agent span")
		default:
			c.notePacked(ingest.NoteSkipped, s, "no usage")
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
		// The arena's text is valid until the collector is done: the
		// keys of respSeen may point into it.
		respID := c.ids.str(s.respID)
		if respID != "" && respSeen[respID] {
			c.notePacked(ingest.NoteDuplicate, s, "same response id")
			continue
		}
		dup := -1
		var key tokKey
		if byTok != nil && s.hasUsage() {
			u := s.usage()
			key = tokKey{u[tokIn], u[tokOut]}
			files := byTok
			if respID != "" {
				files = byTokNoResp
			}
			list := files[key]
			live := list[:0]
			for _, k := range list {
				if max(sp(k).end, sp(k).start) < s.start {
					continue // ended before s started: overlaps no later call either
				}
				live = append(live, k)
				if dup < 0 && c.sameCall(sp(k), s) {
					dup = k
				}
			}
			files[key] = live
		}
		if dup >= 0 {
			fillFrom(sp(dup), s)
			c.notePacked(ingest.NoteDuplicate, s, "same call on another span")
			continue
		}
		if respID != "" {
			respSeen[respID] = true
		}
		kept = append(kept, i)
		if byTok != nil && s.hasUsage() {
			byTok[key] = append(byTok[key], i)
			if respID == "" {
				byTokNoResp[key] = append(byTokNoResp[key], i)
			}
		}
	}
	for _, i := range kept {
		s := sp(i)
		r := c.record(s, traceID, ingest.KindLLM, session(i), role(i))
		u := s.usage()
		r.InputTokens, r.OutputTokens = u[tokIn], u[tokOut]
		r.CacheReadTokens, r.CacheWriteTokens, r.ReasoningTokens = u[tokCacheRead], u[tokCacheWrite], u[tokReasoning]
		r.AudioInputTokens, r.ImageInputTokens = u[tokAudioIn], u[tokImageIn]
		r.AudioOutputTokens, r.ImageOutputTokens = u[tokAudioOut], u[tokImageOut]
		r.TokensFromTotal, r.UnknownUsage = u[tokTotal], str(s.unknown)
		r.ZeroOutputText = s.hasOutput && s.tokPrio[tokOut] > 0 && r.OutputTokens == 0
		r.Model, r.Provider = str(s.str[strModel]), str(s.str[strProvider])
		r.ServiceTier = ingest.ParseServiceTier(str(s.str[strTier]))
		recs = append(recs, r)
	}
	return recs
}

// sameCall reports whether b repeats the call a already recorded.
func (c *collector) sameCall(a, b *packed) bool {
	if !a.hasUsage() || !b.hasUsage() {
		return false // calls without usage (often failures) are distinct attempts
	}
	if c.sameInstrumentation(a, b) {
		// One instrumentation records each call once: equal sibling spans
		// of one instrumentation are parallel calls.
		return false
	}
	if ar, br := c.ids.str(a.respID), c.ids.str(b.respID); ar != "" && br != "" && ar != br {
		return false
	}
	au, bu := a.usage(), b.usage()
	if au[tokIn] != bu[tokIn] || au[tokOut] != bu[tokOut] || au[tokIn]+au[tokOut] == 0 {
		return false
	}
	if !modelsCompatible(c.strs.str(a.str[strModel]), c.strs.str(b.str[strModel])) {
		return false
	}
	return a.start <= max(b.end, b.start) && b.start <= max(a.end, a.start)
}

// sameInstrumentation reports whether one instrumentation recorded a and
// b. What recorded a span is its scope, or, when an exporter drops scopes
// (Jaeger without otel.library.name), its span name, which each
// instrumentation spells its own way (openai.chat, call_llm,
// generate_content …); a name stands as "\x00"+name, so it can equal a
// scope only by that spelling. Interned text: equal refs, equal strings.
func (c *collector) sameInstrumentation(a, b *packed) bool {
	switch {
	case (a.scope != 0) == (b.scope != 0):
		if a.scope != 0 {
			return a.scope == b.scope
		}
		return a.name == b.name
	case a.scope == 0:
		a, b = b, a
	}
	scope, name := c.strs.str(a.scope), c.strs.str(b.name)
	return len(scope) == len(name)+1 && scope[0] == 0 && scope[1:] == name
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
func fillFrom(k, d *packed) {
	if k.respID.n == 0 {
		k.respID = d.respID
	}
	for f := range nStr {
		if d.strPrio[f] > k.strPrio[f] {
			k.str[f], k.strPrio[f] = d.str[f], d.strPrio[f]
		}
	}
}

// record builds the fields every record shares; traceID is the span's
// trace id.
func (c *collector) record(s *packed, traceID string, kind ingest.Kind, session, role string) ingest.Record {
	str := c.strs.str
	r := ingest.Record{
		ID:        traceID + "/" + c.ids.str(s.spanID),
		SessionID: session,
		TSNano:    s.start,
		Kind:      kind,
		Role:      role,
		Workflow:  str(s.workflow),
		File:      str(s.file),
		Line:      s.line,
		Sub:       s.sub,
	}
	if kind == ingest.KindLLM && s.respID.n != 0 {
		r.ID = strings.Clone(c.ids.str(s.respID)) // the arena goes with the collector
	}
	if s.start > 0 && s.end >= s.start {
		r.DurationMS = float64(s.end-s.start) / 1e6
	}
	if kind == ingest.KindTool {
		r.Tool = str(s.tool)
		r.ToolArgsHash, r.ToolArgsLabel = s.argsHash, str(s.argsLabel)
		r.ToolResultHash, r.ToolResultBytes = s.resultHash, s.resultBytes
	}
	if s.failed {
		r.Status, r.Error = ingest.StatusError, str(s.errMsg)
		if s.timeout {
			r.Status = ingest.StatusTimeout
		}
	}
	if s.service != 0 {
		r.Attrs = map[string]string{"service.name": str(s.service)}
	}
	return r
}
