package analyze

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/tokcost/tokcost/internal/store"
)

// Summaries past their share of --memory-limit go to disk (docs/scale.md,
// "One machine: spilling to disk"): Finish writes each partition's
// summaries, sorted by id, to a temporary file, and every pass of the
// report reads the partitions back merged by id (Summaries.All), so each
// pass sees the sessions in the order the in-memory slice has them and
// adds them up in the same order: the outputs are byte-identical.

// summaryBytes is about what one session's summary takes in memory on a
// generated fleet (docs/scale.md): the estimate that decides whether the
// summaries would pass their share of the limit.
const summaryBytes = 512

// sumFile is the file the summaries were spilled to, and where each
// partition's are: on disk (a segment), or in memory when writing failed.
type sumFile struct {
	f *store.TempFile
	// ctx, when set, ends every read-back pass early once done (the
	// caller then discards what the pass returned).
	ctx context.Context

	mu    sync.Mutex // guards err, rerr and parts' writes
	err   error      // the write that failed; later partitions stay in memory
	parts []sumPart
	// rerr is the first summary that could not be read back: every pass
	// after it yields nothing, and what the pass it cut short returned
	// must not be used (Summaries.Err).
	rerr error
}

// failRead records a read-back failure (the first one is kept).
func (sf *sumFile) failRead(err error) {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if sf.rerr == nil {
		sf.rerr = fmt.Errorf("reading spilled session summaries back from %s: %w", sf.f.Where(), err)
	}
}

// readErr is the first read-back failure, if any.
func (sf *sumFile) readErr() error {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	return sf.rerr
}

// sumPart is one partition's summaries, sorted by id.
type sumPart struct {
	off, n int64      // on disk: the bytes
	count  int        // how many
	mem    []*Summary // in memory (the file could not be written)
}

// openSumFile creates the summaries' file as the records' spill file is
// created, and unlinked at once where the OS allows (store.TempFile).
func openSumFile(o SpillOptions, nparts int) (*sumFile, error) {
	f, err := store.CreateTemp(o)
	if err != nil {
		return nil, err
	}
	return &sumFile{f: f, parts: make([]sumPart, nparts)}, nil
}

// put writes partition p's summaries (sorted by id), encoded into buf;
// if the file cannot be written they stay in memory, and the results are
// the same. It returns buf for reuse.
func (sf *sumFile) put(p int, sessions []*Summary, buf []byte) []byte {
	buf = buf[:0]
	for _, s := range sessions {
		buf = appendSummaryFrame(buf, s)
	}
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if sf.err == nil {
		if off, err := sf.f.Append(buf); err != nil {
			sf.err = err
		} else {
			sf.parts[p] = sumPart{off: off, n: int64(len(buf)), count: len(sessions)}
			return buf
		}
	}
	sf.parts[p] = sumPart{count: len(sessions), mem: sessions}
	return buf
}

// written is the bytes of summaries on disk.
func (sf *sumFile) written() int64 { return sf.f.Size() }

// release closes and removes the file.
func (sf *sumFile) release() { sf.f.Release() }

// sumStream is one partition's summaries being read back.
type sumStream struct {
	r    *bufio.Reader // nil: in memory
	mem  []*Summary
	left int
	cur  Summary
	head *Summary
	at   sumAt // where head is
	pos  int64 // the file offset r reads next
	dec  *sumDecoder
	sf   *sumFile
	// failed: a summary could not be read back (sf.rerr): the pass stops.
	failed bool
}

// sumAt is where one summary is: its frame in the file (off, n bytes,
// length included), or in memory (the file could not be written).
type sumAt struct {
	off, n int64
	mem    *Summary
}

func (st *sumStream) next() bool {
	if st.left == 0 {
		return false
	}
	st.left--
	if st.r == nil {
		st.head, st.mem = st.mem[0], st.mem[1:]
		st.at = sumAt{mem: st.head}
		return true
	}
	n, err := binary.ReadUvarint(st.r)
	if err == nil {
		frame := int64(uvarintLen(n)) + int64(n)
		st.at = sumAt{off: st.pos, n: frame}
		st.pos += frame
		// Decoded from the reader's buffer when it fits (decode copies
		// what it keeps), so no stream holds a buffer as large as its
		// largest summary; a larger one is read into its own.
		var b []byte
		if n <= uint64(st.r.Size()) {
			b, err = st.r.Peek(int(n))
			if err == nil {
				err = st.dec.decode(b, &st.cur)
				_, _ = st.r.Discard(int(n)) // peeked: cannot fail
			}
		} else {
			b = make([]byte, n)
			if _, err = io.ReadFull(st.r, b); err == nil {
				err = st.dec.decode(b, &st.cur)
			}
		}
	}
	if err != nil {
		// Without this session every figure would be wrong: the pass
		// stops, and its caller checks Summaries.Err.
		st.sf.failRead(err)
		st.failed = true
		return false
	}
	st.head = &st.cur
	return true
}

