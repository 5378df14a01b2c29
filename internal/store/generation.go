package store

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// Generations: a shard's per-session reading state (the session-id table,
// each session's counters, workflow and attributes, the partition buffers'
// error texts) grows with the sessions it sees, not with its records, so
// spilling the records alone left it in memory: ~320 bytes a session on a
// generated fleet, most of the peak past a million sessions
// (docs/performance.md, "Session 8: bounded reading state"). A spilling
// store gives each shard a budget for that state; past it, the shard
// retires its generation: every partition buffer's records go to the
// spill file, then beside them the buffer's metadata (its sessions' ids,
// counters, workflows, attributes, and its error texts), and the shard
// starts again empty. A session seen again later gets a new index in the
// new generation; Partition joins one session's pieces from every
// generation as it joins those of several shards, so the results are the
// same (the repeat set keys sessions by a hash of their id, so repeats are
// caught on arrival across generations too).

// retiredPart is one retired generation's partition buffer: where its
// records and its metadata are in the spill file.
type retiredPart struct {
	recs []segment
	meta segment
}

// piece is one shard generation's records of one partition, with what
// decoding them needs: its sessions and its error texts.
type piece struct {
	sh      *shard
	pb      *partBuf  // the live generation's buffer: blocks still in memory; nil once retired
	segs    []segment // records in the spill file, before pb's blocks
	ids     []string
	accs    []pieceAcc
	errs    []string // error texts and excerpts 1…; Event ids are errBase onwards
	errBase uint32
}

// pieceAcc is one session of a piece.
type pieceAcc struct {
	n, dups    int
	workflow   uint32 // the shard's names id
	workflowAt Pos
	attrs      []Attr
	merged     int32 // its index in the partition's sessions
	lastTS     int64 // decoding's timestamp state
}

// errID is the partition table's id of the piece's error text v (v > 0).
func (pc *piece) errID(v uint64) uint32 { return pc.errBase + uint32(v) - 1 }

// livePiece is shard sh's live generation's buffer pb. Its ids and
// sessions are carved from sc's arenas: a directory of thousands of small
// files gives a partition a hundred pieces of one session or two, and two
// slices for each were 70,000 allocations a run.
func livePiece(sh *shard, pb *partBuf, sc *Scratch) piece {
	n := len(pb.sess)
	ids, accs := len(sc.pieceIDs), len(sc.pieceAccs)
	sc.pieceIDs = append(sc.pieceIDs, make([]string, n)...)
	sc.pieceAccs = append(sc.pieceAccs, make([]pieceAcc, n)...)
	pc := piece{sh: sh, pb: pb, segs: pb.spilled, ids: sc.pieceIDs[ids : ids+n : ids+n], accs: sc.pieceAccs[accs : accs+n : accs+n]}
	for li, si := range pb.sess {
		a := &sh.accs[si]
		pc.ids[li] = sh.sessionID(si)
		pc.accs[li] = pieceAcc{n: a.n, dups: a.dups, workflow: a.workflow, workflowAt: a.workflowAt, attrs: sh.attrs[si]}
	}
	if pb.errs != nil {
		pc.errs = make([]string, pb.errs.len()-1)
		for i := range pc.errs {
			pc.errs[i] = pb.errs.str(uint32(i + 1))
		}
	}
	return pc
}

// shardBudget is a new shard's budget of reading state: the store's share
// divided among the decoding goroutines, at least 64 KiB (a generation
// costs up to 256 metadata segments) unless the share is smaller.
func (sp *spiller) shardBudget() int64 {
	return max(sp.state/int64(runtime.GOMAXPROCS(0)), min(sp.state, 64<<10))
}

// Generations is how many generations shards retired (tests).
func (m *Memory) Generations() int64 {
	if m.spill == nil {
		return 0
	}
	return m.spill.generations.Load()
}

