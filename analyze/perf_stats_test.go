package analyze

import (
	"math"
	"math/rand/v2"
	"slices"
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
