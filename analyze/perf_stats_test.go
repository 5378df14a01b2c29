package analyze

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/montanaflynn/stats"
)

// TestPercentileMatchesLibrary holds the single-sort percentile to the
// library Distribute used before, on data with ties, zeros and extremes.
func TestPercentileMatchesLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 300; n += 7 {
		vals := make([]float64, n)
		for i := range vals {
			switch rng.IntN(4) {
			case 0:
				vals[i] = float64(rng.IntN(5)) // ties
			case 1:
				vals[i] = rng.ExpFloat64() * 1e3
			case 2:
				vals[i] = math.MaxFloat64 * float64(rng.IntN(2)*2-1)
			default:
				vals[i] = rng.Float64()
			}
		}
		sorted := slices.Clone(vals)
		slices.Sort(sorted)
		for _, p := range []float64{1, 25, 50, 95, 99, 99.9, 100} {
			want, err := stats.Percentile(vals, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := percentile(sorted, p); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("n=%d p=%v: got %v, library %v", n, p, got, want)
			}
		}
	}
}

// topByCostReference is TopByCost as it was: a stable sort of a copy.
func topByCostReference(sessions []*Session, n int) []*Session {
	top := append([]*Session(nil), sessions...)
	sort.SliceStable(top, func(i, j int) bool {
		if top[i].CostUSD != top[j].CostUSD {
			return top[i].CostUSD > top[j].CostUSD
		}
		return top[i].ID < top[j].ID
	})
	if n >= 0 && len(top) > n {
		top = top[:n]
	}
	return top
}

func randomSessions(n int, seed uint64) []*Session {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]*Session, n)
	for i := range out {
		// Few distinct costs and ids, so ties on both happen.
		out[i] = &Session{Summary: Summary{ID: fmt.Sprintf("s%d", rng.IntN(n/2+1)), CostUSD: float64(rng.IntN(20)) / 4}}
	}
	return out
}

func TestTopByCostMatchesStableSort(t *testing.T) {
	for _, size := range []int{0, 1, 2, 7, 100, 1000} {
		sessions := randomSessions(size, uint64(size))
		for _, n := range []int{-1, 0, 1, 3, 10, size / 2, size, size + 5} {
			got, want := TopByCost(sessions, n), topByCostReference(sessions, n)
			if len(got) != len(want) {
				t.Fatalf("size %d n %d: %d sessions, want %d", size, n, len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] { // same pointer: ties keep input order
					t.Fatalf("size %d n %d: [%d] = %s/%v, want %s/%v", size, n, i, got[i].ID, got[i].CostUSD, want[i].ID, want[i].CostUSD)
				}
			}
		}
	}
}

func BenchmarkTopByCost(b *testing.B) {
	sessions := randomSessions(200000, 1)
	for b.Loop() {
		TopByCost(sessions, 10)
	}
}
