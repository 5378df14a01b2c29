package store

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"sync"
	"unsafe"

	"github.com/tokcost/tokcost/ingest"
)

var idSeed = maphash.MakeSeed()

// recentCache finds a string's id (interned string or session) by the
// string's address (unsafe.StringData): decoders hand over the same model,
// tool and session strings record after record. It earns its keep:
// BenchmarkShardRecord took 0.6 of the time per record with it than with
// it off (median of three paired runs, 2 shared cores, 2026-12-04). Shards allocate theirs only once they have seen
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

// maxErrorKept bounds the error text kept per event: enough to mask and
// show as evidence, never megabytes.
const maxErrorKept = 512

// sessionAcc is what a shard knows of a session besides its records; its
// id is string index+1 of the shard's sessIDs, its attributes (rare) are
// in shard.attrs, so that the accs hold no pointers.
type sessionAcc struct {
	n          int    // events of this session in the shard
	buf        uint16 // the shard's partition buffer for it: index into shard.bufs
	local      uint32 // its index in that buffer's sess: what its records store
	workflow   uint32 // the shard's names id
	workflowAt Pos    // the record that named the workflow
	lastTS     int64  // the timestamp last encoded, which the next one is stored against
	dups       int    // repeats of an event id the shard dropped (shard.repeat)
	// idh is a hash of the session's id: the repeat set keys sessions by
	// it, not by index, so that a repeat is caught the same way whichever
	// generation (retire) the session's first copy is in.
	idh uint64
}

// sessionStateBytes is what a session costs a shard's generation besides
// its id's bytes: its acc (64), the interner's entry and slots (16 to
// 24), its index in the partition buffer (4), and the slices' growth.
const sessionStateBytes = 120

// attrStateBytes is what an attribute costs besides its key and value.
const attrStateBytes = 64

// errBlock caps a partition buffer's blocks of error texts (interner).
const errBlock = 4 << 10

// errStateBytes is what an error text costs besides its bytes.
const errStateBytes = 32

// setAttr keeps the value first in input order.
func setAttr(attrs []Attr, key, val string, at Pos) []Attr {
	for i := range attrs {
		if x := &attrs[i]; x.Key == key {
			if at.Before(x.at) {
				x.Val, x.at = val, at
			}
			return attrs
		}
	}
	return append(attrs, Attr{key, val, at})
}

// partitions is how many groups sessions are hashed into by id. Records
// are stored per group as they are decoded, and Finish turns each group
// into sessions on its own, on any core: nothing is merged serially, and
// only one group's events per core exist in full at once. It is fixed,
// so sums come out the same on any number of cores.
const partitions = 256

// partitionOf hashes a session id (FNV-1a: the same on every run, so
// that float sums are added in the same order every time).
func partitionOf(id string) uint16 {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return uint16(h % partitions)
}

// partBuf holds one shard's encoded records of one partition (the
// encoding is described above shard.Record): about 23 bytes a record
// instead of the 104 of an Event and its key.
type partBuf struct {
	blocks   [][]byte // full blocks, in input order
	cur      []byte
	lastLine int64
	lastSeq  int64
	lastSess uint32    // the session (index into sess) of the last record; hdrSameSess repeats it
	sess     []uint32  // the shard's sessions hashed here; records store an index into it
	spilled  []segment // blocks written to the spill file, before blocks
	// errs are the error texts, argument excerpts and unknown usage
	// names of these records:
	// per partition, so that a partition's records are decoded with its
	// own texts, whether they are in memory or in the spill file. Nil
	// until the first text: a directory of thousands of small files makes
	// tens of thousands of buffers, most with no error text (an empty
	// table was ~180 bytes each, +6 MiB on 5,000 files of 7 sessions).
	errs *interner
}

// Encoded records are appended to blocks that double from firstBlock to
// maxBlock bytes: small inputs (and many small files) stay small.
const (
	firstBlock = 256
	maxBlock   = 16 << 10 // 512 partition buffers leave half a block each unused
	maxEncoded = 208      // more than the longest encoding of one record
)

