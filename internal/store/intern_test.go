package store

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestInternerAgainstMap checks the pointer-free interner against a Go map
// doing the same job: ids are dense in first-seen order, the same string
// always gets the same id, strings come back byte for byte (across block
// boundaries, the table's growth, strings longer than a block, and with
// the address cache on), and "" is 0.
func TestInternerAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	in := newInterner()
	want := map[string]uint32{"": 0}
	order := []string{""}
	for i := 0; i < 100000; i++ {
		if i == 1000 {
			in.recent = new(recentCache)
		}
		var s string
		switch rng.IntN(6) {
		case 0:
			s = ""
		case 1: // longer ones, now and then longer than a block
			s = strings.Repeat(strconv.Itoa(rng.IntN(50)), rng.IntN(300))
			if rng.IntN(200) == 0 {
				s = strings.Repeat("x", maxStrBlock+rng.IntN(1000))
			}
		case 2: // one seen before, as a new string with the same bytes
			s = strings.Clone(order[rng.IntN(len(order))])
		default:
			s = "s-" + strconv.Itoa(rng.IntN(60000))
		}
		id, added := in.add(s)
		w, seen := want[s]
		if !seen {
			w = uint32(len(order))
			want[s] = w
			order = append(order, s)
		}
		if id != w || added == seen && s != "" {
			t.Fatalf("step %d: add(%.20q) = %d, %v; want %d, %v", i, s, id, added, w, !seen)
		}
	}
	if in.len() != len(order) {
		t.Fatalf("%d strings, want %d", in.len(), len(order))
	}
	for id, s := range order {
		if got := in.str(uint32(id)); got != s {
			t.Fatalf("str(%d) = %.20q, want %.20q", id, got, s)
		}
	}
}
