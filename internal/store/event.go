package store

import (
	"math"

	"github.com/tokcost/tokcost/ingest"
)

// Flags are an Event's yes/no facts. The first five come from the record;
// the analysis sets the last two while it prices the call.
type Flags uint8

const (
	HasSeq       Flags = 1 << iota // the record carried a seq
	HasTS                          // the record carried a timestamp
	HasCost                        // the record carried its producer's cost_usd
	Replica                        // Record.Replica: loses to a non-replica with the same id
	SameUnit                       // not the first record of its input unit (Record.SameUnit)
	Unpriced                       // no price found for this call (set by the analysis)
	RecordedCost                   // Cost is the record's own cost_usd, not the price table's (set by the analysis)
	FastMode                       // Anthropic fast mode: the model's fast multiplier applies (billing block's billFast)

	// recordFlags are the flags a record sets; the encoding stores them as
	// they are in the low bits of its header byte (hdrRecordFlags).
	recordFlags = HasSeq | HasTS | HasCost | Replica | SameUnit
)

// Event is the compact form of one record that the analysis keeps: a few
// dozen bytes, strings interned, so memory grows with records kept and not
// with the bytes read.
type Event struct {
	Seq     int64
	TSNano  int64
	DurNano int64

	Input, Output, CacheRead, CacheWrite, CacheWrite1h, Reasoning uint32

	RecordCost float64 // producer's cost_usd, when HasCost
	Cost       float64 // what the analysis charges (set by its Finish)

	// A tool call's argument and result hashes (0: not recorded); with
	// ArgsLabel, an interned excerpt of its arguments, and ResultBytes, its
	// result's size: what loop detection compares and shows
	// (ingest.Record.ToolArgsHash). 24 bytes an event; no text is kept
	// beyond the bounded excerpt.
	ArgsHash, ResultHash uint64

	Model, Provider, Tool, Role, Err uint32 // interned strings; 0 is ""
	ArgsLabel, ResultBytes           uint32 // see ArgsHash

	Kind   ingest.Kind
	Status ingest.Status
	Class  ingest.ErrorClass
	Flags  Flags
	Tier   ingest.ServiceTier // the vendor service tier billed (standard: 0)

	USOnly bool // US-only inference: the model's US uplift applies
	// Fast mode is a flag (FastMode, IsFast): a bool here would push Event
	// past 120 bytes.
	// Calls is not 0 for a record that stands for a whole session's model
	// calls, known only as totals (ingest.Record.Calls, at most
	// ingest.MaxTotalsCalls): 16 bits fit the padding.
	Calls       uint16
	WebSearches uint32 // server-side web searches, billed per search

	// The audio and image parts of Input and Output
	// (ingest.Record.AudioInputTokens, …), priced at their modality's
	// rates. 16 bytes: Event is 136 bytes instead of 120 (every field
	// above is full; a side table indexed from the padding would save 8
	// bytes at the cost of a second slice per partition).
	AudioIn, ImageIn, AudioOut, ImageOut uint32
}

// HasMedia reports whether the call has audio or image tokens.
func (e *Event) HasMedia() bool { return e.AudioIn|e.ImageIn|e.AudioOut|e.ImageOut != 0 }

// IsFast reports whether the call ran in Anthropic's fast mode.
func (e *Event) IsFast() bool { return e.Flags&FastMode != 0 }

// HasTS reports whether the event carried a timestamp.
func (e *Event) HasTS() bool { return e.Flags&HasTS != 0 }

// Unpriced reports whether no price could be found for this model call.
func (e *Event) Unpriced() bool { return e.Flags&Unpriced != 0 }

// CostFromRecord reports whether Cost is the producer's cost_usd rather than
// the price table's: re-pricing such a call at table rates would mix two
// sources.
func (e *Event) CostFromRecord() bool { return e.Flags&RecordedCost != 0 }

// EndNano is when the step ended (its start plus its duration).
func (e *Event) EndNano() int64 { return e.TSNano + e.DurNano }

// Key is what the analysis needs of an event besides the Event itself, to
// put a session in input order and drop repeated ids. It exists only
// while a partition is decoded.
type Key struct {
	Order  Pos
	IDHash uint64 // 0 when the record had no id
	// What the reader noted of the record (ingest.Record's fields of the
	// same names). The analysis counts them (InputCounts.TSUnreadable,
	// TSAssumedUTC, ZeroOutputCalls, CallsFromTotals and TokensFromTotals,
	// UnknownUsageFields: CountKept) for the copies it keeps, so a repeat
	// counts the same however far from its first copy it came.
	TSUnreadable, TSAssumedUTC, ZeroOutputText bool
	// UnknownUsage is the string id (Scratch.Strings) of the record's
	// unknown usage names, comma-separated; 0 for none.
	UnknownUsage    uint32
	TokensFromTotal int64
}

// CountKept counts what the reader noted of a record the analysis keeps
// (k's notes) into c; strs is the table k.UnknownUsage indexes.
func (c *InputCounts) CountKept(k *Key, strs []string) {
	if k.TSUnreadable {
		c.TSUnreadable++
	}
	if k.TSAssumedUTC {
		c.TSAssumedUTC++
	}
	if k.ZeroOutputText {
		c.ZeroOutputCalls++
	}
	if k.TokensFromTotal > 0 {
		c.CallsFromTotals++
		c.TokensFromTotals += k.TokensFromTotal
	}
	if k.UnknownUsage != 0 {
		c.addUnknownUsage(strs[k.UnknownUsage])
	}
}

// Pos is where a record was read: which input, which line and which
// record within the line. Records never share one (there are fewer than
// 2^32 inputs, and a line holds fewer than 2^31 records), so input
// order never depends on which goroutine decoded what, nor on the order a
// reader emits records in (the span readers emit a trace at a time).
type Pos struct {
	file uint32
	sub  uint32
	line uint64
}

// PosOf is the position of record sub of line in input file, clamped to
// the ranges above.
func PosOf(file int, line int64, sub int32) Pos {
	return Pos{uint32(min(max(file, 0), math.MaxUint32)), uint32(max(sub, 0)), uint64(max(line, 0))}
}

// Before reports whether a was read before b.
func (a Pos) Before(b Pos) bool {
	if a.file != b.file {
		return a.file < b.file
	}
	if a.line != b.line {
		return a.line < b.line
	}
	return a.sub < b.sub
}

// CallCount is how many model calls the event stands for: Calls for a
// totals-only record, else 1.
func (e *Event) CallCount() int {
	if e.Calls > 0 {
		return int(e.Calls)
	}
	return 1
}
