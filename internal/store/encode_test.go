package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestEncodingRoundTrip checks the compact record encoding against the
// direct conversion of a record into an Event (expectEvent, written out
// field by field from the Record, independently of the encoder): random
// records with edge values (negative and huge seq, timestamps off the
// millisecond, lines going backwards, sub-positions, recorded costs,
// long errors, every kind, status and class) must come back as the same
// event, key and session, in order.
func TestEncodingRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var recs []ingest.Record
	sessions := []string{"a", "b", "c", "session-with-a-longer-id", "e"}
	line := int64(1)
	nextSeq := map[string]int64{}
	for i := 0; i < 20000; i++ {
		r := ingest.Record{
			SessionID: sessions[rng.IntN(len(sessions))],
			Kind:      ingest.Kind(rng.IntN(3)),
			Status:    ingest.Status(rng.IntN(3)),
			Line:      line,
		}
		switch rng.IntN(10) {
		case 0:
			line -= int64(rng.IntN(5)) // another chunk's lines, earlier
		case 1:
			line += int64(rng.IntN(1 << 30))
		default:
			line += int64(rng.IntN(3))
		}
		if rng.IntN(4) == 0 {
			r.Sub = int32(rng.IntN(70000))
		}
		if rng.IntN(5) > 0 {
			r.ID = "id-" + strings.Repeat("x", rng.IntN(3)) + string(rune('a'+rng.IntN(26)))
		}
		if rng.IntN(3) > 0 {
			r.HasSeq = true
			r.Seq = rng.Int64N(1<<40) - 1<<39
			if rng.IntN(2) == 0 { // the session's next step, as most records are
				nextSeq[r.SessionID]++
				r.Seq = nextSeq[r.SessionID]
			}
			if rng.IntN(10) == 0 {
				r.Seq = math.MinInt64 + rng.Int64N(3)
			}
		}
		switch rng.IntN(5) {
		case 0: // no timestamp
		case 1:
			r.TSNano = 1_700_000_000_000_000_000 + rng.Int64N(1<<40)*1_000_000 // whole milliseconds
		case 2:
			r.TSNano = 1_700_000_000_000_000_000 + rng.Int64N(1<<50) // any nanosecond
		case 3:
			r.TSNano = -rng.Int64N(1 << 60) // before 1970
		case 4: // whole milliseconds far apart: 1678 and 2262, whose difference wraps
			r.TSNano = (math.MinInt64/nsPerMS + rng.Int64N(1000)) * nsPerMS
			if rng.IntN(2) == 0 {
				r.TSNano = (math.MaxInt64/nsPerMS - rng.Int64N(1000)) * nsPerMS
			}
		}
		if rng.IntN(2) == 0 {
			r.DurationMS = float64(rng.IntN(100000)) / float64(1+rng.IntN(1000))
		}
		tok := func() int64 {
			switch rng.IntN(4) {
			case 0:
				return 0
			case 1:
				return int64(rng.IntN(1000))
			case 2:
				return math.MaxUint32 + int64(rng.IntN(10)) // saturates
			}
			return int64(rng.IntN(1 << 31))
		}
		r.InputTokens, r.OutputTokens, r.CacheReadTokens = tok(), tok(), tok()
		r.CacheWriteTokens, r.CacheWrite1hTokens, r.ReasoningTokens = tok(), tok(), tok()
		if rng.IntN(3) == 0 {
			r.HasCost, r.CostUSD = true, rng.Float64()*100
		}
		pick := func(vals ...string) string { return vals[rng.IntN(len(vals))] }
		r.Model, r.Provider = pick("", "gpt-4o", "claude-sonnet-4"), pick("", "openai")
		r.Tool, r.Role = pick("", "bash", "read_file"), pick("", "planner")
		r.Error = pick("", "boom", strings.Repeat("é", 400)) // 800 bytes: cut at maxErrorKept
		r.ErrorClass = ingest.ErrorClass(rng.IntN(3))
		r.Replica, r.SameUnit = rng.IntN(7) == 0, rng.IntN(5) == 0
		// Kept per record (kindTSUnreadable), with or without a time.
		r.TSUnreadable = rng.IntN(6) == 0
		// The other notes (the extras block), each on its own, with or
		// without tool-io fields beside them.
		r.TSAssumedUTC, r.ZeroOutputText = rng.IntN(6) == 0, rng.IntN(6) == 0
		if rng.IntN(6) == 0 {
			totals := []int64{-1, 1, 127, 128, math.MaxUint32 + 1, math.MaxInt64}
			r.TokensFromTotal = totals[rng.IntN(len(totals))]
		}
		if rng.IntN(6) == 0 {
			r.UnknownUsage = pick("foo_tokens", "a_tokens,b_tokens", "src/app.py") // may share a text with an excerpt
		}
		if rng.IntN(3) == 0 { // the tool-io block: each part on its own, edge values included
			hashes := []uint64{0, 1, math.MaxUint64, rng.Uint64()}
			r.ToolArgsHash, r.ToolResultHash = hashes[rng.IntN(4)], hashes[rng.IntN(4)]
			labels := []string{"", "src/app.py", "x", strings.Repeat("é", 24)}
			r.ToolArgsLabel = labels[rng.IntN(4)]
			sizes := []int64{0, -1, 2140, 1 << 40, rng.Int64N(1 << 20)}
			r.ToolResultBytes = sizes[rng.IntN(len(sizes))]
		}
		if rng.IntN(4) == 0 {
			r.ServiceTier = ingest.ServiceTier(rng.IntN(int(ingest.NumServiceTiers)))
		}
		r.USOnly = rng.IntN(5) == 0
		r.Fast = rng.IntN(5) == 0
		if rng.IntN(4) == 0 { // the media counts: each on its own, edge values included
			counts := []int64{0, 1, 127, 128, rng.Int64N(1 << 20), math.MaxUint32}
			r.AudioInputTokens, r.ImageInputTokens = counts[rng.IntN(6)], counts[rng.IntN(6)]
			r.AudioOutputTokens, r.ImageOutputTokens = counts[rng.IntN(6)], counts[rng.IntN(6)]
		}
		switch rng.IntN(6) {
		case 0:
			r.WebSearchRequests = int64(rng.IntN(300))
		case 1:
			r.WebSearchRequests = math.MaxUint32 + int64(rng.IntN(10)) // saturates
		case 2:
			r.WebSearchRequests = -int64(rng.IntN(3)) // never negative once kept
		}
		switch rng.IntN(8) { // a totals-only record's call count
		case 0:
			r.Calls = 1 + int64(rng.IntN(ingest.MaxTotalsCalls))
		case 1:
			r.Calls = ingest.MaxTotalsCalls + int64(rng.IntN(10)) // clamped: readers keep to the bound
		}
		recs = append(recs, r)
	}
	roundTrip(t, recs)
}

