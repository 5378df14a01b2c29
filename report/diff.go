package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ReadAnalysis reads a report written by `analyze --format json`. A
// schema_version other than SchemaVersion is refused: its keys may mean
// something else, and a silent misreading would gate CI on wrong numbers.
func ReadAnalysis(r io.Reader) (*Analysis, error) {
	data, err := readAtMost(r, MaxReportBytes, "report")
	if err != nil {
		return nil, err
	}
	var head struct {
		SchemaVersion *int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("not a tokcost JSON report: %w", err)
	}
	if head.SchemaVersion == nil {
		return nil, fmt.Errorf("not a tokcost JSON report: no schema_version")
	}
	if *head.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("unknown schema_version %d (this tokcost reads %d)", *head.SchemaVersion, SchemaVersion)
	}
	var a Analysis
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("not a tokcost JSON report: %w", err)
	}
	return &a, nil
}

// DiffRow is one headline number in two reports. Rel is (New−Old)/Old,
// absent when Old is 0.
type DiffRow struct {
	Metric string   `json:"metric"`
	Unit   string   `json:"unit"` // usd, tokens, sessions, records, share
	Old    float64  `json:"old"`
	New    float64  `json:"new"`
	Abs    float64  `json:"abs_change"`
	Rel    *float64 `json:"rel_change"`
}

// DiffResult compares two reports, old first.
type DiffResult struct {
	SchemaVersion int       `json:"schema_version"`
	Old           ToolInfo  `json:"old_tool"`
	New           ToolInfo  `json:"new_tool"`
	Rows          []DiffRow `json:"rows"`
}

// Diff lines up the headline numbers of two reports: counts, the cost
// distribution, tokens, loops, then cost by model and by workflow (the
// union of both reports, costliest in the new one first).
func Diff(old, cur *Analysis) DiffResult {
	r := DiffResult{SchemaVersion: SchemaVersion, Old: old.Tool, New: cur.Tool, Rows: []DiffRow{}}
	add := func(metric, unit string, o, n float64) {
		row := DiffRow{Metric: metric, Unit: unit, Old: o, New: n, Abs: n - o}
		if o != 0 {
			rel := (n - o) / o
			row.Rel = &rel
		}
		r.Rows = append(r.Rows, row)
	}
	was, now := old.Sessions, cur.Sessions
	add("sessions", "sessions", float64(was.Count), float64(now.Count))
	add("records", "records", float64(old.Input.Records), float64(cur.Input.Records))
	add("P50 cost / session", UnitUSD, was.CostUSD.P50, now.CostUSD.P50)
	add("P95 cost / session", UnitUSD, was.CostUSD.P95, now.CostUSD.P95)
	add("P99 cost / session", UnitUSD, was.CostUSD.P99, now.CostUSD.P99)
	add("mean cost / session", UnitUSD, was.CostUSD.Mean, now.CostUSD.Mean)
	add("total cost", UnitUSD, was.CostUSD.Total, now.CostUSD.Total)
	add("P95 tokens / session", UnitTokens, was.TotalTokens.P95, now.TotalTokens.P95)
	add("total tokens", UnitTokens, was.TotalTokens.Total, now.TotalTokens.Total)
	add("input tokens", UnitTokens, was.InputTokens.Total, now.InputTokens.Total)
	add("output tokens", UnitTokens, was.OutputTokens.Total, now.OutputTokens.Total)
	add("output premium", UnitShare, old.OutputCostShare, cur.OutputCostShare)
	add("runaway sessions", "sessions", float64(old.Runaway.Count), float64(cur.Runaway.Count))
	add("wasted in loops", UnitUSD, old.Runaway.WastedCostUSD, cur.Runaway.WastedCostUSD)
	add("wasted share", UnitShare, old.Runaway.WastedShare, cur.Runaway.WastedShare)

	type pair struct{ o, n float64 }
	union := func(prefix string, names []string, vals map[string]*pair) {
		for _, n := range names {
			add(prefix+n, UnitUSD, vals[n].o, vals[n].n)
		}
	}
	models, mnames := map[string]*pair{}, []string{}
	get := func(m map[string]*pair, names *[]string, k string) *pair {
		if m[k] == nil {
			m[k] = &pair{}
			*names = append(*names, k)
		}
		return m[k]
	}
	for _, m := range cur.Models {
		get(models, &mnames, orNone(m.Model)).n += m.CostUSD
	}
	for _, m := range old.Models {
		get(models, &mnames, orNone(m.Model)).o += m.CostUSD
	}
	union("cost: model ", mnames, models) // new report's order, then models gone
	wfs, wnames := map[string]*pair{}, []string{}
	for _, w := range cur.Workflows {
		get(wfs, &wnames, orNone(w.Workflow)).n = w.CostUSD.Total
	}
	for _, w := range old.Workflows {
		get(wfs, &wnames, orNone(w.Workflow)).o = w.CostUSD.Total
	}
	union("cost: workflow ", wnames, wfs)
	return r
}

