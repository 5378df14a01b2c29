package analyze

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
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
	f      *os.File
	name   string // non-empty while the file has a name to remove
	forget func(string)

	mu    sync.Mutex // guards pos, err and parts' writes
	pos   int64
	err   error // the write that failed; later partitions stay in memory
	parts []sumPart
}

// sumPart is one partition's summaries, sorted by id.
type sumPart struct {
	off, n int64      // on disk: the bytes
	count  int        // how many
	mem    []*Summary // in memory (the file could not be written)
}

// openSumFile creates the summaries' file as the records' spill file is
// created, and unlinks it at once where the OS allows.
func openSumFile(o SpillOptions, nparts int) (*sumFile, error) {
	create := o.Create
	if create == nil {
		create = func(dir string) (*os.File, error) { return os.CreateTemp(dir, ".tokcost-spill-*") }
	}
	f, err := create(o.Dir)
	if err != nil {
		return nil, err
	}
	sf := &sumFile{f: f, name: f.Name(), forget: o.Forget, parts: make([]sumPart, nparts)}
	if os.Remove(sf.name) == nil {
		if sf.forget != nil {
			sf.forget(sf.name)
		}
		sf.name = ""
	}
	return sf, nil
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
		if _, err := sf.f.WriteAt(buf, sf.pos); err != nil {
			sf.err = err
		} else {
			sf.parts[p] = sumPart{off: sf.pos, n: int64(len(buf)), count: len(sessions)}
			sf.pos += int64(len(buf))
			return buf
		}
	}
	sf.parts[p] = sumPart{count: len(sessions), mem: sessions}
	return buf
}

// written is the bytes of summaries on disk.
func (sf *sumFile) written() int64 {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	return sf.pos
}

// release closes and removes the file.
func (sf *sumFile) release() {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if sf.f != nil {
		_ = sf.f.Close() // read back already, or abandoned: nothing to report
		sf.f = nil
	}
	if sf.name != "" {
		_ = os.Remove(sf.name) // unlinked at creation where the OS allows; best effort elsewhere
		if sf.forget != nil {
			sf.forget(sf.name)
		}
		sf.name = ""
	}
}

// sumStream is one partition's summaries being read back.
type sumStream struct {
	r    *bufio.Reader // nil: in memory
	mem  []*Summary
	left int
	buf  []byte
	cur  Summary
	head *Summary
	dec  *sumDecoder
}

func (st *sumStream) next() bool {
	if st.left == 0 {
		return false
	}
	st.left--
	if st.r == nil {
		st.head, st.mem = st.mem[0], st.mem[1:]
		return true
	}
	n, err := binary.ReadUvarint(st.r)
	if err == nil {
		if cap(st.buf) < int(n) {
			st.buf = make([]byte, n)
		}
		st.buf = st.buf[:n]
		_, err = io.ReadFull(st.r, st.buf)
	}
	if err == nil {
		err = st.dec.decode(st.buf, &st.cur)
	}
	if err != nil {
		// Without this session every figure would be wrong.
		panic(fmt.Sprintf("tokcost: reading spilled session summaries back: %v", err))
	}
	st.head = &st.cur
	return true
}

// all yields every summary in id order, merging the partitions. A
// summary read from disk is valid until the next one is yielded (copy it
// to keep it); its Attrs, Loop and CallInputs are its own.
func (sf *sumFile) all() iter.Seq[*Summary] {
	return func(yield func(*Summary) bool) {
		dec := &sumDecoder{names: map[string]string{}}
		var heap []*sumStream
		for _, p := range sf.parts {
			if p.count == 0 {
				continue
			}
			st := &sumStream{mem: p.mem, left: p.count, dec: dec}
			if p.mem == nil {
				st.r = bufio.NewReaderSize(io.NewSectionReader(sf.f, p.off, p.n), 16<<10)
			}
			if st.next() {
				heap = append(heap, st)
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
		for len(heap) > 0 {
			if !yield(heap[0].head) {
				return
			}
			if !heap[0].next() {
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
// list a presence byte first (nil and empty differ). capCosts are not
// written: summaries kept for CapSweep do not spill (Collector.finish).

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
	return b
}

// sumDecoder decodes summaries; names keeps one copy of each workflow,
// model and attribute key, which repeat from session to session.
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
	if len(d.names) < 1<<16 { // a bound: attribute values may be distinct
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
			s.Attrs[k] = d.name()
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
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d bytes left after a summary", len(d.b))
	}
	return d.err
}
