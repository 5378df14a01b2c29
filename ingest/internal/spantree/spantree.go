// Package spantree holds what the span readers (OpenTelemetry formats,
// Langfuse) share about the parent links of a trace's spans.
package spantree

// BreakCycles makes parent a forest: spans whose parent ids form a cycle
// (A's parent is B and B's is A: a hostile or broken export) would each be
// an ancestor of the other, so every call in the cycle would look like a
// wrapper of another and its tokens would vanish. In each cycle the span
// that comes first in input order (the lowest index) becomes a root;
// the choice depends only on the input. Linear: every span is walked once.
func BreakCycles(parent []int) {
	const unseen, done = 0, -1
	mark := make([]int, len(parent)) // unseen, done, or the walk that reached it (1-based)
	for start := range parent {
		if mark[start] != unseen {
			continue
		}
		walk := start + 1
		i := start
		for i >= 0 && mark[i] == unseen {
			mark[i] = walk
			i = parent[i]
		}
		if i >= 0 && mark[i] == walk {
			// i is on a cycle this walk closed: cut it at its first span.
			first := i
			for j := parent[i]; j != i; j = parent[j] {
				first = min(first, j)
			}
			parent[first] = -1
		}
		for j := start; j >= 0 && mark[j] == walk; j = parent[j] {
			mark[j] = done
		}
	}
}
