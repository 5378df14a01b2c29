package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/analyze"
)

// night is a minimal report: one day's range, a session count and a P95
// (all the trend reads of these tests).
func night(day string, p95, total float64) *Analysis {
	a := &Analysis{SchemaVersion: SchemaVersion, Tool: ToolInfo{Name: "tokcost"}}
	if day != "" {
		a.Input.FirstTS, a.Input.LastTS = day+"T01:00:00Z", day+"T23:00:00Z"
	}
	a.Sessions.Count = 100
	a.Sessions.CostUSD = analyze.Distribution{P50: p95 / 4, P95: p95, P99: p95 * 2, Total: total}
	return a
}

func seriesOf(t *testing.T, tr *Trend, key string) TrendSeries {
	t.Helper()
	for _, s := range tr.Series {
		if s.Key == key {
			return s
		}
	}
	t.Fatalf("no series %s", key)
	return TrendSeries{}
}

// TestTrendFlagsAndShift: P95 of 1.00, 1.10, 0.90, 1.00, 1.05 then 1.50,
// 1.40, 1.45, and a single spike handled as a flag, not a shift.
//
// Run 4 (0-based 3) is the first compared: median(1.00, 1.10, 0.90) =
// 1.00, value 1.00, +0%. Run 5: median(1.00, 1.10, 0.90, 1.00) = 1.00,
// +5%. Run 6 (1.50): median of the 5 earlier = 1.00, +50% → flagged up.
// Runs 7 and 8 are flagged against their own medians too: median(1.00,
// 1.10, 0.90, 1.00, 1.05, 1.50) = 1.025, +36.6%; median of the 7 before
// run 8 = 1.05, +38%. Against the held baseline 1.00: +40% and +45%: three runs
// past 20% against 1.00, so a shift named at run 6, after = median(1.50,
// 1.40, 1.45) = 1.45, +45%.
func TestTrendFlagsAndShift(t *testing.T) {
	p95 := []float64{1.00, 1.10, 0.90, 1.00, 1.05, 1.50, 1.40, 1.45}
	days := []string{"2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06", "2026-11-07", "2026-11-08"}
	var rs []SeriesReport
	// Given out of order: the time range orders them.
	for i := len(p95) - 1; i >= 0; i-- {
		rs = append(rs, SeriesReport{Path: "r" + days[i] + ".json", Analysis: night(days[i], p95[i], 10)})
	}
	tr := BuildTrend(rs, TrendOptions{Window: 7, Threshold: 0.2, Sustain: 3})
	if tr.OrderedBy != "time_range" || tr.Runs[0].Label != "2026-11-01" {
		t.Fatalf("ordered by %s, first %s", tr.OrderedBy, tr.Runs[0].Label)
	}
	s := seriesOf(t, tr, "cost_p95")
	for i := 0; i < 3; i++ {
		if s.Points[i].Baseline != nil {
			t.Errorf("run %d compared with %d earlier runs", i+1, i)
		}
	}
	if b := *s.Points[3].Baseline; b != 1.00 {
		t.Errorf("run 4 baseline %v, want 1.00", b)
	}
	for i, want := range []string{"", "", "", "", "", "up", "up", "up"} {
		if s.Points[i].Flag != want {
			t.Errorf("run %d flag %q, want %q", i+1, s.Points[i].Flag, want)
		}
	}
	var sh []TrendShift
	for _, x := range tr.Shifts {
		if x.Metric == "cost_p95" {
			sh = append(sh, x)
		}
	}
	if len(sh) != 1 || sh[0].Label != "2026-11-06" || sh[0].Runs != 3 || sh[0].Before != 1.00 || sh[0].After != 1.45 {
		t.Fatalf("shifts %+v, want one from 2026-11-06 over 3 runs, 1.00 → 1.45", sh)
	}

	// A single spike: 1.00 ×5, 2.00, 1.00, 1.00: run 6 flagged (+100%),
	// runs 7 and 8 back at +0% against the held 1.00: no shift.
	rs = rs[:0]
	for i, v := range []float64{1, 1, 1, 1, 1, 2, 1, 1} {
		rs = append(rs, SeriesReport{Path: days[i], Analysis: night(days[i], v, 10)})
	}
	tr = BuildTrend(rs, TrendOptions{Window: 7, Threshold: 0.2, Sustain: 3})
	if s := seriesOf(t, tr, "cost_p95"); s.Points[5].Flag != "up" {
		t.Errorf("spike not flagged: %+v", s.Points[5])
	}
	for _, x := range tr.Shifts {
		if x.Metric == "cost_p95" {
			t.Errorf("a one-night spike made a shift: %+v", x)
		}
	}
}

