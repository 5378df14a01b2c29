package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/tokcost/tokcost/analyze"
)

// tableWriter is the analyze report for a terminal; width is
// WriterOptions.Width.
type tableWriter struct{ width int }

// Write renders the human view: the key numbers first, then breakdowns.
func (tw tableWriter) Write(w io.Writer, a *Analysis) error {
	p := &printer{w: w, width: tw.width}
	in := a.Input
	p.f("tokcost %s · prices %s (sha256 %s) · cost source %s\n", a.Tool.Version, a.Pricing.Version, short(a.Pricing.SHA256), a.Pricing.CostSource)
	p.f("input: %s, %s lines → %s, %s duplicates, %s invalid, %s blank, %s skipped\n",
		filesText(in), count(in.Lines), recordsText(in), count(in.Duplicates), count(in.Invalid), count(in.Blank), count(in.Skipped))
	p.f("\nsessions: %s", count(int64(a.Sessions.Count)))
	if a.Sessions.PartialCost > 0 {
		p.f(" (%s with unpriced calls: their costs are lower bounds)", count(int64(a.Sessions.PartialCost)))
	}
	p.f("\n")
	if n := totalsOnlyNote(a.Sessions); n != "" {
		p.f("%s\n", n)
	}
	s := a.Sessions
	rows := distributionRows(s)
	// Too wide: mean goes first (total ÷ sessions, both shown), then max,
	// then total; the percentiles are what this table is for.
	if err := p.table(distHeader, rows, 1, 5, 4, 6); err != nil {
		return err
	}

	c := a.CostByClass
	p.f("\noutput premium: %s of priced cost pays for output tokens\n", pct(a.OutputCostShare))
	p.f("cost by class: input %s · cache read %s · cache write %s · output %s", usd(c.Input), usd(c.CacheRead), usd(c.CacheWrite), usd(c.Output))
	if c.ServerTools > 0 {
		p.f(" · server tools %s", usd(c.ServerTools))
	}
	if c.Multimodal > 0 {
		p.f(" · audio and image %s", usd(c.Multimodal))
	}
	if c.Recorded > 0 {
		p.f(" · from records' cost_usd %s", usd(c.Recorded))
	}
	p.f("\n")
	if t := tierText(a); t != "" {
		p.f("cost by service tier: %s\n", t)
	}
	for _, n := range pricingNotes(a, plain) {
		label := "warning"
		if n.Assumed {
			label = "assumed"
		}
		p.f("%s: %s\n", label, n.Text)
	}

	if len(a.Models) > 0 {
		p.f("\nmodels\n")
		rows = rows[:0]
		for _, m := range a.Models {
			cost := usd(m.CostUSD)
			if m.Unpriced == m.Calls && m.CostUSD == 0 {
				cost = "unpriced"
			} else if m.Unpriced > 0 {
				cost += fmt.Sprintf(" (+%d unpriced)", m.Unpriced)
			}
			rows = append(rows, []string{orNone(m.Model), pricedAs(m), count(m.Calls), count(m.Tokens.Input), count(m.Tokens.Output),
				count(m.Tokens.CacheRead), count(m.Tokens.CacheWrite), cost})
		}
		// Too wide: "priced as" goes first (usually the model id again;
		// JSON and --wide keep it), then the cache columns, then calls;
		// model, tokens in and out and cost stay.
		if err := p.table([]string{"model", "priced as", "calls", "input", "output", "cache read", "cache write", "cost (USD)"}, rows, 2, 1, 6, 5, 2); err != nil {
			return err
		}
	}
	if len(in.Unpriced) > 0 {
		p.f("\nunpriced models (not in the price table; their calls are excluded from costs)\n")
		rows = rows[:0]
		for _, u := range in.Unpriced {
			rows = append(rows, []string{orNone(u.Model), count(u.Calls), count(u.Tokens)})
		}
		if err := p.table([]string{"model", "calls", "tokens"}, rows, 1); err != nil {
			return err
		}
	}
	if len(a.Groups) > 0 {
		p.f("\nper %s\n", a.GroupBy)
		// Too wide: mean first (total ÷ sessions), then the loop columns
		// (the runaway table below has them per session).
		if err := p.table(groupHeader(a.GroupBy), groupRows(a), 1, 5, 8, 7); err != nil {
			return err
		}
	}
	if err := writeRunawayTable(p, a); err != nil {
		return err
	}
	if len(a.TopSessions) > 0 {
		p.f("\ntop %d sessions by cost\n", len(a.TopSessions))
		rows = rows[:0]
		for _, t := range a.TopSessions {
			cost := usd(t.CostUSD)
			if t.UnpricedCalls > 0 {
				cost += "*" // a lower bound: some calls are unpriced
			}
			rows = append(rows, []string{t.SessionID, t.Workflow, cost, count(int64(t.LLMCalls)), count(t.TotalTokens),
				duration(t.DurationS), ratio(t.Amplification)})
		}
		// Too wide: amplification and duration first (context, not cost),
		// then workflow and tokens; session, cost and calls stay.
		if err := p.table([]string{"session", "workflow", "cost (USD)", "LLM calls", "tokens", "duration", "amplification"}, rows, 2, 6, 5, 1, 4); err != nil {
			return err
		}
	}
	cov := coverageLines(in)
	p.f("\n%s\n%s\n", cov[0], cov[1])
	return p.err
}

