package report

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Trend defaults (docs/trend.md).
const (
	DefaultTrendWindow    = 7   // trailing runs whose median is the baseline
	DefaultTrendThreshold = 0.2 // relative change that flags a run
	DefaultTrendSustain   = 3   // consecutive flagged runs that make a shift
	// minTrendBaseline is how many earlier runs a run needs before it is
	// compared at all: the median of one or two nights is one night.
	minTrendBaseline = 3
)

// TrendOptions sets the change detection.
type TrendOptions struct {
	Window    int     // trailing runs in the baseline median
	Threshold float64 // flag when |value − median| / median exceeds it
	Sustain   int     // consecutive flagged runs, same direction, that name a shift
}

// SeriesReport is one report of a series with where it came from.
type SeriesReport struct {
	Path     string
	Analysis *Analysis
}

// TrendRun is one report of the series, reduced to the figures the trend
// follows.
type TrendRun struct {
	Label   string `json:"label"`
	Source  string `json:"source"`
	FirstTS string `json:"first_ts,omitempty"`
	LastTS  string `json:"last_ts,omitempty"`
	// Values holds each metric of Trend.Series by key; a metric the
	// report does not have (a workflow absent that night) is missing.
	Values map[string]float64 `json:"values"`
	// CI holds [lower, upper] of the 95% order-statistic interval of
	// cost_p95 and cost_p99; a bound the sample cannot give is null.
	CI map[string][2]*float64 `json:"ci,omitempty"`
}

// TrendPoint is one metric of one run against its trailing median.
type TrendPoint struct {
	Value *float64 `json:"value"`
	// Baseline is the median of the metric over the previous Window runs
	// (those that have it); null before minTrendBaseline of them.
	Baseline *float64 `json:"baseline"`
	// Rel is (value − baseline) / baseline; null when either is missing
	// or the baseline is 0.
	Rel *float64 `json:"rel_change"`
	// Flag is "up" or "down" when the change passes the threshold (and,
	// for P95/P99, the baseline lies outside the run's confidence
	// interval); "" otherwise.
	Flag string `json:"flag,omitempty"`
	// WithinCI marks a P95/P99 change past the threshold that is not
	// flagged because the baseline lies inside the run's 95% interval, or
	// the sample is too small to give the bound on that side: this
	// night's sample cannot tell it from noise.
	WithinCI bool `json:"within_ci,omitempty"`
}

// TrendShift is a sustained change: a flagged run and at least
// Sustain−1 runs after it past the threshold against the same baseline,
// in the same direction; named by the flagged run.
type TrendShift struct {
	Metric    string  `json:"metric"`
	Run       int     `json:"run"` // index into Trend.Runs
	Label     string  `json:"label"`
	Direction string  `json:"direction"`
	Runs      int     `json:"runs"`   // consecutive runs past the threshold, the flagged one first
	Before    float64 `json:"before"` // trailing median before the first run: the held baseline
	After     float64 `json:"after"`  // median of the flagged runs
	Rel       float64 `json:"rel_change"`
}

// TrendSeries is one metric over the runs.
type TrendSeries struct {
	Key    string       `json:"key"`
	Label  string       `json:"label"`
	Unit   string       `json:"unit"` // usd, tokens, sessions, share
	Points []TrendPoint `json:"points"`
}

// Trend is `tokcost trend`'s result: the runs in order, every metric's
// series with its flags, and the sustained shifts.
type Trend struct {
	SchemaVersion int     `json:"schema_version"`
	Window        int     `json:"window"`
	Threshold     float64 `json:"threshold"`
	Sustain       int     `json:"sustain"`
	// OrderedBy is "time_range" (each report's input.first_ts) or
	// "file_name" when some report records no time range.
	OrderedBy string        `json:"ordered_by"`
	Runs      []TrendRun    `json:"runs"`
	Series    []TrendSeries `json:"series"`
	Shifts    []TrendShift  `json:"shifts"`
	Notes     []string      `json:"notes"`
}

// trendMetric reads one figure of a report; ok false when it has none.
type trendMetric struct {
	key, label, unit string
	of               func(a *Analysis) (float64, bool)
}

