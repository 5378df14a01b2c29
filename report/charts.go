package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

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

// figure is a plot with its legend and hover marks, laid out so the
// legend never covers data: the legend is drawn in a band below the plot
// area (a <g class="legend">), and each mark becomes an invisible shape
// with an SVG <title> (a <g class="hover">), so a browser shows the
// exact figure under the pointer without any script.
type figure struct {
	p      *plot.Plot
	w, h   vg.Length
	legend []legendItem
	hovers []hoverMark
}

type legendItem struct {
	name   string
	thumbs []plot.Thumbnailer
}

// hoverMark is a circle of radius r around (x, y) in data coordinates,
// or, with halfH > 0, the rectangle x..x1 by y ± halfH (a bar).
type hoverMark struct {
	x, y, x1 float64
	r, halfH vg.Length
	title    string
}

func (f *figure) addLegend(name string, thumbs ...plot.Thumbnailer) {
	f.legend = append(f.legend, legendItem{name, thumbs})
}

func (f *figure) hoverPoint(x, y float64, title string) {
	f.hovers = append(f.hovers, hoverMark{x: x, y: y, r: vg.Points(5), title: title})
}

// legendLayout places the entries left to right in rows that fit the
// chart's width, and returns the band's height.
const (
	legendPad   = 6  // points around the band
	legendThumb = 20 // thumbnail width, points
	legendGap   = 18 // between entries, points
)

func (f *figure) legendLayout() (pos []vg.Point, widths []vg.Length, band vg.Length) {
	if len(f.legend) == 0 {
		return nil, nil, 0
	}
	sty := f.p.Legend.TextStyle
	entryH := sty.Rectangle("Mg").Size().Y * 1.35
	x, row := vg.Points(legendPad)+vg.Points(40), 0
	for _, e := range f.legend {
		wd := vg.Points(legendThumb) + sty.Rectangle(" "+e.name).Size().X + vg.Points(4)
		if x+wd > f.w-vg.Points(legendPad) && x > vg.Points(legendPad)+vg.Points(40) {
			x, row = vg.Points(legendPad)+vg.Points(40), row+1
		}
		pos = append(pos, vg.Point{X: x, Y: vg.Length(row) * entryH})
		widths = append(widths, wd)
		x += wd + vg.Points(legendGap)
	}
	return pos, widths, vg.Length(row+1)*entryH + 2*vg.Points(legendPad)
}