// roundTrip encodes recs in one shard (file 3), decodes every partition
// and compares each record with expectEvent.
func roundTrip(t *testing.T, recs []ingest.Record) {
	t.Helper()
	sh := newShard(3)
	for i := range recs {
		sh.Record(&recs[i])
	}
	// Finish's setup: identity string remap.
	sh.strRemap = make([]uint32, sh.strs.len())
	for i := range sh.strRemap {
		sh.strRemap[i] = uint32(i)
	}

	// Records come back per partition, each partition in input order.
	byPart := map[uint16][]int{}
	for i := range recs {
		p := partitionOf(recs[i].SessionID)
		byPart[p] = append(byPart[p], i)
	}
	for p, idx := range byPart {
		n := 0
		pb := sh.part(int(p))
		pc := livePiece(sh, pb, &Scratch{})
		pc.errBase = 1 // the partition's error text n decodes as n
		pc.decode(nil, func(e *Event, k Key, si uint32) {
			r := &recs[idx[n]]
			n++
			wantE, wantK := expectEvent(sh, pb, r)
			if *e != wantE || k != wantK || pc.ids[si] != r.SessionID {
				t.Fatalf("record %d: got %+v %+v session %q\nwant %+v %+v session %q", idx[n-1], *e, k, pc.ids[si], wantE, wantK, r.SessionID)
			}
		})
		if n != len(idx) {
			t.Fatalf("partition %d: %d records back, want %d", p, n, len(idx))
		}
	}
}

