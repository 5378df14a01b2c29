// Command duckdbbench is the DuckDB side of `make bench` (scripts/bench.sh):
// it computes the per-session cost percentiles (P50, P95, P99) of a
// canonical JSONL or Parquet trace file with one DuckDB query, so that
// tokcost's full analysis can be timed against it on the same file.
//
// It is a module of its own, so DuckDB (cgo, a large static library) is
// never a dependency of tokcost. Wall time and peak RSS are measured from
// outside (GNU time), as for tokcost; the query's own time is printed too.
//
// The query prices each call as tokcost does for the generated fleet: the
// rates of `tokcost prices --format json MODEL...` (-prices), input
// including cache reads and writes, reasoning inside output, the
// long-context tier applied to the whole call above its threshold;
// repeats of an event id in a session are counted once. Service tiers,
// web searches and producer costs are not modelled (the fleet has none).
package main

import (
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

type rates struct {
	Input, Output, CacheRead float64
	CacheWrite5m             float64 `json:"cache_write_5m"`
	CacheWrite1h             float64 `json:"cache_write_1h"`
}

type priceFile struct {
	Models []struct {
		Model  string
		Priced bool
		Rates  struct {
			rates
			CacheRead float64 `json:"cache_read"`
			Tier      *struct {
				Above int64 `json:"above_input_tokens"`
				rates
				CacheRead float64 `json:"cache_read"`
			}
		}
	}
}

func main() {
	prices := flag.String("prices", "", "`file` written by tokcost prices --format json MODEL...")
	exec := flag.String("exec", "", "run these `statements` instead (how test fixtures were written with DuckDB)")
	flag.Parse()
	if *exec != "" {
		if err := execSQL(*exec); err != nil {
			fmt.Fprintln(os.Stderr, "duckdbbench:", err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() != 1 || *prices == "" {
		fmt.Fprintln(os.Stderr, "usage: duckdbbench -prices PRICES.json FILE.jsonl|FILE.parquet")
		os.Exit(2)
	}
	if err := run(*prices, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "duckdbbench:", err)
		os.Exit(1)
	}
}

func run(pricesPath, input string) error {
	b, err := os.ReadFile(pricesPath)
	if err != nil {
		return err
	}
	var pf priceFile
	if err := json.Unmarshal(b, &pf); err != nil {
		return fmt.Errorf("%s: %w", pricesPath, err)
	}
	// One row per model: base rates, then the long-context tier's (the
	// base again, above no threshold, when there is none).
	var rows []string
	for _, m := range pf.Models {
		if !m.Priced {
			continue
		}
		r := m.Rates
		above, t, tcr := int64(1)<<62, r.rates, r.CacheRead
		if r.Tier != nil {
			above, t, tcr = r.Tier.Above, r.Tier.rates, r.Tier.CacheRead
		}
		rows = append(rows, fmt.Sprintf("('%s', %g, %g, %g, %g, %g, %d, %g, %g, %g, %g, %g)",
			strings.ReplaceAll(m.Model, "'", "''"), r.Input, r.Output, r.CacheRead, r.CacheWrite5m, r.CacheWrite1h,
			above, t.Input, t.Output, tcr, t.CacheWrite5m, t.CacheWrite1h))
	}
	if len(rows) == 0 {
		return fmt.Errorf("%s: no priced model", pricesPath)
	}
	lit := "'" + strings.ReplaceAll(input, "'", "''") + "'"
	var src string
	cols := "session_id, id, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens"
	if strings.HasSuffix(strings.ToLower(input), ".parquet") {
		src = fmt.Sprintf("SELECT %s FROM read_parquet(%s)", cols, lit)
	} else {
		// The columns named, so DuckDB neither samples the file for a
		// schema nor materialises the others.
		src = fmt.Sprintf(`SELECT %s FROM read_json(%s, format = 'newline_delimited', columns = {
			session_id: 'VARCHAR', id: 'VARCHAR', model: 'VARCHAR', input_tokens: 'BIGINT', output_tokens: 'BIGINT',
			cache_read_tokens: 'BIGINT', cache_write_tokens: 'BIGINT', cache_write_1h_tokens: 'BIGINT'})`, cols, lit)
	}
	q := fmt.Sprintf(`
WITH rates(model, i, o, cr, cw5, cw1, above, ti, tout, tcr, tcw5, tcw1) AS (VALUES %s),
calls AS (SELECT DISTINCT ON (session_id, id) * FROM (%s)),
priced AS (
	SELECT c.session_id,
		coalesce(c.input_tokens, 0) AS inp, coalesce(c.output_tokens, 0) AS outp,
		coalesce(c.cache_read_tokens, 0) AS rd, coalesce(c.cache_write_tokens, 0) AS wr,
		coalesce(c.cache_write_1h_tokens, 0) AS wr1, r.*
	FROM calls c LEFT JOIN rates r ON c.model = r.model),
sessions AS (
	SELECT session_id, sum(CASE WHEN inp > above
		THEN (inp - rd - wr) * ti + rd * tcr + (wr - wr1) * tcw5 + wr1 * tcw1 + outp * tout
		ELSE (inp - rd - wr) * i + rd * cr + (wr - wr1) * cw5 + wr1 * cw1 + outp * o END) / 1e6 AS cost
	FROM priced GROUP BY session_id)
SELECT count(*), quantile_cont(coalesce(cost, 0), [0.5, 0.95, 0.99]) FROM sessions`, strings.Join(rows, ", "), src)

	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	start := time.Now()
	var n int64
	var ps []any
	row := db.QueryRow(q)
	var raw any
	if err := row.Scan(&n, &raw); err != nil {
		return err
	}
	ps, _ = raw.([]any)
	fmt.Printf("sessions %d  p50 %v  p95 %v  p99 %v  query %.2fs\n", n, at(ps, 0), at(ps, 1), at(ps, 2), time.Since(start).Seconds())
	return nil
}

func at(ps []any, i int) any {
	if i < len(ps) {
		return ps[i]
	}
	return nil
}

func execSQL(stmts string) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	_, err = db.Exec(stmts)
	return err
}
