package analyze

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestSortByID checks the two-core sort against a plain sort, on enough
// sessions to take the parallel path, with repeated-prefix ids.
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
