package store

import (
	"cmp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/tokcost/tokcost/ingest"
)

// Store holds every record of a run, compact, in partitions by session id,
// until the analysis takes them back a partition at a time. Records go in
// through sinks, from any number of decoding goroutines; then Seal, once;
// then each partition is decoded once, from any goroutine, in any order;
// then Release.
type Store interface {
	// Sink returns the sink of one decoding goroutine reading input
	// fileIndex; records remember their input for ordering.
	Sink(fileIndex int) ingest.Sink
	// Seal ends adding: it joins the sinks' string tables and accounts.
	Seal() Sealed
	// Partitions is the number of partitions: fixed, so that sums are
	// added in the same order whatever the number of cores.
	Partitions() int
	// Partition decodes partition p: its sessions in id order, each with
	// its events in the order they were stored (string ids into
	// s.Strings). The result and the slices it holds are s's buffers,
	// valid until s is used again, except the events and s.Strings when
	// s.KeepEvents is set. An error (records spilled to disk that
	// could not be read back) means the partition is incomplete: nothing
	// may be computed from it.
	Partition(p int, s *Scratch) ([]SessionEvents, error)
	// Release drops what is left of the records.
	Release()
}

// Sealed is what a store knows of the whole input once reading is over.
type Sealed struct {
	// Strings is the joint table of names (models, providers, tools,
	// roles, workflows) that Event fields index; Names is its length.
	// Error texts and arguments excerpts are each partition's own, after
	// the names (Scratch.Strings).
	Strings []string
	Names   int
	Counts  InputCounts
	// Examples are the first invalid lines in input order, at most
	// maxExamples.
	Examples []ingest.Note
	// SessionsSeen is the sessions each sink saw, added up: at least the
	// number of sessions (more when several sinks saw one).
	SessionsSeen int
}

// SessionEvents is one session of a partition, joined from every sink that
// saw it.
type SessionEvents struct {
	ID       string
	Workflow uint32 // string id: the workflow named first in input order
	Attrs    []Attr // each the value first in input order
	Events   []Event
	Keys     []Key // Keys[i] is Events[i]'s
	Repeats  int   // repeats of an event id the sinks dropped on arrival, never stored

	n, off, fill int
	workflowAt   Pos
}

// Attr is a session attribute.
type Attr struct {
	Key, Val string
	at       Pos
}

// Scratch is one goroutine's reusable buffers for Partition.
type Scratch struct {
	// KeepEvents makes each partition's events a new array, for a caller
	// that keeps them; otherwise they are reused by the next call.
	KeepEvents bool
	// Strings is, after Partition, the table its events' string ids
	// index: Sealed.Strings, then the partition's error texts,
	// arguments excerpts and unknown usage names (Event.Err,
	// Event.ArgsLabel, Key.UnknownUsage).
	Strings []string

	pieces []piece
	// The live pieces' ids and sessions (livePiece).
	pieceIDs  []string
	pieceAccs []pieceAcc
	refs      []sessRef
	sess      []SessionEvents
	events    []Event
	keys      []Key
	// spilled is the buffer records are read back from the spill file into.
	spilled []byte
}

// sessRef is one piece's session.
type sessRef struct {
	piece int32
	local uint32
}

// Memory is the Store that keeps every partition in memory, encoded in a
// few dozen bytes a record (doc.go).
type Memory struct {
	mu     sync.Mutex
	shards []*shard
	spill  *spiller // nil: never spills
	small  bool     // NewSmall: Seal starts no collection
	names  []string // Sealed.Strings
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{} }

// NewSmall returns an empty in-memory store for a handful of records (one
// session, grouped by a distributed pipeline): its Seal starts no garbage
// collection, which would cost far more than such a store's records.
func NewSmall() *Memory { return &Memory{small: true} }

// Small reports whether m was made by NewSmall.
func (m *Memory) Small() bool { return m.small }

// Sink implements Store.
func (m *Memory) Sink(fileIndex int) ingest.Sink {
	s := newShard(fileIndex)
	s.spill = m.spill
	if m.spill != nil {
		s.budget = m.spill.shardBudget()
	}
	m.mu.Lock()
	m.shards = append(m.shards, s)
	m.mu.Unlock()
	return s
}

// Partitions implements Store.
func (m *Memory) Partitions() int { return partitions }

// Release implements Store.
func (m *Memory) Release() {
	m.shards = nil
	if m.spill != nil {
		m.spill.release()
	}
}