var trendMetrics = []trendMetric{
	{"sessions", "sessions", UnitSessions, func(a *Analysis) (float64, bool) { return float64(a.Sessions.Count), true }},
	{"cost_p50", "P50 cost / session", UnitUSD, func(a *Analysis) (float64, bool) { return a.Sessions.CostUSD.P50, a.Sessions.Count > 0 }},
	{"cost_p95", "P95 cost / session", UnitUSD, func(a *Analysis) (float64, bool) { return a.Sessions.CostUSD.P95, a.Sessions.Count > 0 }},
	{"cost_p99", "P99 cost / session", UnitUSD, func(a *Analysis) (float64, bool) { return a.Sessions.CostUSD.P99, a.Sessions.Count > 0 }},
	{"cost_total", "total cost", UnitUSD, func(a *Analysis) (float64, bool) { return a.Sessions.CostUSD.Total, true }},
	{"tokens_total", "tokens", UnitTokens, func(a *Analysis) (float64, bool) { return a.Sessions.TotalTokens.Total, true }},
	{"runaway_sessions", "runaway sessions", UnitSessions, func(a *Analysis) (float64, bool) { return float64(a.Runaway.Count), true }},
	{"wasted_usd", "wasted in loops", UnitUSD, func(a *Analysis) (float64, bool) { return a.Runaway.WastedCostUSD, true }},
	{"unpriced_share", "unpriced token share", UnitShare, func(a *Analysis) (float64, bool) {
		if a.LLMTokens == 0 {
			return 0, true
		}
		return float64(a.UnpricedTokens) / float64(a.LLMTokens), true
	}},
}

// OrderSeries sorts reports by the time range they cover, or by path
// when one of them records none; it returns how they were ordered.
func OrderSeries(rs []SeriesReport) string {
	for _, r := range rs {
		if r.Analysis.Input.FirstTS == "" {
			sort.SliceStable(rs, func(i, j int) bool { return rs[i].Path < rs[j].Path })
			return "file_name"
		}
	}
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i].Analysis.Input, rs[j].Analysis.Input
		ta, tb := parseTS(a.FirstTS), parseTS(b.FirstTS)
		if !ta.Equal(tb) {
			return ta.Before(tb)
		}
		if la, lb := parseTS(a.LastTS), parseTS(b.LastTS); !la.Equal(lb) {
			return la.Before(lb)
		}
		return rs[i].Path < rs[j].Path
	})
	return "time_range"
}

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// sameRun tells a copy of a report (a baseline.json kept beside the
// nightly directories) from a different night: same range, same figures.
func sameRun(a, b *Analysis) bool {
	return a.Input.FirstTS != "" && a.Input.FirstTS == b.Input.FirstTS && a.Input.LastTS == b.Input.LastTS &&
		a.Sessions.Count == b.Sessions.Count && a.Sessions.CostUSD == b.Sessions.CostUSD &&
		a.Input.Records == b.Input.Records
}

