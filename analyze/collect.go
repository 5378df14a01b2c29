package analyze

import (
	"hash/maphash"
	"math"
	"sort"
	"sync"
	"unsafe"

	"github.com/tokcost/tokcost/ingest"
)

// Flags on an Event.
const (
	flagHasSeq uint8 = 1 << iota
	flagHasTS
	flagHasCost // the record carried its producer's cost_usd
	flagUnpriced
	flagReplica      // Record.Replica: loses to a non-replica with the same id
	flagSameUnit     // not the first record of its input unit (Record.SameUnit)
	flagRecordedCost // Cost is the record's own cost_usd, not the price table's
)

// Event is the compact form of one record that the analysis keeps: a few
// dozen bytes, strings interned, so memory grows with records kept and not
// with the bytes read.
type Event struct {
	Seq     int64
	TSNano  int64
	DurNano int64

	Input, Output, CacheRead, CacheWrite, CacheWrite1h, Reasoning uint32

	RecordCost float64 // producer's cost_usd, when flagHasCost
	Cost       float64 // what the analysis charges (set by Finish)

	Model, Provider, Tool, Role, Err uint32 // interned strings; 0 is ""

	Kind   ingest.Kind
	Status ingest.Status
	Class  ingest.ErrorClass
	flags  uint8
}

// HasTS reports whether the event carried a timestamp.
func (e *Event) HasTS() bool { return e.flags&flagHasTS != 0 }

// Unpriced reports whether no price could be found for this model call.
func (e *Event) Unpriced() bool { return e.flags&flagUnpriced != 0 }

// CostFromRecord reports whether Cost is the producer's cost_usd rather than
// the price table's: re-pricing such a call at table rates would mix two
// sources.
func (e *Event) CostFromRecord() bool { return e.flags&flagRecordedCost != 0 }

// EndNano is when the step ended (its start plus its duration).
func (e *Event) EndNano() int64 { return e.TSNano + e.DurNano }

// eventKey is what Finish needs of an event besides the Event itself, to
// put a session in input order and drop repeated ids. It is kept beside
// the events until then, and not after: 16 bytes less per event kept.
type eventKey struct {
	order  uint64 // input position: file, line, record within line
	idHash uint64 // 0 when the record had no id
}

// orderKey packs an input position into one sortable number: 20 bits of
// file index, 28 of line, 16 of record-within-line. Values beyond a field's
// range saturate; ordering then falls back on seq and timestamps.
func orderKey(file int, line int64, sub int32) uint64 {
	f := uint64(min(max(file, 0), 1<<20-1))
	l := uint64(min(max(line, 0), 1<<28-1))
	s := uint64(min(max(int64(sub), 0), 1<<16-1))
	return f<<44 | l<<16 | s
}

var idSeed = maphash.MakeSeed()

// interner maps strings to small integers, per shard.
type interner struct {
	ids  map[string]uint32
	strs []string
	// recent remembers strings by address: decoders hand out the same
	// string for a repeated value, so most lookups skip hashing.
	recent *recentCache
}

// recentCache finds a string's id (interned string or session) by the
// string's address. Shards allocate theirs only once they have seen
// enough records to gain from it: a directory of many small files makes
// many small shards.
type recentCache [256]struct {
	s  string
	id uint32
}

// recentAfter is the number of records after which a shard uses caches.
const recentAfter = 1024

// lookup returns the id remembered for s, if any.
func (c *recentCache) lookup(s string) (uint32, bool) {
	if c == nil {
		return 0, false
	}
	p := unsafe.StringData(s)
	slot := &c[uintptr(unsafe.Pointer(p))>>4&255]
	if unsafe.StringData(slot.s) == p && len(slot.s) == len(s) {
		return slot.id, true
	}
	return 0, false
}

func (c *recentCache) remember(s string, id uint32) {
	if c != nil {
		slot := &c[uintptr(unsafe.Pointer(unsafe.StringData(s)))>>4&255]
		slot.s, slot.id = s, id
	}
}

func newInterner() *interner {
	return &interner{ids: map[string]uint32{"": 0}, strs: []string{""}}
}

func (in *interner) id(s string) uint32 {
	if len(s) == 0 {
		return 0
	}
	if id, ok := in.recent.lookup(s); ok {
		return id
	}
	id, ok := in.ids[s]
	if !ok {
		id = uint32(len(in.strs))
		in.ids[s] = id
		in.strs = append(in.strs, s)
	}
	in.recent.remember(s, id)
	return id
}

// maxErrorKept bounds the error text kept per event: enough to mask and
// show as evidence, never megabytes.
const maxErrorKept = 512

