package report

import (
	"image/color"

	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// runTicks labels a run-index axis with the runs' labels, at most about
// eight of them so dates do not collide.
type runTicks struct{ labels []string }

func (r runTicks) Ticks(lo, hi float64) []plot.Tick {
	n := len(r.labels)
	every := max(1, int(niceStep(float64(n), true)))
	for n/every > 8 {
		every++
	}
	var ticks []plot.Tick
	for i := range r.labels {
		if float64(i) < lo || float64(i) > hi {
			continue
		}
		t := plot.Tick{Value: float64(i)}
		if i%every == 0 {
			t.Label = r.labels[i]
		}
		ticks = append(ticks, t)
	}
	return ticks
}

func (t *Trend) labels() []string {
	out := make([]string, len(t.Runs))
	for i, r := range t.Runs {
		out[i] = r.Label
	}
	return out
}

// pointTitle is a run's hover text for one metric.
func pointTitle(run TrendRun, s *TrendSeries, p TrendPoint) string {
	txt := fmt.Sprintf("%s, %s: %s", run.Label, s.Label, unitValue(s.Unit, *p.Value))
	if p.Baseline != nil {
		txt += fmt.Sprintf(" (trailing median %s, %s)", unitValue(s.Unit, *p.Baseline), relText(p.Rel))
	}
	if ci, ok := run.CI[s.Key]; ok {
		txt += " · 95% confidence " + ciText(ci)
	}
	switch {
	case p.Flag != "":
		txt += " · flagged " + p.Flag
	case p.WithinCI:
		txt += " · past the threshold but within the confidence interval"
	}
	return txt
}

func ciText(ci [2]*float64) string {
	b := func(v *float64) string {
		if v == nil {
			return "?"
		}
		return usd(*v)
	}
	return b(ci[0]) + "–" + b(ci[1])
}

// addSeriesLine draws one metric with hover text on every run and a
// ring on each flagged run.
func (t *Trend) addSeriesLine(f *figure, key string, colour int, name string) (bool, error) {
	s := t.series(key)
	if s == nil {
		return false, nil
	}
	var pts, flagged plotter.XYs
	for i, p := range s.Points {
		if p.Value == nil {
			continue
		}
		pts = append(pts, plotter.XY{X: float64(i), Y: *p.Value})
		if p.Flag != "" {
			flagged = append(flagged, plotter.XY{X: float64(i), Y: *p.Value})
		}
		f.hoverPoint(float64(i), *p.Value, pointTitle(t.Runs[i], s, p))
	}
	if len(pts) == 0 {
		return false, nil
	}
	l, sc, err := plotter.NewLinePoints(pts)
	if err != nil {
		return false, err
	}
	c := palette[colour]
	l.Color, l.Width = c, vg.Points(2)
	sc.Color, sc.Radius, sc.Shape = c, vg.Points(2), draw.CircleGlyph{}
	f.p.Add(l, sc)
	f.addLegend(name, l)
	if len(flagged) > 0 {
		ring, err := plotter.NewScatter(flagged)
		if err != nil {
			return false, err
		}
		ring.Shape, ring.Color, ring.Radius = draw.RingGlyph{}, palette[6], vg.Points(6)
		f.p.Add(ring)
	}
	return true, nil
}

// flagLegend adds the ring's legend entry when any run is flagged.
func (t *Trend) flagLegend(f *figure, keys []string) {
	for _, k := range keys {
		if s := t.series(k); s != nil {
			for _, p := range s.Points {
				if p.Flag != "" {
					ring, _ := plotter.NewScatter(plotter.XYs{{}})
					ring.Shape, ring.Color, ring.Radius = draw.RingGlyph{}, palette[6], vg.Points(6)
					f.addLegend("flagged against the trailing median", ring)
					return
				}
			}
		}
	}
}

// trendPercentileChart draws P50/P95/P99 per run with the P95 confidence
// band.
func trendPercentileChart(t *Trend) ([]byte, error) {
	if len(t.Runs) == 0 {
		return nil, nil
	}
	f := newFigure("Cost per session over time", "run", "cost per session (USD)")
	p := f.p
	p.X.Tick.Marker = runTicks{t.labels()}
	p.Y.Tick.Marker = niceTicks{unit: "$"}
	p.Y.Min = 0
	p.X.Min, p.X.Max = -0.5, float64(len(t.Runs))-0.5
	// The band: contiguous runs with both bounds of the P95 interval.
	var band plotter.XYs
	flush := func() error {
		if len(band) >= 2 {
			poly := make(plotter.XYs, 0, 2*len(band))
			for _, b := range band {
				poly = append(poly, plotter.XY{X: b.X, Y: b.Y})
			}
			for i := len(band) - 1; i >= 0; i-- {
				poly = append(poly, plotter.XY{X: band[i].X, Y: *t.Runs[int(band[i].X)].CI["cost_p95"][1]})
			}
			pg, err := plotter.NewPolygon(poly)
			if err != nil {
				return err
			}
			pg.Color = lighten(palette[1])
			pg.LineStyle.Width = 0
			p.Add(pg)
		}
		band = band[:0]
		return nil
	}
	drew := false
	for i, r := range t.Runs {
		ci, ok := r.CI["cost_p95"]
		if ok && ci[0] != nil && ci[1] != nil {
			band = append(band, plotter.XY{X: float64(i), Y: *ci[0]})
			drew = true
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	for i, m := range []struct{ key, name string }{{"cost_p50", "P50"}, {"cost_p95", "P95"}, {"cost_p99", "P99"}} {
		if _, err := t.addSeriesLine(f, m.key, []int{0, 1, 4}[i], m.name); err != nil {
			return nil, err
		}
	}
	if drew {
		sw, _ := plotter.NewPolygon(plotter.XYs{{}, {X: 1}, {X: 1, Y: 1}})
		sw.Color, sw.LineStyle.Width = lighten(palette[1]), 0
		f.addLegend("P95 95% confidence interval", sw)
	}
	t.flagLegend(f, []string{"cost_p50", "cost_p95", "cost_p99"})
	return f.render()
}

// trendLineChart draws metrics of one unit per run.
func trendLineChart(t *Trend, title, ylabel, unit string, keys []string) ([]byte, error) {
	if len(t.Runs) == 0 {
		return nil, nil
	}
	f := newFigure(title, "run", ylabel)
	p := f.p
	p.X.Tick.Marker = runTicks{t.labels()}
	switch unit {
	case UnitUSD:
		p.Y.Tick.Marker = niceTicks{unit: "$"}
	case UnitSessions:
		p.Y.Tick.Marker = niceTicks{integer: true}
	}
	p.Y.Min = 0
	p.X.Min, p.X.Max = -0.5, float64(len(t.Runs))-0.5
	any := false
	for i, k := range keys {
		ok, err := t.addSeriesLine(f, k, []int{0, 4, 2}[i%3], t.series(k).Label)
		if err != nil {
			return nil, err
		}
		any = any || ok
	}
	if !any {
		return nil, nil
	}
	if p.Y.Max <= 0 {
		p.Y.Max = 1 // all zero: an axis to draw
	}
	t.flagLegend(f, keys)
	return f.render()
}

// lighten mixes a colour with three parts white, for bands behind lines.
func lighten(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8((v>>8 + 3*255) / 4) }
	return color.RGBA{mix(r), mix(g), mix(b), 255}
}
