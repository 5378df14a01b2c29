package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDuckDBQuery runs the DuckDB query documented in
// docs/sessions-table.md (scripts/duckdb_check.js reads it from the doc)
// with real DuckDB on the session tables of a generated fleet in two
// buckets, and compares its P95 and total cost per workflow with
// tokcost's own report over the same traces: a second method, DuckDB's
// quantile_cont (Hyndman–Fan type 7, as tokcost) over the table's rows.
//
// It needs node and DuckDB's Node client (@duckdb/node-api) on NODE_PATH:
// .ci/run installs them and sets TOKCOST_REQUIRE_DUCKDB=1, which makes a
// missing client a failure; elsewhere the test is skipped with how to run it.
func TestDuckDBQuery(t *testing.T) {
	node, err := exec.LookPath("node")
	if err == nil {
		err = exec.Command(node, "-e", "require.resolve('@duckdb/node-api')").Run()
	}
	if err != nil {
		msg := "DuckDB's Node client is not installed: npm install --prefix DIR @duckdb/node-api and set NODE_PATH=DIR/node_modules (" + err.Error() + ")"
		if os.Getenv("TOKCOST_REQUIRE_DUCKDB") == "1" || os.Getenv("CI") == "true" {
			t.Fatal(msg + "; .ci/run installs it") // CI must run it, not skip it
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet.jsonl")
	mustRun(t, "gen", "-n", "3000", "--seed", "9", "--loop-shapes", "-o", fleet)
	buckets := filepath.Join(dir, "b")
	mustRun(t, "convert", "-q", "--partition-by", "session", "--buckets", "2", "-o", buckets, fleet)
	tables := filepath.Join(dir, "sessions")
	if err := os.Mkdir(tables, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"000", "001"} {
		mustRun(t, "analyze", "-q", "-f", "json", "-o", os.DevNull, "--sessions-out", filepath.Join(tables, b+".parquet"), filepath.Join(buckets, "bucket="+b))
	}
	rep := filepath.Join(dir, "report.json")
	mustRun(t, "analyze", "-q", "-f", "json", "-o", rep, fleet)

	var a struct {
		Workflows []struct {
			Workflow string `json:"workflow"`
			Sessions int64  `json:"sessions"`
			Cost     struct {
				P95   float64 `json:"p95"`
				Total float64 `json:"total"`
			} `json:"cost_usd"`
		} `json:"workflows"`
	}
	b, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(node, "../../scripts/duckdb_check.js", filepath.Join(tables, "*.parquet"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("duckdb_check.js: %v\n%s", err, stderr.String())
	}
	t.Logf("%s", strings.TrimSpace(stderr.String())) // the DuckDB version
	type row struct {
		Workflow string  `json:"workflow"`
		Sessions int64   `json:"sessions"`
		P95      float64 `json:"p95_cost_usd"`
		Total    float64 `json:"total_cost_usd"`
	}
	got := map[string]row{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	var order []float64
	for sc.Scan() {
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		got[r.Workflow] = r
		order = append(order, r.P95)
	}
	if len(a.Workflows) < 2 || len(got) != len(a.Workflows) {
		t.Fatalf("DuckDB found %d workflows, tokcost %d", len(got), len(a.Workflows))
	}
	for i := 1; i < len(order); i++ {
		if order[i] > order[i-1] {
			t.Errorf("DuckDB rows not in P95 order (ORDER BY p95_cost_usd DESC): %v", order)
		}
	}
	for _, w := range a.Workflows {
		r, ok := got[w.Workflow]
		switch {
		case !ok:
			t.Errorf("workflow %q: not in DuckDB's result", w.Workflow)
		case r.Sessions != w.Sessions:
			t.Errorf("workflow %q: DuckDB counts %d sessions, tokcost %d", w.Workflow, r.Sessions, w.Sessions)
		// The same type-7 interpolation between the same two doubles: equal
		// but for the last bit of the arithmetic.
		case !closeTo(r.P95, w.Cost.P95, 1e-12):
			t.Errorf("workflow %q: DuckDB P95 %v, tokcost %v", w.Workflow, r.P95, w.Cost.P95)
		// Sums of thousands of doubles in another order differ by rounding.
		case !closeTo(r.Total, w.Cost.Total, 1e-9):
			t.Errorf("workflow %q: DuckDB total %v, tokcost %v", w.Workflow, r.Total, w.Cost.Total)
		}
	}
}

func closeTo(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}