// Below growInPlace bytes, put grows a partition buffer's block by
// copying it, in powers of two from firstSmallBlock, rather than start a
// new one: a directory of thousands of small files makes tens of thousands
// of buffers of two or three records (about 23 bytes each), and a first
// block of 256 bytes left most of each empty (17 of 70 MiB of live heap on
// 5,000 files of 20 lines, a heap profile). From growInPlace on, blocks
// are chained as room makes them (512, 1024, … bytes): growing by copying
// up to 1 KiB cost a 0.1 GB file (tens of thousands of buffers of about
// 500 bytes, one set per decoded chunk) 8 MiB of peak RSS, a buffer of
// 550 bytes taking 1024 instead of 256 + 512.
const (
	growInPlace     = firstBlock
	firstSmallBlock = 32
)

// put appends rec, one encoded record, to pb: into its block while there
// is room; by growing a block smaller than growInPlace; else into a new
// block, as room starts one.
func (s *shard) put(pb *partBuf, rec []byte) {
	switch {
	case cap(pb.cur)-len(pb.cur) >= len(rec):
		pb.cur = append(pb.cur, rec...)
	case cap(pb.cur) < growInPlace:
		// Only the owner touches cur (the spiller takes full blocks), so
		// the block may move. Powers of two, as room's blocks: each is a
		// size class of its own, so nothing is lost to rounding, and the
		// blocks after it keep to the sizes they had.
		was := cap(pb.cur)
		size := max(firstSmallBlock, 2*was)
		for size-len(pb.cur) < len(rec) {
			size *= 2
		}
		cur := make([]byte, len(pb.cur), size)
		copy(cur, pb.cur)
		pb.cur = append(cur, rec...)
		if s.spill != nil {
			s.spill.grew(size - was)
		}
	default:
		pb.cur = append(s.room(pb), rec...)
	}
}

func (s *shard) room(pb *partBuf) []byte {
	if cap(pb.cur)-len(pb.cur) < maxEncoded {
		size := firstBlock
		if pb.cur != nil {
			if s.spill != nil {
				s.mu.Lock() // the spiller takes full blocks
			}
			pb.blocks = append(pb.blocks, pb.cur)
			if s.spill != nil {
				s.mu.Unlock()
			}
			// At least firstBlock: a block put grew to 32 bytes must not
			// be followed by one too small for the longest record
			// (encodeRow would outgrow it, uncounted).
			size = min(max(2*cap(pb.cur), firstBlock), maxBlock)
		}
		pb.cur = make([]byte, 0, size)
		if s.spill != nil {
			s.spill.grew(size)
		}
	}
	return pb.cur
}

// shard is the ingest.Sink of one decoding goroutine.
type shard struct {
	fileIndex int
	sessIDs   *interner // session ids: string index+1 of accs
	accs      []sessionAcc
	attrs     map[uint32][]Attr // by index into accs
	// The partition buffers the shard has used, and by partition the
	// index+1 of each in bufs (0: none). A shard of one small file uses a
	// few: 256 pointers each would be marked in every collection, and a
	// directory of thousands of files makes thousands of shards.
	bufs     []*partBuf
	bufIdx   [partitions]uint16
	strs     *interner // model, provider, tool and role names
	counts   InputCounts
	examples []ingest.Note

	// ids and lastPos drop repeated events as they arrive (repeat).
	ids     genSet
	lastPos Pos
	// unordered: a record arrived before one already taken in input
	// order (span readers emit a trace at a time), so a repeat can no
	// longer be told from a first copy arriving late: repeat is off.
	unordered bool

	// bids is the repeat set of rows that come in batches (RecordBatch,
	// batchRepeatGeneration).
	bids genSet
	// big is the large sessions' repeat set (repeats.go), of records and
	// batch rows alike: empty until a session is that large.
	big genSet

	// spill, when set, takes full blocks to disk (spill.go); mu guards
	// bufs' growth and each partBuf's blocks against it.
	spill *spiller
	mu    sync.Mutex

	// enc is where Record encodes a record that its block has no room
	// for (put).
	enc [maxEncoded]byte

	// Set by Seal: the joint string id of each of the shard's names.
	strRemap []uint32

	// state is the bytes of per-session reading state the current
	// generation holds (ids, accs, attributes, error texts); past budget
	// (0: never) the shard retires the generation to the spill file
	// (generation.go). retired are the generations retired, by
	// partition (nil until the first).
	state, budget int64
	retired       *[partitions][]retiredPart
	retiredSess   int // sessions of the retired generations
}

func newShard(fileIndex int) *shard {
	return &shard{fileIndex: fileIndex, sessIDs: newSessIDs(), strs: newInterner()}
}

// newSessIDs is an empty session-id table.
func newSessIDs() *interner {
	in := newInterner()
	in.keepEmpty = true // ids are accs' indexes + 1, "" included
	return in
}

