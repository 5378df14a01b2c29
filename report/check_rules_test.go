package report

import (
	"os"
	"strings"
	"testing"
)

// The key table of docs/ci.md is generated from CheckKeys: a rule added to
// the table and not to the docs fails here (go test ./report/ -update
// rewrites the section; review the diff).
func TestCheckDocs(t *testing.T) {
	const path = "../docs/ci.md"
	const begin, end = "<!-- check-keys:begin (generated from report.CheckKeys) -->\n", "<!-- check-keys:end -->\n"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s: no %q … %q section", path, begin, end)
	}
	want := CheckKeysMarkdown()
	if got := s[i+len(begin) : j]; got != want {
		if *update {
			if err := os.WriteFile(path, []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s is out of date with report.CheckKeys (go test ./report/ -update rewrites it):\n%s", path, firstDiff(want, got))
	}
}

// Every key of the table is a config key, and every rule it sets is
// evaluated under its own name when set.
func TestCheckKeysTable(t *testing.T) {
	// A minimal report: 10 records over 10 sessions, nothing invalid.
	a := &Analysis{}
	a.Input.Records, a.Input.Lines = 10, 10
	base := &Analysis{}
	var b Budgets
	for _, k := range CheckKeys {
		if k.NoKey {
			continue
		}
		v := "1"
		if k.text != nil {
			v = "x"
		}
		if err := b.Set(k.Key, v); err != nil {
			t.Fatalf("Set(%s): %v", k.Key, err)
		}
		if !k.isSet(&b) {
			t.Errorf("%s: Set did not set it", k.Key)
		}
	}
	b.GroupBy = "" // groups need sessions
	res := Check(a, nil, b, base)
	seen := map[string]bool{}
	for _, r := range res.Rules {
		seen[r.Rule] = true
	}
	for _, k := range CheckKeys {
		if want := k.measure != nil; seen[k.Key] != want {
			t.Errorf("%s: evaluated %v, want %v", k.Key, seen[k.Key], want)
		}
	}
	// Evaluation order: the First rules (records, max-invalid-share),
	// then the table's order.
	want := []string{"records", "max-invalid-share", "max-p95-cost", "max-p99-cost", "max-p95-tokens", "max-runaway",
		"max-wasted-share", "max-unpriced-share", "max-regression", "max-regression", "max-regression"}
	var got []string
	for _, r := range res.Rules {
		got = append(got, r.Rule)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rules %v, want %v", got, want)
	}
}
