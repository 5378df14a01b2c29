package runsort

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/tokcost/tokcost/ingest"
)

// The external sort (docs/scale.md, "convert"). Records arrive from
// the decoders in any order; the output is every record in input order
// (input, line, record in line). They are kept encoded (AppendRecord) in a
// run buffer of at most RunBytes; a full buffer is sorted by (bucket,
// position) and appended to one temp file as a run, one segment per
// bucket. At the end each bucket's segments, and the buffer's last
// records, are merged by position, so a bucket's records come out in
// exactly the order sorting them all in memory gives. At most maxFanIn
// runs are merged at once: past that the runs are merged into one first,
// so memory does not grow with the input.

const (
	// DefaultRunBytes is the run buffer when --memory-limit allows more.
	DefaultRunBytes = 64 << 20
	// maxFanIn is how many runs are merged at once, each through a
	// mergeReadBuf buffer.
	maxFanIn     = 64
	mergeReadBuf = 64 << 10
	// arenaChunk is the size the run buffer's bytes are allocated in.
	arenaChunk = 1 << 20
	// entBytes is what one sorted entry costs, counted against RunBytes.
	entBytes = 32
)

// Key is a record's input position: the order of the output.
type Key struct {
	Line int64
	File int32
	Sub  int32
}

// Compare orders keys by input, then line, then record in line.
func (a Key) Compare(b Key) int {
	if c := cmp.Compare(a.File, b.File); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Line, b.Line); c != 0 {
		return c
	}
	return cmp.Compare(a.Sub, b.Sub)
}

// sortEnt is one record in the run buffer.
type sortEnt struct {
	key    Key
	chunk  uint32
	off    uint32
	n      uint32
	bucket uint16
}

// segment is one bucket's records of one run in the temp file.
type segment struct{ off, n int64 }

// sortedRun is one sorted run: segs[b] holds bucket b's records.
type sortedRun struct{ segs []segment }

// Sorter holds the run buffer and the temp file. Set Buckets (at least 1,
// at most 65536) and, to spill, RunBytes, Create and Forget; Add the
// records, Finish, MergeBucket each bucket, and Release on every exit path.
type Sorter struct {
	Buckets  int
	RunBytes int64  // 0: never spill
	Dir      string // where the temp file goes; "": the OS's temp directory
	Create   func(dir string) (*os.File, error)
	Forget   func(name string) // the temp file is gone (a signal handler need not remove it)

	chunks [][]byte
	ents   []sortEnt
	used   int64 // bytes of records and entries in the buffer

	f    *os.File
	name string // non-empty while the file has a name to remove
	pos  int64  // the file's length: bytes spilled, compactions included
	w    *bufio.Writer
	runs []sortedRun
}

// Add appends one encoded record (payload is copied) to bucket.
func (s *Sorter) Add(k Key, bucket int, payload []byte) error {
	n := len(payload)
	last := len(s.chunks) - 1
	if last < 0 || len(s.chunks[last])+n > cap(s.chunks[last]) {
		s.chunks = append(s.chunks, make([]byte, 0, max(arenaChunk, n)))
		last++
	}
	c := s.chunks[last]
	s.ents = append(s.ents, sortEnt{key: k, chunk: uint32(last), off: uint32(len(c)), n: uint32(n), bucket: uint16(bucket)})
	s.chunks[last] = append(c, payload...)
	s.used += int64(n) + entBytes
	if s.RunBytes > 0 && s.used >= s.RunBytes {
		return s.spill()
	}
	return nil
}

func (s *Sorter) payload(e *sortEnt) []byte {
	return s.chunks[e.chunk][e.off : e.off+e.n]
}

// sortBuffer orders the buffer by bucket, then position.
func (s *Sorter) sortBuffer() {
	slices.SortFunc(s.ents, func(a, b sortEnt) int {
		if c := cmp.Compare(a.bucket, b.bucket); c != 0 {
			return c
		}
		return a.key.Compare(b.key)
	})
}

// open creates the temp file, unlinked at once where the OS allows (POSIX),
// as internal/store's spill file: it then goes away with the process on
// every exit path; elsewhere release, or the signal handler, removes it.
func (s *Sorter) open() error {
	if s.f != nil {
		return nil
	}
	f, err := s.Create(s.Dir)
	if err != nil {
		return err
	}
	s.f, s.name = f, f.Name()
	if os.Remove(s.name) == nil {
		s.Forget(s.name)
		s.name = ""
	}
	s.w = bufio.NewWriterSize(f, 1<<20)
	return nil
}