// retire writes the shard's generation to the spill file (records, then
// each partition buffer's metadata) and starts a new one. If the file
// cannot be written, the generation stays in memory and no shard retires
// again: the results stay exact, only the limit is not kept.
func (s *shard) retire() {
	sp := s.spill
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.off.Load() {
		s.budget = 0
		return
	}
	if err := sp.open(); err != nil {
		sp.fail(fmt.Errorf("creating a spill file: %w", err))
		s.budget = 0
		return
	}
	// The records first, the block being filled too: once written they
	// are segments of their buffer, as spillAll leaves them, so a failure
	// after this point leaves a valid live generation.
	for _, pb := range s.bufs {
		s.mu.Lock()
		if len(pb.cur) > 0 {
			pb.blocks = append(pb.blocks, pb.cur)
		} else if pb.cur != nil {
			sp.inMem.Add(-int64(cap(pb.cur)))
		}
		pb.cur = nil
		take := pb.blocks
		pb.blocks = nil
		s.mu.Unlock()
		if err := sp.writeBlocks(pb, take); err != nil {
			s.mu.Lock()
			pb.blocks = append(take, pb.blocks...)
			s.mu.Unlock()
			sp.fail(err)
			s.budget = 0
			return
		}
	}
	var parts [partitions]retiredPart
	var meta []byte
	for p, i := range s.bufIdx {
		if i == 0 {
			continue
		}
		pb := s.bufs[i-1]
		meta = s.appendMeta(meta[:0], pb)
		seg := segment{off: sp.pos, n: len(meta)}
		if _, err := sp.w.Write(meta); err != nil {
			sp.fail(fmt.Errorf("writing to the spill file: %w", err))
			s.budget = 0
			return
		}
		sp.pos += int64(len(meta))
		sp.written.Add(int64(len(meta)))
		parts[p] = retiredPart{recs: pb.spilled, meta: seg}
	}
	if err := sp.w.Flush(); err != nil {
		// The records are on disk already (writeBlocks flushed them);
		// the metadata is not, so the generation stays live.
		sp.fail(fmt.Errorf("writing to the spill file: %w", err))
		s.budget = 0
		return
	}
	if s.retired == nil {
		s.retired = new([partitions][]retiredPart)
	}
	for p, i := range s.bufIdx {
		if i != 0 {
			s.retired[p] = append(s.retired[p], parts[p])
		}
	}
	s.retiredSess += len(s.accs)
	s.mu.Lock() // the spiller reads bufs under it
	s.bufs, s.bufIdx = nil, [partitions]uint16{}
	s.mu.Unlock()
	recent := s.sessIDs.recent != nil
	s.sessIDs = newSessIDs()
	if recent {
		s.sessIDs.recent = new(recentCache)
	}
	s.accs = s.accs[:0] // no pointers, and no bigger than the budget allowed
	s.attrs = nil
	s.state = 0
	sp.generations.Add(1)
}

// writeBlocks appends blocks to the file as one more segment of pb.
func (sp *spiller) writeBlocks(pb *partBuf, blocks [][]byte) error {
	if len(blocks) == 0 {
		return nil
	}
	seg := segment{off: sp.pos}
	for _, b := range blocks {
		if _, err := sp.w.Write(b); err != nil {
			return fmt.Errorf("writing to the spill file: %w", err)
		}
		seg.n += len(b)
	}
	// Flushed before the segment is recorded: a write that fails in the
	// buffered writer's flush would otherwise lose records a segment
	// already points to (retire keeps the blocks in memory instead).
	if err := sp.w.Flush(); err != nil {
		return fmt.Errorf("writing to the spill file: %w", err)
	}
	freed := int64(0)
	for _, b := range blocks {
		freed += int64(cap(b))
	}
	sp.pos += int64(seg.n)
	sp.written.Add(int64(seg.n))
	pb.spilled = append(pb.spilled, seg)
	sp.inMem.Add(-freed)
	return nil
}

// fail stops spilling with err (sp.mu held).
func (sp *spiller) fail(err error) {
	if sp.err == nil {
		sp.err = err
	}
	sp.off.Store(true)
}