// TestTrendCIHoldsFlag: a P95 rise past the threshold whose confidence
// interval still holds the baseline is not flagged (within_ci).
func TestTrendCIHoldsFlag(t *testing.T) {
	days := []string{"2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"}
	var rs []SeriesReport
	for i, v := range []float64{1, 1, 1, 1.5} {
		a := night(days[i], v, 10)
		lo, hi := 0.8, 2.0 // holds the baseline 1.00
		if i < 3 {
			lo, hi = 0.9, 1.1
		}
		a.CostCI = &CostCI{P50: analyze.Interval{Lower: &lo, Upper: &hi}, P95: analyze.Interval{Lower: &lo, Upper: &hi}, P99: analyze.Interval{Lower: &lo, Upper: &hi}}
		rs = append(rs, SeriesReport{Path: days[i], Analysis: a})
	}
	tr := BuildTrend(rs, TrendOptions{Window: 7, Threshold: 0.2, Sustain: 3})
	p := seriesOf(t, tr, "cost_p95").Points[3]
	if p.Flag != "" || !p.WithinCI || p.Rel == nil || *p.Rel != 0.5 {
		t.Errorf("point %+v, want unflagged, within_ci, +50%%", p)
	}
	// The total has no interval: +0% here, nothing to hold.
	if p := seriesOf(t, tr, "cost_total").Points[3]; p.WithinCI {
		t.Errorf("total within_ci: %+v", p)
	}
}

// TestTrendFileNameOrderAndCopies: without time ranges the file names
// order the runs (and the output says so); a copy of a run with the same
// range and figures is counted once.
func TestTrendFileNameOrderAndCopies(t *testing.T) {
	rs := []SeriesReport{
		{Path: "b/report.json", Analysis: night("", 2, 20)},
		{Path: "a/report.json", Analysis: night("", 1, 10)},
	}
	tr := BuildTrend(rs, TrendOptions{})
	if tr.OrderedBy != "file_name" || tr.Runs[0].Label != "a" || len(tr.Notes) == 0 {
		t.Errorf("ordered by %s, first %q, notes %v", tr.OrderedBy, tr.Runs[0].Label, tr.Notes)
	}
	rs = []SeriesReport{
		{Path: "out/2026-11-01/report.json", Analysis: night("2026-11-01", 1, 10)},
		{Path: "out/baseline.json", Analysis: night("2026-11-01", 1, 10)},
		{Path: "out/2026-11-02/report.json", Analysis: night("2026-11-02", 1, 10)},
	}
	tr = BuildTrend(rs, TrendOptions{})
	if len(tr.Runs) != 2 || !strings.Contains(strings.Join(tr.Notes, " "), "baseline.json is a copy") {
		t.Errorf("%d runs, notes %v", len(tr.Runs), tr.Notes)
	}
}

func TestSparkline(t *testing.T) {
	v := func(xs ...float64) []*float64 {
		out := make([]*float64, len(xs))
		for i := range xs {
			out[i] = &xs[i]
		}
		return out
	}
	// 0..7 maps one to one onto the eight heights.
	if got := Sparkline(v(0, 1, 2, 3, 4, 5, 6, 7)); got != "▁▂▃▄▅▆▇█" {
		t.Errorf("got %q", got)
	}
	if got := Sparkline(v(5, 5)); got != "▄▄" {
		t.Errorf("flat: %q", got)
	}
	if got := Sparkline(append(v(0), nil, &[]float64{7}[0])); got != "▁ █" {
		t.Errorf("gap: %q", got)
	}
}