// session returns the index of the session with that id, adding it.
func (s *shard) session(id string) uint32 {
	n, added := s.sessIDs.add(id)
	idx := n - 1
	if added {
		p := partitionOf(id)
		if s.bufIdx[p] == 0 {
			if s.spill != nil {
				s.mu.Lock()
			}
			if s.bufs == nil {
				// A small file's few sessions: one allocation, not four.
				s.bufs = make([]*partBuf, 0, 8)
			}
			s.bufs = append(s.bufs, &partBuf{})
			if s.spill != nil {
				s.mu.Unlock()
			}
			s.bufIdx[p] = uint16(len(s.bufs))
		}
		b := s.bufIdx[p] - 1
		pb := s.bufs[b]
		if s.accs == nil {
			s.accs = make([]sessionAcc, 0, 8)
		}
		s.accs = append(s.accs, sessionAcc{buf: b, local: uint32(len(pb.sess)), idh: maphash.String(idSeed, id)})
		pb.sess = append(pb.sess, idx)
		s.state += int64(len(id)) + sessionStateBytes
	}
	return idx
}

// errID interns an error text or excerpt in pb's table.
func (s *shard) errID(pb *partBuf, text string) uint32 {
	if pb.errs == nil {
		if text == "" {
			return 0 // as the table would answer
		}
		pb.errs = newInterner()
		pb.errs.maxBlock = errBlock
	}
	id, added := pb.errs.add(text)
	if added {
		s.state += int64(len(text)) + errStateBytes
	}
	return id
}

// setAttr sets session si's attribute key as setAttr does, counting what
// a new one costs.
func (s *shard) setAttr(si uint32, key, val string, at Pos) {
	if s.attrs == nil {
		s.attrs = map[uint32][]Attr{}
	}
	n := len(s.attrs[si])
	s.attrs[si] = setAttr(s.attrs[si], key, val, at)
	if len(s.attrs[si]) > n {
		s.state += int64(len(key)+len(val)) + attrStateBytes
	}
}

// part returns the shard's buffer of partition p, nil when it has none.
func (s *shard) part(p int) *partBuf {
	if i := s.bufIdx[p]; i != 0 {
		return s.bufs[i-1]
	}
	return nil
}

// sessionID is the id of the shard's session idx.
func (s *shard) sessionID(idx uint32) string { return s.sessIDs.str(idx + 1) }

// The bits of the four bytes that open an encoded record, byte by byte
// (the layout is in doc.go). Each byte has its own names; no bit stands
// for two things.
const (
	// The header byte: the record's flags as they are (bits 0-4, the
	// Flags of the same name), then what the encoder left out.
	hdrHasSeq      = uint8(HasSeq)
	hdrHasTS       = uint8(HasTS)
	hdrHasCost     = uint8(HasCost)
	hdrReplica     = uint8(Replica)
	hdrSameUnit    = uint8(SameUnit)
	hdrRecordFlags = uint8(recordFlags)
	hdrSameSess    = 1 << 5 // the same session as the last record in the buffer: no index follows
	hdrNextLine    = 1 << 6 // the line after the last record's, sub-position 0: no line follows
	hdrHasID       = 1 << 7 // an id hash follows

	// The nums byte: bits 0-5 say which token counts follow.
	numsDur = 1 << 6 // a duration follows
	numsSub = 1 << 7 // a sub-position follows

	// The strs byte: bits 0-4 say which string ids follow.
	strsClass = 1 << 5 // an error class follows
	strsTSms  = 1 << 6 // the timestamp delta is in whole milliseconds
	strsDurMS = 1 << 7 // the duration is in whole milliseconds

	// The kind byte: Kind in bits 0-1, Status in bits 4-5.
	kindNextSeq = 1 << 2 // seq is the last record's seq in the buffer plus one: no seq follows
	kindBilling = 1 << 3 // the billing block follows (after the extras block)
	kindExtra   = 1 << 7 // the extras block follows
	kindShift   = 4
	kindMask    = 1<<2 - 1 // Kind and Status take two bits each

	// The record's timestamp could not be read (Record.TSUnreadable): the
	// analysis counts it for the copy it keeps (Key.TSUnreadable), not the
	// shard on arrival, where a copy Finish drops would count too.
	kindTSUnreadable = 1 << 6

	// The extras block's first byte: what follows of a tool call's
	// arguments and result (bits 0-3), and what the reader noted of the
	// record (bits 4-7). The analysis counts the notes for the copies it
	// keeps (Key), as kindTSUnreadable: counted on arrival, a copy that
	// Finish drops would count too.
	extraArgs       = 1 << 0 // the arguments hash follows
	extraResult     = 1 << 1 // the result hash follows
	extraLabel      = 1 << 2 // the arguments excerpt's text id follows
	extraBytes      = 1 << 3 // the result size follows
	extraAssumedUTC = 1 << 4 // Record.TSAssumedUTC
	extraZeroOutput = 1 << 5 // Record.ZeroOutputText
	extraFromTotal  = 1 << 6 // Record.TokensFromTotal follows
	extraUnknown    = 1 << 7 // Record.UnknownUsage's text id follows

	// The billing block's first byte; bits 0-2 are the service tier.
	billTierMask  = 1<<3 - 1
	billMedia     = 1 << 3 // the media byte and the audio and image token counts follow
	billWebSearch = 1 << 4
	billUSOnly    = 1 << 5
	billCalls     = 1 << 6 // the record is a session's totals: uvarint call count follows
	billFast      = 1 << 7 // Anthropic fast mode

	nsPerMS = 1_000_000
)

