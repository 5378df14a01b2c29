package store

import "testing"

// TestInputPosOrder: positions order by input, line, then record within
// the line, with no ties even past a million records in one line.
func TestInputPosOrder(t *testing.T) {
	ordered := []Pos{
		PosOf(-1, -5, -1), // clamped to the start
		PosOf(0, 1, 0),
		PosOf(0, 1, 1<<20),
		PosOf(0, 1, 1<<20+1),
		PosOf(0, 1, 1<<31-1),
		PosOf(0, 2, 0),
		PosOf(0, 1<<50, 0),
		PosOf(0, 1<<50+1, 0),
		PosOf(1, 0, 0),
		PosOf(1<<40, 0, 0), // clamped to the last input
	}
	for i := range ordered {
		for j := range ordered {
			if got, want := ordered[i].Before(ordered[j]), i < j; got != want {
				t.Errorf("%+v before %+v = %v, want %v", ordered[i], ordered[j], got, want)
			}
		}
	}
}
