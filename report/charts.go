package report

import (
	"bytes"
	"fmt"
	"image/color"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/tokcost/tokcost/analyze"
)

// Charts are drawn by gonum/plot into SVG at fixed sizes, with no
// timestamps or random ids, so the HTML report is byte-stable.
const (
	chartW = 8 * vg.Inch
	chartH = 3.6 * vg.Inch
)

// A colour-blind-safe palette (Okabe–Ito).
var palette = []color.Color{
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{0, 158, 115, 255},   // green
	color.RGBA{204, 121, 167, 255}, // purple
	color.RGBA{213, 94, 0, 255},    // vermillion
	color.RGBA{86, 180, 233, 255},  // sky
	color.RGBA{120, 120, 120, 255}, // grey
}

// svgOf renders p and returns the <svg> element alone (no XML prelude),
// ready to inline in HTML.
func svgOf(p *plot.Plot, w, h vg.Length) (svg []byte, err error) {
	// gonum/plot panics on some degenerate inputs (a log axis over one
	// value, say); a chart must never take the report down with it.
	defer func() {
		if r := recover(); r != nil {
			svg, err = nil, fmt.Errorf("cannot draw: %v", r)
		}
	}()
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	out := b.Bytes()
	if i := bytes.Index(out, []byte("<svg")); i > 0 {
		out = out[i:]
	}
	return out, nil
}

// sans is Liberation Sans, embedded in gonum/plot for text metrics; the
// SVG names it, and browsers without it fall back to a metric-compatible
// Arial or another sans.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	for _, st := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		st.Font = font.From(sans, st.Font.Size)
	}
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(6)
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// relabel keeps a ticker's marks and rewrites its labels.
type relabel struct {
	plot.Ticker
	label func(v float64, label string) string
}

func (r relabel) Ticks(min, max float64) []plot.Tick {
	ticks := r.Ticker.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = r.label(ticks[i].Value, ticks[i].Label)
		}
	}
	return ticks
}

var (
	dollarTicks  = relabel{plot.DefaultTicks{}, func(_ float64, l string) string { return "$" + l }}
	groupedTicks = relabel{plot.DefaultTicks{}, func(_ float64, l string) string { return group(l) }}
	percentTicks = relabel{plot.DefaultTicks{}, func(v float64, _ string) string {
		return strconv.FormatFloat(v*100, 'f', -1, 64) + "%"
	}}
	logDollarTicks = relabel{plot.LogTicks{}, func(v float64, _ string) string {
		return "$" + strconv.FormatFloat(v, 'f', -1, 64)
	}}
)

// costCDFChart is the empirical CDF of per-session cost with the
// percentiles marked: where the tail starts is what a budget is about.
// cdfSteps bounds the steps costCDFChart draws.
const cdfSteps = 2000