// BuildTrend orders the reports, drops copies of the same run, and
// compares each run's metrics with their trailing medians.
func BuildTrend(rs []SeriesReport, opt TrendOptions) *Trend {
	if opt.Window < 1 {
		opt.Window = DefaultTrendWindow
	}
	if opt.Sustain < 1 {
		opt.Sustain = DefaultTrendSustain
	}
	t := &Trend{SchemaVersion: SchemaVersion, Window: opt.Window, Threshold: opt.Threshold, Sustain: opt.Sustain,
		Runs: []TrendRun{}, Series: []TrendSeries{}, Shifts: []TrendShift{}, Notes: []string{}}
	rs = slices.Clone(rs)
	t.OrderedBy = OrderSeries(rs)
	if t.OrderedBy == "file_name" {
		t.Notes = append(t.Notes, "some reports record no time range (input.first_ts): runs are ordered by file name")
	}
	kept := rs[:0:0]
	for _, r := range rs {
		if len(kept) > 0 && sameRun(kept[len(kept)-1].Analysis, r.Analysis) {
			t.Notes = append(t.Notes, fmt.Sprintf("%s is a copy of %s (same time range and figures): left out", r.Path, kept[len(kept)-1].Path))
			continue
		}
		kept = append(kept, r)
	}
	rs = kept
	if t.OrderedBy == "time_range" {
		if o := overlapping(rs); len(o) > 0 {
			t.Notes = append(t.Notes, fmt.Sprintf("%d runs overlap the run before them by more than half of the shorter range (two fleets or re-runs mixed in one series?): %s",
				len(o), strings.Join(o, ", ")))
		}
	}

	// Metrics: the fixed ones, then per group (group_by, or workflow) and
	// per model, in order of first appearance.
	metrics := slices.Clone(trendMetrics)
	seen := map[string]bool{}
	addMetric := func(m trendMetric) {
		if !seen[m.key] {
			seen[m.key] = true
			metrics = append(metrics, m)
		}
	}
	for _, r := range rs {
		a := r.Analysis
		for _, g := range a.Groups {
			field, name := a.GroupBy, g.Group
			addMetric(trendMetric{fmt.Sprintf("%s=%s:cost_p95", field, name), fmt.Sprintf("P95 cost, %s=%s", field, name), UnitUSD, groupMetric(field, name, true)})
			addMetric(trendMetric{fmt.Sprintf("%s=%s:cost_total", field, name), fmt.Sprintf("total cost, %s=%s", field, name), UnitUSD, groupMetric(field, name, false)})
		}
		if len(a.Groups) == 0 || a.GroupBy != "workflow" {
			for _, w := range a.Workflows {
				name := orNone(w.Workflow)
				addMetric(trendMetric{"workflow=" + name + ":cost_p95", "P95 cost, workflow=" + name, UnitUSD, groupMetric("workflow", name, true)})
				addMetric(trendMetric{"workflow=" + name + ":cost_total", "total cost, workflow=" + name, UnitUSD, groupMetric("workflow", name, false)})
			}
		}
		for _, m := range a.Models {
			name := orNone(m.Model)
			addMetric(trendMetric{"model=" + name + ":cost_total", "cost, model=" + name, UnitUSD, modelMetric(m.Model)})
		}
	}

	for _, r := range rs {
		a := r.Analysis
		run := TrendRun{Source: r.Path, FirstTS: a.Input.FirstTS, LastTS: a.Input.LastTS, Values: map[string]float64{}}
		for _, m := range metrics {
			if v, ok := m.of(a); ok {
				run.Values[m.key] = v
			}
		}
		if a.CostCI != nil {
			run.CI = map[string][2]*float64{
				"cost_p50": {a.CostCI.P50.Lower, a.CostCI.P50.Upper},
				"cost_p95": {a.CostCI.P95.Lower, a.CostCI.P95.Upper},
				"cost_p99": {a.CostCI.P99.Lower, a.CostCI.P99.Upper},
			}
		}
		t.Runs = append(t.Runs, run)
	}
	labelRuns(t.Runs)
	// What the figures stand on: lower bounds, and a price table that
	// changed under the series (a shift that is not usage).
	var partial []string
	for i, r := range rs {
		a := r.Analysis
		if a.Sessions.PartialCost > 0 || len(a.Input.Unpriced) > 0 {
			partial = append(partial, t.Runs[i].Label)
		}
		if i > 0 {
			prev := rs[i-1].Analysis.Pricing
			if prev.SHA256 != "" && a.Pricing.SHA256 != "" && prev.SHA256 != a.Pricing.SHA256 {
				t.Notes = append(t.Notes, fmt.Sprintf("the price table changed at %s (%s → %s): cost changes from there may be prices, not usage",
					t.Runs[i].Label, orNone(prev.Version), orNone(a.Pricing.Version)))
			}
			if pc, cc := rs[i-1].Analysis.Pricing.CostSource, a.Pricing.CostSource; pc != cc {
				t.Notes = append(t.Notes, fmt.Sprintf("the cost source changed at %s (%s → %s)", t.Runs[i].Label, orNone(pc), orNone(cc)))
			}
		}
	}
	if len(partial) > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("%d runs have unpriced calls, so their costs are lower bounds: %s", len(partial), strings.Join(partial, ", ")))
	}

	for _, m := range metrics {
		s := TrendSeries{Key: m.key, Label: m.label, Unit: m.unit, Points: make([]TrendPoint, len(t.Runs))}
		var hist []float64 // the metric's values so far, in run order
		for i, run := range t.Runs {
			p := &s.Points[i]
			v, ok := run.Values[m.key]
			if !ok {
				continue
			}
			p.Value = &v
			if len(hist) >= minTrendBaseline {
				med := median(hist[max(0, len(hist)-opt.Window):])
				p.Baseline = &med
				ci, hasCI := run.CI[m.key]
				p.Flag, p.Rel, p.WithinCI = compare(v, med, opt.Threshold, ci, hasCI)
			}
			hist = append(hist, v)
		}
		t.Series = append(t.Series, s)
		t.Shifts = append(t.Shifts, shifts(s, t.Runs, opt.Sustain, opt.Threshold)...)
	}
	if len(t.Runs) > 0 && len(t.Runs) <= minTrendBaseline {
		t.Notes = append(t.Notes, fmt.Sprintf("%d runs: a run is compared only after %d earlier ones", len(t.Runs), minTrendBaseline))
	}
	return t
}