// FuzzEncodingRoundTrip builds records from the fuzzer's bytes (every
// field, any value a reader could hand over once validated, and some it
// could not) and checks that each comes back from the encoding exactly.
func FuzzEncodingRoundTrip(f *testing.F) {
	f.Add([]byte("seed: two records of one session"))
	f.Add(bytes.Repeat([]byte{0xff, 0x00, 0x7f, 0x80}, 40))
	f.Fuzz(func(t *testing.T, data []byte) {
		next := func() uint64 { // eight bytes at a time, zero-padded
			var b [8]byte
			n := copy(b[:], data)
			data = data[n:]
			return binary.LittleEndian.Uint64(b[:])
		}
		sessions := []string{"", "a", "b", "s-long-session-id"}
		texts := []string{"", "gpt-4o", "err: x", strings.Repeat("é", 300)}
		var recs []ingest.Record
		for len(data) > 0 && len(recs) < 200 {
			bits := next()
			r := ingest.Record{
				SessionID: sessions[bits&3], Kind: ingest.Kind(bits >> 2 & 3 % 3), Status: ingest.Status(bits >> 4 & 3 % 3),
				ErrorClass: ingest.ErrorClass(bits >> 6 & 3 % 3), HasSeq: bits>>8&1 == 1, HasCost: bits>>9&1 == 1,
				Replica: bits>>10&1 == 1, SameUnit: bits>>11&1 == 1,
				Model: texts[bits>>12&3], Provider: texts[bits>>14&3], Tool: texts[bits>>16&3], Role: texts[bits>>18&3], Error: texts[bits>>20&3],
				Line: int64(next()), Sub: int32(next()), Seq: int64(next()), TSNano: int64(next()),
				DurationMS:  math.Float64frombits(next()),
				InputTokens: int64(next() >> 30), OutputTokens: int64(next() >> 30), CacheReadTokens: int64(next() >> 30),
				CacheWriteTokens: int64(next() >> 30), CacheWrite1hTokens: int64(next() >> 30), ReasoningTokens: int64(next() >> 30),
				CostUSD: math.Float64frombits(next()),
				// Bits of their own (32-35): sharing bits 25-28 with the tool-io
				// switches below tied the tier to the arguments hash and US-only
				// to the excerpt, so some combinations of the two blocks never ran.
				ServiceTier:       ingest.ServiceTier(bits >> 32 & 7 % uint64(ingest.NumServiceTiers)),
				WebSearchRequests: int64(next() >> 31),
				USOnly:            bits>>35&1 == 1,
				Fast:              bits>>36&1 == 1,
			}
			if bits>>37&1 == 1 { // media counts, each present or not by its own bit
				for j, p := range []*int64{&r.AudioInputTokens, &r.ImageInputTokens, &r.AudioOutputTokens, &r.ImageOutputTokens} {
					if bits>>(38+j)&1 == 1 {
						*p = int64(next() >> 30)
					}
				}
			}
			if bits>>22&1 == 1 {
				// Unique per record: a second record of a session with the
				// same id and output is a repeat, dropped on arrival by
				// design (repeat), which roundTrip does not model.
				r.ID = strconv.FormatUint(next()%1000, 10) + "/" + strconv.Itoa(len(recs))
			}
			if bits>>23&1 == 1 { // whole milliseconds, where the delta is stored in ms
				r.TSNano -= r.TSNano % nsPerMS
			}
			if bits>>24&1 == 1 { // what readers give: whole milliseconds of duration
				r.DurationMS = float64(next() % 1e7)
			}
			if bits>>25&1 == 1 {
				r.ToolArgsHash = next()
			}
			if bits>>26&1 == 1 {
				r.ToolResultHash = next()
			}
			if bits>>27&1 == 1 {
				r.ToolArgsLabel = texts[bits>>28&3]
			}
			if bits>>30&1 == 1 {
				r.ToolResultBytes = int64(next())
			}
			// The reader's notes, each by a bit of its own (42-46).
			r.TSUnreadable, r.TSAssumedUTC, r.ZeroOutputText = bits>>42&1 == 1, bits>>43&1 == 1, bits>>44&1 == 1
			if bits>>45&1 == 1 {
				r.TokensFromTotal = int64(next())
			}
			if bits>>46&1 == 1 {
				r.UnknownUsage = texts[bits>>47&3]
			}
			// NaN != NaN, so a NaN cannot compare equal; Validate rejects both.
			if math.IsNaN(r.DurationMS) {
				r.DurationMS = 0
			}
			if math.IsNaN(r.CostUSD) {
				r.CostUSD = 0
			}
			recs = append(recs, r)
		}
		roundTrip(t, recs)
	})
}

