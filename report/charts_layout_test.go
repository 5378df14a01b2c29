package report

import (
	"encoding/xml"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"

	"github.com/tokcost/tokcost/analyze"
	_ "github.com/tokcost/tokcost/ingest/claudecode" // the real sample's format
)

// box is a rectangle in SVG user units, y downwards.
type box struct{ x0, y0, x1, y1 float64 }

func (b box) overlaps(o box) bool {
	return b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1
}

func (b *box) add(x, y float64) {
	b.x0, b.x1 = math.Min(b.x0, x), math.Max(b.x1, x)
	b.y0, b.y1 = math.Min(b.y0, y), math.Max(b.y1, y)
}

func emptyBox() box { return box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)} }

// svgLayout reads what the layout test needs from one chart: the legend
// group's box, the bounding box of each coloured series path drawn by the
// plot, the hover titles, and the text of every <text> element.
type svgLayout struct {
	w, h    float64
	legend  *box
	series  map[string]box // by stroke colour
	titles  []string
	texts   []string
	legends int // legend groups
}

var pathPoint = regexp.MustCompile(`[ML]\s*(-?[\d.e+-]+)\s*,\s*(-?[\d.e+-]+)`)
var strokeColour = regexp.MustCompile(`(?:stroke|fill):(#[0-9A-Fa-f]{6})`)

// seriesColours are the palette entries series are drawn in; black is
// axes and ticks, grey the grid.
var seriesColours = map[string]bool{"#0072B2": true, "#E69F00": true, "#009E73": true, "#CC79A7": true, "#D55E00": true, "#56B4E9": true}

func parseLayout(t *testing.T, svg []byte) svgLayout {
	t.Helper()
	l := svgLayout{series: map[string]box{}}
	dec := xml.NewDecoder(strings.NewReader(string(svg)))
	depthLegend := 0 // >0 inside the legend group
	depth := 0
	inText, inTitle := false, false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch e := tok.(type) {
		case xml.StartElement:
			depth++
			attr := func(name string) string {
				for _, a := range e.Attr {
					if a.Name.Local == name {
						return a.Value
					}
				}
				return ""
			}
			switch e.Name.Local {
			case "svg":
				vb := strings.Fields(attr("viewBox"))
				l.w, _ = strconv.ParseFloat(vb[2], 64)
				l.h, _ = strconv.ParseFloat(vb[3], 64)
			case "g":
				if attr("class") == "legend" {
					l.legends++
					var ty float64
					if _, err := fmt.Sscanf(attr("transform"), "translate(0, %g)", &ty); err != nil {
						t.Fatalf("legend transform %q: %v", attr("transform"), err)
					}
					l.legend = &box{0, ty, l.w, l.h}
					depthLegend = depth
				}
			case "path":
				if depthLegend > 0 {
					continue
				}
				m := strokeColour.FindStringSubmatch(attr("style"))
				if m == nil || !seriesColours[strings.ToUpper(m[1])] {
					continue
				}
				b, ok := l.series[m[1]]
				if !ok {
					b = emptyBox()
				}
				for _, p := range pathPoint.FindAllStringSubmatch(attr("d"), -1) {
					x, _ := strconv.ParseFloat(p[1], 64)
					y, _ := strconv.ParseFloat(p[2], 64)
					b.add(x, l.h-y) // plot paths are drawn y-up under scale(1,-1)
				}
				l.series[m[1]] = b
			case "text":
				inText = true
			case "title":
				inTitle = true
			}
		case xml.EndElement:
			if depthLegend == depth && e.Name.Local == "g" {
				depthLegend = 0
			}
			depth--
			inText, inTitle = false, false
		case xml.CharData:
			s := strings.TrimSpace(string(e))
			if inText && s != "" {
				l.texts = append(l.texts, s)
			}
			if inTitle && s != "" {
				l.titles = append(l.titles, s)
			}
		}
	}
	return l
}

// countMatching counts the texts that match re (tick labels).
func countMatching(texts []string, re string) int {
	r := regexp.MustCompile(re)
	n := 0
	for _, s := range texts {
		if r.MatchString(s) {
			n++
		}
	}
	return n
}

