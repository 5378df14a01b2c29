package report

import (
	"strings"
	"testing"
)

// The two problem-statement fixtures, rendered. Hand derivation of the
// headline (prices $3/$15 per MTok): react-10 = 32,500·3e-6 + 2,000·15e-6
// = $0.1275; retry-15 = 675,000·3e-6 + 3,300·15e-6 = $2.0745; total $2.2020.
// Type-7 P95 of two values: 0.1275 + 0.95·(2.0745 − 0.1275) = 0.1275 +
// 1.84965 = 1.97715 exactly, a tie at 4 places; in float64 it is
// 1.9771499…, so it shows as $1.9771.
func TestMarkdownGolden(t *testing.T) {
	a := build(t, BuildOptions{TopN: 10}, "react10.jsonl", "retry15.jsonl")
	got := render(t, "markdown", a)
	golden(t, "react10_retry15.md.golden", got)
	head, _, _ := strings.Cut(string(got), "\n")
	if want := "## tokcost: 2 sessions, $2.2020 total, P95 $1.9771 per session"; head != want {
		t.Errorf("headline %q, want %q", head, want)
	}
}

func TestMarkdownEscapesCells(t *testing.T) {
	if got := mdCell("a|b\nc"); got != `a\|b c` {
		t.Errorf("mdCell = %q", got)
	}
	// A fence one longer than the longest backtick run shows the text
	// exactly; a span starting or ending with a backtick is padded.
	for in, want := range map[string]string{
		"x`y":       "``x`y``",
		"`x``":      "``` `x`` ```",
		" a ":       "`  a  `",
		"a\n# b":    "`a # b`",
		"":          "",
		"<img src>": "`<img src>`",
	} {
		if got := code(in); got != want {
			t.Errorf("code(%q) = %q, want %q", in, got, want)
		}
	}
}