// readerPool keeps the passes' 16 KiB read buffers (one a partition,
// 4 MiB for 256) from one pass to the next, rather than make them anew.
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}

// uvarintLen is how many bytes binary.AppendUvarint writes for v.
func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// all yields every summary in id order, merging the partitions. A
// summary read from disk is valid until the next one is yielded (copy it
// to keep it); its Attrs, Loop, CallInputs and call costs are its own.
func (sf *sumFile) all() iter.Seq[*Summary] {
	return func(yield func(*Summary) bool) {
		for s := range sf.allAt() {
			if !yield(s) {
				return
			}
		}
	}
}

// allAt is all, with where each summary is (for reading it again).
func (sf *sumFile) allAt() iter.Seq2[*Summary, sumAt] {
	return func(yield func(*Summary, sumAt) bool) {
		if sf.readErr() != nil {
			return // an earlier pass failed: nothing read now may be used
		}
		dec := &sumDecoder{names: map[string]string{}}
		var heap []*sumStream
		for _, p := range sf.parts {
			if p.count == 0 {
				continue
			}
			st := &sumStream{mem: p.mem, left: p.count, dec: dec, pos: p.off, sf: sf}
			if p.mem == nil {
				st.r = readerPool.Get().(*bufio.Reader)
				st.r.Reset(sf.f.Section(p.off, p.n))
				defer readerPool.Put(st.r)
			}
			if st.next() {
				heap = append(heap, st)
			} else if st.failed {
				return
			}
		}
		less := func(i, j int) bool { return heap[i].head.ID < heap[j].head.ID }
		down := func(k int) {
			for {
				w := k
				for _, c := range []int{2*k + 1, 2*k + 2} {
					if c < len(heap) && less(c, w) {
						w = c
					}
				}
				if w == k {
					return
				}
				heap[k], heap[w] = heap[w], heap[k]
				k = w
			}
		}
		for k := len(heap)/2 - 1; k >= 0; k-- {
			down(k)
		}
		for i := 0; len(heap) > 0; i++ {
			if i%1024 == 1023 && sf.ctx != nil && sf.ctx.Err() != nil {
				return
			}
			if !yield(heap[0].head, heap[0].at) {
				return
			}
			if !heap[0].next() {
				if heap[0].failed {
					return
				}
				heap[0] = heap[len(heap)-1]
				heap = heap[:len(heap)-1]
			}
			down(0)
		}
	}
}

// spillSummaries writes partition p's summaries to sf and drops them.
func spillSummaries(sf *sumFile, p int, res *partResult, buf []byte) []byte {
	sums := make([]*Summary, len(res.sessions))
	for i, s := range res.sessions {
		sums[i] = &s.Summary
	}
	slices.SortFunc(sums, func(a, b *Summary) int { return strings.Compare(a.ID, b.ID) })
	buf = sf.put(p, sums, buf)
	res.sessions = nil
	return buf
}

// The encoding: each summary is its length (uvarint) and its fields in
// the order of the struct; integers are varints, floats their 8 bits
// (exact), strings and lists a length and their bytes, a pointer, map or
// list a presence byte first (nil and empty differ). The call costs kept
// for CapSweep (Config.KeepCapCosts) are written last, as their float64
// bits: exact, 8 bytes a model call.

