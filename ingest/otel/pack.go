package otel

import (
	"math"
	"strings"
	"unsafe"
)

// The collector keeps every span of a source until the source is read.
// Those spans are most of the live heap while a span format is read, and
// the garbage collector marks the live heap again on every cycle: a span
// summary with two dozen string fields cost two dozen pointers to follow,
// and a map keyed by pairs of id strings four more. The collector
// therefore keeps them in a form without pointers (packed): repeated text
// as indexes into one table of distinct strings (strTable), ids in
// pointer-free byte arenas (arena), and the trace and id indexes in maps
// keyed and valued by integers. What the GC must follow per span is then
// nothing; per distinct string, two pointers (the table and its index).

// ref is a string of a strTable; 0 is "".
type ref uint32

// strTable interns the repeated text of buffered spans (names, scopes,
// models, sessions, tools, labels, the file name): each distinct string is
// kept once, as an ordinary string, so records built from it share it.
type strTable struct {
	strs []string
	idx  map[string]ref
	// recent caches refs by the address and length of the string the
	// decoder handed over: decoders intern too, so most strings arrive as
	// the very same string again and skip hashing (a span's eight
	// strings: 70 against 160 ns). A slot is trusted only after
	// comparing the text, so a reused address cannot mislead it.
	recent [1024]struct {
		p, n uintptr
		r    ref
	}
}

func newStrTable() strTable {
	return strTable{strs: []string{""}, idx: map[string]ref{}}
}

// ref returns s's index, adding s the first time it is seen.
func (t *strTable) ref(s string) ref {
	if s == "" {
		return 0
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	slot := &t.recent[(p>>3^p>>13^uintptr(len(s)))%uintptr(len(t.recent))]
	if slot.p == p && slot.n == uintptr(len(s)) && t.strs[slot.r] == s {
		return slot.r
	}
	r, ok := t.idx[s]
	if !ok {
		r = ref(len(t.strs))
		t.strs = append(t.strs, s)
		t.idx[s] = r
	}
	slot.p, slot.n, slot.r = p, uintptr(len(s)), r
	return r
}

func (t *strTable) str(r ref) string { return t.strs[r] }

// aref is a string in an arena.
type aref struct{ chunk, off, n uint32 }

// arena keeps the text that is (nearly) unique per span, the ids, in
// byte chunks: no pointer per string, and no allocation per string.
type arena struct{ chunks [][]byte }

// Chunks double from 4 KiB to arenaChunk: a small file's collector needs
// little.
const arenaChunk = 256 << 10

func (a *arena) add(s string) aref {
	if s == "" {
		return aref{}
	}
	if uint64(len(s)) > math.MaxUint32 {
		// Only a pretty-printed document of more than 4 GiB, held whole,
		// could hold such an id: fail loudly rather than cut it.
		panic("otel: an id of more than 4 GiB")
	}
	last := len(a.chunks) - 1
	if last < 0 || cap(a.chunks[last])-len(a.chunks[last]) < len(s) {
		size := 4 << 10
		if last >= 0 {
			size = min(2*cap(a.chunks[last]), arenaChunk)
		}
		a.chunks = append(a.chunks, make([]byte, 0, max(size, len(s))))
		last++
	}
	c := a.chunks[last]
	r := aref{uint32(last), uint32(len(c)), uint32(len(s))}
	a.chunks[last] = append(c, s...)
	return r
}

// str returns the text of r without copying it: it is valid while the
// arena is, so it must not outlive the collector (records get a copy).
func (a *arena) str(r aref) string {
	if r.n == 0 {
		return ""
	}
	b := a.chunks[r.chunk][r.off : r.off+r.n]
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// packed is a span as the collector buffers it: only what resolving its
// trace and building its record read, with the properties that depend on
// the span alone (class, tool and agent names, error) worked out when it
// is added. It holds no pointer.
type packed struct {
	counts
	start, end  int64
	line        int64
	argsHash    uint64
	resultHash  uint64
	resultBytes int64

	spanID, parentID, respID aref

	trace  int32 // index in collector.traces
	next   int32 // the trace's next span; -1 after the last
	idNext int32 // the previous span whose ids hash alike; -1 for none
	sub    int32

	name, scope, agentName, tool, workflow ref
	errMsg, badToken, unknown, argsLabel   ref
	resSession, service, file              ref
	str                                    [nStr]ref
	strPrio                                [nStr]int8

	cls         class
	invokeAgent bool // names the agent running below it (isInvokeAgent)
	failed      bool
	timeout     bool // failed with an error type naming a timeout
	hasOutput   bool
}

// pack turns s into its buffered form, interning its text in c.
func (c *collector) pack(s *span, trace int32) packed {
	t := &c.strs
	p := packed{
		counts:      s.counts,
		start:       s.start,
		end:         s.end,
		line:        s.line,
		argsHash:    s.argsHash,
		resultHash:  s.resultHash,
		resultBytes: s.resultBytes,
		spanID:      c.ids.add(s.spanID),
		parentID:    c.ids.add(s.parentID),
		respID:      c.ids.add(s.respID),
		trace:       trace,
		next:        -1,
		idNext:      -1,
		sub:         s.sub,
		name:        t.ref(s.name),
		scope:       t.ref(s.scope),
		workflow:    t.ref(s.workflow),
		badToken:    t.ref(s.badToken),
		unknown:     t.ref(s.unknown),
		argsLabel:   t.ref(s.argsLabel),
		resSession:  t.ref(s.resSession),
		service:     t.ref(s.service),
		file:        t.ref(s.file),
		strPrio:     s.strPrio,
		cls:         s.classify(),
		invokeAgent: s.isInvokeAgent(),
		failed:      s.failed(),
		hasOutput:   s.hasOutput,
	}
	for f := range nStr {
		p.str[f] = t.ref(s.str[f])
	}
	if p.invokeAgent {
		p.agentName = t.ref(s.agentName())
	}
	if p.cls == classTool {
		p.tool = t.ref(s.toolName())
	}
	if p.failed {
		p.errMsg = t.ref(s.errMessage())
		p.timeout = strings.Contains(strings.ToLower(s.errType), "timeout")
	}
	return p
}
