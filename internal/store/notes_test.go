package store

import (
	"bytes"
	"math"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// encodeOne is the bytes shard.Record appends for r, the first record of
// a new shard.
func encodeOne(r ingest.Record) []byte {
	sh := newShard(0)
	sh.Record(&r)
	return bytes.Clone(sh.part(int(partitionOf(r.SessionID))).cur)
}

// TestNotesEncoding: the bytes of a record with each of the reader's
// notes, and of records without one, derived by hand from the layout in
// doc.go. The records without notes are the bytes the encoding gave them
// before the notes were stored (the extras block was the tool-io block,
// whose byte used bits 0-3 only); each note costs its record the extras
// byte (and the kind byte's bit 7) when it had no tool-io fields, plus
// its value for a total or a name.
//
// The base record: session "s", line 1, an LLM call of model "m" with 5
// input and 2 output tokens. Header 0x60: hdrSameSess (0x20: the first
// record's session is index 0, as the decoder starts) and hdrNextLine
// (0x40: line 1 follows line 0, sub-position 0), no seq, time, cost or id.
// nums 0x03: input and output follow. strs 0x01: a model id follows.
// kind 0x01: KindLLM, StatusUnknown (0). Then the two token counts (5,
// 2) and the model's id, 1 (the shard's first name).
func TestNotesEncoding(t *testing.T) {
	base := ingest.Record{SessionID: "s", Line: 1, Kind: ingest.KindLLM, Model: "m", InputTokens: 5, OutputTokens: 2}
	with := func(f func(r *ingest.Record)) ingest.Record {
		r := base
		f(&r)
		return r
	}
	for _, c := range []struct {
		name string
		r    ingest.Record
		want []byte
	}{
		{"no notes", base, []byte{0x60, 0x03, 0x01, 0x01, 5, 2, 1}},
		// A tool call's hash and result size, no notes: kind 0x82 (KindTool
		// with kindExtra), no tokens or names (nums and strs 0), the extras
		// byte 0x09 (arguments hash, result size), the hash's 8 bytes
		// little-endian, and 300 as a uvarint: 300 = 0b10_0101100, so
		// 0xac (0x2c with the continuation bit), 0x02.
		{"tool-io only", ingest.Record{SessionID: "s", Line: 1, Kind: ingest.KindTool, ToolArgsHash: 0x0102030405060708, ToolResultBytes: 300},
			[]byte{0x60, 0x00, 0x00, 0x82, 0x09, 8, 7, 6, 5, 4, 3, 2, 1, 0xac, 0x02}},
		// Each note: kind 0x81 (kindExtra), then after the model id the
		// extras byte with the note's bit: 0x10 a time read as UTC, 0x20 a
		// call with text and no output tokens, 0x40 output from a total
		// (its 300 tokens follow: 0xac 0x02), 0x80 unknown usage names
		// (their text id follows: 1, the partition buffer's first text).
		{"ts assumed utc", with(func(r *ingest.Record) { r.TSAssumedUTC = true }), []byte{0x60, 0x03, 0x01, 0x81, 5, 2, 1, 0x10}},
		{"zero output text", with(func(r *ingest.Record) { r.ZeroOutputText = true }), []byte{0x60, 0x03, 0x01, 0x81, 5, 2, 1, 0x20}},
		{"tokens from total", with(func(r *ingest.Record) { r.TokensFromTotal = 300 }), []byte{0x60, 0x03, 0x01, 0x81, 5, 2, 1, 0x40, 0xac, 0x02}},
		{"unknown usage", with(func(r *ingest.Record) { r.UnknownUsage = "a_tokens,b_tokens" }), []byte{0x60, 0x03, 0x01, 0x81, 5, 2, 1, 0x80, 1}},
		// All four, beside the tool-io fields: 0x09|0xf0 = 0xf9, the hash,
		// the size, the total, the names' id.
		{"all with tool-io", with(func(r *ingest.Record) {
			r.ToolArgsHash, r.ToolResultBytes = 0x0102030405060708, 300
			r.TSAssumedUTC, r.ZeroOutputText, r.TokensFromTotal, r.UnknownUsage = true, true, 1, "x_tokens"
		}), []byte{0x60, 0x03, 0x01, 0x81, 5, 2, 1, 0xf9, 8, 7, 6, 5, 4, 3, 2, 1, 0xac, 0x02, 1, 1}},
		// A total of 0 is no note (readers set it only when they recovered
		// tokens), nor is a negative one: the record is the base's bytes.
		{"no total", with(func(r *ingest.Record) { r.TokensFromTotal = -3 }), []byte{0x60, 0x03, 0x01, 0x01, 5, 2, 1}},
	} {
		if got := encodeOne(c.r); !bytes.Equal(got, c.want) {
			t.Errorf("%s: encoded % x, want % x", c.name, got, c.want)
		}
	}
}

// TestNotesRoundTrip: each note comes back in the record's Key from
// Partition, with the names as text in Scratch.Strings, whether the record
// stayed in memory or its partition buffer and generation were spilled;
// and the sink counts none of them on arrival (the analysis counts the
// copies it keeps, InputCounts.CountKept).
func TestNotesRoundTrip(t *testing.T) {
	recs := []ingest.Record{
		{SessionID: "s", ID: "1", Line: 1, Kind: ingest.KindLLM, Model: "m", OutputTokens: 9, TSAssumedUTC: true},
		{SessionID: "s", ID: "2", Line: 2, Kind: ingest.KindLLM, Model: "m", ZeroOutputText: true, TSUnreadable: true},
		{SessionID: "s", ID: "3", Line: 3, Kind: ingest.KindLLM, Model: "m", OutputTokens: 1 << 40, TokensFromTotal: 1 << 40},
		{SessionID: "s", ID: "4", Line: 4, Kind: ingest.KindLLM, Model: "m", UnknownUsage: "a_tokens,b_tokens", Error: "boom"},
		{SessionID: "s", ID: "5", Line: 5, Kind: ingest.KindTool, Tool: "bash", ToolArgsLabel: "ls", UnknownUsage: "c_tokens"},
		{SessionID: "s", ID: "6", Line: 6, Kind: ingest.KindLLM, Model: "m"},
	}
	type note struct {
		unreadable, assumed, zero bool
		fromTotal                 int64
		unknown                   string
	}
	want := []note{{assumed: true}, {zero: true, unreadable: true}, {fromTotal: 1 << 40}, {unknown: "a_tokens,b_tokens"}, {unknown: "c_tokens"}, {}}
	for _, spill := range []bool{false, true} {
		var m *Memory
		if spill {
			// A session state budget of 1 byte: the shard retires its
			// generation (records, then its sessions and texts, to the
			// spill file) before every record but the first.
			m = NewSpilling(SpillOptions{Limit: 1 << 20, SessionState: 1, Dir: t.TempDir()})
		} else {
			m = NewMemory()
		}
		sk := m.Sink(0)
		for i := range recs {
			sk.Record(&recs[i])
		}
		sealed := m.Seal()
		if spill && m.Generations() < int64(len(recs)-1) {
			t.Fatalf("spilling: %d generations, want one a record", m.Generations())
		}
		c := sealed.Counts
		if c.Records != 6 || c.TSAssumedUTC != 0 || c.TSUnreadable != 0 || c.ZeroOutputCalls != 0 || c.CallsFromTotals != 0 ||
			c.TokensFromTotals != 0 || c.UnknownUsageFields != nil {
			t.Errorf("spill %v: sealed counts %+v: want 6 records and no note counted on arrival", spill, c)
		}
		var sc Scratch
		ss := mustPartition(t, m, int(partitionOf("s")), &sc)
		if len(ss) != 1 || len(ss[0].Keys) != len(recs) {
			t.Fatalf("spill %v: %d sessions", spill, len(ss))
		}
		for i, k := range ss[0].Keys {
			got := note{k.TSUnreadable, k.TSAssumedUTC, k.ZeroOutputText, k.TokensFromTotal, sc.Strings[k.UnknownUsage]}
			if got != want[i] {
				t.Errorf("spill %v: record %d: notes %+v, want %+v", spill, i+1, got, want[i])
			}
		}
		// The error text and the excerpt share the table with the names.
		if e := ss[0].Events[3]; sc.Strings[e.Err] != "boom" {
			t.Errorf("spill %v: error text %q", spill, sc.Strings[e.Err])
		}
		if e := ss[0].Events[4]; sc.Strings[e.ArgsLabel] != "ls" {
			t.Errorf("spill %v: arguments excerpt %q", spill, sc.Strings[e.ArgsLabel])
		}

		// Counted for kept copies: the six keys by hand, one each of
		// ts_assumed_utc, ts_unreadable and zero_output_calls, one call
		// of 2^40 tokens from a total, names a, b, c once each.
		var kept InputCounts
		for i := range ss[0].Keys {
			kept.CountKept(&ss[0].Keys[i], sc.Strings)
		}
		if kept.TSAssumedUTC != 1 || kept.TSUnreadable != 1 || kept.ZeroOutputCalls != 1 || kept.CallsFromTotals != 1 ||
			kept.TokensFromTotals != 1<<40 || len(kept.UnknownUsageFields) != 3 ||
			kept.UnknownUsageFields["a_tokens"]+kept.UnknownUsageFields["b_tokens"]+kept.UnknownUsageFields["c_tokens"] != 3 {
			t.Errorf("spill %v: counted %+v", spill, kept)
		}
		m.Release()
	}
}

// TestLongestRecordFits: a record with every field at its longest
// encoding fits maxEncoded, the room a block keeps for the next record
// (a longer one would move the block behind the spiller's count). By
// hand from doc.go: 4 bytes of header; a session index of 2^32-1 is not
// reachable here (the shard's second session, index 1: 1 byte), a line
// delta of -2^62 (zig-zag 2^63-1: 9 bytes), a sub-position of 2^31-1 (5),
// the id hash (8), seq MinInt64 (10), a timestamp delta in ns (10), a
// duration in ns (a few), six counts of 2^32-1 (5 each: 30), the cost
// (8), five string ids (1 each here), the class (1), the extras block (1
// + 8 + 8 + 1 + 5 + 9 + 1), the billing block (1 + 5 + 2 + 1 + 4×5):
// under 200.
func TestLongestRecordFits(t *testing.T) {
	sh := newShard(0)
	sh.Record(&ingest.Record{SessionID: "a", Line: math.MaxInt64})
	r := ingest.Record{SessionID: "b", ID: "x", Line: math.MinInt64 / 2, Sub: math.MaxInt32, HasSeq: true, Seq: math.MinInt64,
		TSNano: math.MinInt64 + 1, DurationMS: 1e9 + 0.123456, Kind: ingest.KindLLM, Status: ingest.StatusError, ErrorClass: 2,
		InputTokens: math.MaxUint32, OutputTokens: math.MaxUint32, CacheReadTokens: math.MaxUint32, CacheWriteTokens: math.MaxUint32,
		CacheWrite1hTokens: math.MaxUint32, ReasoningTokens: math.MaxUint32, HasCost: true, CostUSD: 1,
		Model: "m", Provider: "p", Tool: "t", Role: "r", Error: "e",
		ToolArgsHash: 1, ToolResultHash: 1, ToolArgsLabel: "l", ToolResultBytes: math.MaxUint32,
		TSAssumedUTC: true, ZeroOutputText: true, TokensFromTotal: math.MaxInt64, UnknownUsage: "u",
		ServiceTier: ingest.NumServiceTiers - 1, WebSearchRequests: math.MaxUint32, USOnly: true, Fast: true, Calls: ingest.MaxTotalsCalls,
		AudioInputTokens: math.MaxUint32, ImageInputTokens: math.MaxUint32, AudioOutputTokens: math.MaxUint32, ImageOutputTokens: math.MaxUint32}
	pb := sh.part(int(partitionOf("b")))
	before := 0
	if pb != nil {
		before = len(pb.cur)
	}
	sh.Record(&r)
	pb = sh.part(int(partitionOf("b")))
	if n := len(pb.cur) - before; n > maxEncoded || n < 150 {
		t.Errorf("longest record: %d bytes, want at most maxEncoded (%d) and, by hand, over 150", n, maxEncoded)
	}
}
