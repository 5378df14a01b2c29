package report

import (
	"fmt"
	"strings"

	"github.com/tokcost/tokcost/analyze"
)

// Rows shared by the table, Markdown and HTML views, so the three show the
// same figures the same way.

var distHeader = []string{"per session", "P50", "P95", "P99", "max", "mean", "total"}

// distributionRows renders the per-session distributions.
func distributionRows(s analyze.SessionStats) [][]string {
	rows := [][]string{
		distRow("cost (USD)", s.CostUSD, usd),
		// Tokens are counted whole: a type-7 percentile between two
		// sessions is fractional, and a tenth of a token is noise (JSON
		// keeps the exact value).
		distRow("total tokens", s.TotalTokens, wholeNum),
		distRow("input tokens", s.InputTokens, wholeNum),
		distRow("output tokens", s.OutputTokens, wholeNum),
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

// tierText is the service-tier split on one line ("" when every call was
// standard): "standard $1.20 (10 calls) · batch $0.30 (4 calls)".
func tierText(a *Analysis) string {
	var parts []string
	for _, t := range a.CostByTier {
		parts = append(parts, fmt.Sprintf("%s %s (%s calls)", t.Tier, usd(t.CostUSD), count(t.Calls)))
	}
	return strings.Join(parts, " · ")
}

// pricingNote is one statement of what the cost stands on beyond the
// price table: a warning (the invoice will differ) or an assumption.
type pricingNote struct {
	Assumed bool
	Text    string
}

// pricingNotes lists, in a fixed order, the pricing warnings and
// assumptions every view states: tiers billed at standard rates, tier rates
// derived by scaling, unpriced web searches, US-only calls without an
// uplift. Each writer only chooses how to show them.
func pricingNotes(a *Analysis, name func(string) string) []pricingNote {
	var out []pricingNote
	for _, n := range []pricingNote{
		{false, standardRateText(a, name)},
		{true, scaledRateText(a, name)},
		{false, unpricedToolsText(a, name)},
		{false, noUpliftText(a, name)},
		{false, noFastText(a, name)},
		{true, mediaTextRateText(a, name)},
		{false, noResidencyText(a, name)},
		{false, otherProviderText(a, name)},
	} {
		if n.Text != "" {
			out = append(out, n)
		}
	}
	return out
}

// standardRateText says which calls were billed at standard rates because
// the table has no rates for their tier ("" when none).
func standardRateText(a *Analysis, name func(string) string) string {
	var parts []string
	for _, f := range a.Input.StandardRate {
		parts = append(parts, fmt.Sprintf("%s %s (%s calls, %s tokens)", name(orNone(f.Model)), f.Tier, count(f.Calls), count(f.Tokens)))
	}
	if parts == nil {
		return ""
	}
	return "service tiers without rates in the price table, billed at standard rates (the invoice will differ): " + strings.Join(parts, ", ")
}

// scaledRateText names the calls billed at a service-tier rate derived by
// scaling the standard one ("" if none).
func scaledRateText(a *Analysis, name func(string) string) string {
	var parts []string
	for _, f := range a.Input.ScaledRate {
		parts = append(parts, fmt.Sprintf("%s %s (%s calls)", name(orNone(f.Model)), f.Tier, count(f.Calls)))
	}
	if parts == nil {
		return ""
	}
	return "service-tier rates assumed for token classes the table gives the tier no price for (the standard rate scaled like the tier's input): " + strings.Join(parts, ", ")
}

// unpricedToolsText names the web searches without a price ("" if none).
func unpricedToolsText(a *Analysis, name func(string) string) string {
	var parts []string
	for _, u := range a.Input.UnpricedServerTools {
		parts = append(parts, fmt.Sprintf("%s (%s searches)", name(orNone(u.Model)), count(u.WebSearches)))
	}
	if parts == nil {
		return ""
	}
	return "web searches without a price in the table, not in the cost: " + strings.Join(parts, ", ")
}

// modelCallsText names the models with calls counted by calls, "model
// (N calls)" after lead ("" if none): the assumed-rate lines below.
func modelCallsText(a *Analysis, name func(string) string, lead string, calls func(*analyze.ModelUsage) int64) string {
	var parts []string
	for i := range a.Models {
		if n := calls(&a.Models[i]); n > 0 {
			parts = append(parts, fmt.Sprintf("%s (%s calls)", name(orNone(a.Models[i].Model)), count(n)))
		}
	}
	if parts == nil {
		return ""
	}
	return lead + strings.Join(parts, ", ")
}

// noUpliftText names US-only calls of models without a US uplift in the
// table ("" if none): billed at base rates, below the invoice.
func noUpliftText(a *Analysis, name func(string) string) string {
	return modelCallsText(a, name, "US-only calls of models without a US uplift in the table, billed at base rates: ",
		func(m *analyze.ModelUsage) int64 { return m.USOnlyNoUplift })
}

// noResidencyText names OpenAI calls under --openai-residency of models
// without that region's multiplier ("" if none): billed at base rates.
func noResidencyText(a *Analysis, name func(string) string) string {
	return modelCallsText(a, name, "OpenAI calls under --openai-residency "+a.Pricing.OpenAIResidency+" of models without that region's multiplier in the table, billed at base rates: ",
		func(m *analyze.ModelUsage) int64 { return m.ResidencyNoUplift })
}

// otherProviderText names calls of OpenAI models under --openai-residency
// whose records name another provider ("" if none): not uplifted.
func otherProviderText(a *Analysis, name func(string) string) string {
	return modelCallsText(a, name, "calls of OpenAI models under --openai-residency "+a.Pricing.OpenAIResidency+" whose records name another provider, billed by that provider without the uplift: ",
		func(m *analyze.ModelUsage) int64 { return m.ResidencyOtherProvider })
}

// noFastText names fast-mode calls of models without a fast multiplier
// in the table ("" if none): billed at base rates, below the invoice.
func noFastText(a *Analysis, name func(string) string) string {
	return modelCallsText(a, name, "fast-mode calls of models without a fast multiplier in the table, billed at base rates: ",
		func(m *analyze.ModelUsage) int64 { return m.FastNoMultiplier })
}

// mediaTextRateText names the calls with audio or image tokens billed at a
// text rate ("" if none).
func mediaTextRateText(a *Analysis, name func(string) string) string {
	return modelCallsText(a, name, "audio or image tokens billed at a text rate (no rate for the modality in the table, or more media than uncached input, so in the cache classes): ",
		func(m *analyze.ModelUsage) int64 { return m.MediaTextRateCalls })
}

var invoiceHeader = []string{"line", "cost (USD)", "calls", "tokens"}

// invoiceRows is the invoice-style breakdown: cost by token class, then by
// service tier.
func invoiceRows(a *Analysis) [][]string {
	c := a.CostByClass
	rows := [][]string{
		{"input (uncached)", usd(c.Input), "", ""},
		{"cache read", usd(c.CacheRead), "", ""},
		{"cache write", usd(c.CacheWrite), "", ""},
		{"output (reasoning included)", usd(c.Output), "", ""},
	}
	rows = append(rows, []string{"server tools (web search)", usd(c.ServerTools), "", ""})
	if c.Multimodal > 0 {
		rows = append(rows, []string{"audio and image tokens", usd(c.Multimodal), "", ""})
	}
	if c.Recorded > 0 {
		rows = append(rows, []string{"from records' cost_usd", usd(c.Recorded), "", ""})
	}
	for _, t := range a.CostByTier {
		rows = append(rows, []string{"service tier " + t.Tier, usd(t.CostUSD), count(t.Calls), count(t.Tokens)})
	}
	return rows
}
