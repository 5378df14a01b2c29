package main

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// pricesModes are the prices invocations of the width tests: explain (tiers,
// service tiers, notes, an unpriced id), --history and --list (a pattern
// and the whole table), on the embedded price table.
var pricesModes = []struct {
	ref  string // reference output of --wide, "" when there is none
	args []string
}{
	{"explain.txt", []string{"gpt-5.4", "claude-opus-4-6", "gemini-2.5-pro", "dashscope/qwen3-coder-plus", "no-such-model-x"}},
	{"history.txt", []string{"--history", "gemini-2.5-pro", "claude-sonnet-4-5", "gpt-4o"}},
	{"list.txt", []string{"--list", "gemini-2.5"}},
	{"list_gpt5.txt", []string{"--list", "gpt-5*"}},
	{"", []string{"--list"}},
}

func runPrices(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Main(&IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, append([]string{"prices"}, args...)); code != 0 {
		t.Fatalf("prices %v: exit %d: %s", args, code, errOut.String())
	}
	return out.String()
}

// TestPricesWideUnchanged: --wide must print what prices printed before it
// fitted its tables. The references in testdata/prices_wide were captured
// from main's binary at b3cf43a (before this change) with no terminal:
// `tokcost prices ARGS > testdata/prices_wide/NAME`. They follow the
// embedded price table: a new table snapshot means capturing them again
// from the binary before the change under test.
func TestPricesWideUnchanged(t *testing.T) {
	t.Setenv("COLUMNS", "")
	for _, m := range pricesModes {
		if m.ref == "" {
			continue
		}
		want, err := os.ReadFile("testdata/prices_wide/" + m.ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := runPrices(t, append([]string{"--wide"}, m.args...)...); got != string(want) {
			t.Errorf("prices --wide %v differs from %s:\n%s", m.args, m.ref, got)
		}
	}
}

// TestPricesFit100: without a terminal every line fits 100 columns, and
// nothing is cut: explain mode only wraps, so its words are those of --wide
// in order; a table that drops columns names them in a footer, and its
// rows keep each key with its input, output and cache-read rates, checked
// against the JSON output (a second rendering of the same rates).
func TestPricesFit100(t *testing.T) {
	t.Setenv("COLUMNS", "")
	for _, m := range pricesModes {
		got := runPrices(t, m.args...)
		for l := range strings.SplitSeq(got, "\n") {
			// Every character of this output is one column wide (ASCII, ·, ×).
			if n := utf8.RuneCountInString(l); n > 100 {
				t.Errorf("prices %v: line of %d columns: %q", m.args, n, l)
			}
		}
		wide := runPrices(t, append([]string{"--wide"}, m.args...)...)
		if m.args[0] != "--list" && m.args[0] != "--history" {
			if !slices.Equal(strings.Fields(got), strings.Fields(wide)) {
				t.Errorf("prices %v: wrapping changed the words:\n%s", m.args, got)
			}
		}
	}

	// --history: the tier column (a long sentence per period) goes, and
	// the footer says so; the rest of each row is as --wide prints it.
	hist := runPrices(t, pricesModes[1].args...)
	if !strings.Contains(hist, "    (not shown, to fit 100 columns: tier; --wide shows every column)\n") {
		t.Errorf("history footer missing:\n%s", hist)
	}
	wide := runPrices(t, append([]string{"--wide"}, pricesModes[1].args...)...)
	rowRe := regexp.MustCompile(`(?m)^    (\d{4}-\d\d-\d\d|\(all dates\)) +(\$\S+) +(\$\S+) +(\$\S+) +(\$\S+) +(\$\S+) +(\$\S+) `)
	wantRows := rowRe.FindAllStringSubmatch(wide, -1)
	gotRows := rowRe.FindAllStringSubmatch(hist, -1)
	if len(wantRows) < 3 || len(gotRows) != len(wantRows) {
		t.Fatalf("history rows: %d fitted, %d wide", len(gotRows), len(wantRows))
	}
	for i := range wantRows {
		if !slices.Equal(gotRows[i][1:], wantRows[i][1:]) {
			t.Errorf("history row %d: %v, want %v", i, gotRows[i][1:], wantRows[i][1:])
		}
	}

	// --list of the whole table: its longest key leaves room for key,
	// input, output and cache read only; every key is listed with those
	// three rates as the JSON output gives them.
	list := runPrices(t, "--list")
	if !strings.Contains(list, "(not shown, to fit 100 columns: write 1h, service tiers, long context, from, write 5m, provider;\n  --wide shows every column)\n") {
		t.Errorf("list footer missing:\n%s", list[len(list)-300:])
	}
	var js struct {
		Keys []struct {
			Key   string
			Rates struct {
				Input, Output float64
				CacheRead     float64 `json:"cache_read"`
			}
		}
	}
	if err := json.Unmarshal([]byte(runPrices(t, "--list", "-f", "json")), &js); err != nil {
		t.Fatal(err)
	}
	// A key too long for the column is alone on its line, its rates on the
	// next (indented: an empty first cell): join them back.
	var rows [][]string
	split := 0
	for _, l := range strings.Split(list, "\n")[2:] { // after the summary and the header
		if strings.HasPrefix(l, " ") && len(rows) > 0 && len(rows[len(rows)-1]) == 1 {
			rows[len(rows)-1] = append(rows[len(rows)-1], strings.Fields(l)...)
			split++
			continue
		}
		rows = append(rows, strings.Fields(l))
	}
	if len(js.Keys) < 1000 || len(rows) < len(js.Keys) || split == 0 {
		t.Fatalf("%d keys in JSON, %d rows, %d split", len(js.Keys), len(rows), split)
	}
	d := func(v float64) string { return "$" + strconv.FormatFloat(v, 'f', -1, 64) }
	for i, k := range js.Keys {
		want := []string{k.Key, d(k.Rates.Input), d(k.Rates.Output), d(k.Rates.CacheRead)}
		if got := rows[i]; !slices.Equal(got, want) {
			t.Errorf("list row %d: %q, want %q", i, got, want)
		}
	}
}