// TestTrendWriters: every format renders, the Markdown carries the
// sparkline and the shift, the HTML charts and no script.
func TestTrendWriters(t *testing.T) {
	p95 := []float64{1.00, 1.10, 0.90, 1.00, 1.05, 1.50, 1.40, 1.45}
	var rs []SeriesReport
	for i, v := range p95 {
		day := "2026-11-0" + string(rune('1'+i))
		rs = append(rs, SeriesReport{Path: day, Analysis: night(day, v, 10)})
	}
	tr := BuildTrend(rs, TrendOptions{Window: 7, Threshold: 0.2, Sustain: 3})
	for _, f := range TrendWriters.Names() {
		var b bytes.Buffer
		if err := WriteTrend(&b, f, tr); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out := b.String()
		switch f {
		case "markdown":
			// P95 1.00 1.10 0.90 1.00 1.05 1.50 1.40 1.45 over 0.90..1.50:
			// (v−0.9)/0.6·7 rounded = 1.17→1, 2.33→2, 0, 1.17→1, 1.75→2, 7, 5.83→6, 6.42→6.
			if !strings.Contains(out, "▂▃▁▂▃█▇▇") {
				t.Errorf("markdown: no P95 sparkline:\n%s", out)
			}
			if !strings.Contains(out, "P95 cost / session: rose from 2026-11-06") {
				t.Errorf("markdown: no shift line:\n%s", out)
			}
		case "html":
			if strings.Contains(out, "<script") || strings.Count(out, "<svg") != 3 || !strings.Contains(out, "<title>2026-11-06, P95 cost / session: $1.5000") {
				t.Errorf("html: %d charts, script %v", strings.Count(out, "<svg"), strings.Contains(out, "<script"))
			}
		}
	}
}

// TestTrendNotes: a run with unpriced calls and a price-table change are
// said, since either moves costs without any change in usage.
func TestTrendNotes(t *testing.T) {
	a, b := night("2026-11-01", 1, 10), night("2026-11-02", 1, 10)
	a.Pricing.SHA256, a.Pricing.Version = "aaa", "v1"
	b.Pricing.SHA256, b.Pricing.Version = "bbb", "v2"
	b.Sessions.PartialCost = 3
	tr := BuildTrend([]SeriesReport{{Path: "a", Analysis: a}, {Path: "b", Analysis: b}}, TrendOptions{})
	notes := strings.Join(tr.Notes, "\n")
	for _, want := range []string{"the price table changed at 2026-11-02 (v1 → v2)", "1 runs have unpriced calls, so their costs are lower bounds: 2026-11-02"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
}

// Two fleets' nightly reports in one directory (OUT/team-a/DAY/report.json
// and OUT/team-b/DAY/report.json) cover the same nights; ordered by
// first_ts they interleave, and each night is compared with a median of
// the other fleet's nights. Nothing in the figures can tell; the time
// ranges can: a-1 covers 01:00–23:00 and b-1 01:30–22:30 of the same day,
// so b-1 lies entirely inside a-1 (overlap 21 h, more than half of the
// shorter 21 h). The trend must say so. Day-partitioned nights that touch
// at midnight (10 minutes of overlap) are not such a mix.
func TestTrendNotesOverlappingRuns(t *testing.T) {
	var rs []SeriesReport
	for _, day := range []string{"2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"} {
		a, b := night(day, 1, 100), night(day, 5, 500)
		b.Input.FirstTS, b.Input.LastTS = day+"T01:30:00Z", day+"T22:30:00Z"
		rs = append(rs, SeriesReport{Path: "team-a/" + day + "/report.json", Analysis: a},
			SeriesReport{Path: "team-b/" + day + "/report.json", Analysis: b})
	}
	tr := BuildTrend(rs, TrendOptions{Window: 7, Threshold: 0.2, Sustain: 3})
	found := false
	for _, n := range tr.Notes {
		if strings.Contains(n, "overlap") {
			found = true
		}
	}
	if !found {
		t.Errorf("no note about runs covering the same time; notes: %q", tr.Notes)
	}

	// Nights that touch: 11-01 00:00 to 11-02 00:10, 11-02 00:00 to 11-03 00:10.
	var touch []SeriesReport
	for _, d := range [][2]string{{"2026-11-01T00:00:00Z", "2026-11-02T00:10:00Z"}, {"2026-11-02T00:00:00Z", "2026-11-03T00:10:00Z"}} {
		a := night("2026-11-01", 1, 100)
		a.Input.FirstTS, a.Input.LastTS = d[0], d[1]
		touch = append(touch, SeriesReport{Path: d[0], Analysis: a})
	}
	touch[1].Analysis.Sessions.Count = 99 // a different night, not a copy
	for _, n := range BuildTrend(touch, TrendOptions{Window: 7, Threshold: 0.2, Sustain: 3}).Notes {
		if strings.Contains(n, "overlap") {
			t.Errorf("nights touching at midnight noted as overlapping: %q", n)
		}
	}
}
