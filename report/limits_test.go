package report

import (
	"math"
	"testing"
)

// Writers are total-safe: a non-finite figure (which the readers'
// bounds keep out of any report) neither hangs a chart nor prints "$+Inf".
func TestWritersNonFinite(t *testing.T) {
	for _, v := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
		if ticks := (niceTicks{unit: "$"}).Ticks(0, v); ticks != nil { // before the guard: never returned
			t.Errorf("Ticks(0, %v) = %v", v, ticks)
		}
		if got := usd(v); got != "n/a (not finite)" {
			t.Errorf("usd(%v) = %q", v, got)
		}
		if got := num(v); got != "n/a (not finite)" {
			t.Errorf("num(%v) = %q", v, got)
		}
	}
}