// overlapping names the runs (in order) whose time range overlaps the
// previous run's by more than half of the shorter of the two: reports of
// the same time, not successive nights (which touch at most briefly).
func overlapping(rs []SeriesReport) []string {
	var out []string
	for i := 1; i < len(rs); i++ {
		a, b := rs[i-1].Analysis.Input, rs[i].Analysis.Input
		af, al := parseTS(a.FirstTS).UnixNano(), parseTS(a.LastTS).UnixNano()
		bf, bl := parseTS(b.FirstTS).UnixNano(), parseTS(b.LastTS).UnixNano()
		shorter := min(al-af, bl-bf)
		ov := min(al, bl) - max(af, bf)
		if af == bf || ov > 0 && ov > shorter/2 {
			out = append(out, rs[i].Path)
		}
	}
	return out
}

func groupMetric(field, name string, p95 bool) func(a *Analysis) (float64, bool) {
	pick := func(d GroupReport) (float64, bool) {
		if p95 {
			return d.Sessions.CostUSD.P95, d.Sessions.Count > 0
		}
		return d.Sessions.CostUSD.Total, true
	}
	return func(a *Analysis) (float64, bool) {
		if a.GroupBy == field {
			for _, g := range a.Groups {
				if g.Group == name {
					return pick(g)
				}
			}
		}
		if field == "workflow" {
			for _, w := range a.Workflows {
				if orNone(w.Workflow) == name {
					if p95 {
						return w.CostUSD.P95, w.Sessions > 0
					}
					return w.CostUSD.Total, true
				}
			}
		}
		return 0, false
	}
}

func modelMetric(model string) func(a *Analysis) (float64, bool) {
	return func(a *Analysis) (float64, bool) {
		for _, m := range a.Models {
			if m.Model == model {
				return m.CostUSD, true
			}
		}
		return 0, false
	}
}

// labelRuns names each run by the UTC day its range starts, with the
// time when two runs start the same day, or by its file without one.
func labelRuns(runs []TrendRun) {
	days := map[string]int{}
	for _, r := range runs {
		if r.FirstTS != "" {
			days[parseTS(r.FirstTS).Format(time.DateOnly)]++
		}
	}
	for i := range runs {
		r := &runs[i]
		switch {
		case r.FirstTS == "":
			r.Label = runName(r.Source)
		case days[parseTS(r.FirstTS).Format(time.DateOnly)] > 1:
			r.Label = parseTS(r.FirstTS).Format("2006-01-02 15:04")
		default:
			r.Label = parseTS(r.FirstTS).Format(time.DateOnly)
		}
	}
}

// runName is a report's file name, or its directory's when the file has
// a generic name (OUT/2026-11-01/report.json).
func runName(path string) string {
	base := filepath.Base(path)
	if base == "report.json" {
		if d := filepath.Base(filepath.Dir(path)); d != "." && d != string(filepath.Separator) {
			return d
		}
	}
	return strings.TrimSuffix(base, ".json")
}