// realSampleCharts renders every chart of the HTML report for the four
// real Claude Code transcripts in ingest/claudecode/testdata (SOURCES.md
// there), and the runaway charts of the generated fleet (the real sample
// has no loop).
func realSampleCharts(t *testing.T) map[string][]byte {
	t.Helper()
	real := []string{"../ingest/claudecode/testdata/short.jsonl", "../ingest/claudecode/testdata/tool_heavy.jsonl",
		"../ingest/claudecode/testdata/subagent.jsonl", "../ingest/claudecode/testdata/agent-a2898e3.jsonl"}
	d := load(t, real...)
	a := buildFrom(t, d, BuildOptions{Caps: DefaultCaps(summaries(d))}, real...)
	if a.Sessions.Count == 0 || a.Sessions.CostUSD.Total == 0 {
		t.Fatalf("real sample: %d sessions, $%v", a.Sessions.Count, a.Sessions.CostUSD.Total)
	}
	costs := make([]float64, len(a.sessions))
	for i, s := range a.sessions {
		costs[i] = s.CostUSD
	}
	out := map[string][]byte{}
	var err error
	if out["cdf"], err = costCDFChart(costs, a.Sessions.CostUSD, a.CostCI); err != nil {
		t.Fatal(err)
	}
	if out["models"], err = costByModelChart(a.Models, a.OutputCostShare); err != nil {
		t.Fatal(err)
	}
	fd := load(t, "fleet.jsonl")
	f := buildFrom(t, fd, BuildOptions{Caps: DefaultCaps(summaries(fd))}, "fleet.jsonl")
	if out["growth"], err = growthChart(f.RunawayGrowth); err != nil {
		t.Fatal(err)
	}
	if f.CapRecommended == nil {
		t.Fatal("fleet: no recommended cap")
	}
	if out["caps"], err = capCurveChart(f.CapCurve, f.CapRecommended); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestChartLayout checks the rendered SVG, not the code that draws it: the
// legend is one group whose box meets no series' bounding box, every chart
// has hover titles, and the tick labels are few, in 1-2-5 steps, with no
// spurious decimals.
func TestChartLayout(t *testing.T) {
	for name, svg := range realSampleCharts(t) {
		if svg == nil {
			t.Errorf("%s: no chart", name)
			continue
		}
		l := parseLayout(t, svg)
		if l.legends != 1 || l.legend == nil {
			t.Errorf("%s: %d legend groups, want 1", name, l.legends)
			continue
		}
		if len(l.series) == 0 {
			t.Errorf("%s: no series path found", name)
		}
		for c, b := range l.series {
			if b.overlaps(*l.legend) {
				t.Errorf("%s: legend box %+v meets the %s series' box %+v", name, *l.legend, c, b)
			}
		}
		if len(l.titles) == 0 {
			t.Errorf("%s: no hover <title>", name)
		}
		// Tick labels: dollars, percents, or grouped integers, each with at
		// most the decimals of a 1-2-5 step (no "25,000.00").
		dollars := countMatching(l.texts, `^\$[\d,]+(\.\d+)?$`)
		percents := countMatching(l.texts, `^\d+(\.\d+)?%$`)
		ints := countMatching(l.texts, `^\d{1,3}(,\d{3})*$`)
		for _, s := range l.texts {
			if regexp.MustCompile(`^\$?[\d,]+\.\d*0%?$`).MatchString(s) {
				t.Errorf("%s: tick label %q has a trailing zero decimal", name, s)
			}
		}
		switch name {
		case "cdf":
			inRange(t, name+" dollar ticks", dollars, 2, 8)
			inRange(t, name+" percent ticks", percents, 3, 7)
		case "models":
			inRange(t, name+" dollar ticks", dollars, 3, 7)
		case "growth":
			inRange(t, name+" integer ticks (both axes)", ints, 6, 14)
		case "caps":
			inRange(t, name+" percent ticks", percents, 3, 7)
			if !containsText(l.texts, "recommended cap") {
				t.Errorf("caps: the recommended cap is not in the legend")
			}
		}
	}
}

func containsText(texts []string, sub string) bool {
	for _, s := range texts {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func inRange(t *testing.T, what string, n, lo, hi int) {
	t.Helper()
	if n < lo || n > hi {
		t.Errorf("%s: %d, want %d to %d", what, n, lo, hi)
	}
}

// TestNiceTicks: over ranges of many magnitudes, the labelled ticks are 3
// to 7, evenly spaced by 1, 2 or 5 times a power of ten, and carry at most
// the decimals that step needs (step 0.05 → 2, step 20 → 0), never a
// trailing zero.
func TestNiceTicks(t *testing.T) {
	for _, r := range [][2]float64{{0, 1}, {0, 0.97}, {0, 63.2}, {0, 25000}, {0.013, 0.0171}, {1, 31}, {0, 7}, {0, 1e6}, {3, 3.5}} {
		ticks := niceTicks{}.Ticks(r[0], r[1])
		var labelled []plot.Tick
		for _, tk := range ticks {
			if tk.Label != "" {
				labelled = append(labelled, tk)
			}
		}
		if len(labelled) < 3 || len(labelled) > 7 {
			t.Errorf("%v: %d labelled ticks", r, len(labelled))
			continue
		}
		step := labelled[1].Value - labelled[0].Value
		mant := step / math.Pow(10, math.Floor(math.Log10(step)+1e-9))
		if math.Abs(mant-1) > 1e-6 && math.Abs(mant-2) > 1e-6 && math.Abs(mant-5) > 1e-6 {
			t.Errorf("%v: step %v is not 1, 2 or 5 × 10^k", r, step)
		}
		wantDec := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
		for _, tk := range labelled {
			dec := 0
			if i := strings.IndexByte(tk.Label, '.'); i >= 0 {
				dec = len(tk.Label) - i - 1
			}
			if dec > wantDec || strings.HasSuffix(tk.Label, "0") && dec > 0 {
				t.Errorf("%v: label %q has %d decimals, step %v needs at most %d", r, tk.Label, dec, step, wantDec)
			}
		}
	}
	// An integer axis never steps below 1: 0..3 calls is 0, 1, 2, 3.
	var got []string
	for _, tk := range (niceTicks{integer: true}).Ticks(0, 3) {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	if strings.Join(got, " ") != "0 1 2 3" {
		t.Errorf("integer 0..3: %v", got)
	}
	// 25,000 in 5,000 steps, grouped, no decimals.
	got = got[:0]
	for _, tk := range (niceTicks{}).Ticks(0, 25000) {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	if strings.Join(got, " ") != "0 5,000 10,000 15,000 20,000 25,000" {
		t.Errorf("0..25000: %v", got)
	}
}

var _ = analyze.Distribution{}
