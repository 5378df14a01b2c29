package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

// trendHeadline are the metrics the summary tables show, in order; the
// rest (per group, per model) follow in the JSON and the HTML.
var trendHeadline = []string{"sessions", "cost_p50", "cost_p95", "cost_p99", "cost_total", "tokens_total", "runaway_sessions", "wasted_usd", "unpriced_share"}

// WriteTrend renders a trend in one of TrendWriters' formats.
func WriteTrend(w io.Writer, format string, t *Trend) error {
	return TrendWriters.write(w, format, t)
}

func (t *Trend) series(key string) *TrendSeries {
	for i := range t.Series {
		if t.Series[i].Key == key {
			return &t.Series[i]
		}
	}
	return nil
}

// sparkBars are the eight block heights of a sparkline.
var sparkBars = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws values from lowest (▁) to highest (█), a space for a
// missing value; a flat series is all ▄.
func Sparkline(values []*float64) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if v != nil {
			lo, hi = math.Min(lo, *v), math.Max(hi, *v)
		}
	}
	var b strings.Builder
	for _, v := range values {
		switch {
		case v == nil:
			b.WriteRune(' ')
		case hi == lo:
			b.WriteRune(sparkBars[3])
		default:
			i := int(math.Round((*v - lo) / (hi - lo) * float64(len(sparkBars)-1)))
			b.WriteRune(sparkBars[i])
		}
	}
	return b.String()
}

func unitValue(unit string, v float64) string {
	switch unit {
	case UnitUSD:
		return usd(v)
	case UnitShare:
		return pct(v)
	}
	return num(v)
}

func relText(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%+.1f%%", *r*100)
}

// summaryRows is one row per headline metric: the sparkline, the first
// and last values, the last run against its trailing median, and the
// sustained shifts.
func (t *Trend) summaryRows(spark bool) (header []string, rows [][]string) {
	header = []string{"metric", "first", "last", "trailing median", "last vs median", "flagged runs", "shift from"}
	if spark {
		header = append(header[:1], append([]string{"trend"}, header[1:]...)...)
	}
	for _, key := range trendHeadline {
		s := t.series(key)
		if s == nil {
			continue
		}
		var vals []*float64
		flagged := 0
		for _, p := range s.Points {
			vals = append(vals, p.Value)
			if p.Flag != "" {
				flagged++
			}
		}
		first, last, med, rel := "—", "—", "—", "—"
		for _, p := range s.Points {
			if p.Value != nil {
				first = unitValue(s.Unit, *p.Value)
				break
			}
		}
		if n := len(s.Points); n > 0 {
			lp := s.Points[n-1]
			if lp.Value != nil {
				last = unitValue(s.Unit, *lp.Value)
			}
			if lp.Baseline != nil {
				med = unitValue(s.Unit, *lp.Baseline)
			}
			rel = relText(lp.Rel)
		}
		var from []string
		for _, sh := range t.Shifts {
			if sh.Metric == key {
				from = append(from, shiftArrow(sh.Direction)+" "+sh.Label)
			}
		}
		row := []string{s.Label, first, last, med, rel, count(int64(flagged)), strings.Join(from, ", ")}
		if spark {
			row = append(row[:1], append([]string{Sparkline(vals)}, row[1:]...)...)
		}
		rows = append(rows, row)
	}
	return header, rows
}

func shiftArrow(dir string) string {
	if dir == "down" {
		return "▼"
	}
	return "▲"
}

