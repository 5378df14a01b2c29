package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Budgets are the limits `tokcost check` enforces; a nil limit is no rule.
// Keys are the same in flags and in .tokcost.yaml.
type Budgets struct {
	MaxP95Cost       *float64 // USD per session
	MaxP99Cost       *float64 // USD per session
	MaxP95Tokens     *float64 // tokens per session
	MaxRunaway       *float64 // sessions with a runaway loop
	MaxWastedShare   *float64 // wasted $ / all $
	MaxUnpricedShare *float64 // unpriced tokens / all LLM tokens; DefaultMaxShare when nil
	MaxInvalidShare  *float64 // invalid lines / non-blank lines; DefaultMaxShare when nil
	MaxRegression    *float64 // allowed growth over the baseline, a fraction
	Baseline         string   // path to a baseline `analyze --format json` report
	// GroupBy applies the percentile rules per group: workflow, model or a
	// session attribute (analyze.GroupSessions).
	GroupBy string
	// History is a directory of earlier `analyze --format json` reports;
	// MaxP95Rise the allowed growth of P95 cost over the median of the
	// last DefaultTrendWindow of them (docs/trend.md).
	History    string
	MaxP95Rise *float64
}

// DefaultMaxShare is the limit of the input rules (max-invalid-share,
// max-unpriced-share) when no flag or config key sets it: a gate fails
// closed, so input it could not read or price cannot pass as $0.
const DefaultMaxShare = 0.01

// RuleRecords is the rule that fails a check on input without a single
// record: every other figure would be a measured zero.
const RuleRecords = "records"

// Set parses one budget given as text, from a flag or the config file.
func (b *Budgets) Set(key, value string) error {
	k := checkKey(key)
	if k == nil {
		return fmt.Errorf("unknown key %q (valid: %s)", key, strings.Join(BudgetKeys, ", "))
	}
	if k.text != nil {
		*k.text(b) = value
		if key == "group-by" { // a field name: spaces around it are YAML's
			*k.text(b) = strings.TrimSpace(value)
		}
		return nil
	}
	v, err := k.parse(value)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	*k.limit(b) = v
	return nil
}

// parseLimit reads a non-negative number; dollars may carry a leading $.
func parseLimit(s string, dollars bool) (*float64, error) {
	t := strings.TrimSpace(s)
	if dollars {
		t = strings.TrimPrefix(t, "$")
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("want a number of 0 or more, got %q", s)
	}
	return &v, nil
}

// parseShare reads "10%" or a fraction such as 0.1. A share of a whole
// cannot pass 1; a regression can.
func parseShare(s string, capped bool) (*float64, error) {
	t := strings.TrimSpace(s)
	scale := 1.0
	if strings.HasSuffix(t, "%") {
		t, scale = strings.TrimSpace(strings.TrimSuffix(t, "%")), 0.01
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("want a percentage such as 10%% or a fraction such as 0.1, got %q", s)
	}
	v *= scale
	if capped && v > 1 {
		return nil, fmt.Errorf("a share is at most 100%%, got %q", s)
	}
	return &v, nil
}

// ConfigError is a problem with one key of a config file.
type ConfigError struct {
	File string
	Line int
	Err  error
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// ParseBudgets reads a .tokcost.yaml: a mapping of BudgetKeys to scalars.
// An unknown key is an error naming it, so a typo never silently drops a
// budget.
func ParseBudgets(r io.Reader, name string) (Budgets, error) {
	var b Budgets
	var doc yaml.Node
	data, err := readAtMost(r, MaxConfigBytes, "config")
	if err != nil {
		return b, &ConfigError{File: name, Err: err}
	}
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return b, nil // an empty file sets nothing
		}
		return b, &ConfigError{File: name, Err: err}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return b, &ConfigError{File: name, Line: root.Line, Err: errors.New("want a mapping of budget keys to values")}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			return b, &ConfigError{File: name, Line: k.Line, Err: fmt.Errorf("duplicate key %q", k.Value)}
		}
		seen[k.Value] = true
		if v.Kind != yaml.ScalarNode {
			return b, &ConfigError{File: name, Line: v.Line, Err: fmt.Errorf("%s: want a single value", k.Value)}
		}
		if err := b.Set(k.Value, v.Value); err != nil {
			return b, &ConfigError{File: name, Line: k.Line, Err: err}
		}
	}
	return b, nil
}