// Seal implements Store.
func (m *Memory) Seal() Sealed {
	// Reading left garbage (decoded strings, buffers) up to the collector's
	// goal; collect it now, while the encoded records are nearly all that
	// is live, so that the sessions made next fit in the heap already
	// mapped instead of growing it (peak RSS -20 MB on the benchmark fleet).
	if !m.small {
		runtime.GC()
	}
	var out Sealed
	out.Strings, out.Names = m.joinStrings()
	m.names = out.Strings
	// The first invalid lines in input order: by input, line, and the
	// order one shard saw them in (notes of one line come from one
	// shard), whichever shard or input finished first.
	type example struct {
		file, seq int
		note      ingest.Note
	}
	var examples []example
	for _, sh := range m.shards {
		out.Counts.add(sh.counts)
		out.SessionsSeen += len(sh.accs) + sh.retiredSess
		for i, n := range sh.examples {
			examples = append(examples, example{sh.fileIndex, i, n})
		}
	}
	slices.SortFunc(examples, func(a, b example) int {
		return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.note.Line, b.note.Line), cmp.Compare(a.seq, b.seq))
	})
	for _, e := range examples[:min(len(examples), maxExamples)] {
		out.Examples = append(out.Examples, e.note)
	}
	return out
}

// joinStrings makes one table of the shards' names and sets each shard's
// remap into it. Names (models, tools…) are joined into one id each: the
// biggest table becomes the joint one, so its names keep their ids and
// only the others are added. Error texts are each partition buffer's
// (Partition puts them after the names); names is the table's length.
func (m *Memory) joinStrings() (strs []string, names int) {
	if len(m.shards) == 0 {
		return []string{""}, 1
	}
	base := 0
	for si, s := range m.shards {
		if s.strs.len() > m.shards[base].strs.len() {
			base = si
		}
	}
	global := m.shards[base].strs
	for si, s := range m.shards {
		remap := make([]uint32, s.strs.len())
		for i := range remap {
			if si == base {
				remap[i] = uint32(i)
			} else {
				remap[i] = global.id(s.strs.str(uint32(i)))
			}
		}
		s.strRemap = remap
	}
	names = global.len()
	strs = make([]string, names)
	for i := range strs {
		strs[i] = global.str(uint32(i))
	}
	for _, s := range m.shards {
		s.strs = nil
	}
	return strs, names
}

