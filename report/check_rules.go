package report

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// CheckKey is one row of the check table: a key of `tokcost check`, the
// same as a flag and as a .tokcost.yaml key, and the rule it sets. From
// this table come the flags (cmd/tokcost/check.go), the config keys
// (Budgets.Set), the rules evaluated and their order (Check), how each is
// printed (Unit, ruleValue) and the key table of docs/ci.md
// (CheckKeysMarkdown; TestCheckDocs fails when the doc is out of date).
// Adding a rule is one entry here (docs/architecture.md).
type CheckKey struct {
	Key string // flag, config key and rule name
	Arg string // the value's placeholder in the docs: USD, N, F, FILE…
	// Help is the flag's help; Doc what the docs say is measured.
	Help, Doc string
	// Unit is how measured value and limit are printed (ruleValue).
	Unit string
	// NoKey: a rule no flag or key sets (records).
	NoKey bool
	// First: evaluated before every other rule, in table order (the
	// input rules: without records, or with lines not understood, every
	// other figure stands on nothing).
	First bool
	// AtLeast: the rule passes when measured ≥ limit.
	AtLeast bool
	// Default, when set, is the limit that applies when no flag or key
	// sets one: the rule always applies (printed "(default)").
	Default *float64
	// Listed: named in the "no budget given" error as a key to set.
	Listed bool
	// Needs is the key this one cannot be checked without, and NeedsText
	// how the error names it.
	Needs, NeedsText string

	// limit or text is the Budgets field the key sets; parse reads a
	// limit's value.
	limit func(*Budgets) **float64
	parse func(string) (*float64, error)
	text  func(*Budgets) *string
	// measure returns the rule's results for limit, without Rule, Unit,
	// Default, AtLeast and Pass (filled in by Check); nil for a setting,
	// or a rule measured elsewhere (max-p95-rise: AddHistoryRule, from
	// the reports the command reads).
	measure func(in *checkInput, limit float64) []RuleResult
}

// checkInput is what a rule is measured on.
type checkInput struct {
	a      *Analysis
	scopes []checkScope // "all", or one per group with group-by
	base   *Analysis    // the baseline report, or nil
}

type checkScope struct {
	scope       string
	p95, p99, t float64
}

// perScope measures one figure in every scope.
func perScope(v func(checkScope) float64) func(*checkInput, float64) []RuleResult {
	return func(in *checkInput, limit float64) []RuleResult {
		out := make([]RuleResult, len(in.scopes))
		for i, s := range in.scopes {
			out[i] = RuleResult{Scope: s.scope, Measured: v(s), Limit: limit}
		}
		return out
	}
}

// overall measures one figure of the whole input.
func overall(v func(*Analysis) float64) func(*checkInput, float64) []RuleResult {
	return func(in *checkInput, limit float64) []RuleResult {
		return []RuleResult{{Scope: "all", Measured: v(in.a), Limit: limit}}
	}
}

func parseDollars(s string) (*float64, error) { return parseLimit(s, true) }
func parseCount(s string) (*float64, error)   { return parseLimit(s, false) }
func parseShareOf(s string) (*float64, error) { return parseShare(s, true) }
func parseGrowth(s string) (*float64, error)  { return parseShare(s, false) }

// wholeSessions reads a number of sessions.
func wholeSessions(value string) (*float64, error) {
	n, err := strconv.Atoi(strings.TrimSpace(value))
	if err == nil && n < 0 {
		return nil, errors.New("must be 0 or more")
	}
	if err != nil {
		return nil, fmt.Errorf("want a whole number of sessions, got %q", value)
	}
	f := float64(n)
	return &f, nil
}

var defaultShare = DefaultMaxShare

const perGroup = " (per workflow with --group-by workflow)"

