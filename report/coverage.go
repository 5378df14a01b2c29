package report

import (
	"fmt"
	"sort"
	"strings"
)

// coverageLines is the footer every human view ends with: what share of
// lines, calls and dollars the figures stand on, and what was assumed or
// recovered to get them (docs/json.md, input). Two lines of plain text.
func coverageLines(in Input) [2]string {
	share := func(part, whole int64) string {
		if whole == 0 {
			return ""
		}
		return " (" + pct(float64(part)/float64(whole)) + ")"
	}
	table := count(in.CallsPricedTable)
	if in.CallsPricedOverride > 0 { // only with --pricing files, so other footers stay as they were
		table = count(in.CallsPricedTable-in.CallsPricedOverride) + " priced from the table, " +
			count(in.CallsPricedOverride) + " from price files"
	} else {
		table += " priced from the table"
	}
	calls := fmt.Sprintf("%s model calls: %s, %s from the producer's cost_usd, %s unpriced",
		count(in.LLMCalls), table, count(in.CallsPricedProducer), count(in.CallsUnpriced))
	if in.CallsNoTokens > 0 {
		calls += ", " + count(in.CallsNoTokens) + " without tokens"
	}
	dollars := "no dollars"
	if total := in.CostTableUSD + in.CostProducerUSD; total > 0 {
		own := max(in.CostTableUSD-in.CostOverrideUSD, 0) // no float residue below 0
		dollars = fmt.Sprintf("dollars: %s from the table (%s)", usd(own), pct(own/total))
		if in.CostOverrideUSD != 0 { // only with --pricing files, so other footers stay as they were
			dollars += fmt.Sprintf(", %s from price files (%s)", usd(in.CostOverrideUSD), pct(in.CostOverrideUSD/total))
		}
		dollars += fmt.Sprintf(", %s from producers (%s)", usd(in.CostProducerUSD), pct(in.CostProducerUSD/total))
	}
	first := fmt.Sprintf("coverage: %s lines read, %s understood%s · %s · %s",
		count(in.Lines), count(in.LinesUnderstood), share(in.LinesUnderstood, in.Lines), calls, dollars)

	unknown := "none"
	if len(in.UnknownUsageFields) > 0 {
		names := make([]string, 0, len(in.UnknownUsageFields))
		for k := range in.UnknownUsageFields {
			names = append(names, k)
		}
		sort.Strings(names)
		for i, k := range names {
			// JSON keys of the traces: escaped, as all trace text.
			names[i] = fmt.Sprintf("%s (%s)", SafeText(k), count(in.UnknownUsageFields[k]))
		}
		unknown = strings.Join(names, ", ")
	}
	if o := in.UnknownUsageOther; o != nil {
		// Past the cap (internal/store.UnknownUsageCap): how many more names, exactly
		// when they were all kept, and how often they were named.
		n := count(int64(len(o.Names)))
		if o.MoreNames {
			n = "more than " + n
		}
		unknown += fmt.Sprintf(", and %s other names (%s)", n, count(o.Occurrences))
	}
	second := fmt.Sprintf("assumed: %s timestamps without a zone read as UTC, %s unreadable (kept, unordered) · "+
		"%s output tokens recovered from usage totals (%s calls) · %s calls returned text with 0 output tokens · "+
		"unknown usage fields: %s",
		count(in.TSAssumedUTC), count(in.TSUnreadable), count(in.TokensFromTotals), count(in.CallsFromTotals),
		count(in.ZeroOutputCalls), unknown)
	return [2]string{first, second}
}

// mdTextEscaper escapes what Markdown or inline HTML would interpret, so a
// field name read from a trace cannot restyle or inject into the report.
var mdTextEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "|", `\|`, "\n", " ", "\r", " ")

func mdText(s string) string { return mdTextEscaper.Replace(s) }