// render draws the figure and returns the <svg> element alone (no XML
// prelude), ready to inline in HTML.
func (f *figure) render() (svg []byte, err error) {
	// gonum/plot panics on some degenerate inputs (a log axis over one
	// value, say); a chart must never take the report down with it.
	defer func() {
		if r := recover(); r != nil {
			svg, err = nil, fmt.Errorf("cannot draw: %v", r)
		}
	}()
	pos, widths, band := f.legendLayout()
	c := vgsvg.New(f.w, f.h)
	dc := draw.New(c)
	// One white background under the plot and the legend band.
	if bg := f.p.BackgroundColor; bg != nil {
		dc.SetColor(bg)
		dc.Fill(dc.Rectangle.Path())
		f.p.BackgroundColor = nil
		defer func() { f.p.BackgroundColor = bg }()
	}
	area := draw.Crop(dc, 0, 0, band, 0)
	f.p.Draw(area)
	da := f.p.DataCanvas(area)
	xf, yf := f.p.Transforms(&da)

	var extra bytes.Buffer
	if len(f.legend) > 0 {
		lc := vgsvg.New(f.w, band)
		sty := f.p.Legend.TextStyle
		entryH := sty.Rectangle("Mg").Size().Y * 1.35
		for i, e := range f.legend {
			l := plot.NewLegend()
			l.TextStyle = sty
			l.Left, l.Top = true, true
			l.ThumbnailWidth = vg.Points(legendThumb)
			l.Add(e.name, e.thumbs...)
			top := band - vg.Points(legendPad) - pos[i].Y
			l.Draw(draw.Canvas{Canvas: lc, Rectangle: vg.Rectangle{
				Min: vg.Point{X: pos[i].X, Y: top - entryH},
				Max: vg.Point{X: pos[i].X + widths[i], Y: top},
			}})
		}
		var lb bytes.Buffer
		if _, err := lc.WriteTo(&lb); err != nil {
			return nil, err
		}
		inner := lb.Bytes()
		if i := bytes.Index(inner, []byte("<svg")); i >= 0 {
			if j := bytes.IndexByte(inner[i:], '>'); j >= 0 {
				inner = inner[i+j+1:]
			}
		}
		inner = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(inner), []byte("</svg>")))
		fmt.Fprintf(&extra, "<g class=\"legend\" transform=\"translate(0, %.4g)\">\n", float64(f.h-band))
		fmt.Fprintf(&extra, "<rect class=\"legend-box\" x=\"0\" y=\"0\" width=\"%.4g\" height=\"%.4g\" fill=\"none\" stroke=\"none\"/>\n", float64(f.w), float64(band))
		extra.Write(inner)
		extra.WriteString("\n</g>\n")
	}
	if len(f.hovers) > 0 {
		// Data coordinates run upwards from the bottom, as in vgsvg.
		fmt.Fprintf(&extra, "<g class=\"hover\" transform=\"scale(1, -1) translate(0, %.4g)\">\n", -float64(f.h))
		for _, m := range f.hovers {
			x, y := xf(m.x), yf(m.y)
			if m.halfH > 0 {
				x1 := xf(m.x1)
				fmt.Fprintf(&extra, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#000\" fill-opacity=\"0\"><title>%s</title></rect>\n",
					float64(min(x, x1)), float64(y-m.halfH), math.Abs(float64(x1-x)), float64(2*m.halfH), xmlText(m.title))
				continue
			}
			fmt.Fprintf(&extra, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"#000\" fill-opacity=\"0\"><title>%s</title></circle>\n",
				float64(x), float64(y), float64(m.r), xmlText(m.title))
		}
		extra.WriteString("</g>\n")
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	out := b.Bytes()
	if i := bytes.Index(out, []byte("<svg")); i > 0 {
		out = out[i:]
	}
	end := bytes.LastIndex(out, []byte("</svg>"))
	if end < 0 {
		return nil, fmt.Errorf("cannot draw: no </svg> in the chart")
	}
	res := make([]byte, 0, len(out)+extra.Len())
	res = append(res, out[:end]...)
	res = append(res, extra.Bytes()...)
	res = append(res, out[end:]...)
	return res, nil
}

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// sans is Liberation Sans, embedded in gonum/plot for text metrics; the
// SVG names it, and browsers without it fall back to a metric-compatible
// Arial or another sans.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

func newFigure(title, x, y string) *figure {
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
	p.X.Tick.Marker = niceTicks{}
	p.Y.Tick.Marker = niceTicks{}
	p.Add(plotter.NewGrid())
	return &figure{p: p, w: chartW, h: chartH}
}

// niceTicks labels a linear axis at 1-2-5 steps (3 to 7 labels), every
// label with the decimals its step needs and no more. unit is "$" (a
// prefix), "%" (a share shown ×100) or "" (grouped digits); integer axes
// (LLM calls, sessions) never step below 1.
type niceTicks struct {
	unit    string
	integer bool
}

// niceStep is the 1-2-5 step that gives at most 6 intervals over span.
func niceStep(span float64, integer bool) float64 {
	if span <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(span/6)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		step = m * mag
		if span/step <= 6 {
			break
		}
	}
	if integer && step < 1 {
		step = 1
	}
	return step
}

func (n niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) {
		return nil // an infinite range has no ticks; the loop below would not end
	}
	step := niceStep(hi-lo, n.integer)
	dec := 0
	shown := step
	if n.unit == "%" {
		shown *= 100
	}
	if shown < 1 {
		dec = int(math.Ceil(-math.Log10(shown) - 1e-9))
	}
	var ticks []plot.Tick
	first := math.Ceil(lo/step - 1e-9)
	for k := first; k*step <= hi+step*1e-9; k++ {
		v := k * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: n.label(v, dec)})
		// Unlabelled minor ticks halve each step.
		if mid := v + step/2; mid <= hi {
			ticks = append(ticks, plot.Tick{Value: mid})
		}
	}
	return ticks
}

func (n niceTicks) label(v float64, dec int) string {
	// The step's decimals, then no trailing zeros: $0, $0.5, $1, $1.5.
	f := func(v float64) string {
		s := strconv.FormatFloat(v, 'f', dec, 64)
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		return group(s)
	}
	switch n.unit {
	case "%":
		return f(v*100) + "%"
	case "$":
		if v < 0 {
			return "-$" + f(-v)
		}
		return "$" + f(v)
	}
	return f(v)
}