// Validate reports budgets that cannot be checked as given.
func (b Budgets) Validate() error {
	for i := range CheckKeys {
		k := &CheckKeys[i]
		if k.Needs != "" && k.isSet(&b) && !checkKey(k.Needs).isSet(&b) {
			return fmt.Errorf("%s needs %s", k.Key, k.NeedsText)
		}
	}
	var listed []string
	for i := range CheckKeys {
		k := &CheckKeys[i]
		if k.limit != nil && k.isSet(&b) {
			return nil
		}
		if k.Listed {
			listed = append(listed, k.Key)
		}
	}
	return errors.New("no budget given: set at least one of " + strings.Join(listed, ", "))
}

// Rule units.
const (
	UnitUSD      = "usd"
	UnitTokens   = "tokens"
	UnitSessions = "sessions"
	UnitShare    = "share"
	UnitRecords  = "records"
)

// RuleResult is one budget rule evaluated: it passes when Measured ≤ Limit
// (Measured ≥ Limit with AtLeast).
type RuleResult struct {
	Rule     string  `json:"rule"`  // the budget key, e.g. max-p95-cost
	Scope    string  `json:"scope"` // "all", or "workflow=NAME" with group-by
	Measured float64 `json:"measured"`
	Limit    float64 `json:"limit"`
	Unit     string  `json:"unit"`
	// Baseline is the baseline report's value for regression rules; their
	// limit is Baseline × (1 + max-regression).
	Baseline *float64 `json:"baseline,omitempty"`
	// Default: the limit is DefaultMaxShare, set by no flag or key.
	Default bool `json:"default,omitempty"`
	// AtLeast: the rule is a minimum (the records rule).
	AtLeast bool `json:"at_least,omitempty"`
	Pass    bool `json:"pass"`
}

// CheckResult is every rule evaluated, in BudgetKeys order.
type CheckResult struct {
	Pass   bool         `json:"pass"`
	Failed int          `json:"failed"`
	Rules  []RuleResult `json:"rules"`
	// Notes say what a rule asked for could not check (max-p95-rise
	// without an earlier report), so the output never reads as gated.
	Notes []string `json:"notes,omitempty"`
	// Window is the run's --since/--until (or the session tables'), when
	// set: the rules measured only the records inside it.
	Window *Window `json:"window,omitempty"`
}

// Check evaluates the budgets on a; groups are the sessions grouped by
// b.GroupBy (GroupStatsOf), used when it is set; base is the baseline
// report, needed only when MaxRegression is set. Rules come in CheckKeys
// order, the First ones first.
func Check(a *Analysis, groups []GroupStats, b Budgets, base *Analysis) CheckResult {
	res := CheckResult{Rules: []RuleResult{}, Window: a.Input.Window}
	if w := a.Input.Window; w != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("window %s → %s: only the records inside it were checked (--since/--until)", orOpen(w.Since), orOpen(w.Until)))
	}
	in := &checkInput{a: a, base: base,
		scopes: []checkScope{{"all", a.Sessions.CostUSD.P95, a.Sessions.CostUSD.P99, a.Sessions.TotalTokens.P95}}}
	if b.GroupBy != "" && len(groups) > 0 {
		in.scopes = in.scopes[:0]
		for _, g := range groups {
			in.scopes = append(in.scopes, checkScope{b.GroupBy + "=" + g.Group, g.CostUSD.P95, g.CostUSD.P99, g.TotalTokens.P95})
		}
	}
	eval := func(k *CheckKey) {
		if k.measure == nil {
			return
		}
		var limit float64
		def := false
		if k.limit != nil {
			switch v := *k.limit(&b); {
			case v != nil:
				limit = *v
			case k.Default != nil:
				limit, def = *k.Default, true
			default:
				return // no budget set: no rule
			}
		}
		for _, r := range k.measure(in, limit) {
			r.Rule, r.Unit, r.Default, r.AtLeast = k.Key, k.Unit, def, k.AtLeast
			if k.AtLeast {
				r.Pass = r.Measured >= r.Limit
			} else {
				// A tiny tolerance so a limit equal to a value computed by a
				// different float path (e.g. a baseline round-trip) is not a failure.
				r.Pass = r.Measured <= r.Limit+1e-12*math.Max(1, math.Abs(r.Limit))
			}
			res.Rules = append(res.Rules, r)
		}
	}
	for _, first := range []bool{true, false} {
		for i := range CheckKeys {
			if CheckKeys[i].First == first {
				eval(&CheckKeys[i])
			}
		}
	}
	res.Pass = true
	for _, r := range res.Rules {
		if !r.Pass {
			res.Pass = false
			res.Failed++
		}
	}
	return res
}