func costCDFChart(costs []float64, d analyze.Distribution) ([]byte, error) {
	if len(costs) == 0 {
		return nil, nil
	}
	sorted := append([]float64(nil), costs...)
	sort.Float64s(sorted)
	// Costs are heavy-tailed: a log axis shows the body and the tail.
	// Free sessions cannot sit on it; they count, drawn at the floor.
	floor := 0.0
	for _, c := range sorted {
		if c > 0 {
			floor = c
			break
		}
	}
	if floor == 0 {
		return nil, nil // nothing priced
	}
	n := float64(len(sorted))
	// A step function: i/n → (i+1)/n at each cost. A large fleet is drawn
	// at cdfSteps evenly spaced ranks (and the last): a chart is a few
	// hundred pixels high, and 200,000 sessions made a 5 MB page.
	step := max(1, len(sorted)/cdfSteps)
	pts := make(plotter.XYs, 0, 2*(len(sorted)/step+1))
	for i := 0; i < len(sorted); i += step {
		if i+step >= len(sorted) {
			i = len(sorted) - 1
		}
		c := max(sorted[i], floor)
		pts = append(pts, plotter.XY{X: c, Y: float64(i) / n}, plotter.XY{X: c, Y: float64(i+1) / n})
	}
	p := newPlot(fmt.Sprintf("Per-session cost: CDF of %s sessions", count(int64(len(sorted)))), "cost per session (USD, log scale)", "share of sessions at or below")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = logDollarTicks
	p.Y.Tick.Marker = percentTicks
	p.Y.Min, p.Y.Max = 0, 1
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	l.Color = palette[0]
	l.Width = vg.Points(2)
	p.Add(l)
	p.Legend.Add("sessions", l)
	for i, m := range []struct {
		name string
		v, q float64
	}{{"P50", d.P50, 0.50}, {"P95", d.P95, 0.95}, {"P99", d.P99, 0.99}} {
		v, err := plotter.NewLine(plotter.XYs{{X: max(m.v, floor), Y: 0}, {X: max(m.v, floor), Y: 1}})
		if err != nil {
			return nil, err
		}
		v.Color = palette[i+1]
		v.Width = vg.Points(1.5)
		v.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(v)
		p.Legend.Add(m.name+" "+usd(m.v), v)
	}
	// A log axis needs a range: one distinct cost (a single session, or
	// identical ones) gets a decade around it.
	lo, hi := floor, max(sorted[len(sorted)-1], floor)
	for _, m := range []float64{d.P50, d.P95, d.P99} {
		hi = max(hi, m)
	}
	if hi <= lo*1.01 {
		lo, hi = lo/3, hi*3
	}
	p.X.Min, p.X.Max = lo, hi
	p.Legend.Left = false
	p.Legend.Top = false
	p.Legend.XOffs = -vg.Points(10)
	p.Legend.YOffs = vg.Points(10)
	return svgOf(p, chartW, chartH)
}

// classes are the token classes a model's cost splits into.
var classes = []struct {
	name string
	of   func(analyze.Parts) float64
}{
	{"input", func(p analyze.Parts) float64 { return p.Input }},
	{"cache read", func(p analyze.Parts) float64 { return p.CacheRead }},
	{"cache write", func(p analyze.Parts) float64 { return p.CacheWrite }},
	{"output", func(p analyze.Parts) float64 { return p.Output }},
	{"recorded cost_usd", func(p analyze.Parts) float64 { return p.Recorded }},
}

// maxChartModels keeps the bar chart readable; the rest are one bar.
const maxChartModels = 8

// costByModelChart stacks each model's cost by token class, so the
// output premium shows as the width of the output segment.
func costByModelChart(models []analyze.ModelUsage, outputShare float64) ([]byte, error) {
	type bar struct {
		name  string
		parts analyze.Parts
	}
	var bars []bar
	for i, m := range models {
		if m.CostUSD == 0 {
			continue // unpriced: nothing to draw
		}
		if i >= maxChartModels-1 && len(models) > maxChartModels {
			if len(bars) < maxChartModels {
				bars = append(bars, bar{name: "other models"})
			}
			o := &bars[len(bars)-1]
			o.parts.Input += m.CostByPart.Input
			o.parts.CacheRead += m.CostByPart.CacheRead
			o.parts.CacheWrite += m.CostByPart.CacheWrite
			o.parts.Output += m.CostByPart.Output
			o.parts.Recorded += m.CostByPart.Recorded
			continue
		}
		bars = append(bars, bar{name: orNone(m.Model), parts: m.CostByPart})
	}
	if len(bars) == 0 {
		return nil, nil
	}
	// Costliest at the top: horizontal bars are drawn bottom-up.
	names := make([]string, len(bars))
	for i, b := range bars {
		names[len(bars)-1-i] = b.name
	}
	p := newPlot(fmt.Sprintf("Cost by model and token class (output: %s of priced cost)", pct(outputShare)), "cost (USD)", "")
	p.X.Tick.Marker = dollarTicks
	width := vg.Points(min(28, 200/float64(len(bars))))
	var below *plotter.BarChart
	for ci, cl := range classes {
		vals := make(plotter.Values, len(bars))
		any := false
		for i, b := range bars {
			vals[len(bars)-1-i] = cl.of(b.parts)
			any = any || vals[len(bars)-1-i] > 0
		}
		if !any {
			continue
		}
		bc, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, err
		}
		bc.Horizontal = true
		bc.Color = palette[ci]
		bc.LineStyle.Width = 0
		if below != nil {
			bc.StackOn(below)
		}
		below = bc
		p.Add(bc)
		p.Legend.Add(cl.name, bc)
	}
	p.NominalY(names...)
	// Room on the right for the legend: the smallest bars are at the bottom.
	most := 0.0
	for _, b := range bars {
		most = max(most, b.parts.Input+b.parts.CacheRead+b.parts.CacheWrite+b.parts.Output+b.parts.Recorded)
	}
	p.X.Min, p.X.Max = 0, most*1.3
	p.Legend.Top = false
	p.Legend.XOffs = -vg.Points(10)
	p.Legend.YOffs = vg.Points(10)
	h := max(chartH, vg.Length(len(bars))*vg.Points(34)+vg.Points(90))
	return svgOf(p, chartW, h)
}