// printer writes and remembers the first error.
type printer struct {
	w   io.Writer
	err error
	// width is the terminal's width: text lines wrap at word boundaries
	// and tables drop their low-value columns to fit it. 0 (--wide, and
	// the Markdown views that share the printer) writes everything as is.
	width int
	// line is the text of the current line not yet written (width > 0):
	// a line is wrapped only once it is whole.
	line strings.Builder
}

// Every string argument is passed through SafeText: the printer is how
// every text view writes, so no trace text reaches a terminal raw.
func (p *printer) f(format string, args ...any) {
	if p.err != nil {
		return
	}
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = SafeText(s)
		}
	}
	if p.width <= 0 {
		_, p.err = fmt.Fprintf(p.w, format, args...)
		return
	}
	p.line.WriteString(fmt.Sprintf(format, args...))
	text := p.line.String()
	end := strings.LastIndexByte(text, '\n')
	if end < 0 {
		return
	}
	p.line.Reset()
	p.line.WriteString(text[end+1:])
	var b strings.Builder
	for _, l := range strings.SplitAfter(text[:end+1], "\n") {
		if l != "" {
			b.WriteString(wrapLine(strings.TrimSuffix(l, "\n"), p.width))
			b.WriteByte('\n')
		}
	}
	_, p.err = io.WriteString(p.w, b.String())
}

// flush writes a last line left without its newline.
func (p *printer) flush() error {
	if p.err == nil && p.line.Len() > 0 {
		_, p.err = io.WriteString(p.w, wrapLine(p.line.String(), p.width))
		p.line.Reset()
	}
	return p.err
}

// wrapLine breaks a line longer than width at spaces; continuation lines
// are indented two spaces so they read as one item. A word longer than the
// line (a path, an id) is kept whole: cutting it would change it.
func wrapLine(l string, width int) string {
	if width <= 0 || twwidth.Width(l) <= width {
		return l
	}
	indent := len(l) - len(strings.TrimLeft(l, " "))
	// Split on single spaces, so a run of spaces inside a quoted error
	// survives a wrap.
	words := strings.Split(l[indent:], " ")
	var b strings.Builder
	cur := strings.Repeat(" ", indent)
	curW, fresh := indent, true
	for _, w := range words {
		ww := twwidth.Width(w)
		if !fresh && curW+1+ww > width {
			b.WriteString(strings.TrimRight(cur, " "))
			b.WriteByte('\n')
			cur, curW, fresh = strings.Repeat(" ", indent+2), indent+2, true
		}
		if !fresh {
			cur += " "
			curW++
		}
		cur += w
		curW += ww
		fresh = false
	}
	b.WriteString(cur)
	return b.String()
}

