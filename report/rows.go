package report

import (
	"fmt"

	"github.com/tokcost/tokcost/analyze"
)

// Rows shared by the table, Markdown and HTML views, so the three show the
// same figures the same way.

var distHeader = []string{"per session", "P50", "P95", "P99", "max", "mean", "total"}

// distributionRows renders the per-session distributions.
func distributionRows(s analyze.SessionStats) [][]string {
	rows := [][]string{
		distRow("cost (USD)", s.CostUSD, usd),
		distRow("total tokens", s.TotalTokens, num),
		distRow("input tokens", s.InputTokens, num),
		distRow("output tokens", s.OutputTokens, num),
		distRow("LLM calls", s.LLMCalls, num),
		distRow("context amplification", s.Amplification, ratio),
	}
	rows[5][6] = "" // a total of ratios means nothing
	return rows
}

var modelHeader = []string{"model", "priced as", "calls", "input", "output", "cache read", "cache write", "cost (USD)"}

// pricedAs says where a model's costs come from, never blank: the table key
// its id resolved to, the producer's own cost_usd (--cost-source auto
// takes it for calls the table cannot price), both, or nothing.
func pricedAs(m analyze.ModelUsage) string {
	switch {
	case m.PricedAs != "" && m.RecordCalls > 0:
		return fmt.Sprintf("%s + producer cost_usd (%s calls)", m.PricedAs, count(m.RecordCalls))
	case m.PricedAs != "":
		return m.PricedAs
	case m.RecordCalls > 0:
		return "producer cost_usd"
	}
	return "unpriced"
}

// modelRows renders the per-model breakdown; name formats the model id
// (the Markdown view sets it in code).
func modelRows(models []analyze.ModelUsage, name func(string) string) [][]string {
	rows := make([][]string, 0, len(models))
	for _, m := range models {
		cost := usd(m.CostUSD)
		if m.Unpriced == m.Calls && m.CostUSD == 0 {
			cost = "unpriced"
		} else if m.Unpriced > 0 {
			cost += fmt.Sprintf(" (+%d unpriced)", m.Unpriced)
		}
		rows = append(rows, []string{name(orNone(m.Model)), pricedAs(m), count(m.Calls), count(m.Tokens.Input), count(m.Tokens.Output),
			count(m.Tokens.CacheRead), count(m.Tokens.CacheWrite), cost})
	}
	return rows
}

func plain(s string) string { return s }