// logDollarTicks labels a log dollar axis at 1, 2 and 5 times powers of
// ten over up to two decades, at powers of ten beyond.
type logDollarTicks struct{}

func (logDollarTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	mults := []float64{1, 2, 5}
	if math.Log10(hi/lo) > 2 {
		mults = []float64{1}
	}
	var ticks []plot.Tick
	for e := int(math.Floor(math.Log10(lo))); e <= int(math.Ceil(math.Log10(hi))); e++ {
		for _, m := range mults {
			// m/10^-e keeps 0.02 exact as text (2×0.01 is not).
			v := m * math.Pow(10, float64(e))
			if e < 0 {
				v = m / math.Pow(10, float64(-e))
			}
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: "$" + group(strconv.FormatFloat(v, 'f', -1, 64))})
		}
	}
	if len(ticks) < 3 { // under a decade: linear steps read better
		return niceTicks{unit: "$"}.Ticks(lo, hi)
	}
	return ticks
}

// costCDFChart is the empirical CDF of per-session cost with the
// percentiles marked: where the tail starts is what a budget is about.
// cdfSteps bounds the steps costCDFChart draws.
const cdfSteps = 2000

// cdfHovers is how many points along the CDF carry hover text.
const cdfHovers = 40

func costCDFChart(costs []float64, d analyze.Distribution, ci *CostCI) ([]byte, error) {
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
	f := newFigure(fmt.Sprintf("Per-session cost: CDF of %s sessions", count(int64(len(sorted)))), "cost per session (USD, log scale)", "share of sessions at or below")
	p := f.p
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = logDollarTicks{}
	p.Y.Tick.Marker = niceTicks{unit: "%"}
	p.Y.Min, p.Y.Max = 0, 1
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	l.Color = palette[0]
	l.Width = vg.Points(2)
	p.Add(l)
	f.addLegend("sessions", l)
	hstep := max(1, len(sorted)/cdfHovers)
	for i := 0; i < len(sorted); i += hstep {
		f.hoverPoint(max(sorted[i], floor), float64(i+1)/n, fmt.Sprintf("%s of sessions cost at most %s", pct(float64(i+1)/n), usd(sorted[i])))
	}
	for i, m := range []struct {
		name string
		v    float64
		iv   *analyze.Interval
	}{{"P50", d.P50, nil}, {"P95", d.P95, ciOf(ci, 95)}, {"P99", d.P99, ciOf(ci, 99)}} {
		x := max(m.v, floor)
		v, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: 1}})
		if err != nil {
			return nil, err
		}
		v.Color = palette[i+1]
		v.Width = vg.Points(1.5)
		v.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(v)
		f.addLegend(m.name+" "+usd(m.v), v)
		title := m.name + " per session: " + usd(m.v)
		if m.iv != nil {
			title += " (95% confidence " + interval(*m.iv) + ")"
		}
		for _, y := range []float64{0.1, 0.3, 0.5, 0.7, 0.9} {
			f.hoverPoint(x, y, title)
		}
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
	return f.render()
}

func ciOf(ci *CostCI, p int) *analyze.Interval {
	switch {
	case ci == nil:
		return nil
	case p == 95:
		return &ci.P95
	}
	return &ci.P99
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
	{"server tools", func(p analyze.Parts) float64 { return p.ServerTools }},
	{"audio and image", func(p analyze.Parts) float64 { return p.Multimodal }},
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
			o.parts.ServerTools += m.CostByPart.ServerTools
			o.parts.Multimodal += m.CostByPart.Multimodal
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
	f := newFigure(fmt.Sprintf("Cost by model and token class (output: %s of priced cost)", pct(outputShare)), "cost (USD)", "")
	p := f.p
	p.X.Tick.Marker = niceTicks{unit: "$"}
	width := vg.Points(min(28, 200/float64(len(bars))))
	var below *plotter.BarChart
	start := make([]float64, len(bars)) // where each bar's next segment starts
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
		f.addLegend(cl.name, bc)
		for k, v := range vals {
			if v > 0 {
				total := bars[len(bars)-1-k].parts
				all := total.Input + total.CacheRead + total.CacheWrite + total.Output + total.Recorded + total.ServerTools
				if total.Multimodal != 0 {
					all += total.Multimodal
				}
				f.hovers = append(f.hovers, hoverMark{x: start[k], x1: start[k] + v, y: float64(k), halfH: width / 2,
					title: fmt.Sprintf("%s, %s: %s (%s of the model's cost)", names[k], cl.name, usd(v), pct(v/all))})
			}
			start[k] += v
		}
	}
	p.NominalY(names...)
	most := 0.0
	for _, v := range start {
		most = max(most, v)
	}
	p.X.Min, p.X.Max = 0, most*1.05
	_, _, band := f.legendLayout()
	f.h = max(chartH, vg.Length(len(bars))*vg.Points(34)+vg.Points(90)+band)
	return f.render()
}

