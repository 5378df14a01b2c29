package store

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"unsafe"

	"github.com/tokcost/tokcost/ingest"
)

// RecordBatch implements ingest.BatchSink: each row of b is stored as
// Record would store it (the same bytes, counts and repeats), without a
// Record or a call per row. A run of rows of one session (a columnar
// file keeps a session's rows together) resolves the session once.
func (s *shard) RecordBatch(b *ingest.Batch) {
	var (
		prevSess string
		prevSI   uint32
		havePrev bool
		names    [4]nameCache // model, provider, tool, role
	)
	for k := 0; k < b.N; k++ {
		if s.counts.Records == recentAfter {
			s.sessIDs.recent, s.strs.recent = new(recentCache), new(recentCache)
		}
		if s.budget > 0 && s.state > s.budget {
			s.retire()
			havePrev = false // its index is the old generation's
		}
		sid := b.SessionID[k]
		if !havePrev || sid != prevSess {
			prevSess, prevSI, havePrev = sid, s.session(sid), true
		}
		si := prevSI
		acc := &s.accs[si]
		var idHash uint64
		if id := b.ID[k]; id != "" {
			idHash = maphash.String(idSeed, id) | 1 // never 0, which means "no id"
			if s.repeatRow(idHash, b.Line[k], acc, b.Tokens[1][k]) {
				acc.dups++
				s.counts.Duplicates++
				s.nameSessionRow(b, k, si, acc) // as Record does
				continue
			}
		}
		s.encodeRow(b, k, si, acc, idHash, &names)
	}
}

// nameCache is the string id of the name last seen in one column of a
// batch: a column's repeats (a dictionary's values, interned by the
// reader) share their bytes, so one pointer comparison finds most.
type nameCache struct {
	s  string
	id uint32
}

func (c *nameCache) lookup(strs *interner, s string) uint32 {
	if len(s) == len(c.s) && unsafe.StringData(s) == unsafe.StringData(c.s) {
		return c.id
	}
	c.s, c.id = s, strs.id(s)
	return c.id
}

// batchRepeatGeneration is repeatGeneration for rows that come in
// batches, the same 4,096 id hashes (64 KiB a generation), kept apart so
// tests can change one path's size. Batch rows took the small set first:
// the 2^19 one cost a fifth of a Parquet analysis's CPU (a cache miss or
// two per row).
var batchRepeatGeneration = 1 << 12

// repeatRow is repeat for a batch row (sub-position 0, never a replica)
// whose id hashes to idHash, with the batch rows' own repeat set.
func (s *shard) repeatRow(idHash uint64, line int64, acc *sessionAcc, output int64) bool {
	if s.unordered {
		return false
	}
	pos := PosOf(s.fileIndex, line, 0)
	if pos.Before(s.lastPos) {
		s.unordered, s.ids, s.bids, s.big = true, genSet{}, genSet{}, genSet{}
		return false
	}
	s.lastPos = pos
	h := idHash ^ acc.idh*0x9e3779b97f4a7c15 ^ uint64(sat32(output))*0xc2b2ae3d27d4eb4f
	h |= 1
	if s.bids.seen(h, batchRepeatGeneration) {
		return true
	}
	return acc.n >= bigSession && s.big.seen(h, bigRepeatGeneration)
}

