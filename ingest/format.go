package ingest

import (
	"fmt"
	"sort"
	"strings"
)

// NoteKind classifies an input unit (usually a line) that did not become a record.
type NoteKind uint8

const (
	NoteInvalid   NoteKind = iota // malformed or unusable; Reason says why
	NoteDuplicate                 // a repeat of an event already emitted
	NoteBlank                     // an empty or whitespace-only line
	NoteSkipped                   // well-formed but carries no step (e.g. a Claude Code file-history line)
)

// Note accounts for one input unit that is not a record, so that nothing read
// disappears: lines = lines with records + duplicates + invalid + blank +
// skipped.
type Note struct {
	Kind   NoteKind
	File   string
	Line   int64
	Reason string // short, stable, countable: "malformed json", "missing session_id", …
	Detail string // optional specifics for the message shown to the user
	// SameUnit: the note is about a record of a unit that is already
	// accounted for (Record.SameUnit), not about a unit of its own.
	SameUnit bool
}

// Sink receives what a decoder produces. A sink is used by one goroutine at a
// time; parallel decoders ask the factory for one sink per worker.
type Sink interface {
	// Record receives a decoded record. The sink must copy what it keeps:
	// the decoder may reuse r after the call returns.
	Record(r *Record)
	// Note accounts for a unit that is not a record.
	Note(n Note)
	// Lines adds n to the count of units read (lines for line formats).
	Lines(n int64)
}

// BorrowsIDs reports whether sink declares, with a method
// BorrowsIDs() bool, that it reads Record.ID only during Record and keeps
// nothing of it (the analysis keeps a hash). A decoder may then pass an ID
// that aliases its input buffer instead of allocating a string for every
// record. Sinks that keep records must not declare it.
func BorrowsIDs(sink Sink) bool {
	b, ok := sink.(interface{ BorrowsIDs() bool })
	return ok && b.BorrowsIDs()
}

// FieldMapUse is how a format uses a --map field mapping (Options.Map),
// declared with a method FieldMap() FieldMapUse; formats without one
// ignore a mapping and cannot be combined with it.
type FieldMapUse uint8

const (
	FieldMapNone    FieldMapUse = iota
	FieldMapRead                // reads the mapping when given
	FieldMapDefault             // reads it, and is read when --map names no format
)

func fieldMapUse(f Format) FieldMapUse {
	if d, ok := f.(interface{ FieldMap() FieldMapUse }); ok {
		return d.FieldMap()
	}
	return FieldMapNone
}

// FieldMapFormat is the format a run with a field mapping reads: named,
// when that format reads a mapping, or the format declared as the
// mapping's default when named is "". The caller need not know formats.
func FieldMapFormat(named string) (string, error) {
	var readers []string
	def := ""
	for _, n := range formatOrder {
		switch fieldMapUse(formats[n]) {
		case FieldMapDefault:
			def = n
			readers = append(readers, n+" (the default)")
		case FieldMapRead:
			readers = append(readers, n)
		}
	}
	sort.Strings(readers) // not registration order, which follows imports
	if named == "" && def != "" {
		return def, nil
	}
	if f, ok := formats[named]; ok && fieldMapUse(f) != FieldMapNone {
		return named, nil
	}
	if _, err := Lookup(named); err != nil {
		return "", err
	}
	return "", fmt.Errorf("--map is read by the formats %s; it cannot be combined with --input-format %s", strings.Join(readers, ", "), named)
}

// SinkFactory hands out sinks. Decoders call it once per worker goroutine.
type SinkFactory func() Sink

// Format decodes one input format into canonical records.
type Format interface {
	// Name is the --input-format value, e.g. "jsonl".
	Name() string
	// Describe says in one line what the format is and how it maps.
	Describe() string
	// Sniff reports whether this format accepts an input whose name is
	// name and whose (decompressed) content starts with head.
	Sniff(name string, head []byte) bool
	// Decode reads the whole source. It reports bad units through the sinks
	// and returns an error only when the source cannot be read at all.
	Decode(src *Source, newSink SinkFactory) error
}

var formats = map[string]Format{}
var formatOrder []string // sniffing order: most specific first

// Register adds a format. Formats call it from init; priority orders
// sniffing (lower first), so specific formats beat the generic JSONL reader.
func Register(f Format, priority int) {
	if _, dup := formats[f.Name()]; dup {
		panic("ingest: format registered twice: " + f.Name())
	}
	formats[f.Name()] = f
	prio[f.Name()] = priority
	formatOrder = append(formatOrder, f.Name())
	sort.SliceStable(formatOrder, func(i, j int) bool { return prio[formatOrder[i]] < prio[formatOrder[j]] })
}

var prio = map[string]int{}

// Formats lists the registered formats in sniffing order.
func Formats() []Format {
	out := make([]Format, 0, len(formatOrder))
	for _, n := range formatOrder {
		out = append(out, formats[n])
	}
	return out
}

// Lookup returns the format with that name, or an error listing the valid ones.
func Lookup(name string) (Format, error) {
	if f, ok := formats[name]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("unknown input format %q (valid: %s)", name, strings.Join(formatOrder, ", "))
}

// Detect picks the first format whose Sniff accepts the input.
func Detect(name string, head []byte) (Format, error) {
	for _, n := range formatOrder {
		if formats[n].Sniff(name, head) {
			return formats[n], nil
		}
	}
	return nil, fmt.Errorf("%s: no reader accepts this input (tried %s); force one with --input-format", name, strings.Join(formatOrder, ", "))
}