// growthChart draws input tokens per LLM call of the worst runaway
// sessions: a retry loop re-sends an ever longer context, so each wasted
// call costs more than the last.
func growthChart(growth []SessionGrowth) ([]byte, error) {
	if len(growth) == 0 {
		return nil, nil
	}
	f := newFigure("Context growth per LLM call, worst runaway sessions", "LLM call", "input tokens")
	p := f.p
	p.X.Tick.Marker = niceTicks{integer: true}
	p.Y.Tick.Marker = niceTicks{integer: true}
	p.Y.Min = 0
	for i, g := range growth {
		pts := make(plotter.XYs, len(g.InputTokens))
		for k, v := range g.InputTokens {
			pts[k] = plotter.XY{X: float64(k + 1), Y: float64(v)}
			f.hoverPoint(float64(k+1), float64(v), fmt.Sprintf("%s, LLM call %d: %s input tokens", g.SessionID, k+1, count(v)))
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
		f.addLegend(fmt.Sprintf("%s (wasted %s)", g.SessionID, usd(g.WastedCostUSD)), l)
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
	return f.render()
}

// capCurveChart sweeps iteration caps: the share of spend a cap saves
// against the share of healthy sessions it would cut short, with the
// recommended cap marked.
func capCurveChart(curve []analyze.CapResult, rec *analyze.RecommendedCap) ([]byte, error) {
	if len(curve) == 0 {
		return nil, nil
	}
	saved := make(plotter.XYs, len(curve))
	cut := make(plotter.XYs, len(curve))
	f := newFigure("Iteration cap: savings versus collateral", "cap (LLM calls per session)", "share")
	p := f.p
	for i, c := range curve {
		saved[i] = plotter.XY{X: float64(c.Cap), Y: c.SavedShare}
		cut[i] = plotter.XY{X: float64(c.Cap), Y: c.HealthySessionsCutShare}
		f.hoverPoint(float64(c.Cap), c.SavedShare, fmt.Sprintf("cap %d: saves %s (%s), cuts %s healthy sessions (%s)",
			c.Cap, usd(c.CostSavedUSD), pct(c.SavedShare), count(int64(c.HealthySessionsCut)), pct(c.HealthySessionsCutShare)))
		f.hoverPoint(float64(c.Cap), c.HealthySessionsCutShare, fmt.Sprintf("cap %d: cuts %s healthy sessions (%s)",
			c.Cap, count(int64(c.HealthySessionsCut)), pct(c.HealthySessionsCutShare)))
	}
	p.X.Tick.Marker = niceTicks{integer: true}
	p.Y.Tick.Marker = niceTicks{unit: "%"}
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
		f.addLegend(s.name, l)
	}
	if rec != nil {
		x := float64(rec.Cap)
		v, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: 1}})
		if err != nil {
			return nil, err
		}
		v.Color, v.Width = palette[0], vg.Points(1.5)
		v.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(v)
		f.addLegend(fmt.Sprintf("recommended cap: %d calls (cuts ≤ %s of healthy sessions)", rec.Cap, pct(rec.MaxCollateral)), v)
		title := fmt.Sprintf("recommended cap %d LLM calls: saves %s (%s), cuts %s healthy sessions (%s)",
			rec.Cap, usd(rec.CostSavedUSD), pct(rec.SavedShare), count(int64(rec.HealthySessionsCut)), pct(rec.HealthySessionsCutShare))
		for _, y := range []float64{0.1, 0.3, 0.5, 0.7, 0.9} {
			f.hoverPoint(x, y, title)
		}
		p.X.Min = min(p.X.Min, x)
		p.X.Max = max(p.X.Max, x)
	}
	return f.render()
}