// The header's record flags are Flags' own bits, so that decoding copies
// them: these fail to compile if the two drift apart.
var _ = [1]struct{}{}[hdrRecordFlags&(hdrSameSess|hdrNextLine|hdrHasID)]

// No bit of the kind byte stands for two things.
var _ = [1]struct{}{}[kindTSUnreadable&(kindMask|kindMask<<kindShift|kindNextSeq|kindBilling|kindExtra)]

// BorrowsIDs declares that Record keeps only a hash of r.ID
// (ingest.BorrowsIDs): decoders need not copy ids for the analysis.
// The service tier must fit the billing byte's tier bits.
var _ = [billTierMask + 1 - int(ingest.NumServiceTiers)]struct{}{}

func (s *shard) BorrowsIDs() bool { return true }

func (s *shard) Record(r *ingest.Record) {
	if s.counts.Records == recentAfter {
		s.sessIDs.recent, s.strs.recent = new(recentCache), new(recentCache)
	}
	if s.budget > 0 && s.state > s.budget {
		s.retire()
	}
	si := s.session(r.SessionID)
	acc := &s.accs[si]
	if s.repeat(r, acc) {
		acc.dups++
		if !r.SameUnit {
			s.counts.Duplicates++
		}
		// A copy stored for Finish to drop names the session too (a far
		// one, one another goroutine decoded): so must a copy dropped here.
		if r.Workflow != "" || len(r.Attrs) > 0 {
			s.nameSession(si, acc, r)
		}
		return
	}
	pb := s.bufs[acc.buf]
	// Encoded in place when the block has room for the longest record;
	// otherwise into the shard's scratch and then added by put, which
	// sizes a small buffer to its records.
	b, direct := pb.cur, cap(pb.cur)-len(pb.cur) >= maxEncoded
	if !direct {
		b = s.enc[:0]
	}

	var flags, nums, strs uint8
	if r.HasSeq {
		flags |= hdrHasSeq
	}
	if r.TSNano != 0 {
		flags |= hdrHasTS
	}
	if r.HasCost {
		flags |= hdrHasCost
	}
	if r.Replica {
		flags |= hdrReplica
	}
	if r.SameUnit {
		flags |= hdrSameUnit
	} else {
		s.counts.LinesWithRecords++
	}
	if r.ID != "" {
		flags |= hdrHasID
	}
	if acc.local == pb.lastSess { // the decoder also starts from session 0
		flags |= hdrSameSess
	}
	pb.lastSess = acc.local
	tokens := [6]uint32{sat32(r.InputTokens), sat32(r.OutputTokens), sat32(r.CacheReadTokens),
		sat32(r.CacheWriteTokens), sat32(r.CacheWrite1hTokens), sat32(r.ReasoningTokens)}
	for i, t := range tokens {
		if t != 0 {
			nums |= 1 << i
		}
	}
	dur := int64(math.Round(r.DurationMS * 1e6))
	if dur != 0 {
		nums |= numsDur
		if dur%nsPerMS == 0 {
			strs |= strsDurMS
			dur /= nsPerMS
		}
	}
	if r.Sub != 0 {
		nums |= numsSub
	}
	errText := r.Error
	if len(errText) > maxErrorKept {
		errText = errText[:maxErrorKept]
	}
	ids := [5]uint32{s.strs.id(r.Model), s.strs.id(r.Provider), s.strs.id(r.Tool), s.strs.id(r.Role), s.errID(pb, errText)}
	for i, id := range ids {
		if id != 0 {
			strs |= 1 << i
		}
	}
	if r.ErrorClass != 0 {
		strs |= strsClass
	}
	var ts int64
	if flags&hdrHasTS != 0 {
		ts = r.TSNano - acc.lastTS // may wrap (292 years apart): decoding wraps back
		if r.TSNano%nsPerMS == 0 && acc.lastTS%nsPerMS == 0 {
			strs |= strsTSms
			ts = r.TSNano/nsPerMS - acc.lastTS/nsPerMS // exact, where dividing a wrapped difference is not
		}
		acc.lastTS = r.TSNano
	}

	kind := uint8(r.Kind) | uint8(r.Status)<<kindShift
	if r.TSUnreadable {
		kind |= kindTSUnreadable
	}
	webSearches := sat32(max(r.WebSearchRequests, 0))
	calls := min(max(r.Calls, 0), ingest.MaxTotalsCalls) // readers keep to the bound
	media := [4]uint32{sat32(r.AudioInputTokens), sat32(r.ImageInputTokens), sat32(r.AudioOutputTokens), sat32(r.ImageOutputTokens)}
	hasMedia := media != [4]uint32{}
	if r.ServiceTier != 0 || webSearches != 0 || r.USOnly || calls != 0 || r.Fast || hasMedia {
		kind |= kindBilling
	}
	if r.HasSeq {
		if r.Seq == pb.lastSeq+1 {
			kind |= kindNextSeq
		}
		pb.lastSeq = r.Seq
	}
	if r.Line == pb.lastLine+1 && r.Sub == 0 {
		flags |= hdrNextLine
	}
	if r.ToolArgsHash != 0 || r.ToolResultHash != 0 || r.ToolArgsLabel != "" || r.ToolResultBytes != 0 ||
		r.TSAssumedUTC || r.ZeroOutputText || r.TokensFromTotal > 0 || r.UnknownUsage != "" {
		kind |= kindExtra
	}
	b = append(b, flags, nums, strs, kind)
	if flags&hdrSameSess == 0 {
		b = binary.AppendUvarint(b, uint64(acc.local))
	}
	if flags&hdrNextLine == 0 {
		b = binary.AppendVarint(b, r.Line-pb.lastLine)
	}
	pb.lastLine = r.Line
	if nums&numsSub != 0 {
		b = binary.AppendUvarint(b, uint64(uint32(r.Sub)))
	}
	if r.ID != "" {
		b = binary.LittleEndian.AppendUint64(b, maphash.String(idSeed, r.ID)|1) // never 0, which means "no id"
	}
	if r.HasSeq && kind&kindNextSeq == 0 {
		b = binary.AppendVarint(b, r.Seq)
	}
	if flags&hdrHasTS != 0 {
		b = binary.AppendVarint(b, ts)
	}
	if nums&numsDur != 0 {
		b = binary.AppendVarint(b, dur)
	}
	for _, t := range tokens {
		if t != 0 {
			b = binary.AppendUvarint(b, uint64(t))
		}
	}
	if r.HasCost {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(r.CostUSD))
	}
	for _, id := range ids {
		if id != 0 {
			b = binary.AppendUvarint(b, uint64(id))
		}
	}
	if r.ErrorClass != 0 {
		b = append(b, uint8(r.ErrorClass))
	}
	if kind&kindExtra != 0 {
		b = s.appendExtra(b, r, pb)
	}
	if kind&kindBilling != 0 {
		bill := uint8(r.ServiceTier)
		if webSearches != 0 {
			bill |= billWebSearch
		}
		if r.USOnly {
			bill |= billUSOnly
		}
		if calls != 0 {
			bill |= billCalls
		}
		if r.Fast {
			bill |= billFast
		}
		if hasMedia {
			bill |= billMedia
		}
		b = append(b, bill)
		if webSearches != 0 {
			b = binary.AppendUvarint(b, uint64(webSearches))
		}
		if calls != 0 {
			b = binary.AppendUvarint(b, uint64(calls))
		}
		if hasMedia {
			var which uint8
			for j, n := range media {
				if n != 0 {
					which |= 1 << j
				}
			}
			b = append(b, which)
			for _, n := range media {
				if n != 0 {
					b = binary.AppendUvarint(b, uint64(n))
				}
			}
		}
	}
	if direct {
		pb.cur = b
	} else {
		s.put(pb, b)
	}

	acc.n++
	if r.Workflow != "" || len(r.Attrs) > 0 { // a call less for most records
		s.nameSession(si, acc, r)
	}
	s.counts.Records++
}