// errIDOf is text's id in pb's error table, which is nil until a text
// arrives: "" is 0 either way.
func errIDOf(pb *partBuf, text string) uint32 {
	if text == "" {
		return 0
	}
	return pb.errs.id(text)
}

// expectEvent is what a record becomes, field by field.
func expectEvent(sh *shard, pb *partBuf, r *ingest.Record) (Event, Key) {
	sat := func(v int64) uint32 { return uint32(min(v, math.MaxUint32)) }
	str := func(s string) uint32 {
		if s == "" {
			return 0
		}
		return sh.strs.id(s)
	}
	errText := r.Error
	if len(errText) > maxErrorKept {
		errText = errText[:maxErrorKept]
	}
	e := Event{
		Seq: r.Seq, TSNano: r.TSNano, DurNano: int64(math.Round(r.DurationMS * 1e6)),
		Input: sat(r.InputTokens), Output: sat(r.OutputTokens), CacheRead: sat(r.CacheReadTokens),
		CacheWrite: sat(r.CacheWriteTokens), CacheWrite1h: sat(r.CacheWrite1hTokens), Reasoning: sat(r.ReasoningTokens),
		Model: str(r.Model), Provider: str(r.Provider), Tool: str(r.Tool), Role: str(r.Role), Err: errIDOf(pb, errText),
		Kind: r.Kind, Status: r.Status, Class: r.ErrorClass, Tier: r.ServiceTier,
		WebSearches: sat(max(r.WebSearchRequests, 0)), USOnly: r.USOnly,
		Calls:   uint16(min(max(r.Calls, 0), ingest.MaxTotalsCalls)),
		AudioIn: sat(max(r.AudioInputTokens, 0)), ImageIn: sat(max(r.ImageInputTokens, 0)),
		AudioOut: sat(max(r.AudioOutputTokens, 0)), ImageOut: sat(max(r.ImageOutputTokens, 0)),
	}
	if !r.HasSeq {
		e.Seq = 0
	} else {
		e.Flags |= HasSeq
	}
	if r.TSNano != 0 {
		e.Flags |= HasTS
	}
	if r.Fast {
		e.Flags |= FastMode
	}
	if r.HasCost {
		e.Flags |= HasCost
		e.RecordCost = r.CostUSD
	}
	if r.Replica {
		e.Flags |= Replica
	}
	// The tool-io block: hashes as they are, the label interned with the
	// error texts, a size clamped to 0..MaxUint32.
	e.ArgsHash, e.ResultHash = r.ToolArgsHash, r.ToolResultHash
	if r.ToolArgsLabel != "" {
		e.ArgsLabel = errIDOf(pb, r.ToolArgsLabel)
	}
	e.ResultBytes = sat(max(r.ToolResultBytes, 0))
	if r.SameUnit {
		e.Flags |= SameUnit
	}
	k := Key{Order: PosOf(sh.fileIndex, r.Line, r.Sub), TSUnreadable: r.TSUnreadable, TSAssumedUTC: r.TSAssumedUTC,
		ZeroOutputText: r.ZeroOutputText, UnknownUsage: errIDOf(pb, r.UnknownUsage)}
	if r.TokensFromTotal > 0 { // readers set it only when they recovered tokens
		k.TokensFromTotal = r.TokensFromTotal
	}
	if r.ID != "" {
		k.IDHash = maphash.String(idSeed, r.ID) | 1
	}
	return e, k
}

