package report

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/analyze"
)

func TestSafeText(t *testing.T) {
	for in, want := range map[string]string{
		"plain-id_1.2":      "plain-id_1.2",
		"\x1b]0;pwned\x07s": `\x1b]0;pwned\x07s`,
		"\x1b[2J":           `\x1b[2J`,
		"a\nb\r\tc":         `a\nb\r\tc`,
		"del\x7f":           `del\x7f`,
		"c1 \u009b31m":      `c1 \u009b31m`,
		"bidi \u202eevil":   `bidi \u202eevil`,
		"bad \xff utf8":     `bad \xff utf8`,
		"ünïcode → ok, 日本":  "ünïcode → ok, 日本",
		"":                  "",
	} {
		if got := SafeText(in); got != want {
			t.Errorf("SafeText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SafeLines("line one\nline \x1b two"); got != "line one\nline \\x1b two" {
		t.Errorf("SafeLines = %q", got)
	}
}

// hostile is testdata/hostile.jsonl (see hostile.README.md): terminal
// escapes, CSV formulas and Markdown/HTML payloads in every text field.
func hostile(t *testing.T) (*analyze.Dataset, *Analysis, *WhatifReport) {
	t.Helper()
	d := load(t, "hostile.jsonl")
	a := buildFrom(t, d, BuildOptions{TopN: 10, Caps: []int{1, 2}}, "hostile.jsonl")
	if err := a.AddGroups(summaries(d), "workflow"); err != nil {
		t.Fatal(err)
	}
	w, err := analyze.Simulate(d, analyze.WhatifConfig{Caps: []int{1, 2}, MaxCollateral: 0.5, Window: 1,
		Loops: analyze.DefaultLoopConfig(), GroupBy: "workflow"})
	if err != nil {
		t.Fatal(err)
	}
	return d, a, BuildWhatif(d, w, WhatifOptions{CostSource: "auto"})
}

// TestHostileTextEscaped renders the hostile trace in every text output
// (issue 13.20): no terminal control byte may reach the output raw, and
// the escaped form must be there instead.
func TestHostileTextEscaped(t *testing.T) {
	d, a, wr := hostile(t)
	outs := map[string][]byte{}
	for _, f := range AnalyzeWriters.Names() {
		outs[f] = render(t, f, a)
	}
	var b bytes.Buffer
	if err := (whatifTable{}).Write(&b, wr); err != nil {
		t.Fatal(err)
	}
	outs["whatif"] = b.Bytes()
	tk, err := BuildTicket(d, wr, TicketOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Buffer{}
	if err := WriteTicket(&b, tk); err != nil {
		t.Fatal(err)
	}
	outs["ticket"] = b.Bytes()
	groups, err := GroupStatsOf(summaries(d), "workflow")
	if err != nil {
		t.Fatal(err)
	}
	var bud Budgets
	_ = bud.Set("max-p95-cost", "1")
	_ = bud.Set("group-by", "workflow")
	res := Check(a, groups, bud, nil)
	for _, f := range CheckWriters.Names() {
		b = bytes.Buffer{}
		if err := WriteCheck(&b, f, res); err != nil {
			t.Fatal(err)
		}
		outs["check-"+f] = b.Bytes()
	}
	for name, out := range outs {
		for _, c := range []byte{0x1b, 0x07, '\r', 0x7f} {
			if i := bytes.IndexByte(out, c); i >= 0 {
				t.Errorf("%s: raw control byte %#x at %d: %q", name, c, i, clip(string(out[max(0, i-20):min(len(out), i+20)])))
			}
		}
		// Each view shows the session id's escape as text (JSON as \u001b).
		if !bytes.Contains(out, []byte(`\x1b]0;pwned\x07s1`)) && !bytes.Contains(out, []byte(`\u001b]0;pwned\u0007s1`)) &&
			!strings.HasPrefix(name, "check") && name != "whatif" {
			t.Errorf("%s: the escaped session id is not shown", name)
		}
	}
	// A newline in a workflow or model name must not start a line of its
	// own ("# Heading" in Markdown, a forged line in the terminal). In
	// HTML a newline is only white space, and JSON escapes it.
	for name, out := range outs {
		if name == "html" {
			continue
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(strings.TrimLeft(line, "│ |"), "# Heading") || strings.HasPrefix(line, "line2") {
				t.Errorf("%s: trace text starts a line: %q", name, line)
			}
		}
	}
	if !bytes.Contains(outs["whatif"], []byte(`wf|<b>x</b>\n# Heading`)) {
		t.Errorf("whatif: escaped group key missing:\n%s", outs["whatif"])
	}
	// The check's group scope carries the workflow's escape as text.
	if !bytes.Contains(outs["check-table"], []byte(`wf|<b>x</b>\n# Heading`)) {
		t.Errorf("check table: escaped group scope missing:\n%s", outs["check-table"])
	}
}

// codeSpan matches a CommonMark code span: a run of backticks, then the
// shortest text up to a run of the same length.
func stripCodeSpans(s string) string {
	var out strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '`' {
			out.WriteByte(s[i])
			i++
			continue
		}
		n := 0
		for i+n < len(s) && s[i+n] == '`' {
			n++
		}
		fence := strings.Repeat("`", n)
		rest := s[i+n:]
		end := -1
		for j := 0; j+n <= len(rest); j++ {
			if strings.HasPrefix(rest[j:], fence) && (j+n == len(rest) || rest[j+n] != '`') && (j == 0 || rest[j-1] != '`') {
				end = j
				break
			}
		}
		if end < 0 {
			out.WriteString(fence)
			i += n
			continue
		}
		out.WriteString("CODE")
		i += n + end + n
	}
	return out.String()
}

// TestHostileMarkdown (issue 13.22): in every Markdown output the trace's
// text is inside code spans, so outside them there is no @mention, image,
// HTML tag or comment; rows stay rows.
func TestHostileMarkdown(t *testing.T) {
	d, a, wr := hostile(t)
	tk, err := BuildTicket(d, wr, TicketOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ticket, check bytes.Buffer
	if err := WriteTicket(&ticket, tk); err != nil {
		t.Fatal(err)
	}
	groups, _ := GroupStatsOf(summaries(d), "workflow")
	var bud Budgets
	_ = bud.Set("max-p95-cost", "1")
	_ = bud.Set("group-by", "workflow")
	if err := WriteCheck(&check, "markdown", Check(a, groups, bud, nil)); err != nil {
		t.Fatal(err)
	}
	hostileOutside := regexp.MustCompile(`@here|@maintainers|!\[|<!--|<img|<b>|\\u202e`)
	for name, out := range map[string]string{"report": string(render(t, "markdown", a)), "ticket": ticket.String(), "check": check.String()} {
		for i, line := range strings.Split(out, "\n") {
			bare := stripCodeSpans(line)
			if m := hostileOutside.FindString(bare); m != "" {
				t.Errorf("%s line %d: %q outside a code span: %q", name, i+1, m, line)
			}
			if strings.HasPrefix(line, "|") && !strings.HasSuffix(line, "|") {
				t.Errorf("%s line %d: a table row is split: %q", name, i+1, line)
			}
		}
		if !strings.Contains(out, "`") {
			t.Errorf("%s: no code span at all", name)
		}
	}
	// The report lists the hostile workflow in a code span, pipe escaped
	// for the table, newline folded.
	if md := string(render(t, "markdown", a)); !strings.Contains(md, "`wf\\|<b>x</b> # Heading`") {
		t.Errorf("workflow cell not in a code span:\n%s", md)
	}
}

// TestHostileHTML keeps the HTML writer's escaping proved: the payloads
// appear only as escaped text.
func TestHostileHTML(t *testing.T) {
	_, a, _ := hostile(t)
	out := string(render(t, "html", a))
	for _, bad := range []string{"<img", "<!-- hidden", "<b>x"} {
		if strings.Contains(out, bad) {
			t.Errorf("html: raw %q", bad)
		}
	}
	if !strings.Contains(out, "&lt;img src=x onerror=alert(1)&gt;") || !strings.Contains(out, `\x1b]0;pwned\x07s1`) {
		t.Error("html: escaped payloads missing")
	}
}

// TestCSVFormulaGuard (issue 13.21): a text cell starting with = + - @ is
// prefixed with a quote (OWASP), unless raw, which writes it exactly.
func TestCSVFormulaGuard(t *testing.T) {
	_, a, _ := hostile(t)
	cells := func(raw bool) map[string]bool {
		var b bytes.Buffer
		if err := CSVWriter(raw).Write(&b, a); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, r := range recs[1:] {
			ids[r[0]] = true
			for _, c := range r {
				if !raw && c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
					t.Errorf("unguarded cell %q", c)
				}
			}
		}
		return ids
	}
	safe := cells(false)
	for _, id := range []string{`'=cmd|' /c calc'!A1`, `'+1-555\r\nline2`, `'-2+3`, `'@maintainers ![x](https://e.example/x.png) <!-- hidden -->`, `\x1b]0;pwned\x07s1<img src=x onerror=alert(1)>`} {
		if !safe[id] {
			t.Errorf("guarded CSV lacks %q (has %v)", id, safe)
		}
	}
	raw := cells(true)
	// encoding/csv reads a quoted \r\n back as \n.
	for _, id := range []string{"=cmd|' /c calc'!A1", "+1-555\nline2", "-2+3", "\x1b]0;pwned\x07s1<img src=x onerror=alert(1)>"} {
		if !raw[id] {
			t.Errorf("raw CSV lacks %q", id)
		}
	}
	// The default CSV writer is the guarded one.
	if got := string(render(t, "csv", a)); !strings.Contains(got, "\n'=cmd|") {
		t.Error("default csv writer is not guarded")
	}
}

// TestHTMLEscapesC1AndBidi: docs/safety.md promises the HTML file is safe
// to print on a terminal like every text view, whose escapes include the C1
// controls (U+009B is CSI) and bidirectional overrides. ctrlEscaper only
// knew C0 and DEL: the workflow "\u202eevil" of hostile.jsonl reached the
// page raw, and so would U+009B.
func TestHTMLEscapesC1AndBidi(t *testing.T) {
	_, a, _ := hostile(t)
	out := string(render(t, "html", a))
	if strings.Contains(out, "\u202e") || !strings.Contains(out, `\u202eevil`) {
		t.Error("html: U+202E written raw, or its escape missing")
	}
	var b bytes.Buffer
	if _, err := (ctrlEscaper{&b}).Write([]byte("a\u009b2Jb · \u2066c\x1b")); err != nil {
		t.Fatal(err)
	}
	// U+009B → \u009b, the middle dot is kept, U+2066 → \u2066, ESC → \x1b.
	if got, want := b.String(), `a\u009b2Jb · \u2066c\x1b`; got != want {
		t.Errorf("ctrlEscaper: %q, want %q", got, want)
	}
	b.Reset()
	if _, err := (ctrlEscaper{&b}).Write([]byte("· \x1b")); err != nil || b.String() != `· \x1b` {
		t.Errorf("ctrlEscaper: ESC after a safe non-ASCII rune: %q", b.String())
	}
}