type sessionAcc struct {
	id         string
	n          int // events of this session in the shard (global count after merge)
	workflow   string
	workflowAt uint64 // input position of the record that named the workflow
	attrs      map[string]string
	attrsAt    map[string]uint64 // input position of the record that set each attribute
}

// Events are stored in slabs during ingest rather than in one growing
// slice per session: nothing is copied as sessions grow and nothing is
// left as garbage, and Finish moves them into exact-size per-session
// slices, reusing each slab's memory once it has been drained.
const (
	firstSlabLen = 64      // small inputs (and many small files) stay small
	maxSlabLen   = 1 << 15 // 2.9 MB of events
)

type slab struct {
	ev   []Event
	key  []eventKey
	sess []uint32 // shard-local session index of each event
}

// shard is the ingest.Sink of one decoding goroutine.
type shard struct {
	fileIndex int
	ids       map[string]uint32 // session id → index into accs
	accs      []sessionAcc
	recent    *recentCache // sessions by id address, once the shard is busy
	slabs     []slab
	strs      *interner
	counts    InputCounts
	examples  []ingest.Note
}

func newShard(fileIndex int) *shard {
	return &shard{fileIndex: fileIndex, ids: map[string]uint32{}, strs: newInterner()}
}

// session returns the index of the session with that id, adding it.
func (s *shard) session(id string) uint32 {
	// Decoders hand out the same string for a recently seen session id:
	// remember sessions by the address of their id and skip the map.
	if idx, ok := s.recent.lookup(id); ok {
		return idx
	}
	idx, ok := s.ids[id]
	if !ok {
		idx = uint32(len(s.accs))
		s.ids[id] = idx
		s.accs = append(s.accs, sessionAcc{id: id})
	}
	s.recent.remember(id, idx)
	return idx
}

// push appends an event to the current slab, opening a new one when full.
func (s *shard) push(e *Event, k eventKey, sess uint32) {
	n := len(s.slabs)
	if n == 0 || len(s.slabs[n-1].ev) == cap(s.slabs[n-1].ev) {
		size := firstSlabLen
		if n > 0 {
			size = min(2*cap(s.slabs[n-1].ev), maxSlabLen)
		}
		s.slabs = append(s.slabs, slab{ev: make([]Event, 0, size), key: make([]eventKey, 0, size), sess: make([]uint32, 0, size)})
		n++
	}
	sl := &s.slabs[n-1]
	sl.ev = append(sl.ev, *e)
	sl.key = append(sl.key, k)
	sl.sess = append(sl.sess, sess)
}

func (s *shard) Record(r *ingest.Record) {
	if s.counts.Records == recentAfter {
		s.recent, s.strs.recent = new(recentCache), new(recentCache)
	}
	si := s.session(r.SessionID)
	acc := &s.accs[si]
	k := eventKey{order: orderKey(s.fileIndex, r.Line, r.Sub)}
	e := Event{
		Seq:          r.Seq,
		TSNano:       r.TSNano,
		DurNano:      int64(math.Round(r.DurationMS * 1e6)),
		Input:        sat32(r.InputTokens),
		Output:       sat32(r.OutputTokens),
		CacheRead:    sat32(r.CacheReadTokens),
		CacheWrite:   sat32(r.CacheWriteTokens),
		CacheWrite1h: sat32(r.CacheWrite1hTokens),
		Reasoning:    sat32(r.ReasoningTokens),
		Model:        s.strs.id(r.Model),
		Provider:     s.strs.id(r.Provider),
		Tool:         s.strs.id(r.Tool),
		Role:         s.strs.id(r.Role),
		Kind:         r.Kind,
		Status:       r.Status,
		Class:        r.ErrorClass,
	}
	if r.Error != "" {
		msg := r.Error
		if len(msg) > maxErrorKept {
			msg = msg[:maxErrorKept]
		}
		e.Err = s.strs.id(msg)
	}
	if r.ID != "" {
		k.idHash = maphash.String(idSeed, r.ID) | 1 // never 0, which means "no id"
	}
	if r.HasSeq {
		e.flags |= flagHasSeq
	}
	if r.TSNano != 0 {
		e.flags |= flagHasTS
	}
	if r.HasCost {
		e.flags |= flagHasCost
		e.RecordCost = r.CostUSD
	}
	if r.Replica {
		e.flags |= flagReplica
	}
	if r.SameUnit {
		e.flags |= flagSameUnit // before push, which copies the event
	} else {
		s.counts.LinesWithRecords++
	}
	s.push(&e, k, si)
	acc.n++
	if acc.workflow == "" && r.Workflow != "" {
		acc.workflow, acc.workflowAt = r.Workflow, k.order
	}
	for key, v := range r.Attrs {
		if acc.attrs == nil {
			acc.attrs, acc.attrsAt = map[string]string{}, map[string]uint64{}
		}
		if _, ok := acc.attrs[key]; !ok {
			acc.attrs[key], acc.attrsAt[key] = v, k.order
		}
	}
	s.counts.Records++
}