// encodeRow appends row k of b as Record appends a record with the same
// fields (doc.go): a batch row has no sub-position, extras or billing
// block (readers send the rows they noted something of to Record), and is
// never a replica or a unit's later record.
func (s *shard) encodeRow(b *ingest.Batch, k int, si uint32, acc *sessionAcc, idHash uint64, names *[4]nameCache) {
	pb := s.bufs[acc.buf]
	buf := s.room(pb)

	var flags, nums, strs uint8
	hasSeq, tsNano, hasCost := b.HasSeq[k], b.TSNano[k], b.HasCost[k]
	if hasSeq {
		flags |= hdrHasSeq
	}
	if tsNano != 0 {
		flags |= hdrHasTS
	}
	if hasCost {
		flags |= hdrHasCost
	}
	s.counts.LinesWithRecords++
	if idHash != 0 {
		flags |= hdrHasID
	}
	if acc.local == pb.lastSess {
		flags |= hdrSameSess
	}
	pb.lastSess = acc.local
	tokens := [6]uint32{sat32(b.Tokens[0][k]), sat32(b.Tokens[1][k]), sat32(b.Tokens[2][k]),
		sat32(b.Tokens[3][k]), sat32(b.Tokens[4][k]), sat32(b.Tokens[5][k])}
	for i, t := range tokens {
		if t != 0 {
			nums |= 1 << i
		}
	}
	dur := int64(math.Round(b.DurationMS[k] * 1e6))
	if dur != 0 {
		nums |= numsDur
		if dur%nsPerMS == 0 {
			strs |= strsDurMS
			dur /= nsPerMS
		}
	}
	errText := b.Error[k]
	if len(errText) > maxErrorKept {
		errText = errText[:maxErrorKept]
	}
	ids := [5]uint32{names[0].lookup(s.strs, b.Model[k]), names[1].lookup(s.strs, b.Provider[k]), names[2].lookup(s.strs, b.Tool[k]),
		names[3].lookup(s.strs, b.Role[k]), s.errID(pb, errText)}
	for i, id := range ids {
		if id != 0 {
			strs |= 1 << i
		}
	}
	class := b.ErrorClass[k]
	if class != 0 {
		strs |= strsClass
	}
	var ts int64
	if flags&hdrHasTS != 0 {
		ts = tsNano - acc.lastTS // may wrap: decoding wraps back
		if tsNano%nsPerMS == 0 && acc.lastTS%nsPerMS == 0 {
			strs |= strsTSms
			ts = tsNano/nsPerMS - acc.lastTS/nsPerMS
		}
		acc.lastTS = tsNano
	}
	kind := uint8(b.Kind[k]) | uint8(b.Status[k])<<kindShift
	seq := b.Seq[k]
	if hasSeq {
		if seq == pb.lastSeq+1 {
			kind |= kindNextSeq
		}
		pb.lastSeq = seq
	}
	line := b.Line[k]
	if line == pb.lastLine+1 {
		flags |= hdrNextLine
	}
	buf = append(buf, flags, nums, strs, kind)
	if flags&hdrSameSess == 0 {
		buf = binary.AppendUvarint(buf, uint64(acc.local))
	}
	if flags&hdrNextLine == 0 {
		buf = binary.AppendVarint(buf, line-pb.lastLine)
	}
	pb.lastLine = line
	if idHash != 0 {
		buf = binary.LittleEndian.AppendUint64(buf, idHash)
	}
	if hasSeq && kind&kindNextSeq == 0 {
		buf = binary.AppendVarint(buf, seq)
	}
	if flags&hdrHasTS != 0 {
		buf = binary.AppendVarint(buf, ts)
	}
	if nums&numsDur != 0 {
		buf = binary.AppendVarint(buf, dur)
	}
	for _, t := range tokens {
		if t != 0 {
			buf = binary.AppendUvarint(buf, uint64(t))
		}
	}
	if hasCost {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(b.CostUSD[k]))
	}
	for _, id := range ids {
		if id != 0 {
			buf = binary.AppendUvarint(buf, uint64(id))
		}
	}
	if class != 0 {
		buf = append(buf, uint8(class))
	}
	pb.cur = buf

	acc.n++
	s.nameSessionRow(b, k, si, acc)
	s.counts.Records++
}

// nameSessionRow is nameSession for row k of b.
func (s *shard) nameSessionRow(b *ingest.Batch, k int, si uint32, acc *sessionAcc) {
	line := b.Line[k]
	if wf := b.Workflow[k]; wf != "" {
		if at := PosOf(s.fileIndex, line, 0); acc.workflow == 0 || at.Before(acc.workflowAt) {
			acc.workflow, acc.workflowAt = s.strs.id(wf), at
		}
	}
	for j := range b.Attrs {
		if a := &b.Attrs[j]; a.Has[k] {
			s.setAttr(si, a.Key, a.Val[k], PosOf(s.fileIndex, line, 0))
		}
	}
}
