package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestDiffGolden compares react-10 alone (old) with react-10 + retry-15
// (new), round-tripped through JSON as the command does. By hand: total
// cost $0.1275 → $2.2020, +$2.0745, +2.0745/0.1275 = +1627.1%; P95 $0.1275
// → $1.97715, +$1.84965 (+1450.7%); sessions 1 → 2; records 19 → 48;
// runaway 0 → 1 (no relative change from zero); output premium
// 0.03/0.1275 = 23.5% → 0.0795/2.202 = 3.6%, −19.9 pp; workflow doc-ingest
// is new: $0 → $2.0745.
func TestDiffGolden(t *testing.T) {
	old := roundTrip(t, build(t, BuildOptions{TopN: 3}, "react10.jsonl"))
	cur := roundTrip(t, build(t, BuildOptions{TopN: 3}, "react10.jsonl", "retry15.jsonl"))
	d := Diff(old, cur)
	byMetric := map[string]DiffRow{}
	for _, r := range d.Rows {
		byMetric[r.Metric] = r
	}
	approx := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
	for _, c := range []struct {
		metric        string
		old, new, rel float64 // rel −1: none
	}{
		{"sessions", 1, 2, 1},
		{"records", 19, 48, 29.0 / 19},
		{"total cost", 0.1275, 2.202, 2.0745 / 0.1275},
		{"P95 cost / session", 0.1275, 1.97715, 1.84965 / 0.1275},
		{"runaway sessions", 0, 1, -1},
		{"cost: workflow doc-ingest", 0, 2.0745, -1},
		{"cost: workflow react-example", 0.1275, 0.1275, 0},
	} {
		r, ok := byMetric[c.metric]
		if !ok {
			t.Errorf("no row %q", c.metric)
			continue
		}
		if !approx(r.Old, c.old) || !approx(r.New, c.new) || !approx(r.Abs, c.new-c.old) {
			t.Errorf("%s: %v → %v (%v), want %v → %v", c.metric, r.Old, r.New, r.Abs, c.old, c.new)
		}
		if (c.rel == -1) != (r.Rel == nil) || (r.Rel != nil && !approx(*r.Rel, c.rel)) {
			t.Errorf("%s: rel %v, want %v", c.metric, r.Rel, c.rel)
		}
	}
	for _, f := range CheckWriters.Names() {
		var b bytes.Buffer
		if err := WriteDiff(&b, f, d); err != nil {
			t.Fatal(err)
		}
		golden(t, "diff."+f+".golden", b.Bytes())
	}
}

func roundTrip(t *testing.T, a *Analysis) *Analysis {
	t.Helper()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ReadAnalysis(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReadAnalysisRejects(t *testing.T) {
	for in, want := range map[string]string{
		`{"schema_version": 2}`:                 "unknown schema_version 2 (this tokcost reads 1)",
		`{"sessions": {}}`:                      "no schema_version",
		`not json`:                              "not a tokcost JSON report",
		`{"schema_version": 1, "sessions": []}`: "not a tokcost JSON report",
	} {
		if _, err := ReadAnalysis(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", in, err, want)
		}
	}
}

// TestDiffWholeTokens: a token row prints whole tokens and the change of
// the two printed values. The bench fleet against testdata/fleet.jsonl has
// P95 total tokens 661,398.6 → 644,891.4 (their analyze JSON reports); by
// hand 661,399 → 644,891 and 644,891 − 661,399 = −16,508 (the exact change
// −16,507.2 would print −16,507, one off the printed values). The relative
// change stays exact: −16,507.2 / 661,398.6 = −2.496% → −2.5%. Dollars are
// untouched.
func TestDiffWholeTokens(t *testing.T) {
	rel := -16507.2 / 661398.6
	d := DiffResult{Rows: []DiffRow{
		{Metric: "P95 tokens / session", Unit: UnitTokens, Old: 661398.6, New: 644891.4, Abs: 644891.4 - 661398.6, Rel: &rel},
		{Metric: "P95 cost / session", Unit: UnitUSD, Old: 0.5, New: 0.25, Abs: -0.25},
	}}
	_, rows := diffRows(d)
	if got, want := strings.Join(rows[0], " | "), "P95 tokens / session | 661,399 | 644,891 | −16,508 | −2.5%"; got != want {
		t.Errorf("tokens row %q, want %q", got, want)
	}
	if got, want := strings.Join(rows[1][1:4], " | "), "$0.5000 | $0.2500 | −$0.2500"; got != want {
		t.Errorf("cost row %q, want %q", got, want)
	}
}