// CheckKeys is the check table, in the order keys are listed (flags,
// errors, docs); rules are evaluated First ones first, then in this order.
var CheckKeys = []CheckKey{
	{Key: RuleRecords, NoKey: true, First: true, AtLeast: true, Unit: UnitRecords,
		Doc: "records read: at least 1, always checked (none exits 6, not 4)",
		measure: func(in *checkInput, _ float64) []RuleResult {
			return []RuleResult{{Scope: "all", Measured: float64(in.a.Input.Records), Limit: 1}}
		}},
	{Key: "max-p95-cost", Arg: "USD", Unit: UnitUSD, Listed: true,
		Help:  "fail when the P95 cost per session exceeds USD" + perGroup,
		Doc:   "P95 cost per session (`$` optional), per group with `group-by`",
		limit: func(b *Budgets) **float64 { return &b.MaxP95Cost }, parse: parseDollars,
		measure: perScope(func(s checkScope) float64 { return s.p95 })},
	{Key: "max-p99-cost", Arg: "USD", Unit: UnitUSD, Listed: true,
		Help:  "fail when the P99 cost per session exceeds USD" + perGroup,
		Doc:   "P99 cost per session (`$` optional), per group with `group-by`",
		limit: func(b *Budgets) **float64 { return &b.MaxP99Cost }, parse: parseDollars,
		measure: perScope(func(s checkScope) float64 { return s.p99 })},
	{Key: "max-p95-tokens", Arg: "N", Unit: UnitTokens, Listed: true,
		Help:  "fail when the P95 total tokens per session exceed N" + perGroup,
		Doc:   "P95 total tokens per session, per group with `group-by`",
		limit: func(b *Budgets) **float64 { return &b.MaxP95Tokens }, parse: parseCount,
		measure: perScope(func(s checkScope) float64 { return s.t })},
	{Key: "max-runaway", Arg: "N", Unit: UnitSessions, Listed: true,
		Help:  "fail when more than N sessions have a runaway retry loop",
		Doc:   "sessions with a runaway retry loop",
		limit: func(b *Budgets) **float64 { return &b.MaxRunaway }, parse: wholeSessions,
		measure: overall(func(a *Analysis) float64 { return float64(a.Runaway.Count) })},
	{Key: "max-wasted-share", Arg: "F", Unit: UnitShare, Listed: true,
		Help:  "fail when runaway loops waste more than this share of all spend (e.g. 5% or 0.05)",
		Doc:   "dollars wasted in loops ÷ all dollars (`5%` or `0.05`)",
		limit: func(b *Budgets) **float64 { return &b.MaxWastedShare }, parse: parseShareOf,
		measure: overall(func(a *Analysis) float64 { return a.Runaway.WastedShare })},
	{Key: "max-unpriced-share", Arg: "F", Unit: UnitShare, Listed: true, Default: &defaultShare,
		Help:  "fail when unpriced tokens exceed this share of all LLM tokens (default 1%)",
		Doc:   "unpriced tokens ÷ all LLM tokens; always checked, 1% by default",
		limit: func(b *Budgets) **float64 { return &b.MaxUnpricedShare }, parse: parseShareOf,
		measure: overall(func(a *Analysis) float64 {
			if a.LLMTokens > 0 {
				return float64(a.UnpricedTokens) / float64(a.LLMTokens)
			}
			return 0
		})},
	{Key: "max-invalid-share", Arg: "F", Unit: UnitShare, Listed: true, First: true, Default: &defaultShare,
		Help:  "fail when invalid lines exceed this share of the non-blank input lines (default 1%)",
		Doc:   "invalid lines ÷ non-blank lines; always checked, 1% by default",
		limit: func(b *Budgets) **float64 { return &b.MaxInvalidShare }, parse: parseShareOf,
		measure: overall(func(a *Analysis) float64 {
			if read := a.Input.Lines - a.Input.Blank; read > 0 {
				return float64(a.Input.Invalid) / float64(read)
			}
			return 0
		})},
	{Key: "baseline", Arg: "FILE", Listed: true, Needs: "max-regression", NeedsText: "max-regression",
		Help: "a baseline report written by 'tokcost analyze --format json' (needs --max-regression)",
		Doc:  "a baseline JSON report written by `analyze --format json`, for `max-regression`",
		text: func(b *Budgets) *string { return &b.Baseline }},
	{Key: "max-regression", Arg: "F", Unit: UnitUSD, Listed: true, Needs: "baseline", NeedsText: "a baseline report",
		Help:  "fail when P95, total or mean cost grew more than this over the baseline (e.g. 10% or 0.1)",
		Doc:   "P95, total and mean cost against the `baseline` report: limit = baseline × (1 + F); `10%` or `0.1`",
		limit: func(b *Budgets) **float64 { return &b.MaxRegression }, parse: parseGrowth,
		measure: func(in *checkInput, limit float64) []RuleResult {
			if in.base == nil {
				return nil
			}
			a, base, f := in.a, in.base, 1+limit
			var out []RuleResult
			for _, r := range []struct {
				scope     string
				now, then float64
			}{
				{"p95 cost vs baseline", a.Sessions.CostUSD.P95, base.Sessions.CostUSD.P95},
				{"total cost vs baseline", a.Sessions.CostUSD.Total, base.Sessions.CostUSD.Total},
				{"mean cost vs baseline", a.Sessions.CostUSD.Mean, base.Sessions.CostUSD.Mean},
			} {
				then := r.then
				out = append(out, RuleResult{Scope: r.scope, Measured: r.now, Limit: then * f, Baseline: &then})
			}
			return out
		}},
	{Key: "group-by", Arg: "FIELD",
		Help: "apply the percentile budgets to each group: workflow, model, or a session attribute such as team",
		Doc:  "apply the P95/P99 cost and P95 token rules to each group: `workflow`, `model` (dominant model) or a session attribute such as `team`",
		text: func(b *Budgets) *string { return &b.GroupBy }},
	{Key: "history", Arg: "DIR", Needs: "max-p95-rise", NeedsText: "max-p95-rise",
		Help: "a directory of earlier 'tokcost analyze --format json' reports, searched recursively (needs --max-p95-rise)",
		Doc:  "a directory of earlier `analyze --format json` reports, searched recursively, for `max-p95-rise`",
		text: func(b *Budgets) *string { return &b.History }},
	{Key: "max-p95-rise", Arg: "F", Unit: UnitUSD, Listed: true, Needs: "history", NeedsText: "a history directory",
		Help:  "fail when P95 cost exceeds the median of the last 7 earlier runs in --history by more than this (e.g. 20%)",
		Doc:   "P95 cost against the median P95 of the last 7 earlier reports in `history`: limit = median × (1 + F); one noisy night does not move it (docs/trend.md)",
		limit: func(b *Budgets) **float64 { return &b.MaxP95Rise }, parse: parseGrowth},
}