// Partition implements Store. Its encoded records are dropped as they are
// decoded, so that their memory can go to the sessions.
func (m *Memory) Partition(p int, sc *Scratch) ([]SessionEvents, error) {
	// The pieces of partition p: each shard's retired generations' (read
	// back from the spill file) and its live one's.
	pieces := sc.pieces[:0]
	sc.pieceIDs, sc.pieceAccs = sc.pieceIDs[:0], sc.pieceAccs[:0]
	defer func() {
		// What they hold is garbage after this partition, or after an
		// error.
		clear(pieces)
		clear(sc.pieceIDs)
		clear(sc.pieceAccs)
		sc.pieces = pieces[:0]
	}()
	for _, sh := range m.shards {
		if sh.retired != nil {
			for i := range sh.retired[p] {
				pc, err := m.spill.readPiece(sh, &sh.retired[p][i])
				if err != nil {
					return nil, err
				}
				pieces = append(pieces, pc)
			}
		}
		if pb := sh.part(p); pb != nil {
			pieces = append(pieces, livePiece(sh, pb, sc))
		}
	}
	// Every piece's sessions, sorted by id, so that a session seen by
	// several shards (or generations) is joined from consecutive entries,
	// and sessions come in id order: which shard saw a session first
	// depends on how the input was split between cores, and the sums the
	// caller makes must not.
	sc.refs = sc.refs[:0]
	total := 0
	for pi := range pieces {
		for li := range pieces[pi].ids {
			sc.refs = append(sc.refs, sessRef{piece: int32(pi), local: uint32(li)})
			total += pieces[pi].accs[li].n
		}
	}
	// The partition's string table: the names, then each piece's texts.
	strs := sc.Strings[:0]
	if sc.KeepEvents {
		strs = nil // the caller keeps it with the events
	}
	strs = append(strs, m.names...)
	for pi := range pieces {
		pc := &pieces[pi]
		pc.errBase = uint32(len(strs))
		strs = append(strs, pc.errs...)
	}
	sc.Strings = strs
	if len(sc.refs) == 0 {
		return nil, nil
	}
	idOf := func(r sessRef) string { return pieces[r.piece].ids[r.local] }
	slices.SortFunc(sc.refs, func(a, b sessRef) int {
		if c := strings.Compare(idOf(a), idOf(b)); c != 0 {
			return c
		}
		return cmp.Compare(a.piece, b.piece)
	})
	sc.sess = sc.sess[:0]
	for i, r := range sc.refs {
		pc := &pieces[r.piece]
		acc := &pc.accs[r.local]
		wf := pc.sh.strRemap[acc.workflow]
		if id := idOf(r); i == 0 || id != idOf(sc.refs[i-1]) {
			// A copy: the interner's blocks (or the spilled metadata)
			// hold many ids, and this one would keep them alive.
			sc.sess = append(sc.sess, SessionEvents{ID: strings.Clone(id), n: acc.n, Workflow: wf, workflowAt: acc.workflowAt,
				Attrs: acc.attrs, Repeats: acc.dups})
		} else {
			dst := &sc.sess[len(sc.sess)-1]
			dst.n += acc.n
			dst.Repeats += acc.dups
			// The workflow named first in input order wins, whichever
			// goroutine (or generation) decoded it; likewise each
			// attribute.
			if wf != 0 && (dst.Workflow == 0 || acc.workflowAt.Before(dst.workflowAt)) {
				dst.Workflow, dst.workflowAt = wf, acc.workflowAt
			}
			for _, a := range acc.attrs {
				dst.Attrs = setAttr(dst.Attrs, a.Key, a.Val, a.at)
			}
		}
		acc.merged = int32(len(sc.sess) - 1)
	}
	off := 0
	for i := range sc.sess {
		sc.sess[i].off = off
		off += sc.sess[i].n
	}
	events := sc.events
	if sc.KeepEvents || cap(events) < total {
		events = make([]Event, total)
	}
	events = events[:total]
	if !sc.KeepEvents {
		sc.events = events
	}
	if cap(sc.keys) < total {
		sc.keys = make([]Key, total)
	}
	keys := sc.keys[:total]
	for pi := range pieces {
		pc := &pieces[pi]
		var spilled []byte
		if len(pc.segs) > 0 {
			var err error
			if sc.spilled, err = m.spill.readBack(pc.segs, sc.spilled); err != nil {
				return nil, err
			}
			spilled = sc.spilled
		}
		pc.decode(spilled, func(e *Event, k Key, si uint32) {
			pd := &sc.sess[pc.accs[si].merged]
			j := pd.off + pd.fill
			pd.fill++
			events[j], keys[j] = *e, k
		})
	}
	// Their memory can go to the sessions now.
	for _, sh := range m.shards {
		if sh.retired != nil {
			sh.retired[p] = nil
		}
		if i := sh.bufIdx[p]; i != 0 {
			sh.bufs[i-1] = nil
		}
	}
	for i := range sc.sess {
		pd := &sc.sess[i]
		pd.Events = events[pd.off : pd.off+pd.n : pd.off+pd.n]
		pd.Keys = keys[pd.off : pd.off+pd.n]
	}
	return sc.sess, nil
}

// IDSet is a reusable open-addressing set of event-id hashes (never 0).
type IDSet struct {
	slots []uint64
	n     int // hashes held, kept by grow only
}

// Reset empties the set, sized for n hashes: clearing costs in proportion
// to n, not to the largest session seen.
func (t *IDSet) Reset(n int) {
	size := 16
	for size < 2*n {
		size *= 2
	}
	if cap(t.slots) < size {
		t.slots = make([]uint64, size)
	}
	t.slots = t.slots[:size]
	clear(t.slots)
}

// grow adds h, doubling the table past half full, and reports whether h
// was new: a set that grows with its contents, for the shards.
func (t *IDSet) grow(h uint64) bool {
	if 2*(t.n+1) > len(t.slots) {
		old := t.slots
		t.slots = make([]uint64, max(16, 2*len(old)))
		for _, x := range old {
			if x != 0 {
				t.Add(x)
			}
		}
	}
	if t.Add(h) {
		t.n++
		return true
	}
	return false
}

// Add reports whether h was new; the set must have been Reset for at
// least as many hashes as it is given.
func (t *IDSet) Add(h uint64) bool {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.slots[i] {
		case h:
			return false
		case 0:
			t.slots[i] = h
			return true
		}
	}
}