// spill writes the buffer as one sorted run and empties it.
func (s *Sorter) spill() error {
	if len(s.ents) == 0 {
		return nil
	}
	if err := s.open(); err != nil {
		return fmt.Errorf("convert: temp file in %s: %w", tempDirName(s.Dir), err)
	}
	s.sortBuffer()
	r := sortedRun{segs: make([]segment, s.Buckets)}
	var hdr []byte
	for i := range s.ents {
		e := &s.ents[i]
		seg := &r.segs[e.bucket]
		if seg.n == 0 {
			seg.off = s.pos
		}
		hdr = appendKeyHeader(hdr[:0], e.key, int(e.n))
		if _, err := s.w.Write(hdr); err != nil {
			return s.writeErr(err)
		}
		if _, err := s.w.Write(s.payload(e)); err != nil {
			return s.writeErr(err)
		}
		k := int64(len(hdr)) + int64(e.n)
		seg.n += k
		s.pos += k
	}
	if err := s.w.Flush(); err != nil {
		return s.writeErr(err)
	}
	s.runs = append(s.runs, r)
	s.ents = s.ents[:0]
	clear(s.chunks)
	s.chunks = s.chunks[:0]
	s.used = 0
	if len(s.runs) >= maxFanIn {
		return s.compact()
	}
	return nil
}

func (s *Sorter) writeErr(err error) error {
	return fmt.Errorf("convert: writing the temp file in %s: %w", tempDirName(s.Dir), err)
}

func tempDirName(dir string) string {
	if dir == "" {
		return os.TempDir()
	}
	return dir
}

// compact merges every run into one, bucket by bucket, appended to the file.
func (s *Sorter) compact() error {
	r := sortedRun{segs: make([]segment, s.Buckets)}
	for b := range s.Buckets {
		start := s.pos
		err := s.mergeBucket(b, false, func(k Key, p []byte) error {
			hdr := appendKeyHeader(nil, k, len(p))
			if _, err := s.w.Write(hdr); err != nil {
				return s.writeErr(err)
			}
			if _, err := s.w.Write(p); err != nil {
				return s.writeErr(err)
			}
			s.pos += int64(len(hdr) + len(p))
			return nil
		})
		if err != nil {
			return err
		}
		r.segs[b] = segment{start, s.pos - start}
	}
	if err := s.w.Flush(); err != nil {
		return s.writeErr(err)
	}
	s.runs = []sortedRun{r}
	return nil
}

// appendKeyHeader writes a record's position and payload length.
func appendKeyHeader(b []byte, k Key, n int) []byte {
	b = binary.AppendUvarint(b, uint64(k.File))
	b = binary.AppendVarint(b, k.Line)
	b = binary.AppendVarint(b, int64(k.Sub))
	return binary.AppendUvarint(b, uint64(n))
}

// Finish sorts the buffer's last records for the merges.
func (s *Sorter) Finish() {
	s.sortBuffer()
}

// cursor reads one sorted sequence of records.
type cursor interface {
	next() (Key, []byte, bool, error) // the payload is valid until the next call
}

// segCursor reads one segment of the temp file.
type segCursor struct {
	r   *bufio.Reader
	buf []byte
}

func (c *segCursor) next() (Key, []byte, bool, error) {
	file, err := binary.ReadUvarint(c.r)
	if err == io.EOF {
		return Key{}, nil, false, nil
	}
	line, err2 := binary.ReadVarint(c.r)
	sub, err3 := binary.ReadVarint(c.r)
	n, err4 := binary.ReadUvarint(c.r)
	if err = errors.Join(err, err2, err3, err4); err != nil || n > math.MaxInt32 || file > math.MaxInt32 {
		return Key{}, nil, false, fmt.Errorf("convert: reading the temp file back: corrupt record header (%v)", err)
	}
	if cap(c.buf) < int(n) {
		c.buf = make([]byte, n)
	}
	c.buf = c.buf[:n]
	if _, err := io.ReadFull(c.r, c.buf); err != nil {
		return Key{}, nil, false, fmt.Errorf("convert: reading the temp file back: %w", err)
	}
	return Key{Line: line, File: int32(file), Sub: int32(sub)}, c.buf, true, nil
}