func appendSummaryFrame(b []byte, s *Summary) []byte {
	at := len(b)
	b = appendSummary(b, s)
	n := len(b) - at
	var hdr [binary.MaxVarintLen64]byte
	h := binary.PutUvarint(hdr[:], uint64(n))
	b = append(b, hdr[:h]...)
	copy(b[at+h:], b[at:at+n])
	copy(b[at:], hdr[:h])
	return b
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendF64(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendSummary(b []byte, s *Summary) []byte {
	b = appendStr(b, s.ID)
	b = appendStr(b, s.Workflow)
	if s.Attrs == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(s.Attrs)))
		for k, v := range s.Attrs {
			b = appendStr(b, k)
			b = appendStr(b, v)
		}
	}
	for _, v := range [...]int64{int64(s.LLMCalls), int64(s.ToolCalls), int64(s.ToolErrors), int64(s.Duplicates),
		int64(s.repeats), int64(s.UnpricedCalls)} {
		b = binary.AppendVarint(b, v)
	}
	b = appendBool(b, s.TimedOut)
	b = appendBool(b, s.TotalsOnly)
	t := &s.Tokens
	for _, v := range [...]int64{s.UnpricedTokens, t.Input, t.Output, t.CacheRead, t.CacheWrite, t.Reasoning,
		t.AudioInput, t.ImageInput, t.AudioOutput, t.ImageOutput} {
		b = binary.AppendVarint(b, v)
	}
	b = appendF64(b, s.CostUSD)
	for _, v := range [...]int64{s.StartNano, s.EndNano, s.MaxCallInput} {
		b = binary.AppendVarint(b, v)
	}
	b = appendStr(b, s.Model)
	if l := s.Loop; l == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = appendStr(b, l.SessionID)
		b = appendStr(b, l.Workflow)
		b = appendBool(b, l.UnderTimeout)
		b = appendF64(b, l.DurationS)
		for _, v := range [...]string{l.Signal, l.Shape, l.Evidence} {
			b = appendStr(b, v)
		}
		b = binary.AppendVarint(b, int64(l.LoopStartCall))
		b = appendStr(b, l.LoopStartTS)
		b = binary.AppendVarint(b, int64(l.Repeats))
		for _, v := range [...]string{l.Tool, l.ErrorSignature, l.ErrorExample, l.ArgsExample} {
			b = appendStr(b, v)
		}
		for _, v := range [...]int64{l.ResultBytes, int64(l.DistinctArgs), l.ContextTokensStart, l.ContextTokensEnd,
			int64(l.WastedCalls), l.WastedTokens} {
			b = binary.AppendVarint(b, v)
		}
		b = appendF64(b, l.WastedCostUSD)
		b = appendF64(b, l.SessionCostUSD)
		b = appendF64(b, l.WastedShareOfSession)
		b = appendStr(b, l.Ended)
		b = binary.AppendVarint(b, int64(l.Loops))
	}
	if s.CallInputs == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(s.CallInputs)))
		for _, v := range s.CallInputs {
			b = binary.AppendUvarint(b, uint64(v))
		}
	}
	if cc := s.capCosts; cc == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(cc.calls)))
		for _, c := range cc.calls {
			b = appendF64(b, c)
		}
		b = binary.AppendUvarint(b, uint64(len(cc.other)))
		for _, o := range cc.other {
			b = binary.AppendUvarint(b, uint64(o.afterCall))
			b = appendF64(b, o.cost)
		}
	}
	return b
}

// sumDecoder decodes summaries; names keeps one copy of each workflow,
// model, attribute key and loop label, which repeat from session to
// session.
type sumDecoder struct {
	names map[string]string
	b     []byte
	err   error
}

var errShortSummary = fmt.Errorf("truncated summary")

func (d *sumDecoder) fail() {
	if d.err == nil {
		d.err = errShortSummary
	}
	d.b = nil
}

