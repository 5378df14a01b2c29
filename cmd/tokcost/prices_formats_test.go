package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/report"
)

// TestPricesFormatsAreTheRegistry: what `tokcost prices` accepts for
// -f/--format, lists in its help and completes is report.PricesWriters,
// and nothing else. prices kept its own list beside the registry; a format
// registered there but refused by the command (or missing from its help or
// completion), or a value accepted that the registry does not have, fails
// here. Every format must write both results: MODEL... and --list.
func TestPricesFormatsAreTheRegistry(t *testing.T) {
	t.Setenv("COLUMNS", "")
	names := report.PricesWriters.Names()
	if len(names) < 2 {
		t.Fatalf("prices formats %v: the registry lost table or json", names)
	}
	run := func(args ...string) (code int, out, errOut string) {
		var o, e bytes.Buffer
		code = Main(&IOStreams{In: strings.NewReader(""), Out: &o, ErrOut: &e}, args)
		return code, o.String(), e.String()
	}
	for _, f := range names {
		for _, args := range [][]string{
			{"prices", "-f", f, "gpt-4o", "no-such-model-x"},
			{"prices", "--format", f, "--list", "gpt-4o"},
		} {
			if code, out, errOut := run(args...); code != 0 || out == "" || errOut != "" {
				t.Errorf("%q: exit %d, %d bytes out, stderr %q; want exit 0, output, no stderr", args, code, len(out), errOut)
			}
		}
	}

	// The help names the registry's formats (FlagHelp lists them all).
	if got := newPricesCmd(&IOStreams{}, nil).Flags().Lookup("format").Usage; got != report.PricesWriters.FlagHelp() {
		t.Errorf("prices --format help %q, want %q", got, report.PricesWriters.FlagHelp())
	}

	// Completion offers the same names: one a line, then cobra's directive.
	_, out, _ := run("__complete", "prices", "--format", "")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("__complete output %q has no directive line", out)
	}
	if got := lines[:len(lines)-1]; !slices.Equal(got, names) {
		t.Errorf("prices --format completes %q, registry has %q", got, names)
	}

	// A value the registry lacks is a usage error naming what it has, in
	// both modes and before anything is read or written.
	for _, f := range []string{"xml", "markdown", "csv", "html", "TABLE", ""} {
		if report.PricesWriters.Has(f) {
			continue // registered since: covered above
		}
		want := `tokcost: unknown format "` + f + `" (valid: ` + strings.Join(names, ", ") + ")\n"
		for _, args := range [][]string{
			{"prices", "-f", f, "gpt-4o"},
			{"prices", "--format", f, "--list"},
		} {
			if code, out, errOut := run(args...); code != ExitUsage || out != "" || !strings.HasPrefix(errOut, want) {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d and %q", args, code, out, errOut, ExitUsage, want)
			}
		}
	}
}
