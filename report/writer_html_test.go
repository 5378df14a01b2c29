package report

import (
	"regexp"
	"strings"
	"testing"
)

// TestHTMLGolden pins the whole page, SVG included: charts are drawn at
// fixed sizes with no timestamps or random ids, so the bytes are stable
// and a golden diff shows exactly what moved. The structural checks below
// say what must hold whatever the rendering.
func TestHTMLGolden(t *testing.T) {
	d := load(t, "react10.jsonl", "retry15.jsonl")
	a := buildFrom(t, d, BuildOptions{TopN: 10, Caps: DefaultCaps(summaries(d))}, "react10.jsonl", "retry15.jsonl")
	got := render(t, "html", a)
	golden(t, "react10_retry15.html.golden", got)
	if again := render(t, "html", a); string(again) != string(got) {
		t.Error("two renderings of the same analysis differ")
	}
	page := string(got)

	// Self-contained: no scripts, no fetched resources. The only URLs are
	// the SVG namespace declarations.
	for _, bad := range []string{"<script", "<link", "@import", "url(", "src="} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	for _, u := range regexp.MustCompile(`https?://[^"\s]+`).FindAllString(page, -1) {
		if u != "http://www.w3.org/2000/svg" && u != "http://www.w3.org/1999/xlink" {
			t.Errorf("external URL %s", u)
		}
	}
	// Four charts: CDF, cost by model, context growth (retry-15 loops),
	// cap sweep (caps 1..15, the largest session's 15 calls).
	if n := strings.Count(page, "<svg "); n != 4 {
		t.Errorf("%d charts, want 4", n)
	}
	for _, title := range []string{"Per-session cost: CDF of 2 sessions", "Cost by model and token class (output: 3.6% of priced cost)",
		"Context growth per LLM call, worst runaway sessions", "Iteration cap: savings versus collateral",
		// Legends carry the hand-checked percentiles and the loop's waste.
		"P95 $1.9771", "P99 $2.0550", "retry-15 (wasted $2.0415)"} {
		if !strings.Contains(page, title) {
			t.Errorf("page lacks %q", title)
		}
	}
	// Output premium: output 5,300·15e-6 = $0.0795 of $2.202 = 3.6%.
	if !strings.Contains(page, `<div class="v">3.6%</div><div class="k">output premium</div>`) {
		t.Error("headline card for the output premium is missing")
	}
}

func TestHTMLWithoutSessions(t *testing.T) {
	// An Analysis read back from JSON has no sessions: the CDF is left out,
	// the rest still renders.
	a := build(t, BuildOptions{TopN: 3}, "react10.jsonl")
	a.sessions = nil
	page := string(render(t, "html", a))
	if strings.Contains(page, "CDF") || !strings.Contains(page, "Cost by model") {
		t.Error("want the model chart and no CDF")
	}
}