// runRows is one row per run with its headline figures; a flagged figure
// carries ▲ or ▼.
func (t *Trend) runRows() (header []string, rows [][]string) {
	keys := []string{"sessions", "cost_p50", "cost_p95", "cost_p99", "cost_total", "runaway_sessions", "wasted_usd", "unpriced_share"}
	header = []string{"run", "sessions", "P50", "P95", "P99", "total", "runaway", "wasted", "unpriced"}
	for i, r := range t.Runs {
		row := []string{r.Label}
		for _, k := range keys {
			s := t.series(k)
			p := s.Points[i]
			cell := "—"
			if p.Value != nil {
				cell = unitValue(s.Unit, *p.Value)
			}
			if p.Flag != "" {
				cell += " " + shiftArrow(p.Flag)
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	return header, rows
}

// shiftLines describes the shifts, headline metrics first; sub counts
// the per-group and per-model ones at the end.
func (t *Trend) shiftLines() (lines []string, sub int) {
	var head, rest []string
	for _, sh := range t.Shifts {
		s := t.series(sh.Metric)
		line := fmt.Sprintf("%s %s: %s from %s (%d runs in a row past the threshold), median %s before → %s after (%s)",
			shiftArrow(sh.Direction), s.Label, map[string]string{"up": "rose", "down": "fell"}[sh.Direction], sh.Label, sh.Runs,
			unitValue(s.Unit, sh.Before), unitValue(s.Unit, sh.After), relText(&sh.Rel))
		if strings.Contains(sh.Metric, "=") {
			rest = append(rest, line)
		} else {
			head = append(head, line)
		}
	}
	return append(head, rest...), len(rest)
}

func (t *Trend) span() string {
	if len(t.Runs) == 0 {
		return "no runs"
	}
	return fmt.Sprintf("%d runs, %s → %s", len(t.Runs), t.Runs[0].Label, t.Runs[len(t.Runs)-1].Label)
}

func (t *Trend) method() string {
	return fmt.Sprintf("each run against the median of up to %d previous runs (from the %s run on); flagged beyond ±%s, and for P50/P95/P99 only when that median is outside the run's 95%% confidence interval; a shift is a flagged run and the runs after it, %d or more in all, past the threshold against the median before it",
		t.Window, ordinal(minTrendBaseline+1), pct(t.Threshold), t.Sustain)
}

func ordinal(n int) string {
	switch n {
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return fmt.Sprintf("%dth", n)
}

// trendTable is the trend for a terminal; width is WriterOptions.Width.
type trendTable struct{ width int }

func (tt trendTable) Write(w io.Writer, t *Trend) error {
	p := &printer{w: w, width: tt.width}
	p.f("tokcost trend: %s (ordered by %s)\n", t.span(), strings.ReplaceAll(t.OrderedBy, "_", " "))
	p.f("method: %s\n\n", t.method())
	h, rows := t.summaryRows(false)
	// Too wide: first (the per-run table below starts with it), then
	// flagged runs (the shifts list says which); last, the median and
	// the change against it are the point.
	if err := p.table(h, rows, 1, 1, 5); err != nil {
		return err
	}
	p.f("\n")
	if lines, _ := t.shiftLines(); len(lines) > 0 {
		p.f("shifts:\n")
		for _, l := range lines {
			p.f("  %s\n", l)
		}
	} else {
		p.f("shifts: none\n")
	}
	p.f("\n")
	h, rows = t.runRows()
	// Too wide: P50, P99 and unpriced go first; run, sessions, P95,
	// total and the loop figures stay.
	if err := p.table(h, rows, 1, 2, 4, 8); err != nil {
		return err
	}
	for _, n := range t.Notes {
		p.f("note: %s\n", n)
	}
	return p.err
}

func writeTrendMarkdown(w io.Writer, t *Trend) error {
	p := &printer{w: w}
	p.f("## tokcost trend: %s\n\n", t.span())
	lines, sub := t.shiftLines()
	head := lines[:len(lines)-sub]
	for _, l := range head {
		p.f("- **%s**\n", mdCell(l))
	}
	if len(head) == 0 {
		p.f("No sustained shift in the headline metrics.\n")
	}
	if sub > 0 {
		p.f("\n<details><summary>%d shifts per workflow, group or model</summary>\n\n", sub)
		for _, l := range lines[len(lines)-sub:] {
			p.f("- %s\n", mdCell(l))
		}
		p.f("\n</details>\n")
	}
	p.f("\n")
	h, rows := t.summaryRows(true)
	mdTable(p, h, rows, 2)
	p.f("\n<details><summary>Per run</summary>\n\n")
	h, rows = t.runRows()
	mdTable(p, h, rows, 1)
	p.f("\n</details>\n\n")
	p.f("_Method: %s. Ordered by %s._\n", t.method(), strings.ReplaceAll(t.OrderedBy, "_", " "))
	for _, n := range t.Notes {
		p.f("\n> %s\n", mdCell(n))
	}
	return p.err
}

func writeTrendHTML(w io.Writer, t *Trend) error {
	pg := htmlPage{Headline: []struct{ Label, Value string }{{"runs", count(int64(len(t.Runs)))}}}
	if len(t.Runs) > 0 {
		pg.Headline = append(pg.Headline,
			struct{ Label, Value string }{"from", t.Runs[0].Label},
			struct{ Label, Value string }{"to", t.Runs[len(t.Runs)-1].Label},
			struct{ Label, Value string }{"sustained shifts", count(int64(len(t.Shifts)))})
	}
	pg.Title = "tokcost trend"
	lines, sub := t.shiftLines()
	pg.Lines = lines[:len(lines)-sub]
	if len(pg.Lines) == 0 {
		pg.Lines = []string{"No sustained shift in the headline metrics."}
	}
	if sub > 0 {
		pg.Lines = append(pg.Lines, fmt.Sprintf("%d shifts per workflow, group or model: see the last table.", sub))
	}
	add := func(title, note string, svg []byte, err error) {
		switch {
		case err != nil:
			pg.Charts = append(pg.Charts, chart{Title: title, Note: "chart unavailable: " + err.Error()})
		case svg != nil:
			pg.Charts = append(pg.Charts, chart{Title: title, Note: note, SVG: template.HTML(svg)}) // #nosec: our own SVG
		}
	}
	svg, err := trendPercentileChart(t)
	add("Cost per session over time", "P50, P95 and P99 per run; the band is the 95% confidence interval of P95; rings mark flagged runs.", svg, err)
	svg, err = trendLineChart(t, "Total cost over time", "cost (USD)", UnitUSD, []string{"cost_total", "wasted_usd"})
	add("Total and wasted cost over time", "Total cost and the dollars spent inside runaway loops per run; rings mark flagged runs.", svg, err)
	svg, err = trendLineChart(t, "Runaway sessions over time", "sessions", UnitSessions, []string{"runaway_sessions"})
	add("Runaway sessions over time", "Sessions with a runaway retry loop per run; rings mark flagged runs.", svg, err)

	h, rows := t.summaryRows(false)
	pg.Tables = append(pg.Tables, htmlTable{Title: "Metrics", Header: h, Left: 1, Rows: rows})
	h, rows = t.runRows()
	pg.Tables = append(pg.Tables, htmlTable{Title: "Per run", Header: h, Left: 1, Rows: rows, Note: "▲/▼: flagged against the trailing median."})
	var grows [][]string
	for _, s := range t.Series {
		if strings.Contains(s.Key, "=") {
			var vals []*float64
			for _, p := range s.Points {
				vals = append(vals, p.Value)
			}
			last := "—"
			if n := len(s.Points); n > 0 && s.Points[n-1].Value != nil {
				last = unitValue(s.Unit, *s.Points[n-1].Value)
			}
			var from []string
			for _, sh := range t.Shifts {
				if sh.Metric == s.Key {
					from = append(from, shiftArrow(sh.Direction)+" "+sh.Label)
				}
			}
			grows = append(grows, []string{s.Label, Sparkline(vals), last, strings.Join(from, ", ")})
		}
	}
	if len(grows) > 0 {
		pg.Tables = append(pg.Tables, htmlTable{Title: "Per workflow and model", Header: []string{"metric", "trend", "last", "shift from"}, Left: 2, Rows: grows})
	}
	pg.Footer = "Method: " + t.method() + ". Ordered by " + strings.ReplaceAll(t.OrderedBy, "_", " ") + "."
	if len(t.Notes) > 0 {
		pg.Warning = strings.Join(t.Notes, " ")
	}
	return htmlTmpl.Execute(w, pg)
}