// memCursor reads one bucket's entries of the sorted buffer.
type memCursor struct {
	s    *Sorter
	ents []sortEnt
}

func (c *memCursor) next() (Key, []byte, bool, error) {
	if len(c.ents) == 0 {
		return Key{}, nil, false, nil
	}
	e := &c.ents[0]
	c.ents = c.ents[1:]
	return e.key, c.s.payload(e), true, nil
}

// bucketEnts is bucket b's part of the sorted buffer.
func (s *Sorter) bucketEnts(b int) []sortEnt {
	lo, _ := slices.BinarySearchFunc(s.ents, b, func(e sortEnt, b int) int { return cmp.Compare(int(e.bucket), b) })
	hi, _ := slices.BinarySearchFunc(s.ents, b+1, func(e sortEnt, b int) int { return cmp.Compare(int(e.bucket), b) })
	return s.ents[lo:hi]
}

// MergeBucket calls emit with bucket b's records in position order, after
// Finish. The payload is valid until emit returns.
func (s *Sorter) MergeBucket(b int, emit func(Key, []byte) error) error {
	return s.mergeBucket(b, true, emit)
}

// mergeBucket calls emit with bucket b's records in position order: the
// spilled runs' segments, and with mem the buffer's records too.
func (s *Sorter) mergeBucket(b int, mem bool, emit func(Key, []byte) error) error {
	var cs []cursor
	for _, r := range s.runs {
		if seg := r.segs[b]; seg.n > 0 {
			cs = append(cs, &segCursor{r: bufio.NewReaderSize(io.NewSectionReader(s.f, seg.off, seg.n), mergeReadBuf)})
		}
	}
	if mem {
		if ents := s.bucketEnts(b); len(ents) > 0 {
			cs = append(cs, &memCursor{s: s, ents: ents})
		}
	}
	// A small heap by hand: the head of each cursor, smallest first; on
	// equal positions (never seen from a reader) the earlier run wins.
	type head struct {
		key Key
		p   []byte
		i   int
	}
	var h []head
	less := func(a, b head) bool {
		if c := a.key.Compare(b.key); c != 0 {
			return c < 0
		}
		return a.i < b.i
	}
	push := func(x head) {
		h = append(h, x)
		for j := len(h) - 1; j > 0; {
			p := (j - 1) / 2
			if !less(h[j], h[p]) {
				break
			}
			h[j], h[p] = h[p], h[j]
			j = p
		}
	}
	down := func() {
		for j := 0; ; {
			l, m := 2*j+1, j
			if l < len(h) && less(h[l], h[m]) {
				m = l
			}
			if l+1 < len(h) && less(h[l+1], h[m]) {
				m = l + 1
			}
			if m == j {
				return
			}
			h[j], h[m] = h[m], h[j]
			j = m
		}
	}
	for i, c := range cs {
		k, p, ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			push(head{k, p, i})
		}
	}
	for len(h) > 0 {
		top := h[0]
		if err := emit(top.key, top.p); err != nil {
			return err
		}
		k, p, ok, err := cs[top.i].next()
		if err != nil {
			return err
		}
		if ok {
			h[0] = head{k, p, top.i}
		} else {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		down()
	}
	return nil
}

// Release closes and removes the temp file.
func (s *Sorter) Release() {
	if s.f != nil {
		_ = s.f.Close() // read back already, or abandoned: nothing to report
		s.f = nil
	}
	if s.name != "" {
		_ = os.Remove(s.name) // unlinked at creation where the OS allows; best effort elsewhere
		s.Forget(s.name)
		s.name = ""
	}
	s.chunks, s.ents, s.runs = nil, nil, nil
}