// WriteDiff renders a diff in one of DiffWriters' formats.
func WriteDiff(w io.Writer, format string, d DiffResult) error {
	return DiffWriters.write(w, format, d)
}

// diffRows are the metric rows every text view prints.
func diffRows(d DiffResult) (header []string, rows [][]string) {
	rows = make([][]string, len(d.Rows))
	for i, r := range d.Rows {
		rel := "—" // no relative change from zero
		if r.Rel != nil {
			rel = signed(pct(*r.Rel), *r.Rel)
		}
		abs := diffValue(r.Unit, math.Abs(r.Abs))
		if r.Unit == UnitShare { // a change of shares is in percentage points
			abs = strconv.FormatFloat(math.Abs(r.Abs)*100, 'f', 1, 64) + " pp"
		}
		oldV, newV, absV := r.Old, r.New, r.Abs
		if r.Unit == UnitTokens {
			// Whole tokens, as the analyze views print them (a P95 between
			// two sessions is fractional; JSON keeps it); the change is that
			// of the two printed values, so the row adds up.
			oldV, newV = math.Round(oldV), math.Round(newV)
			absV = newV - oldV
			abs = num(math.Abs(absV))
		}
		rows[i] = []string{r.Metric, diffValue(r.Unit, oldV), diffValue(r.Unit, newV), signed(abs, absV), rel}
	}
	return []string{"metric", "old", "new", "change", "relative"}, rows
}

// diffMarkdown is the diff for a CI job summary.
type diffMarkdown struct{}

func (diffMarkdown) Write(w io.Writer, d DiffResult) error {
	header, rows := diffRows(d)
	p := &printer{w: w}
	p.f("## tokcost diff: %s → %s\n\n", d.Old.Version, d.New.Version)
	for _, r := range rows {
		// Model and workflow names come from the traces: code spans.
		for _, prefix := range []string{"cost: model ", "cost: workflow "} {
			if name, ok := strings.CutPrefix(r[0], prefix); ok {
				r[0] = prefix + code(name)
			}
		}
	}
	mdTable(p, header, rows, 1)
	return p.err
}

// diffTable is the diff for a terminal.
type diffTable struct{ width int }

func (t diffTable) Write(w io.Writer, d DiffResult) error {
	header, rows := diffRows(d)
	p := &printer{w: w, width: t.width}
	p.f("tokcost diff: %s → %s\n", d.Old.Version, d.New.Version)
	if err := p.table(header, rows, 1); err != nil {
		return err
	}
	return p.err
}

// signed prefixes a formatted magnitude with the sign of v.
func signed(s string, v float64) string {
	switch {
	case v > 0:
		return "+" + strings.TrimPrefix(s, "-")
	case v < 0:
		return "−" + strings.TrimPrefix(s, "-")
	}
	return s
}

func diffValue(unit string, v float64) string {
	switch unit {
	case UnitUSD:
		return usd(v)
	case UnitShare:
		return pct(v)
	}
	return num(v)
}

// MaxReportBytes and MaxConfigBytes bound the side files tokcost reads
// whole: a JSON report read back (check --baseline, diff) and a
// .tokcost.yaml. Real ones are kilobytes; a device or a runaway file is
// refused with an error instead of taking the machine's memory.
const (
	MaxReportBytes = 64 << 20
	MaxConfigBytes = 1 << 20
)

// readAtMost reads r whole, or fails once it holds more than limit bytes.
func readAtMost(r io.Reader, limit int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s larger than %d MiB: not a tokcost %s", what, limit>>20, what)
	}
	return data, nil
}