// decode calls f with each record of piece pc, in the order they were
// encoded: the event (names as joint ids, error texts as pc.errBase
// onwards), its key, and its session (index into pc.accs).
//
// spilled, when not empty, holds the records read back from the spill
// file, which come before those in memory (pc.pb's, when it is live).
func (pc *piece) decode(spilled []byte, f func(e *Event, k Key, si uint32)) {
	s := pc.sh
	var blocks [][]byte
	var cur []byte
	if pc.pb != nil {
		blocks, cur = pc.pb.blocks, pc.pb.cur
	}
	var line, seq int64
	var si uint64
	var e Event
	var k Key
	for bi := -1; bi <= len(blocks); bi++ {
		b := cur
		if bi < 0 {
			b = spilled
		} else if bi < len(blocks) {
			b = blocks[bi]
		}
		for i := 0; i < len(b); {
			flags, nums, strs, kind := b[i], b[i+1], b[i+2], b[i+3]
			i += 4
			e = Event{Kind: ingest.Kind(kind & kindMask), Status: ingest.Status(kind >> kindShift & kindMask), Flags: Flags(flags & hdrRecordFlags)}
			if flags&hdrSameSess == 0 {
				si, i = uvarintAt(b, i)
			}
			var d int64
			if flags&hdrNextLine != 0 {
				line++
			} else {
				d, i = varintAt(b, i)
				line += d
			}
			var sub uint64
			if nums&numsSub != 0 {
				sub, i = uvarintAt(b, i)
			}
			k = Key{Order: PosOf(s.fileIndex, line, int32(sub)), TSUnreadable: kind&kindTSUnreadable != 0}
			if flags&hdrHasID != 0 {
				k.IDHash = binary.LittleEndian.Uint64(b[i:])
				i += 8
			}
			if flags&hdrHasSeq != 0 {
				if kind&kindNextSeq != 0 {
					e.Seq = seq + 1
				} else {
					e.Seq, i = varintAt(b, i)
				}
				seq = e.Seq
			}
			if flags&hdrHasTS != 0 {
				d, i = varintAt(b, i)
				if strs&strsTSms != 0 {
					d *= nsPerMS
				}
				e.TSNano = pc.accs[si].lastTS + d
				pc.accs[si].lastTS = e.TSNano
			}
			if nums&numsDur != 0 {
				e.DurNano, i = varintAt(b, i)
				if strs&strsDurMS != 0 {
					e.DurNano *= nsPerMS
				}
			}
			if nums&(1<<6-1) != 0 {
				tok := [6]*uint32{&e.Input, &e.Output, &e.CacheRead, &e.CacheWrite, &e.CacheWrite1h, &e.Reasoning}
				for j, p := range tok {
					if nums&(1<<j) != 0 {
						var v uint64
						v, i = uvarintAt(b, i)
						*p = uint32(v)
					}
				}
			}
			if flags&hdrHasCost != 0 {
				e.RecordCost = math.Float64frombits(binary.LittleEndian.Uint64(b[i:]))
				i += 8
			}
			if strs&(1<<5-1) != 0 {
				str := [4]*uint32{&e.Model, &e.Provider, &e.Tool, &e.Role}
				for j, p := range str {
					if strs&(1<<j) != 0 {
						var v uint64
						v, i = uvarintAt(b, i)
						*p = s.strRemap[v]
					}
				}
				if strs&(1<<4) != 0 {
					var v uint64
					v, i = uvarintAt(b, i)
					e.Err = pc.errID(v)
				}
			}
			if strs&strsClass != 0 {
				e.Class = ingest.ErrorClass(b[i])
				i++
			}
			if kind&kindExtra != 0 {
				i = pc.decodeExtra(b, i, &e, &k)
			}
			if kind&kindBilling != 0 {
				bill := b[i]
				i++
				e.Tier = ingest.ServiceTier(bill & billTierMask)
				e.USOnly = bill&billUSOnly != 0
				if bill&billFast != 0 {
					e.Flags |= FastMode
				}
				if bill&billWebSearch != 0 {
					var v uint64
					v, i = uvarintAt(b, i)
					e.WebSearches = uint32(v)
				}
				if bill&billCalls != 0 {
					var v uint64
					v, i = uvarintAt(b, i)
					e.Calls = uint16(v)
				}
				if bill&billMedia != 0 {
					which := b[i]
					i++
					for j, p := range [4]*uint32{&e.AudioIn, &e.ImageIn, &e.AudioOut, &e.ImageOut} {
						if which&(1<<j) != 0 {
							var v uint64
							v, i = uvarintAt(b, i)
							*p = uint32(v)
						}
					}
				}
			}
			f(&e, k, uint32(si))
		}
	}
}