func (d *sumDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *sumDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *sumDecoder) byte1() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *sumDecoder) f64() float64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *sumDecoder) raw() []byte {
	n := d.uvarint()
	if uint64(len(d.b)) < n {
		d.fail()
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *sumDecoder) str() string { return string(d.raw()) }

// name is str for the strings that repeat across sessions.
func (d *sumDecoder) name() string {
	r := d.raw()
	if s, ok := d.names[string(r)]; ok {
		return s
	}
	s := string(r)
	if len(d.names) < 1<<10 { // a bound: tool names may be many (each pass has its own decoder)
		d.names[s] = s
	}
	return s
}

func (d *sumDecoder) decode(b []byte, s *Summary) error {
	d.b, d.err = b, nil
	*s = Summary{}
	s.ID = d.str()
	s.Workflow = d.name()
	if d.byte1() == 1 {
		n := int(d.uvarint())
		s.Attrs = make(map[string]string, min(n, len(d.b)))
		for range n {
			k := d.name()
			s.Attrs[k] = d.str() // values are often each session's own: not kept in names
		}
	}
	s.LLMCalls, s.ToolCalls, s.ToolErrors = int(d.varint()), int(d.varint()), int(d.varint())
	s.Duplicates, s.repeats, s.UnpricedCalls = int(d.varint()), int(d.varint()), int(d.varint())
	s.TimedOut, s.TotalsOnly = d.byte1() == 1, d.byte1() == 1
	s.UnpricedTokens = d.varint()
	t := &s.Tokens
	t.Input, t.Output, t.CacheRead, t.CacheWrite, t.Reasoning = d.varint(), d.varint(), d.varint(), d.varint(), d.varint()
	t.AudioInput, t.ImageInput, t.AudioOutput, t.ImageOutput = d.varint(), d.varint(), d.varint(), d.varint()
	s.CostUSD = d.f64()
	s.StartNano, s.EndNano, s.MaxCallInput = d.varint(), d.varint(), d.varint()
	s.Model = d.name()
	if d.byte1() == 1 {
		l := &RunawaySession{}
		l.SessionID, l.Workflow = d.str(), d.name()
		l.UnderTimeout = d.byte1() == 1
		l.DurationS = d.f64()
		l.Signal, l.Shape, l.Evidence = d.name(), d.name(), d.str()
		l.LoopStartCall = int(d.varint())
		l.LoopStartTS = d.str()
		l.Repeats = int(d.varint())
		l.Tool, l.ErrorSignature, l.ErrorExample, l.ArgsExample = d.name(), d.str(), d.str(), d.str()
		l.ResultBytes, l.DistinctArgs = d.varint(), int(d.varint())
		l.ContextTokensStart, l.ContextTokensEnd = d.varint(), d.varint()
		l.WastedCalls, l.WastedTokens = int(d.varint()), d.varint()
		l.WastedCostUSD, l.SessionCostUSD, l.WastedShareOfSession = d.f64(), d.f64(), d.f64()
		l.Ended = d.name()
		l.Loops = int(d.varint())
		s.Loop = l
	}
	if d.byte1() == 1 {
		n := int(d.uvarint())
		s.CallInputs = make([]uint32, 0, min(n, len(d.b)))
		for range n {
			s.CallInputs = append(s.CallInputs, uint32(d.uvarint()))
		}
	}
	if d.byte1() == 1 {
		cc := &capCosts{}
		n := int(d.uvarint())
		cc.calls = make([]float64, 0, min(n, len(d.b)/8))
		for range n {
			cc.calls = append(cc.calls, d.f64())
		}
		if n := int(d.uvarint()); n > 0 {
			cc.other = make([]otherCost, 0, min(n, len(d.b)/9))
			for range n {
				cc.other = append(cc.other, otherCost{afterCall: int(d.uvarint()), cost: d.f64()})
			}
		}
		s.capCosts = cc
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d bytes left after a summary", len(d.b))
	}
	return d.err
}

// runawayList is the list of runaway sessions when the summaries were
// spilled: the sort keys alone stay in memory (40 bytes a runaway
// session), and each session's evidence is read back from its summary in
// the file, in the list's order, when the report is written.
type runawayList struct {
	file *sumFile
	keys []runawayKey
}

// runawayKey is one runaway session's place in the list: its wasted
// dollars, its rank in id order (ids are unique, so ties on the dollars
// are broken as by id), and where its summary is.
type runawayKey struct {
	wasted float64
	rank   int
	at     sumAt
}

// runawaySpilled is runawayOf for summaries on disk: the totals added up
// in id order as the summaries are read back (runawayAcc, as runawayOf),
// the list kept as sort keys.
func runawaySpilled(sf *sumFile, n int, cfg LoopConfig) Runaway {
	acc := newRunawayAcc(cfg, n)
	acc.costs = make([]float64, 0, n)
	var keys []runawayKey
	rank := 0
	for s, at := range sf.allAt() {
		if acc.add(s.CostUSD, s.Loop) {
			keys = append(keys, runawayKey{wasted: s.Loop.WastedCostUSD, rank: rank, at: at})
		}
		rank++
	}
	r := acc.result()
	slices.SortFunc(keys, func(a, b runawayKey) int {
		switch {
		case a.wasted > b.wasted:
			return -1
		case a.wasted < b.wasted:
			return 1
		}
		return a.rank - b.rank
	})
	r.onDisk = &runawayList{file: sf, keys: slices.Clip(keys)}
	return r
}

// Len is how many runaway sessions r lists (Count, for lists Finish made).
func (r *Runaway) Len() int {
	if r.onDisk != nil {
		return len(r.onDisk.keys)
	}
	return len(r.Sessions)
}

// OnDisk reports whether the list stayed on disk with the spilled
// summaries: Sessions is nil, and All, Head and Len give the list.
func (r *Runaway) OnDisk() bool { return r.onDisk != nil }

// All yields the runaway sessions in the list's order: Sessions, or each
// read back from the summaries' file (valid until the next is yielded).
// The file must not have been released (Summaries.Release).
func (r *Runaway) All() iter.Seq[*RunawaySession] {
	if r.onDisk == nil {
		return func(yield func(*RunawaySession) bool) {
			for i := range r.Sessions {
				if !yield(&r.Sessions[i]) {
					return
				}
			}
		}
	}
	l := r.onDisk
	return func(yield func(*RunawaySession) bool) {
		if l.file.readErr() != nil {
			return // a pass failed: nothing read now may be used
		}
		dec := &sumDecoder{names: map[string]string{}}
		var buf []byte
		var s Summary
		for _, k := range l.keys {
			if k.at.mem != nil {
				if !yield(k.at.mem.Loop) {
					return
				}
				continue
			}
			if int64(cap(buf)) < k.at.n {
				buf = make([]byte, k.at.n)
			}
			buf = buf[:k.at.n]
			_, err := l.file.f.ReadAt(buf, k.at.off)
			if err == nil {
				_, h := binary.Uvarint(buf)
				if h <= 0 {
					err = errShortSummary
				} else {
					err = dec.decode(buf[h:], &s)
				}
			}
			if err == nil && s.Loop == nil {
				err = fmt.Errorf("session %q has no loop", s.ID)
			}
			if err != nil {
				// Without this session the list would be wrong: it
				// stops here, and the caller checks Summaries.Err.
				l.file.failRead(fmt.Errorf("runaway session at %d: %w", k.at.off, err))
				return
			}
			if !yield(s.Loop) {
				return
			}
		}
	}
}

// Head is a copy of the first n runaway sessions (all when there are
// fewer).
func (r *Runaway) Head(n int) []RunawaySession {
	out := make([]RunawaySession, 0, max(0, min(n, r.Len())))
	if n <= 0 {
		return out
	}
	for rs := range r.All() {
		out = append(out, *rs)
		if len(out) == n {
			break
		}
	}
	return out
}

// capsPerPass is how many caps one read of spilled summaries sweeps: each
// keeps every session's cost after the cap (8 bytes a session) while the
// pass lasts, so a pass of four keeps 32 bytes a session, besides the 8
// of the costs before.
const capsPerPass = 4

// capSweepSpilled is CapSweep over summaries on disk: the same
// arithmetic as capResult, in the same order (sessions in id order, the
// costs after sorted by distributeInPlace as summarize sorts its copy),
// capsPerPass caps per read of the file. A session loops when its
// summary has a Loop: the list Runaway was made from (FinishSummaries).
func capSweepSpilled(d *Summaries, caps []int) []CapResult {
	base := make([]float64, 0, d.n)
	for s := range d.All() {
		base = append(base, s.CostUSD)
	}
	total := Distribute(base).Total
	out := make([]CapResult, len(caps))
	after := make([][]float64, min(capsPerPass, len(caps)))
	for g := range after {
		after[g] = make([]float64, len(base))
	}
	for lo := 0; lo < len(caps); lo += capsPerPass {
		group := caps[lo:min(lo+capsPerPass, len(caps))]
		res := out[lo : lo+len(group)]
		for g, c := range group {
			res[g] = CapResult{Cap: c}
		}
		healthy, i := 0, 0
		for s := range d.All() {
			runaway := s.Loop != nil
			if !runaway && !s.TotalsOnly {
				healthy++
			}
			for g, c := range group {
				after[g][i] = base[i]
				if s.LLMCalls <= c || s.TotalsOnly { // no call's cost is known to cut
					continue
				}
				saved := droppedCost(s, nil, c)
				r := &res[g]
				after[g][i] -= saved
				r.CostSavedUSD += saved
				r.SessionsCut++
				if runaway {
					r.RunawaySessionsCut++
				} else {
					r.HealthySessionsCut++
				}
			}
			i++
		}
		for g := range group {
			r := &res[g]
			if healthy > 0 {
				r.HealthySessionsCutShare = float64(r.HealthySessionsCut) / float64(healthy)
			}
			as := distributeInPlace(after[g][:i])
			r.TotalCostUSDAfter, r.P95CostUSDAfter, r.P99CostUSDAfter = as.Total, as.P95, as.P99
			if total > 0 {
				r.SavedShare = r.CostSavedUSD / total
			}
		}
	}
	return out
}

// recommendCapSpilled is RecommendCap over summaries on disk, with the
// sessions' own loops (FinishSummaries made d.Runaway from them).
func recommendCapSpilled(d *Summaries, share float64) (int, bool) {
	healthy := []int{}
	for s := range d.All() {
		if s.Loop == nil && !s.TotalsOnly {
			healthy = append(healthy, s.LLMCalls)
		}
	}
	return recommendCap(healthy, share)
}

// KeptCallCosts reports whether every session kept its model calls'
// costs (Config.KeepCapCosts, or NewSummaries of sessions that all have
// them): what CapSweep needs.
func (d *Summaries) KeptCallCosts() bool { return d.capCosts }