func sat32(v int64) uint32 {
	if v > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(v)
}

// maxExamples is how many problem lines are kept to show the user.
const maxExamples = 10

func (s *shard) Note(n ingest.Note) {
	switch n.Kind {
	case ingest.NoteInvalid:
		if n.SameUnit {
			s.counts.InvalidRecords++
		} else {
			s.counts.Invalid++
		}
		if s.counts.InvalidByReason == nil {
			s.counts.InvalidByReason = map[string]int64{}
		}
		s.counts.InvalidByReason[n.Reason]++
		if len(s.examples) < maxExamples {
			s.examples = append(s.examples, n)
		}
	case ingest.NoteDuplicate:
		s.counts.Duplicates++
	case ingest.NoteBlank:
		s.counts.Blank++
	case ingest.NoteSkipped:
		s.counts.Skipped++
		if s.counts.SkippedByReason == nil {
			s.counts.SkippedByReason = map[string]int64{}
		}
		s.counts.SkippedByReason[n.Reason]++
	}
}

func (s *shard) Lines(n int64) { s.counts.Lines += n }

// InputCounts accounts for every unit read (a line, or a span, message or
// row for formats that have no lines):
//
//	Lines = LinesWithRecords + Duplicates + Invalid + Blank + Skipped
//
// Records counts the unique steps the units yielded; it equals
// LinesWithRecords except where one unit holds several steps (a Claude
// Code line with several tool results). Duplicates by event id are moved
// from LinesWithRecords to Duplicates. InvalidRecords counts steps dropped
// as invalid from units that also yielded valid ones.
type InputCounts struct {
	Lines            int64            `json:"lines"`
	LinesWithRecords int64            `json:"lines_with_records"`
	Records          int64            `json:"records"`
	InvalidRecords   int64            `json:"invalid_records,omitempty"`
	Duplicates       int64            `json:"duplicates"`
	Invalid          int64            `json:"invalid"`
	Blank            int64            `json:"blank"`
	Skipped          int64            `json:"skipped"`
	InvalidByReason  map[string]int64 `json:"invalid_by_reason"`
	SkippedByReason  map[string]int64 `json:"skipped_by_reason,omitempty"`
}

func (c *InputCounts) add(o InputCounts) {
	c.Lines += o.Lines
	c.LinesWithRecords += o.LinesWithRecords
	c.Records += o.Records
	c.InvalidRecords += o.InvalidRecords
	c.Duplicates += o.Duplicates
	c.Invalid += o.Invalid
	c.Blank += o.Blank
	c.Skipped += o.Skipped
	for k, v := range o.InvalidByReason {
		if c.InvalidByReason == nil {
			c.InvalidByReason = map[string]int64{}
		}
		c.InvalidByReason[k] += v
	}
	for k, v := range o.SkippedByReason {
		if c.SkippedByReason == nil {
			c.SkippedByReason = map[string]int64{}
		}
		c.SkippedByReason[k] += v
	}
}

// Collector gathers records from any number of concurrent decoders. Use
// Factory as the ingest sink factory, then Finish once every input is read.
type Collector struct {
	mu     sync.Mutex
	shards []*shard
}

// NewCollector returns an empty collector.
func NewCollector() *Collector { return &Collector{} }

// Factory hands out one sink per decoding goroutine for the input with
// the given index; records remember their input for ordering.
func (c *Collector) Factory(fileIndex int) ingest.SinkFactory {
	return func() ingest.Sink {
		s := newShard(fileIndex)
		c.mu.Lock()
		c.shards = append(c.shards, s)
		c.mu.Unlock()
		return s
	}
}

// merged is the collector's content after its shards are joined.
type merged struct {
	sessions []*mergedSession
	strs     []string
	counts   InputCounts
	examples []ingest.Note
}

type mergedSession struct {
	sessionAcc
	events []Event
	keys   []eventKey // beside events, until Finish has ordered and deduplicated them
}