// appendExtra appends the extras block of r: its tool-io fields and
// the reader's notes.
func (s *shard) appendExtra(b []byte, r *ingest.Record, pb *partBuf) []byte {
	label := s.errID(pb, r.ToolArgsLabel) // bounded by the reader (ingest.MaxArgsLabel)
	var has uint8
	if r.ToolArgsHash != 0 {
		has |= extraArgs
	}
	if r.ToolResultHash != 0 {
		has |= extraResult
	}
	if label != 0 {
		has |= extraLabel
	}
	if r.ToolResultBytes > 0 {
		has |= extraBytes
	}
	if r.TSAssumedUTC {
		has |= extraAssumedUTC
	}
	if r.ZeroOutputText {
		has |= extraZeroOutput
	}
	if r.TokensFromTotal > 0 {
		has |= extraFromTotal
	}
	// The names as the reader joined them: the analysis splits them when
	// it counts the copy it keeps. Interned with the error texts, so that
	// the partition's records decode with its own table, spilled or not.
	unknown := s.errID(pb, r.UnknownUsage)
	if unknown != 0 {
		has |= extraUnknown
	}
	b = append(b, has)
	if has&extraArgs != 0 {
		b = binary.LittleEndian.AppendUint64(b, r.ToolArgsHash)
	}
	if has&extraResult != 0 {
		b = binary.LittleEndian.AppendUint64(b, r.ToolResultHash)
	}
	if has&extraLabel != 0 {
		b = binary.AppendUvarint(b, uint64(label))
	}
	if has&extraBytes != 0 {
		b = binary.AppendUvarint(b, uint64(sat32(r.ToolResultBytes)))
	}
	if has&extraFromTotal != 0 {
		b = binary.AppendUvarint(b, uint64(r.TokensFromTotal))
	}
	if has&extraUnknown != 0 {
		b = binary.AppendUvarint(b, uint64(unknown))
	}
	return b
}