// TestErrTableLazy: a partition buffer makes its error-text table at its
// first text, so the many buffers of many small files with no error text
// cost none; the records round-trip either way.
func TestErrTableLazy(t *testing.T) {
	// Sessions "a" to "h": eight, so several partitions; only "c" has an
	// error text, and "e" a tool-argument excerpt.
	var recs []ingest.Record
	for i, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		r := ingest.Record{SessionID: id, Seq: 1, HasSeq: true, Kind: ingest.KindLLM, Model: "gpt-5", Line: int64(i + 1)}
		switch id {
		case "c":
			r.Error = "rate limited"
		case "e":
			r.Kind, r.Model, r.Tool, r.ToolArgsLabel = ingest.KindTool, "", "grep", "pattern=foo"
		}
		recs = append(recs, r)
	}
	sh := newShard(3)
	for i := range recs {
		sh.Record(&recs[i])
	}
	withText := map[uint16]bool{partitionOf("c"): true, partitionOf("e"): true}
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		p := partitionOf(id)
		pb := sh.part(int(p))
		if got := pb.errs != nil; got != withText[p] {
			t.Errorf("session %q (partition %d): error table made %v, want %v", id, p, got, withText[p])
		}
	}
	// "c"'s table holds "" and its one text: len 2.
	if n := sh.part(int(partitionOf("c"))).errs.len(); partitionOf("c") != partitionOf("e") && n != 2 {
		t.Errorf("session c's error table: %d ids, want 2", n)
	}
	roundTrip(t, recs)
}

// TestSmallBufferSized: a partition buffer of a few records is sized to
// them (put), not given a first block of firstBlock bytes. Three records
// of one session, each a header of four bytes, a line delta, a seq and
// two token counts (under 30 bytes), take under 90 bytes; growing by
// append at most doubles, so the block's capacity stays under 2*90 = 180,
// where a first block was 256. A spilling store counts the capacity it
// holds (inMem) as the sum of its blocks', however they grew: checked
// against a sum over the buffers, a second way.
func TestSmallBufferSized(t *testing.T) {
	m := NewSpilling(SpillOptions{Limit: 1 << 40})
	sink := m.Sink(0).(*shard)
	for i := range 3 {
		sink.Record(&ingest.Record{SessionID: "s", HasSeq: true, Seq: int64(i + 1), Line: int64(i + 1),
			Kind: ingest.KindLLM, Model: "gpt-5", InputTokens: 1000, OutputTokens: 100})
	}
	pb := sink.part(int(partitionOf("s")))
	if len(pb.blocks) != 0 || cap(pb.cur) >= 180 || len(pb.cur) > 90 {
		t.Errorf("3 records: %d full blocks, current block %d of %d bytes; want none, under 90 of under 180", len(pb.blocks), len(pb.cur), cap(pb.cur))
	}
	// Many records across sessions: blocks grown in place, then full ones.
	for i := range 5000 {
		sink.Record(&ingest.Record{SessionID: fmt.Sprint("s", i%7), HasSeq: true, Seq: int64(i + 10), Line: int64(i + 10),
			Kind: ingest.KindLLM, Model: "gpt-5", InputTokens: int64(i), OutputTokens: 100})
	}
	var held int64
	for _, b := range sink.bufs {
		held += int64(cap(b.cur))
		for _, blk := range b.blocks {
			held += int64(cap(blk))
		}
	}
	if got := m.spill.inMem.Load(); got != held {
		t.Errorf("spiller counts %d bytes of blocks in memory, the buffers hold %d", got, held)
	}
}
