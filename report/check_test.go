package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseBudgets(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		wantErr    string // substring; "" = no error
		check      func(Budgets) bool
	}{
		{"empty file", "", "", func(b Budgets) bool { return b.MaxP95Cost == nil }},
		{"dollars and percent", "max-p95-cost: $1.50\nmax-wasted-share: 5%\nmax-regression: 0.1\nbaseline: b.json\n", "",
			func(b Budgets) bool {
				return *b.MaxP95Cost == 1.5 && *b.MaxWastedShare == 0.05 && *b.MaxRegression == 0.1 && b.Baseline == "b.json"
			}},
		{"regression above 100%", "max-regression: 150%", "", func(b Budgets) bool { return *b.MaxRegression == 1.5 }},
		{"unknown key", "max-p95-cost: 1\nmax-p59-cost: 2\n", `typo.yaml:2: unknown key "max-p59-cost"`, nil},
		{"duplicate key", "max-runaway: 1\nmax-runaway: 2\n", `typo.yaml:2: duplicate key "max-runaway"`, nil},
		{"share over 1", "max-wasted-share: 120%", "max-wasted-share: a share is at most 100%", nil},
		{"negative", "max-p95-cost: -1", "max-p95-cost: want a number of 0 or more", nil},
		{"fractional runaway", "max-runaway: 1.5", "max-runaway: want a whole number", nil},
		{"negative runaway", "max-runaway: -1", "max-runaway: must be 0 or more", nil}, // the check of the sign, not of the number
		{"not a mapping", "- 1\n- 2\n", "want a mapping", nil},
		{"nested value", "max-p95-cost:\n  a: 1\n", "max-p95-cost: want a single value", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ParseBudgets(strings.NewReader(tc.yaml), "typo.yaml")
			if tc.wantErr != "" {
				var ce *ConfigError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &ce) {
					t.Fatalf("err = %v, want a ConfigError containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(b) {
				t.Errorf("parsed %+v", b)
			}
		})
	}
}

func TestBudgetsValidate(t *testing.T) {
	var b Budgets
	if err := b.Validate(); err == nil || !strings.Contains(err.Error(), "no budget given") {
		t.Errorf("empty budgets: %v", err)
	}
	_ = b.Set("baseline", "x.json")
	if err := b.Validate(); err == nil || !strings.Contains(err.Error(), "baseline needs max-regression") {
		t.Errorf("baseline alone: %v", err)
	}
}

// TestCheckGolden evaluates every kind of rule on the two fixtures. By
// hand ($3/$15 per MTok): react-10 $0.1275, retry-15 $2.0745; P95 =
// 0.1275 + 0.95·1.947 = $1.97715; P99 = 0.1275 + 0.99·1.947 = $2.05503;
// P95 tokens = 34,500 + 0.95·(678,300 − 34,500) = 646,110; one runaway
// session wasting $2.0415 of $2.202 = 92.71%; nothing unpriced. Against
// a baseline of react-10 alone (every cost figure $0.1275, ×1.1 = $0.14025)
// all three regression rules fail. The input rules always apply: 19 + 29
// = 48 lines (wc -l), each one record, none invalid, so records (≥ 1) and
// max-invalid-share (default 1%) pass.
func TestCheckGolden(t *testing.T) {
	d := load(t, "react10.jsonl", "retry15.jsonl")
	a := buildFrom(t, d, BuildOptions{}, "react10.jsonl", "retry15.jsonl")
	base := build(t, BuildOptions{}, "react10.jsonl")
	var b Budgets
	for k, v := range map[string]string{
		"max-p95-cost": "1.98", "max-p99-cost": "2", "max-p95-tokens": "646110", "max-runaway": "0",
		"max-wasted-share": "95%", "max-unpriced-share": "0", "baseline": "base.json", "max-regression": "10%",
	} {
		if err := b.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	res := Check(a, nil, b, base)
	want := map[string]bool{"records": true, "max-invalid-share": true, "max-p95-cost": true, "max-p99-cost": false, "max-p95-tokens": true, "max-runaway": false,
		"max-wasted-share": true, "max-unpriced-share": true, "max-regression": false}
	for _, r := range res.Rules {
		if r.Pass != want[r.Rule] {
			t.Errorf("%s %s: pass = %v (measured %v, limit %v)", r.Rule, r.Scope, r.Pass, r.Measured, r.Limit)
		}
	}
	if len(res.Rules) != 11 || res.Failed != 5 || res.Pass {
		t.Errorf("%d rules, %d failed, pass %v; want 11, 5 (p99, runaway, 3 regression), false", len(res.Rules), res.Failed, res.Pass)
	}
	if r := res.Rules[0]; r.Rule != "records" || r.Measured != 48 || !r.AtLeast {
		t.Errorf("first rule %+v, want records measured 48", r)
	}
	for _, f := range CheckWriters.Names() {
		var buf bytes.Buffer
		if err := WriteCheck(&buf, f, res); err != nil {
			t.Fatal(err)
		}
		golden(t, "check."+f+".golden", buf.Bytes())
	}

	// Per workflow, each group's P95 is its one session's cost.
	groups, err := GroupStatsOf(summaries(d), "workflow")
	if err != nil {
		t.Fatal(err)
	}
	var g Budgets
	_ = g.Set("max-p95-cost", "2")
	_ = g.Set("group-by", "workflow")
	res = Check(a, groups, g, nil)
	// records, max-invalid-share, two groups, max-unpriced-share (default).
	if len(res.Rules) != 5 || res.Rules[2].Scope != "workflow=doc-ingest" || res.Rules[2].Measured != 2.0745 || res.Rules[2].Pass ||
		res.Rules[3].Scope != "workflow=react-example" || !res.Rules[3].Pass || !res.Rules[4].Default || res.Rules[4].Limit != 0.01 {
		t.Errorf("grouped: %+v", res.Rules)
	}
}