// table renders rows with the first left columns aligned left (names) and
// the rest right (numbers). When the table is wider than p.width it drops
// the columns in drop, in that order (each table says why those are its
// least useful), until it fits, and says which it dropped.
func (p *printer) table(header []string, rows [][]string, left int, drop ...int) error {
	if p.err != nil {
		return p.err
	}
	if p.flush() != nil {
		return p.err
	}
	out, dropped, err := fitColumns(header, p.width, drop, func(keep []bool) (string, error) {
		return renderTable(header, rows, left, keep)
	})
	if err != nil {
		return err
	}
	if _, p.err = io.WriteString(p.w, out); p.err != nil {
		return p.err
	}
	if len(dropped) > 0 {
		p.f("%s\n", droppedLine(p.width, dropped))
	}
	return p.err
}

// fitColumns renders a table with every column, then without the columns
// in drop, one more at a time, until it is no wider than width (0: never
// drop). It returns the rendering and the names of the dropped columns.
// Every table of every command fits through it, so they all give way alike.
func fitColumns(header []string, width int, drop []int, render func(keep []bool) (string, error)) (string, []string, error) {
	keep := make([]bool, len(header))
	for i := range keep {
		keep[i] = true
	}
	var dropped []string
	out, err := render(keep)
	if err != nil {
		return "", nil, err
	}
	for _, c := range drop {
		if width <= 0 || maxWidth(out) <= width {
			break
		}
		keep[c] = false
		dropped = append(dropped, header[c])
		if out, err = render(keep); err != nil {
			return "", nil, err
		}
	}
	return out, dropped, nil
}

// droppedLine is the footer that names the columns a table dropped.
func droppedLine(width int, dropped []string) string {
	return fmt.Sprintf("(not shown, to fit %d columns: %s; --wide shows every column)", width, strings.Join(dropped, ", "))
}

// renderTable renders the columns marked in keep.
func renderTable(header []string, rows [][]string, left int, keep []bool) (string, error) {
	pick := func(cells []string) []string {
		out := make([]string, 0, len(cells))
		for i, c := range cells {
			if i >= len(keep) || keep[i] {
				out = append(out, c)
			}
		}
		return out
	}
	var align tw.Alignment
	for i := range header {
		if !keep[i] {
			continue
		}
		if i < left {
			align = append(align, tw.AlignLeft)
		} else {
			align = append(align, tw.AlignRight)
		}
	}
	var b strings.Builder
	t := tablewriter.NewTable(&b,
		tablewriter.WithAlignment(align),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
	t.Header(safeCells(pick(header)))
	for _, r := range rows {
		if err := t.Append(safeCells(pick(r))); err != nil {
			return "", err
		}
	}
	if err := t.Render(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// maxWidth is the display width of the widest line of s (box characters
// and wide runes counted as a terminal shows them, not as bytes).
func maxWidth(s string) int {
	m := 0
	for l := range strings.SplitSeq(s, "\n") {
		m = max(m, twwidth.Width(l))
	}
	return m
}

// safeCells is SafeText on every cell (a copy when one changes).
func safeCells(cells []string) []string {
	out := cells
	for i, c := range cells {
		if e := SafeText(c); e != c {
			if &out[0] == &cells[0] {
				out = append([]string(nil), cells...)
			}
			out[i] = e
		}
	}
	return out
}

func distRow(name string, d analyze.Distribution, f func(float64) string) []string {
	return []string{name, f(d.P50), f(d.P95), f(d.P99), f(d.Max), f(d.Mean), f(d.Total)}
}

// usd shows cents-and-below for small amounts, cents for large ones.
func usd(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a (not finite)"
	}
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	if v >= 100 {
		return sign + "$" + group(strconv.FormatFloat(v, 'f', 2, 64))
	}
	return sign + "$" + strconv.FormatFloat(v, 'f', 4, 64)
}

// num shows whole numbers grouped, interpolated percentiles with one decimal.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a (not finite)"
	}
	if v == math.Trunc(v) {
		return group(strconv.FormatFloat(v, 'f', 0, 64))
	}
	return group(strconv.FormatFloat(v, 'f', 1, 64))
}

// wholeNum is num rounded half away from zero to a whole number, for token
// counts (distributionRows).
func wholeNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return num(v)
	}
	return num(math.Round(v))
}

func count(v int64) string { return group(strconv.FormatInt(v, 10)) }

