package report

import (
	"strings"
	"testing"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/internal/store"
)

// TestCoverageUnknownUsageOther: names past the cap are said, with how
// many there were (exactly, or "more than" the names kept) and how often
// they were named, so the footer never reads as if the list were whole.
func TestCoverageUnknownUsageOther(t *testing.T) {
	in := Input{InputCounts: analyze.InputCounts{UnknownUsageFields: map[string]int64{"b": 2, "a": 1},
		UnknownUsageOther: &store.UnknownUsageOther{Occurrences: 1234, Names: []string{"c", "d", "e"}}}}
	want := "unknown usage fields: a (1), b (2), and 3 other names (1,234)"
	if got := coverageLines(in)[1]; !strings.HasSuffix(got, want) {
		t.Errorf("got  %q\nwant suffix %q", got, want)
	}
	in.UnknownUsageOther.MoreNames = true
	want = "unknown usage fields: a (1), b (2), and more than 3 other names (1,234)"
	if got := coverageLines(in)[1]; !strings.HasSuffix(got, want) {
		t.Errorf("got  %q\nwant suffix %q", got, want)
	}
}

// TestCoverageUnknownNamesSafe: unknown usage names are JSON keys of the
// traces, so the footer line (table, markdown) shows their control
// characters escaped, as every other trace text (SafeText): a key holding
// ESC [31m or a newline otherwise reached the terminal raw, colouring it
// or starting a forged line of its own. By hand: ESC is \x1b, newline \n.
func TestCoverageUnknownNamesSafe(t *testing.T) {
	in := Input{InputCounts: analyze.InputCounts{UnknownUsageFields: map[string]int64{"x\x1b[31m_tokens\nforged": 1}}}
	got := coverageLines(in)[1]
	if want := `unknown usage fields: x\x1b[31m_tokens\nforged (1)`; !strings.HasSuffix(got, want) {
		t.Errorf("got  %q\nwant suffix %q", got, want)
	}
}
