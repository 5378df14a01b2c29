package report

import (
	"bytes"
	"testing"
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