func ratio(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "×" }

func pct(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

func duration(s float64) string {
	switch {
	case s >= 3600:
		return fmt.Sprintf("%.1fh", s/3600)
	case s >= 60:
		return fmt.Sprintf("%.1fm", s/60)
	}
	return fmt.Sprintf("%.1fs", s)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// group inserts thousands separators into a decimal number.
func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i:]
	}
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String() + frac
	if neg {
		out = "-" + out
	}
	return out
}

// writeRunawayTable shows the loop summary and the sessions wasting the
// most, as many as the top-sessions list.
func writeRunawayTable(p *printer, a *Analysis) error {
	r := a.Runaway
	p.f("\nrunaway loops (same tool, same masked error, ≥%d attempts; timeout %s): ", r.MinRepeats, duration(r.TimeoutS))
	if r.Count == 0 {
		p.f("none\n")
		return p.err
	}
	p.f("%s sessions, %s under the timeout, wasting %s (%s of all spend); %d of the top-5%% (%d) most expensive sessions loop\n",
		count(int64(r.Count)), count(int64(r.UnderTimeout)), usd(r.WastedCostUSD), pct(r.WastedShare), r.Top5pctLoops, r.Top5pctSessions)
	n := len(a.TopSessions)
	if n == 0 || n > r.Len() {
		n = r.Len()
	}
	head := r.Head(n)
	rows := make([][]string, 0, n)
	for _, s := range head {
		under := "no"
		if s.UnderTimeout {
			under = "yes"
		}
		tool := s.Tool
		if tool == "" {
			tool = "(" + s.Signal + ")"
		}
		rows = append(rows, []string{s.SessionID, tool, count(int64(s.LoopStartCall)), count(int64(s.Repeats)),
			count(s.ContextTokensStart) + " → " + count(s.ContextTokensEnd), usd(s.WastedCostUSD), pct(s.WastedShareOfSession),
			duration(s.DurationS), under, s.Ended})
	}
	// Too wide: how the loop ended and whether it beat the timeout go
	// first (the summary line above counts those under the timeout), then
	// duration, where it started and the context growth; session, tool,
	// repeats and the dollars wasted stay.
	if err := p.table([]string{"session", "tool", "from call", "repeats", "context tokens", "wasted", "of session", "duration", "under timeout", "ended"}, rows, 2, 9, 8, 7, 2, 4, 6); err != nil {
		return err
	}
	if r.Len() > n {
		p.f("… and %d more (all listed in --format json)\n", r.Len()-n)
	}
	if ex := head[0]; ex.Evidence != "" {
		p.f("costliest loop (%s): %s\n", ex.Shape, oneLine(ex.Evidence))
	}
	if ex := head[0]; ex.ErrorSignature != "" {
		p.f("costliest loop's error: %s\n  e.g. %s\n", ex.ErrorSignature, ex.ErrorExample)
	}
	return p.err
}

// oneLine keeps a trace's text on one terminal line.
var oneLine = strings.NewReplacer("\r\n", " ⏎ ", "\n", " ⏎ ", "\r", " ", "\t", " ").Replace

func groupHeader(field string) []string {
	return []string{field, "sessions", "P50", "P95", "P99", "mean", "total", "runaway", "wasted"}
}

// groupRows renders --group-by groups, shared by the table and Markdown views.
func groupRows(a *Analysis) [][]string {
	rows := make([][]string, 0, len(a.Groups))
	for _, g := range a.Groups {
		c := g.Sessions.CostUSD
		rows = append(rows, []string{g.Group, count(int64(g.Sessions.Count)), usd(c.P50), usd(c.P95), usd(c.P99), usd(c.Mean), usd(c.Total),
			count(int64(g.RunawaySessions)), usd(g.WastedCostUSD)})
	}
	return rows
}

// recordsText says how many lines yielded records, and how many steps
// they held when that differs (one Claude Code line, several tool results).
func recordsText(in Input) string {
	if in.LinesWithRecords == in.Records {
		return count(in.Records) + " records"
	}
	return count(in.LinesWithRecords) + " with records (" + count(in.Records) + " steps)"
}