// BudgetKeys lists the keys Set accepts, in CheckKeys order.
var BudgetKeys = func() []string {
	var keys []string
	for _, k := range CheckKeys {
		if !k.NoKey {
			keys = append(keys, k.Key)
		}
	}
	return keys
}()

// checkKey is the table row of key; nil for none (or a rule with no key).
func checkKey(key string) *CheckKey {
	for i := range CheckKeys {
		if CheckKeys[i].Key == key && !CheckKeys[i].NoKey {
			return &CheckKeys[i]
		}
	}
	return nil
}

// isSet reports whether b sets the key.
func (k *CheckKey) isSet(b *Budgets) bool {
	switch {
	case k.limit != nil:
		return *k.limit(b) != nil
	case k.text != nil:
		return *k.text(b) != ""
	}
	return false
}

// CheckKeysMarkdown is the key table of docs/ci.md, generated from
// CheckKeys.
func CheckKeysMarkdown() string {
	var b strings.Builder
	b.WriteString("| flag / key | checks (fails when measured > limit) |\n| --- | --- |\n")
	for _, k := range CheckKeys {
		name := "`" + k.Key + "`"
		if !k.NoKey {
			name = "`" + k.Key + " " + k.Arg + "`"
		} else {
			name += " (no key)"
		}
		fmt.Fprintf(&b, "| %s | %s |\n", name, k.Doc)
	}
	return b.String()
}