// decodeExtra reads the block appendExtra wrote at b[i:] into e and k.
func (pc *piece) decodeExtra(b []byte, i int, e *Event, k *Key) int {
	has := b[i]
	i++
	if has&extraArgs != 0 {
		e.ArgsHash = binary.LittleEndian.Uint64(b[i:])
		i += 8
	}
	if has&extraResult != 0 {
		e.ResultHash = binary.LittleEndian.Uint64(b[i:])
		i += 8
	}
	var v uint64
	if has&extraLabel != 0 {
		v, i = uvarintAt(b, i)
		e.ArgsLabel = pc.errID(v)
	}
	if has&extraBytes != 0 {
		v, i = uvarintAt(b, i)
		e.ResultBytes = uint32(v)
	}
	k.TSAssumedUTC = has&extraAssumedUTC != 0
	k.ZeroOutputText = has&extraZeroOutput != 0
	if has&extraFromTotal != 0 {
		v, i = uvarintAt(b, i)
		k.TokensFromTotal = int64(v)
	}
	if has&extraUnknown != 0 {
		v, i = uvarintAt(b, i)
		k.UnknownUsage = pc.errID(v)
	}
	return i
}

// uvarintAt reads an unsigned varint at b[i:], which the shard wrote.
func uvarintAt(b []byte, i int) (uint64, int) {
	c := b[i]
	if c < 0x80 {
		return uint64(c), i + 1
	}
	x := uint64(c & 0x7f)
	for s := uint(7); ; s += 7 {
		i++
		c = b[i]
		if c < 0x80 {
			return x | uint64(c)<<s, i + 1
		}
		x |= uint64(c&0x7f) << s
	}
}