// merge joins the shards: one string table, one list of sessions, each
// with its events in one exact-size slice.
func (c *Collector) merge() merged {
	var m merged
	most := 0 // sessions in the biggest shard: a floor for the total
	for _, s := range c.shards {
		most = max(most, len(s.accs))
	}
	byID := make(map[string]*mergedSession, most)
	m.sessions = make([]*mergedSession, 0, most)
	strRemap := make([][]uint32, len(c.shards))
	sessRemap := make([][]*mergedSession, len(c.shards))

	// Strings and sessions are independent: join the string tables on
	// another core meanwhile. The biggest table becomes the joint one, so
	// its strings keep their ids (a nil remap) and only the others are added.
	global := newInterner()
	base := -1
	for si, s := range c.shards {
		if base < 0 || len(s.strs.strs) > len(c.shards[base].strs.strs) {
			base = si
		}
	}
	if base >= 0 {
		global = c.shards[base].strs
	}
	var strs sync.WaitGroup
	strs.Go(func() {
		for si, s := range c.shards {
			if si == base {
				continue
			}
			remap := make([]uint32, len(s.strs.strs))
			for i, str := range s.strs.strs {
				remap[i] = global.id(str)
			}
			strRemap[si] = remap
		}
	})
	for si, s := range c.shards {
		sr := make([]*mergedSession, len(s.accs))
		for i := range s.accs {
			acc := &s.accs[i]
			dst := byID[acc.id]
			if dst == nil {
				dst = &mergedSession{sessionAcc: sessionAcc{id: acc.id}}
				byID[acc.id] = dst
				m.sessions = append(m.sessions, dst)
			}
			sr[i] = dst
			dst.n += acc.n
			// The workflow named first in input order wins, whichever
			// goroutine decoded it.
			if acc.workflow != "" && (dst.workflow == "" || acc.workflowAt < dst.workflowAt) {
				dst.workflow, dst.workflowAt = acc.workflow, acc.workflowAt
			}
			// Likewise each attribute: the value first in input order.
			for k, v := range acc.attrs {
				if dst.attrs == nil {
					dst.attrs, dst.attrsAt = map[string]string{}, map[string]uint64{}
				}
				if at, ok := dst.attrsAt[k]; !ok || acc.attrsAt[k] < at {
					dst.attrs[k], dst.attrsAt[k] = v, acc.attrsAt[k]
				}
			}
		}
		sessRemap[si] = sr
		s.ids, s.accs = nil, nil
		m.counts.add(s.counts)
		m.examples = append(m.examples, s.examples...)
	}
	strs.Wait()
	c.scatter(strRemap, sessRemap)
	sort.Slice(m.examples, func(i, j int) bool {
		a, b := m.examples[i], m.examples[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	if len(m.examples) > maxExamples {
		m.examples = m.examples[:maxExamples]
	}
	m.strs = global.strs
	c.shards = nil
	return m
}

// scatter moves every event from the shards' slabs into its session's
// exact-size slice, and its key into a slice beside it. Slabs are drained
// round-robin across shards, which follows input order closely, so a
// session's slices are carved out when its first event is met and are full
// soon after; drained slabs become the space later slices are carved from,
// so the events exist about once in memory, not twice.
func (c *Collector) scatter(strRemap [][]uint32, sessRemap [][]*mergedSession) {
	var events carver[Event]
	var keys carver[eventKey]
	for k := 0; ; k++ {
		more := false
		for si, s := range c.shards {
			if k >= len(s.slabs) {
				continue
			}
			more = true
			sl := &s.slabs[k]
			remap, sr := strRemap[si], sessRemap[si]
			for i := range sl.ev {
				e := sl.ev[i]
				if remap != nil { // nil: the shard's ids are the joint table's
					e.Model, e.Provider, e.Tool, e.Role, e.Err = remap[e.Model], remap[e.Provider], remap[e.Tool], remap[e.Role], remap[e.Err]
				}
				dst := sr[sl.sess[i]]
				if dst.events == nil {
					dst.events, dst.keys = events.carve(dst.n), keys.carve(dst.n)
				}
				dst.events = append(dst.events, e)
				dst.keys = append(dst.keys, sl.key[i])
			}
			events.give(sl.ev)
			keys.give(sl.key)
			*sl = slab{}
		}
		if !more {
			break
		}
	}
}

// carver hands out exact-size slices from drained slabs.
type carver[T any] struct {
	free  [][]T // drained slabs, reused as space for session slices
	space []T   // where the next slice is carved from
}

// carve returns an empty slice with room for exactly n elements.
func (c *carver[T]) carve(n int) []T {
	if n > maxSlabLen/4 {
		return make([]T, 0, n) // a big session gets its own slice
	}
	if cap(c.space)-len(c.space) < n {
		if len(c.free) > 0 {
			c.space, c.free = c.free[len(c.free)-1][:0], c.free[:len(c.free)-1]
		} else {
			c.space = make([]T, 0, maxSlabLen)
		}
	}
	off := len(c.space)
	c.space = c.space[:off+n]
	return c.space[off : off : off+n]
}

// give takes a drained slab back as space, if it is a full-size one.
func (c *carver[T]) give(slab []T) {
	if cap(slab) == maxSlabLen {
		c.free = append(c.free, slab[:0])
	}
}