// appendMeta appends the metadata of pb: its sessions in index order
// (id, events, repeats, workflow and where it was named, attributes), then
// its error texts.
//
//	uvarint sessions
//	  uvarint len, id bytes; uvarint events; uvarint repeats
//	  uvarint workflow (the shard's names id); position (3 uvarints)
//	  uvarint attributes; each: uvarint len, key; uvarint len, value; position
//	uvarint texts (the table's less its "")
//	  uvarint len, bytes
func (s *shard) appendMeta(b []byte, pb *partBuf) []byte {
	str := func(b []byte, v string) []byte { return append(binary.AppendUvarint(b, uint64(len(v))), v...) }
	pos := func(b []byte, at Pos) []byte {
		b = binary.AppendUvarint(b, uint64(at.file))
		b = binary.AppendUvarint(b, at.line)
		return binary.AppendUvarint(b, uint64(at.sub))
	}
	b = binary.AppendUvarint(b, uint64(len(pb.sess)))
	for _, si := range pb.sess {
		a := &s.accs[si]
		b = str(b, s.sessionID(si))
		b = binary.AppendUvarint(b, uint64(a.n))
		b = binary.AppendUvarint(b, uint64(a.dups))
		b = binary.AppendUvarint(b, uint64(a.workflow))
		b = pos(b, a.workflowAt)
		attrs := s.attrs[si]
		b = binary.AppendUvarint(b, uint64(len(attrs)))
		for _, at := range attrs {
			b = str(b, at.Key)
			b = str(b, at.Val)
			b = pos(b, at.at)
		}
	}
	n := 0
	if pb.errs != nil {
		n = pb.errs.len() - 1
	}
	b = binary.AppendUvarint(b, uint64(n))
	for i := 1; i <= n; i++ {
		b = str(b, pb.errs.str(uint32(i)))
	}
	return b
}

// readPiece reads back a retired generation's buffer of sh (its records
// are read when decoded). Error texts alias a buffer of their own, which
// the events that use them keep; ids are copied by Partition, attributes
// here. Metadata that cannot be read back, or does not decode to its
// length, is an error: the partition's sessions would be wrong.
func (sp *spiller) readPiece(sh *shard, rp *retiredPart) (piece, error) {
	b, err := sp.readBack([]segment{rp.meta}, nil)
	if err != nil {
		return piece{}, err
	}
	pc := piece{sh: sh, segs: rp.recs}
	i := 0
	bad := false // past the end: every read after gives zeros
	uv := func() uint64 {
		if bad {
			return 0
		}
		v, n := binary.Uvarint(b[i:])
		if n <= 0 {
			bad = true
			return 0
		}
		i += n
		return v
	}
	// count is uv for a number of entries, each at least one byte.
	count := func() int {
		n := uv()
		if n > uint64(len(b)-i) {
			bad = true
			return 0
		}
		return int(n)
	}
	str := func() string {
		n := count()
		if n == 0 {
			return ""
		}
		s := unsafe.String(&b[i], n)
		i += n
		return s
	}
	pos := func() Pos {
		f, l, s := uv(), uv(), uv()
		return Pos{file: uint32(f), line: l, sub: uint32(s)}
	}
	ns := count()
	pc.ids, pc.accs = make([]string, ns), make([]pieceAcc, ns)
	for li := range ns {
		pc.ids[li] = str()
		a := &pc.accs[li]
		a.n, a.dups, a.workflow = int(uv()), int(uv()), uint32(uv())
		a.workflowAt = pos()
		if na := count(); na > 0 {
			a.attrs = make([]Attr, na)
			for j := range a.attrs {
				// Copies: a session's summary keeps its attributes.
				a.attrs[j].Key, a.attrs[j].Val = strings.Clone(str()), strings.Clone(str())
				a.attrs[j].at = pos()
			}
		}
	}
	pc.errs = make([]string, count())
	for j := range pc.errs {
		pc.errs[j] = str()
	}
	if bad || i != len(b) {
		return piece{}, fmt.Errorf("reading spilled records back from %s: session metadata of %d bytes does not decode to its length", sp.opt.where(), len(b))
	}
	return pc, nil
}