// varintAt reads a zig-zag signed varint (binary.AppendVarint).
func varintAt(b []byte, i int) (int64, int) {
	u, i := uvarintAt(b, i)
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x, i
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

	// What records were read with (docs/json.md): timestamps without a
	// zone read as UTC, timestamps that could not be read (the record is
	// kept, unordered by time), model calls that returned text but report
	// no output tokens, output tokens recovered from a usage total, and
	// usage fields no rule knows, by name.
	TSAssumedUTC       int64            `json:"ts_assumed_utc"`
	TSUnreadable       int64            `json:"ts_unreadable"`
	ZeroOutputCalls    int64            `json:"zero_output_calls"`
	CallsFromTotals    int64            `json:"calls_tokens_from_totals"`
	TokensFromTotals   int64            `json:"tokens_from_totals"`
	UnknownUsageFields map[string]int64 `json:"unknown_usage_fields,omitempty"`
	// Names beyond the first UnknownUsageCap (unknown.go): memory stays
	// bounded whatever keys an input holds.
	UnknownUsageOther *UnknownUsageOther `json:"unknown_usage_fields_other,omitempty"`
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
	c.TSAssumedUTC += o.TSAssumedUTC
	c.TSUnreadable += o.TSUnreadable
	c.ZeroOutputCalls += o.ZeroOutputCalls
	c.CallsFromTotals += o.CallsFromTotals
	c.TokensFromTotals += o.TokensFromTotals
	if len(o.UnknownUsageFields) > 0 || o.UnknownUsageOther != nil {
		c.mergeUnknown(o.UnknownUsageFields, o.UnknownUsageOther)
	}
	for k, v := range o.SkippedByReason {
		if c.SkippedByReason == nil {
			c.SkippedByReason = map[string]int64{}
		}
		c.SkippedByReason[k] += v
	}
}

// nameSession takes r's workflow and attributes for session si, each
// where none was named earlier in input order, whatever order the reader
// emits records in (span readers emit a trace at a time).
func (s *shard) nameSession(si uint32, acc *sessionAcc, r *ingest.Record) {
	if r.Workflow != "" {
		if at := PosOf(s.fileIndex, r.Line, r.Sub); acc.workflow == 0 || at.Before(acc.workflowAt) {
			acc.workflow, acc.workflowAt = s.strs.id(r.Workflow), at
		}
	}
	if len(r.Attrs) > 0 { // ranging over an empty map still costs an iterator
		for key, v := range r.Attrs {
			s.setAttr(si, key, v, PosOf(s.fileIndex, r.Line, r.Sub))
		}
	}
}

// repeat reports whether r repeats an event the shard already holds, so
// it need not be stored: a decompression bomb of one valid line repeated
// billions of times otherwise cost ~23 bytes of store per copy until
// Finish dropped all but the first (12.8 GB for 10 GB of input). Finish
// keeps, of the events of a session sharing an id, the first in input
// order; while records arrive in input order, a later one whose id the
// shard has taken for that session is one Finish would drop, and is
// counted as Finish counts a dropped duplicate. The set holds a hash of
// session, id and output tokens: a copy with other output is kept, since
// Finish's replica rule takes the largest output of the copies; replicas
// themselves are left to Finish, where a non-replica beats them. The set
// remembers the last 8,192 ids at most (repeats.go).
func (s *shard) repeat(r *ingest.Record, acc *sessionAcc) bool {
	if r.ID == "" || s.unordered {
		return false
	}
	pos := PosOf(s.fileIndex, r.Line, r.Sub)
	if pos.Before(s.lastPos) {
		s.unordered, s.ids, s.big = true, genSet{}, genSet{}
		return false
	}
	s.lastPos = pos
	if r.Replica {
		return false
	}
	h := maphash.String(idSeed, r.ID) ^ acc.idh*0x9e3779b97f4a7c15 ^ uint64(sat32(r.OutputTokens))*0xc2b2ae3d27d4eb4f
	h |= 1
	// A record after batch rows (RecordBatch) looks in their set too (the
	// same hash), so that a row's repeat read as a record is dropped here
	// rather than stored until Finish. Either way it counts the same:
	// what a record is counted for is counted by Finish for the copy it
	// keeps (doc.go).
	if s.bids.has(h) {
		return true
	}
	return s.seenID(h, acc.n >= bigSession)
}

// Add adds o's counts to c: the input accounting of two runs over
// disjoint inputs (tokcost merge).
func (c *InputCounts) Add(o InputCounts) { c.add(o) }
