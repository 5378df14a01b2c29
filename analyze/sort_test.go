package analyze

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestSortByID checks sortByID against a sort of the ids alone, with
// repeated-prefix ids.
func TestSortByID(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var ss []*Session
	var want []string
	for i := 0; i < 20000; i++ {
		id := strings.Repeat("s", rng.IntN(3)) + strconv.Itoa(rng.IntN(1e6))
		ss = append(ss, &Session{Summary: Summary{ID: id}})
		want = append(want, id)
	}
	slices.Sort(want)
	got := sortByID(ss)
	if len(got) != len(want) {
		t.Fatalf("%d sessions, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i] {
			t.Fatalf("position %d: %s, want %s", i, got[i].ID, want[i])
		}
	}
}

// BenchmarkSortByID sorts 200,000 generated-fleet-like ids, as Finish
// does (the figure in sortByID's comment).
func BenchmarkSortByID(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := make([]*Session, 200000)
	for i := range base {
		base[i] = &Session{Summary: Summary{ID: "sess-" + strconv.FormatUint(rng.Uint64(), 16)}}
	}
	ss := make([]*Session, len(base))
	for b.Loop() {
		copy(ss, base)
		sortByID(ss)
	}
}