// growthChart draws input tokens per LLM call of the worst runaway
// sessions: a retry loop re-sends an ever longer context, so each wasted
// call costs more than the last.
func growthChart(growth []SessionGrowth) ([]byte, error) {
	if len(growth) == 0 {
		return nil, nil
	}
	p := newPlot("Context growth per LLM call, worst runaway sessions", "LLM call", "input tokens")
	p.Y.Tick.Marker = groupedTicks
	p.Y.Min = 0
	for i, g := range growth {
		pts := make(plotter.XYs, len(g.InputTokens))
		for k, v := range g.InputTokens {
			pts[k] = plotter.XY{X: float64(k + 1), Y: float64(v)}
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		c := palette[i%len(palette)]
		l.Color, l.Width = c, vg.Points(1.5)
		sc.Color, sc.Radius = c, vg.Points(1.5)
		sc.Shape = draw.CircleGlyph{}
		p.Add(l, sc)
		p.Legend.Add(fmt.Sprintf("%s (wasted %s)", g.SessionID, usd(g.WastedCostUSD)), l)
		if k := g.LoopStartCall; k >= 1 && k <= len(g.InputTokens) {
			start, err := plotter.NewScatter(plotter.XYs{{X: float64(k), Y: float64(g.InputTokens[k-1])}})
			if err != nil {
				return nil, err
			}
			start.Shape = draw.RingGlyph{}
			start.Color, start.Radius = c, vg.Points(6)
			p.Add(start)
		}
	}
	// Contexts grow up and to the right; the bottom right is empty.
	p.Legend.Top = false
	p.Legend.XOffs = -vg.Points(10)
	p.Legend.YOffs = vg.Points(10)
	return svgOf(p, chartW, chartH)
}

// capCurveChart sweeps iteration caps: the share of spend a cap saves
// against the share of healthy sessions it would cut short.
func capCurveChart(curve []analyze.CapResult) ([]byte, error) {
	if len(curve) == 0 {
		return nil, nil
	}
	saved := make(plotter.XYs, len(curve))
	cut := make(plotter.XYs, len(curve))
	for i, c := range curve {
		saved[i] = plotter.XY{X: float64(c.Cap), Y: c.SavedShare}
		cut[i] = plotter.XY{X: float64(c.Cap), Y: c.HealthySessionsCutShare}
	}
	p := newPlot("Iteration cap: savings versus collateral", "cap (LLM calls per session)", "share")
	p.Y.Tick.Marker = percentTicks
	p.Y.Min, p.Y.Max = 0, 1
	for i, s := range []struct {
		name string
		pts  plotter.XYs
	}{{"spend saved", saved}, {"healthy sessions cut (collateral)", cut}} {
		l, sc, err := plotter.NewLinePoints(s.pts)
		if err != nil {
			return nil, err
		}
		c := palette[[]int{2, 4}[i]]
		l.Color, l.Width = c, vg.Points(2)
		sc.Color, sc.Radius, sc.Shape = c, vg.Points(2), draw.CircleGlyph{}
		p.Add(l, sc)
		p.Legend.Add(s.name, l)
	}
	return svgOf(p, chartW, chartH)
}