// WriteCheck renders a check result in one of CheckWriters' formats.
func WriteCheck(w io.Writer, format string, r CheckResult) error {
	return CheckWriters.write(w, format, r)
}

// checkRows are the rule rows every text view prints.
func checkRows(r CheckResult) (header []string, rows [][]string, summary string) {
	rows = make([][]string, len(r.Rules))
	for i, rr := range r.Rules {
		verdict := "PASS"
		if !rr.Pass {
			verdict = "FAIL"
		}
		limit := ruleValue(rr.Unit, rr.Limit)
		if rr.AtLeast {
			limit = "≥ " + limit
		}
		if rr.Default {
			limit += " (default)"
		}
		if rr.Baseline != nil {
			limit += " (baseline " + ruleValue(rr.Unit, *rr.Baseline) + ")"
		}
		rows[i] = []string{rr.Rule, rr.Scope, ruleValue(rr.Unit, rr.Measured), limit, verdict}
	}
	header = []string{"rule", "scope", "measured", "limit", "result"}
	summary = fmt.Sprintf("%d of %d rules passed", len(r.Rules)-r.Failed, len(r.Rules))
	return header, rows, summary
}

// checkMarkdown is the check for a CI job summary.
type checkMarkdown struct{}

func (checkMarkdown) Write(w io.Writer, r CheckResult) error {
	p := &printer{w: w}
	header, rows, summary := checkRows(r)
	verdict := "✅ PASS"
	if !r.Pass {
		verdict = "❌ FAIL"
	}
	p.f("## tokcost check: %s (%s)\n\n", verdict, summary)
	for i := range rows {
		if !r.Rules[i].Pass {
			rows[i][4] = "**FAIL**"
		}
	}
	for i, rr := range r.Rules {
		if strings.Contains(rr.Scope, "=") { // a group's value comes from the traces
			rows[i][1] = code(rr.Scope)
		}
	}
	mdTable(p, header, rows, 2)
	for _, n := range checkNotes(r) {
		p.f("\n%s\n", n)
	}
	return p.err
}

// checkTable is the check for a terminal or a CI log.
type checkTable struct{ width int }

func (t checkTable) Write(w io.Writer, r CheckResult) error {
	p := &printer{w: w, width: t.width}
	header, rows, summary := checkRows(r)
	if err := p.table(header, rows, 2); err != nil {
		return err
	}
	for _, n := range checkNotes(r) {
		p.f("%s\n", n)
	}
	verdict := "PASS"
	if !r.Pass {
		verdict = "FAIL"
	}
	p.f("check: %s (%s)\n", verdict, summary)
	return p.err
}

// checkNotes explains the input rules when they matter: where a default
// limit came from, and that no records makes every other figure a zero.
func checkNotes(r CheckResult) []string {
	notes := slices.Clone(r.Notes)
	for _, rr := range r.Rules {
		if rr.Rule == RuleRecords && !rr.Pass {
			notes = append(notes, "no records: no input line held a record tokcost could read, so every other figure is zero, not a measurement")
		}
	}
	for _, rr := range r.Rules {
		if rr.Default {
			notes = append(notes, fmt.Sprintf("(default): a limit of %s applies when no flag or config key sets it (--max-invalid-share, --max-unpriced-share)", pct(DefaultMaxShare)))
			break
		}
	}
	return notes
}

func ruleValue(unit string, v float64) string {
	switch unit {
	case UnitUSD:
		return usd(v)
	case UnitShare:
		return pct(v)
	}
	// UnitTokens, UnitSessions, UnitRecords: counts.
	return num(v)
}
