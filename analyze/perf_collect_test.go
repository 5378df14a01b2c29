package analyze

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/tokcost/tokcost/gen"
)

// TestEventSize guards the per-record memory: every record kept costs one
// Event, so a new field costs its size times the records of a fleet.
func TestEventSize(t *testing.T) {
	if got := unsafe.Sizeof(Event{}); got > 104 {
		t.Fatalf("Event is %d bytes, was 104", got)
	}
}

// TestSessionsExactSize checks the slab scatter on a fleet decoded on
// every core, over several slabs: each session gets a slice of exactly
// its records (duplicates included before Finish drops them), so an
// append never writes into another session's events, and every record
// lands in one.
func TestSessionsExactSize(t *testing.T) {
	var b bytes.Buffer
	if _, err := gen.Generate(&b, nil, gen.Options{Sessions: 3000, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	d := loadString(t, Config{}, b.String())
	var events int64
	for _, s := range d.Sessions {
		if cap(s.Events) != len(s.Events)+s.Duplicates {
			t.Fatalf("session %s: cap %d, want %d events + %d duplicates", s.ID, cap(s.Events), len(s.Events), s.Duplicates)
		}
		events += int64(len(s.Events))
	}
	if events != d.Counts.Records || d.Counts.Records < 2*maxSlabLen {
		t.Fatalf("%d events in sessions, %d records (want several slabs' worth)", events, d.Counts.Records)
	}
}