// AppendRecord appends r's encoding: every field of ingest.Record but File
// (the run's key says which input) and Line and Sub (the key itself), in a
// fixed order. TestCodecRoundTrip fails when a field is added to Record
// and not here.
func AppendRecord(b []byte, r *ingest.Record) []byte {
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	i64 := func(v int64) { b = binary.AppendVarint(b, v) }
	u64 := func(v uint64) { b = binary.AppendUvarint(b, v) }
	f64 := func(v float64) { b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v)) }
	var flags uint64
	for i, on := range [...]bool{r.HasSeq, r.HasCost, r.USOnly, r.Fast, r.SameUnit, r.Replica, r.TSAssumedUTC, r.TSUnreadable, r.ZeroOutputText} {
		if on {
			flags |= 1 << i
		}
	}
	u64(flags)
	str(r.ID)
	str(r.SessionID)
	i64(r.Seq)
	i64(r.TSNano)
	f64(r.DurationMS)
	u64(uint64(r.Kind))
	str(r.Model)
	str(r.Provider)
	for _, v := range [...]int64{r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheWriteTokens, r.CacheWrite1hTokens,
		r.ReasoningTokens, r.AudioInputTokens, r.ImageInputTokens, r.AudioOutputTokens, r.ImageOutputTokens} {
		i64(v)
	}
	str(r.Tool)
	u64(uint64(r.Status))
	str(r.Error)
	u64(uint64(r.ErrorClass))
	str(r.Role)
	str(r.Workflow)
	u64(r.ToolArgsHash)
	u64(r.ToolResultHash)
	str(r.ToolArgsLabel)
	i64(r.ToolResultBytes)
	f64(r.CostUSD)
	u64(uint64(r.ServiceTier))
	i64(r.WebSearchRequests)
	i64(r.Calls)
	i64(r.TokensFromTotal)
	str(r.UnknownUsage)
	// Attributes in key order, so equal records encode equally.
	u64(uint64(len(r.Attrs)))
	if len(r.Attrs) > 0 {
		keys := make([]string, 0, len(r.Attrs))
		for k := range r.Attrs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			str(k)
			str(r.Attrs[k])
		}
	}
	return b
}

var errCorrupt = errors.New("convert: reading the temp file back: corrupt record")

// DecodeRecord fills r from p (AppendRecord's bytes). Its strings share one
// copy of p.
func DecodeRecord(p []byte, r *ingest.Record) error {
	all := string(p)
	pos := 0
	bad := false
	uv := func() uint64 {
		v, n := binary.Uvarint(p[pos:])
		if n <= 0 {
			bad = true
			return 0
		}
		pos += n
		return v
	}
	iv := func() int64 {
		v, n := binary.Varint(p[pos:])
		if n <= 0 {
			bad = true
			return 0
		}
		pos += n
		return v
	}
	str := func() string {
		n := uv()
		if bad || n > uint64(len(p)-pos) {
			bad = true
			return ""
		}
		s := all[pos : pos+int(n)]
		pos += int(n)
		return s
	}
	f64 := func() float64 {
		if len(p)-pos < 8 {
			bad = true
			return 0
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(p[pos:]))
		pos += 8
		return v
	}
	*r = ingest.Record{}
	flags := uv()
	r.HasSeq, r.HasCost, r.USOnly, r.Fast = flags&1 != 0, flags&2 != 0, flags&4 != 0, flags&8 != 0
	r.SameUnit, r.Replica, r.TSAssumedUTC = flags&16 != 0, flags&32 != 0, flags&64 != 0
	r.TSUnreadable, r.ZeroOutputText = flags&128 != 0, flags&256 != 0
	r.ID = str()
	r.SessionID = str()
	r.Seq = iv()
	r.TSNano = iv()
	r.DurationMS = f64()
	r.Kind = ingest.Kind(uv())
	r.Model = str()
	r.Provider = str()
	for _, v := range [...]*int64{&r.InputTokens, &r.OutputTokens, &r.CacheReadTokens, &r.CacheWriteTokens, &r.CacheWrite1hTokens,
		&r.ReasoningTokens, &r.AudioInputTokens, &r.ImageInputTokens, &r.AudioOutputTokens, &r.ImageOutputTokens} {
		*v = iv()
	}
	r.Tool = str()
	r.Status = ingest.Status(uv())
	r.Error = str()
	r.ErrorClass = ingest.ErrorClass(uv())
	r.Role = str()
	r.Workflow = str()
	r.ToolArgsHash = uv()
	r.ToolResultHash = uv()
	r.ToolArgsLabel = str()
	r.ToolResultBytes = iv()
	r.CostUSD = f64()
	r.ServiceTier = ingest.ServiceTier(uv())
	r.WebSearchRequests = iv()
	r.Calls = iv()
	r.TokensFromTotal = iv()
	r.UnknownUsage = str()
	if n := uv(); n > 0 && !bad {
		if n > uint64(len(p)-pos) {
			return errCorrupt
		}
		r.Attrs = make(map[string]string, n)
		for range n {
			k := str()
			r.Attrs[k] = str()
		}
	}
	if bad || pos != len(p) {
		return errCorrupt
	}
	return nil
}
