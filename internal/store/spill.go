package store

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"
)

// SpillOptions make a Memory store write its encoded records to a
// temporary file once they take more than Limit bytes in memory.
type SpillOptions struct {
	// Limit is the bytes of encoded records and per-session reading
	// state kept in memory. The state may take SessionState of it, the
	// records the rest; past it, every full block is appended to the
	// spill file and freed.
	Limit int64
	// SessionState is the bytes of per-session reading state (session
	// ids, counters, attributes, error texts) the shards may keep between
	// them before each retires its generation to the spill file
	// (generation.go); 0: a quarter of Limit.
	SessionState int64
	// Dir is where the file is created ("": the OS's temp directory).
	Dir string
	// Create makes the file (nil: os.CreateTemp); Forget is told its name
	// once the file has been unlinked and nothing is left to remove. The
	// command registers the file with its signal handler through them.
	Create func(dir string) (*os.File, error)
	Forget func(name string)
	// Wrap, when set, is what the store reads and writes through instead
	// of the file: tests make writes or reads fail past a number of
	// bytes, as a full or failing disk would.
	Wrap func(File) File
}

// NewSpilling returns an empty store that spills past o.Limit bytes.
// Partition reads spilled records back before those still in memory, in
// the order they were encoded, so results are identical to NewMemory's.
func NewSpilling(o SpillOptions) *Memory {
	m := &Memory{}
	state := o.SessionState
	if state <= 0 {
		state = o.Limit / 4
	}
	o.Limit -= min(state, o.Limit/2) // the records get the rest
	m.spill = &spiller{opt: o, m: m, state: state}
	return m
}

// Spilled is how many bytes of records were written to disk.
func (m *Memory) Spilled() int64 {
	if m.spill == nil {
		return 0
	}
	return m.spill.written.Load()
}

// SpillErr is the error that stopped spilling, if any: the records that
// could not be written stayed in memory, so results are still exact.
func (m *Memory) SpillErr() error {
	if m.spill == nil {
		return nil
	}
	m.spill.mu.Lock()
	defer m.spill.mu.Unlock()
	return m.spill.err
}

// segment is a run of one partition buffer's full blocks in the spill
// file: whole records, in the order they were encoded.
type segment struct {
	off int64
	n   int
}

// spiller writes full blocks to one file, one spill at a time. The owner
// goroutine of a shard only appends to its partition buffers' blocks
// under the shard's lock, and never touches them otherwise until Seal;
// the spiller takes them under the same lock and writes them outside it.
type spiller struct {
	opt   SpillOptions
	m     *Memory
	state int64 // the shards' budget of reading state, between them
	// generations is how many generations shards retired.
	generations atomic.Int64
	inMem       atomic.Int64 // bytes of blocks allocated and not spilled
	off         atomic.Bool  // set once spilling failed
	written     atomic.Int64

	mu  sync.Mutex // one spill at a time; guards the fields below
	f   *TempFile
	pos int64
	w   *bufio.Writer
	err error
}

// grew accounts for a new block of n bytes and spills if the limit is
// passed. Another goroutine already spilling is enough.
func (sp *spiller) grew(n int) {
	if sp.inMem.Add(int64(n)) <= sp.opt.Limit || sp.off.Load() || !sp.mu.TryLock() {
		return
	}
	defer sp.mu.Unlock()
	if err := sp.spillAll(); err != nil {
		sp.err = err
		sp.off.Store(true)
	}
}

func (sp *spiller) open() error {
	if sp.f != nil {
		return nil
	}
	f, err := CreateTemp(sp.opt) // unlinked at once where the OS allows
	if err != nil {
		return err
	}
	sp.f = f
	sp.w = bufio.NewWriterSize(f.f, 1<<20)
	return nil
}

// spillAll writes every shard's full blocks and frees them. A partition
// buffer's blocks become a segment of it only once they are flushed to
// the file; if a write or the flush fails, every buffer whose blocks were
// not flushed gets them back in front of its own, so nothing is lost and
// the results stay exact (the caller stops spilling: SpillErr).
func (sp *spiller) spillAll() error {
	if err := sp.open(); err != nil {
		return fmt.Errorf("creating a spill file: %w", err)
	}
	sp.m.mu.Lock()
	shards := append([]*shard(nil), sp.m.shards...)
	sp.m.mu.Unlock()
	// pending is what was written since the last flush: not on disk yet.
	type written struct {
		sh   *shard
		pb   *partBuf
		take [][]byte
		seg  segment
	}
	var pending []written
	var pendingBytes int
	pos := sp.pos
	putBack := func() {
		for _, p := range pending {
			p.sh.mu.Lock()
			p.pb.blocks = append(p.take, p.pb.blocks...)
			p.sh.mu.Unlock()
		}
	}
	flush := func() error {
		if err := sp.w.Flush(); err != nil {
			putBack()
			return fmt.Errorf("writing to the spill file: %w", err)
		}
		for _, p := range pending {
			var freed int64
			for _, b := range p.take {
				freed += int64(cap(b))
			}
			sp.written.Add(int64(p.seg.n))
			p.pb.spilled = append(p.pb.spilled, p.seg)
			sp.inMem.Add(-freed)
		}
		sp.pos = pos
		clear(pending) // the blocks are garbage once written
		pending, pendingBytes = pending[:0], 0
		return nil
	}
	for _, sh := range shards {
		sh.mu.Lock()
		bufs := sh.bufs // the owner only appends: these stay valid
		sh.mu.Unlock()
		for _, pb := range bufs {
			sh.mu.Lock()
			take := pb.blocks
			pb.blocks = nil
			sh.mu.Unlock()
			if len(take) == 0 {
				continue
			}
			seg := segment{off: pos}
			for _, b := range take {
				if _, err := sp.w.Write(b); err != nil {
					// Put them back in front, with those not flushed
					// yet: nothing is lost, it stays in memory.
					pending = append(pending, written{sh, pb, take, seg})
					putBack()
					return fmt.Errorf("writing to the spill file: %w", err)
				}
				seg.n += len(b)
			}
			pos += int64(seg.n)
			pending = append(pending, written{sh, pb, take, seg})
			if pendingBytes += seg.n; pendingBytes >= sp.w.Size() {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// readBack reads segments segs into buf, in order. An error means records
// are missing: the caller must not compute anything from the partition.
func (sp *spiller) readBack(segs []segment, buf []byte) ([]byte, error) {
	n := 0
	for _, s := range segs {
		n += s.n
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	at := 0
	for _, s := range segs {
		if _, err := sp.f.ReadAt(buf[at:at+s.n], s.off); err != nil {
			return buf, fmt.Errorf("reading spilled records back from %s: %w", sp.opt.where(), err)
		}
		at += s.n
	}
	return buf, nil
}

// where names the directory of the spill file for error messages.
func (o SpillOptions) where() string {
	dir := o.Dir
	if dir == "" {
		dir = os.TempDir()
	}
	return "a temp file in " + dir
}

// release closes and removes the file.
func (sp *spiller) release() {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.off.Store(true)
	sp.opt.Limit = math.MaxInt64
	if sp.f != nil {
		sp.f.Release()
		sp.f = nil
	}
}
