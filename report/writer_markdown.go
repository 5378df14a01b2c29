package report

import (
	"fmt"
	"io"
	"strings"
)

type markdownWriter struct{}

// Write renders GitHub-flavoured Markdown for $GITHUB_STEP_SUMMARY, a pull
// request comment or a ticket: the headline and distribution first, the
// breakdowns after, each table short.
func (markdownWriter) Write(w io.Writer, a *Analysis) error {
	p := &printer{w: w}
	s := a.Sessions
	p.f("## tokcost: %s sessions, %s total, P95 %s per session\n\n", count(int64(s.Count)), usd(s.CostUSD.Total), usd(s.CostUSD.P95))
	if s.PartialCost > 0 {
		p.f("> [!WARNING]\n> %s sessions have unpriced calls: their costs, and the totals, are lower bounds.\n\n", count(int64(s.PartialCost)))
	}
	if n := totalsOnlyNote(s); n != "" {
		p.f("> [!NOTE]\n> %s.\n\n", n)
	}
	rows := distributionRows(s)
	mdTable(p, distHeader, rows, 1)

	c := a.CostByClass
	p.f("\n**Output premium:** %s of priced cost pays for output tokens. By class: input %s · cache read %s · cache write %s · output %s",
		pct(a.OutputCostShare), usd(c.Input), usd(c.CacheRead), usd(c.CacheWrite), usd(c.Output))
	if c.ServerTools > 0 {
		p.f(" · server tools %s", usd(c.ServerTools))
	}
	if c.Multimodal > 0 {
		p.f(" · audio and image %s", usd(c.Multimodal))
	}
	if c.Recorded > 0 {
		p.f(" · from records' cost_usd %s", usd(c.Recorded))
	}
	p.f(".\n")
	if t := tierText(a); t != "" {
		p.f("\n**By service tier:** %s.\n", t)
	}
	for _, n := range pricingNotes(a, code) {
		kind := "WARNING"
		if n.Assumed {
			kind = "NOTE"
		}
		p.f("\n> [!%s]\n> %s.\n", kind, n.Text)
	}

	r := a.Runaway
	p.f("\n**Runaway loops** (same tool, same masked error, ≥%d attempts): ", r.MinRepeats)
	if r.Count == 0 {
		p.f("none.\n")
	} else {
		p.f("%s sessions (%s under the %s timeout) wasting %s, %s of all spend; %d of the top-5%% (%d) most expensive sessions loop.\n\n",
			count(int64(r.Count)), count(int64(r.UnderTimeout)), duration(r.TimeoutS), usd(r.WastedCostUSD), pct(r.WastedShare), r.Top5pctLoops, r.Top5pctSessions)
		n := min(r.Len(), MaxGrowthSessions)
		rows = rows[:0]
		for _, rs := range r.Head(n) {
			tool := code(rs.Tool)
			if rs.Tool == "" {
				tool = "(" + rs.Signal + ")"
			}
			rows = append(rows, []string{code(rs.SessionID), tool, rs.Ended, count(int64(rs.LoopStartCall)), count(int64(rs.Repeats)),
				count(rs.ContextTokensStart) + " → " + count(rs.ContextTokensEnd), usd(rs.WastedCostUSD), pct(rs.WastedShareOfSession)})
		}
		mdTable(p, []string{"session", "tool", "ended", "from call", "repeats", "context tokens", "wasted", "of session"}, rows, 3)
		if r.Len() > n {
			p.f("\n… and %d more (all listed in `--format json`).\n", r.Len()-n)
		}
	}

	if len(a.Models) > 0 {
		p.f("\n### Models\n\n")
		rows = rows[:0]
		mdTable(p, modelHeader, modelRows(a.Models, code), 2)
	}
	if len(a.Groups) > 0 {
		p.f("\n### Per %s\n\n", code(a.GroupBy))
		rows = groupRows(a)
		for _, r := range rows {
			r[0] = code(r[0])
		}
		mdTable(p, groupHeader(code(a.GroupBy)), rows, 1)
	}
	if len(a.Workflows) > 0 {
		p.f("\n### Workflows\n\n")
		rows = rows[:0]
		for _, wf := range a.Workflows {
			rows = append(rows, []string{code(orNone(wf.Workflow)), count(int64(wf.Sessions)), usd(wf.CostUSD.P50), usd(wf.CostUSD.P95),
				usd(wf.CostUSD.P99), usd(wf.CostUSD.Total)})
		}
		mdTable(p, []string{"workflow", "sessions", "P50", "P95", "P99", "total"}, rows, 1)
	}
	if len(a.TopSessions) > 0 {
		p.f("\n### Top %d sessions by cost\n\n", len(a.TopSessions))
		rows = rows[:0]
		for _, t := range a.TopSessions {
			cost := usd(t.CostUSD)
			if t.UnpricedCalls > 0 {
				cost += "\\*" // a lower bound: some calls are unpriced
			}
			rows = append(rows, []string{code(t.SessionID), code(t.Workflow), cost, count(int64(t.LLMCalls)), count(t.TotalTokens),
				duration(t.DurationS), ratio(t.Amplification)})
		}
		mdTable(p, []string{"session", "workflow", "cost (USD)", "LLM calls", "tokens", "duration", "amplification"}, rows, 2)
	}

	in := a.Input
	p.f("\n<sub>tokcost %s · prices %s (sha256 %s) · cost source %s · %s, %s lines → %s, %s duplicates, %s invalid</sub>\n",
		a.Tool.Version, a.Pricing.Version, short(a.Pricing.SHA256), a.Pricing.CostSource,
		filesText(in), count(in.Lines), recordsText(in), count(in.Duplicates), count(in.Invalid))
	cov := coverageLines(in)
	p.f("\n<sub>%s</sub>\n\n<sub>%s</sub>\n", mdText(cov[0]), mdText(cov[1]))
	if len(in.Unpriced) > 0 {
		names := make([]string, len(in.Unpriced))
		for i, u := range in.Unpriced {
			names[i] = fmt.Sprintf("%s (%s calls)", code(orNone(u.Model)), count(u.Calls))
		}
		p.f("\nUnpriced models, excluded from costs: %s.\n", strings.Join(names, ", "))
	}
	return p.err
}

