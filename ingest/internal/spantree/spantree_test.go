package spantree

import "testing"

// TestBreakCycles: the cut is at the lowest index of each cycle; chains
// and trees are left alone. By hand: 0→1→2→0 is cut at 0; 3→4→3 at 3;
// 5→0 (into a former cycle) and 6 (a root) stay.
func TestBreakCycles(t *testing.T) {
	parent := []int{1, 2, 0, 4, 3, 0, -1}
	BreakCycles(parent)
	want := []int{-1, 2, 0, -1, 3, 0, -1}
	for i := range want {
		if parent[i] != want[i] {
			t.Fatalf("parent = %v, want %v", parent, want)
		}
	}
}
