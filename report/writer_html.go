package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"unicode/utf8"
)

type htmlWriter struct{}

// chart is one rendered figure; SVG is our own gonum/plot output.
type chart struct {
	Title, Note string
	SVG         template.HTML
}

type htmlTable struct {
	Title  string
	Header []string
	Left   int // leading left-aligned columns
	Rows   [][]string
	Note   string
}

type htmlPage struct {
	A        *Analysis
	Headline []struct{ Label, Value string }
	Charts   []chart
	Tables   []htmlTable
	Footer   string
	Coverage []string // the coverage footer, one paragraph each
	Warning  string
	// Title and Lines serve other pages (tokcost trend): a heading in
	// place of "tokcost report", and lines of text under the cards.
	Title string
	Lines []string
}

// Write renders one self-contained page: inline CSS and inline SVG
// charts, no scripts, fonts or network, so it can be uploaded as a CI
// artifact or attached to a ticket and opened anywhere.
func (htmlWriter) Write(w io.Writer, a *Analysis) error {
	pg := htmlPage{A: a}
	s := a.Sessions
	r := a.Runaway
	pg.Headline = []struct{ Label, Value string }{
		{"sessions", count(int64(s.Count))},
		{"total cost", usd(s.CostUSD.Total)},
		{"P50 / session", usd(s.CostUSD.P50)},
		{"P95 / session", usd(s.CostUSD.P95)},
		{"P99 / session", usd(s.CostUSD.P99)},
		{"output premium", pct(a.OutputCostShare)},
		{"runaway sessions", count(int64(r.Count))},
		{"wasted in loops", usd(r.WastedCostUSD) + " (" + pct(r.WastedShare) + ")"},
	}
	if s.PartialCost > 0 {
		pg.Warning = fmt.Sprintf("%s sessions have unpriced calls: their costs, and the totals, are lower bounds.", count(int64(s.PartialCost)))
	}
	if n := totalsOnlyNote(s); n != "" {
		pg.Warning = strings.TrimSpace(pg.Warning + " " + n + ".")
	}
	for _, n := range pricingNotes(a, plain) {
		pg.Warning = strings.TrimSpace(pg.Warning + " " + strings.ToUpper(n.Text[:1]) + n.Text[1:] + ".")
	}

	add := func(title, note string, svg []byte, err error) error {
		if err != nil {
			// The numbers are in the tables; a chart that cannot be drawn
			// is said so, not allowed to lose the whole report.
			pg.Charts = append(pg.Charts, chart{Title: title, Note: "chart unavailable: " + err.Error()})
			return nil
		}
		if svg != nil {
			pg.Charts = append(pg.Charts, chart{Title: title, Note: note, SVG: template.HTML(svg)}) // #nosec: our own SVG
		}
		return nil
	}
	var costs []float64
	if all, ok := a.allSessions(); ok {
		costs = make([]float64, 0, a.Sessions.Count)
		for ss := range all {
			costs = append(costs, ss.CostUSD)
		}
	}
	svg, err := costCDFChart(costs, s.CostUSD, a.CostCI)
	cdfCaption := "Each step is one session; dashed lines mark P50, P95 and P99 (type 7)."
	if a.Sessions.Count > cdfSteps {
		cdfCaption = fmt.Sprintf("Each step is %s sessions (the curve is drawn at %s evenly spaced ranks); dashed lines mark P50, P95 and P99 (type 7).",
			count(int64(a.Sessions.Count/cdfSteps)), count(int64(cdfSteps)))
	}
	if err := add("Cost distribution", cdfCaption, svg, err); err != nil {
		return err
	}
	svg, err = costByModelChart(a.Models, a.OutputCostShare)
	if err := add("Cost by model and token class", "Each bar splits a model's cost by token class; output tokens cost several times input, and their share is the output premium.", svg, err); err != nil {
		return err
	}
	svg, err = growthChart(a.RunawayGrowth)
	if err := add("Context growth in runaway loops", "Input tokens of each LLM call; the ring marks where the costliest loop starts.", svg, err); err != nil {
		return err
	}
	svg, err = capCurveChart(a.CapCurve, a.CapRecommended)
	if err := add("Iteration cap sweep", "A cap keeps a session's first N LLM calls: what it saves against the healthy sessions it would cut short.", svg, err); err != nil {
		return err
	}

	pg.Tables = append(pg.Tables, htmlTable{Title: "Per session", Header: append([]string{""}, distHeader[1:]...), Left: 1, Rows: distributionRows(s)})

	if r.Len() > 0 {
		n := min(r.Len(), 10)
		rows := make([][]string, 0, n)
		for _, rs := range r.Head(n) {
			tool := rs.Tool
			if tool == "" {
				tool = "(" + rs.Signal + ")"
			}
			rows = append(rows, []string{rs.SessionID, tool, rs.Ended, count(int64(rs.LoopStartCall)), count(int64(rs.Repeats)),
				count(rs.ContextTokensStart) + " → " + count(rs.ContextTokensEnd), usd(rs.WastedCostUSD), pct(rs.WastedShareOfSession)})
		}
		t := htmlTable{Title: "Runaway loops", Header: []string{"session", "tool", "ended", "from call", "repeats", "context tokens", "wasted", "of session"}, Left: 3, Rows: rows}
		if r.Len() > n {
			t.Note = fmt.Sprintf("… and %d more (all listed in --format json).", r.Len()-n)
		}
		pg.Tables = append(pg.Tables, t)
	}
	pg.Tables = append(pg.Tables, htmlTable{Title: "Cost by class and service tier", Header: invoiceHeader, Left: 1, Rows: invoiceRows(a)})
	if len(a.Models) > 0 {
		pg.Tables = append(pg.Tables, htmlTable{Title: "Models", Header: modelHeader, Left: 2, Rows: modelRows(a.Models, plain)})
	}
	if len(a.Groups) > 0 {
		pg.Tables = append(pg.Tables, htmlTable{Title: "Per " + a.GroupBy, Header: groupHeader(a.GroupBy), Left: 1, Rows: groupRows(a)})
	}
	if len(a.Workflows) > 0 {
		rows := make([][]string, 0, len(a.Workflows))
		for _, wf := range a.Workflows {
			rows = append(rows, []string{orNone(wf.Workflow), count(int64(wf.Sessions)), usd(wf.CostUSD.P50), usd(wf.CostUSD.P95), usd(wf.CostUSD.P99), usd(wf.CostUSD.Total)})
		}
		pg.Tables = append(pg.Tables, htmlTable{Title: "Workflows", Header: []string{"workflow", "sessions", "P50", "P95", "P99", "total"}, Left: 1, Rows: rows})
	}
	if len(a.TopSessions) > 0 {
		rows := make([][]string, 0, len(a.TopSessions))
		for _, t := range a.TopSessions {
			cost := usd(t.CostUSD)
			if t.UnpricedCalls > 0 {
				cost += "*"
			}
			rows = append(rows, []string{t.SessionID, t.Workflow, cost, count(int64(t.LLMCalls)), count(t.TotalTokens), duration(t.DurationS), ratio(t.Amplification)})
		}
		pg.Tables = append(pg.Tables, htmlTable{Title: fmt.Sprintf("Top %d sessions by cost", len(rows)), Header: []string{"session", "workflow", "cost (USD)", "LLM calls", "tokens", "duration", "amplification"}, Left: 2, Rows: rows})
	}
	in := a.Input
	pg.Footer = fmt.Sprintf("tokcost %s · prices %s (sha256 %s) · cost source %s · %s, %s lines → %s records, %s duplicates, %s invalid",
		a.Tool.Version, a.Pricing.Version, short(a.Pricing.SHA256), a.Pricing.CostSource,
		filesText(in), count(in.Lines), count(in.Records), count(in.Duplicates), count(in.Invalid))
	cov := coverageLines(in)
	pg.Coverage = cov[:]
	// html/template escapes markup; control characters pass through it,
	// so the page is written through ctrlEscaper (a cat of the file must
	// not drive the terminal either).
	return htmlTmpl.Execute(ctrlEscaper{w}, pg)
}

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"align": func(i, left int) string {
		if i < left {
			return "l"
		}
		return "r"
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Title}}{{.Title}}{{else}}tokcost: {{(index .Headline 0).Value}} sessions, {{(index .Headline 1).Value}}{{end}}</title>
<style>
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; margin: 0 auto; max-width: 1100px; padding: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 16px; }
h2 { font-size: 1.15rem; margin: 32px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 14px; }
.card .v { font-size: 1.35rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .k { color: #59636e; font-size: .85rem; }
.warn { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 8px 12px; margin: 12px 0; }
figure { margin: 28px 0 0; }
figure svg { width: 100%; height: auto; display: block; }
.note, figcaption { color: #59636e; font-size: .85rem; margin: 4px 0 8px; }
table { border-collapse: collapse; font-size: .9rem; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eaeef2; white-space: nowrap; }
th { background: #f6f8fa; }
td.l, th.l { text-align: left; }
td.r, th.r { text-align: right; }
.scroll { overflow-x: auto; }
footer { color: #59636e; font-size: .8rem; margin-top: 32px; }
</style>
</head>
<body>
<h1>{{if .Title}}{{.Title}}{{else}}tokcost report{{end}}</h1>
<div class="cards">
{{- range .Headline}}
<div class="card"><div class="v">{{.Value}}</div><div class="k">{{.Label}}</div></div>
{{- end}}
</div>
{{- if .Warning}}
<p class="warn">{{.Warning}}</p>
{{- end}}
{{- range .Lines}}
<p>{{.}}</p>
{{- end}}
{{- range .Charts}}
<figure aria-label="{{.Title}}">
{{.SVG}}
<figcaption>{{.Note}}</figcaption>
</figure>
{{- end}}
{{- range .Tables}}
{{- $left := .Left}}
<h2>{{.Title}}</h2>
<div class="scroll"><table>
<thead><tr>{{range $i, $h := .Header}}<th class="{{align $i $left}}">{{$h}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr>{{range $i, $c := .}}<td class="{{align $i $left}}">{{$c}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table></div>
{{- if .Note}}
<p class="note">{{.Note}}</p>
{{- end}}
{{- end}}
<footer>{{.Footer}}{{range .Coverage}}<br>{{.}}{{end}}</footer>
</body>
</html>
`))

// ctrlEscaper writes C0 control characters (but tab and newline) and DEL
// as the text \x1b, and the C1 controls and bidirectional overrides as
// \u009b, as SafeText does. The HTML page is safe otherwise:
// its markup is generated and every value is escaped by html/template.
type ctrlEscaper struct{ w io.Writer }

func (c ctrlEscaper) Write(b []byte) (int, error) {
	clean, high := true, false
	for _, x := range b {
		if (x < 0x20 && x != '\t' && x != '\n') || x == 0x7f {
			clean = false
			break
		}
		high = high || x >= 0x80
	}
	if clean && (!high || !needsEscapeSlow(string(b))) {
		return c.w.Write(b)
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		x := b[i]
		if x < 0x80 {
			if (x < 0x20 && x != '\t' && x != '\n') || x == 0x7f {
				out = fmt.Appendf(out, `\x%02x`, x)
			} else {
				out = append(out, x)
			}
			i++
			continue
		}
		// html/template writes each value whole, so a rune is not split
		// across calls; bytes that are not UTF-8 are left to the browser.
		r, n := utf8.DecodeRune(b[i:])
		if unsafeRune(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	if _, err := c.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