// median of values (not modified).
func median(values []float64) float64 {
	s := slices.Clone(values)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// compare flags v against the baseline median. A percentile with a
// confidence interval (ci, from the run's report) is flagged only when the
// baseline lies outside it on the side of the change: otherwise the
// night's own sample is compatible with no change, or (a bound the
// sample is too small to give) cannot rule it out.
func compare(v, med, threshold float64, ci [2]*float64, hasCI bool) (flag string, rel *float64, withinCI bool) {
	if med == 0 {
		if v > 0 {
			return "up", nil, false // from nothing: no ratio, still a change
		}
		return "", nil, false
	}
	r := (v - med) / math.Abs(med)
	rel = &r
	// An interval missing a bound (P99 below 368 sessions) marks a
	// percentile the sample cannot pin down: no flag either way.
	unpinned := hasCI && (ci[0] == nil || ci[1] == nil)
	switch {
	case r > threshold:
		if unpinned || hasCI && *ci[0] <= med {
			return "", rel, true
		}
		return "up", rel, false
	case r < -threshold:
		if unpinned || hasCI && *ci[1] >= med {
			return "", rel, true
		}
		return "down", rel, false
	}
	return "", rel, false
}

// shifts names sustained changes: a flagged run whose next sustain−1
// runs all differ from the same baseline (the trailing median before the
// flagged run) by more than the threshold, in the same direction. The
// baseline is held because a trailing median follows a real step within
// a few runs; the later runs need not be flagged themselves (their own
// confidence intervals are one night's evidence each).
func shifts(s TrendSeries, runs []TrendRun, sustain int, threshold float64) []TrendShift {
	var out []TrendShift
	for i := 0; i < len(s.Points); i++ {
		p := s.Points[i]
		if p.Flag == "" || p.Baseline == nil || *p.Baseline == 0 {
			continue
		}
		base := *p.Baseline
		j := i + 1
		for j < len(s.Points) && s.Points[j].Value != nil && beyond(*s.Points[j].Value, base, threshold, p.Flag) {
			j++
		}
		if j-i < sustain {
			continue
		}
		vals := make([]float64, 0, j-i)
		for k := i; k < j; k++ {
			vals = append(vals, *s.Points[k].Value)
		}
		sh := TrendShift{Metric: s.Key, Run: i, Label: runs[i].Label, Direction: p.Flag, Runs: j - i, Before: base, After: median(vals)}
		sh.Rel = (sh.After - sh.Before) / math.Abs(sh.Before)
		out = append(out, sh)
		i = j - 1 // the next shift starts after this one
	}
	return out
}

// beyond tells whether v differs from base by more than threshold in dir.
func beyond(v, base, threshold float64, dir string) bool {
	r := (v - base) / math.Abs(base)
	if dir == "up" {
		return r > threshold
	}
	return r < -threshold
}

// TrailingMedian is the median of the last window values of the metric
// key over earlier reports (already in order): check --history's
// baseline. ok is false without any.
func TrailingMedian(history []*Analysis, window int, key string) (med float64, used int, ok bool) {
	var m *trendMetric
	for i := range trendMetrics {
		if trendMetrics[i].key == key {
			m = &trendMetrics[i]
		}
	}
	if m == nil {
		return 0, 0, false
	}
	var vals []float64
	for _, a := range history {
		if v, ok := m.of(a); ok {
			vals = append(vals, v)
		}
	}
	vals = vals[max(0, len(vals)-window):]
	if len(vals) == 0 {
		return 0, 0, false
	}
	return median(vals), len(vals), true
}

// ParseThreshold reads a relative change: "20%" or 0.2.
func ParseThreshold(s string) (float64, error) {
	v, err := parseShare(s, false)
	if err != nil {
		return 0, err
	}
	return *v, nil
}

// EarlierRuns keeps the reports of history that cover time before a: those
// whose range starts before a's. Without a time range in a it keeps them
// all, in file-name order, and says so in note. Reports that record no
// range (written before input.first_ts existed) count as earlier, first,
// in file-name order, and note says so; a report that records one counts
// only when it starts before a, so tonight's own report, already in the
// history, is never part of its own baseline.
func EarlierRuns(a *Analysis, history []SeriesReport) (kept []*Analysis, note string) {
	hs := slices.Clone(history)
	by := OrderSeries(hs)
	if a.Input.FirstTS == "" {
		note = "this input records no time range: every report in the history counts, in file-name order"
		for _, h := range hs {
			kept = append(kept, h.Analysis)
		}
		return kept, note
	}
	if by == "file_name" {
		var untimed, timed []SeriesReport
		for _, h := range hs {
			if h.Analysis.Input.FirstTS == "" {
				untimed = append(untimed, h)
			} else {
				timed = append(timed, h)
			}
		}
		OrderSeries(timed)
		hs = append(untimed, timed...)
		note = fmt.Sprintf("%d reports in the history record no time range: they count as earlier runs, before the others, in file-name order", len(untimed))
	}
	start := parseTS(a.Input.FirstTS)
	for _, h := range hs {
		if h.Analysis.Input.FirstTS == "" {
			kept = append(kept, h.Analysis)
			continue
		}
		if len(kept) > 0 && sameRun(kept[len(kept)-1], h.Analysis) {
			continue // a copy (baseline.json) counts once
		}
		if parseTS(h.Analysis.Input.FirstTS).Before(start) {
			kept = append(kept, h.Analysis)
		}
	}
	return kept, note
}

// AddHistoryRule adds max-p95-rise to res: a's P95 cost against the median
// of the last window earlier runs. ok is false when history has no run
// with a P95, and then no rule is added.
func AddHistoryRule(res *CheckResult, a *Analysis, earlier []*Analysis, rise float64, window int) (used int, ok bool) {
	med, used, ok := TrailingMedian(earlier, window, "cost_p95")
	if !ok {
		return 0, false
	}
	limit := med * (1 + rise)
	pass := a.Sessions.CostUSD.P95 <= limit+1e-12*math.Max(1, math.Abs(limit))
	res.Rules = append(res.Rules, RuleResult{Rule: "max-p95-rise", Scope: fmt.Sprintf("p95 cost vs median of %d earlier runs", used),
		Measured: a.Sessions.CostUSD.P95, Limit: limit, Unit: UnitUSD, Baseline: &med, Pass: pass})
	if !pass {
		res.Pass = false
		res.Failed++
	}
	return used, true
}