// mdTable writes a GitHub table: the first left columns aligned left, the
// rest right; cells are escaped so a | in a session id cannot split a row
// and a line break cannot end it. Text from traces is set in code spans
// (code) before it gets here, so it cannot carry Markdown or HTML.
func mdTable(p *printer, header []string, rows [][]string, left int) {
	row := func(cells []string) {
		p.f("|")
		for _, c := range cells {
			p.f(" %s |", mdCell(c))
		}
		p.f("\n")
	}
	row(header)
	p.f("|")
	for i := range header {
		if i < left {
			p.f(" :-- |")
		} else {
			p.f(" --: |")
		}
	}
	p.f("\n")
	for _, r := range rows {
		row(r)
	}
}

var mdCellEscaper = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ")

func mdCell(s string) string { return mdCellEscaper.Replace(s) }

// code sets text from a trace (an id, a model, a tool, an error) as a
// Markdown code span, where nothing is markup: no @mention, image, link,
// HTML tag or comment, heading or emphasis. Line breaks are folded to
// spaces (a newline could start a "# Heading"); the fence is one backtick
// longer than the longest run inside, so the text is shown exactly. A
// space pads a span that starts or ends with a backtick, or with spaces
// on both sides (CommonMark strips one from each side).
func code(s string) string {
	if s == "" {
		return ""
	}
	s = foldLines(s)
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if s[0] == '`' || s[len(s)-1] == '`' || (s[0] == ' ' && s[len(s)-1] == ' ') {
		s = " " + s + " "
	}
	fence := strings.Repeat("`", longest+1)
	return fence + s + fence
}

var lineFolder = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// foldLines turns line breaks into spaces: Markdown text stays on its line.
func foldLines(s string) string { return lineFolder.Replace(s) }
