package report

import (
	"bytes"
	"testing"

	"github.com/tokcost/tokcost/analyze"
)

// TestHTMLSingleSession: one session gives a log axis over a single value,
// which made gonum/plot panic and the whole report fail. It must render,
// with its charts (distribution and cost by model; react10 has no loop to
// chart).
func TestHTMLSingleSession(t *testing.T) {
	for _, f := range []string{"react10.jsonl", "retry15.jsonl"} {
		a := build(t, BuildOptions{TopN: 5}, f)
		out := render(t, "html", a)
		if n := bytes.Count(out, []byte("<svg")); n < 2 || bytes.Contains(out, []byte("chart unavailable")) {
			t.Errorf("%s: %d charts, unavailable=%v", f, n, bytes.Contains(out, []byte("chart unavailable")))
		}
	}
}

// TestCDFChartBounded: a large fleet's cost CDF is drawn at cdfSteps
// ranks, not one step per session. 100,000 sessions drawn one step each
// made ~1.4 MB of SVG path (200,000 points at ~7 bytes); bounded, it is
// a few hundred KB at most, and the curve still ends at 100%.
func TestCDFChartBounded(t *testing.T) {
	costs := make([]float64, 100000)
	for i := range costs {
		costs[i] = 0.001 * float64(1+i%977) * float64(1+i%13) // positive, spread, unsorted
	}
	svg, err := costCDFChart(costs, analyze.Distribute(costs), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(svg) > 300<<10 {
		t.Fatalf("CDF chart of 100,000 sessions is %d bytes, want ≤ 300 KiB", len(svg))
	}
	small, err := costCDFChart(costs[:cdfSteps], analyze.Distribute(costs[:cdfSteps]), nil)
	if err != nil || len(small) == 0 {
		t.Fatalf("small chart: %d bytes, %v", len(small), err)
	}
}
