package main

import (
	"math"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/pricing"
	"github.com/tokcost/tokcost/report"
)

type pricesOptions struct {
	Models       []string
	Provider     string
	At           string
	PricingFiles []string
	Format       string
	History      bool
	List         bool
	Wide         bool
}

func newPricesCmd(ios *IOStreams, runF func(*pricesOptions) error) *cobra.Command {
	opts := &pricesOptions{}
	cmd := &cobra.Command{
		Use:   "prices [flags] MODEL...",
		Short: "Show how model ids resolve to prices, and the rates in force",
		Long: `For each MODEL id, as it appears in traces, show how tokcost resolves it:
the exact candidates tried in order, the one that hit and its rule (never a
substring match), and the rates in force on --at DATE (default: the latest)
in $ per million tokens: input, output, cache read, cache write (5-minute and
1-hour), reasoning and the long-context tier. A class without its own price
is shown with what it is billed as. An id that matches nothing is reported as
unpriced, with the candidates tried; that is not an error (exit 0).

--provider is the trace's provider (OpenTelemetry gen_ai.provider.name such as
gcp.vertex_ai, or a LiteLLM provider name); it only picks between separately
priced keys. docs/pricing.md describes the rules.

` + exitCodesHelp,
		Example: `  tokcost prices gpt-4o claude-sonnet-4-5
  tokcost prices --provider gcp.vertex_ai gemini-2.5-pro
  tokcost prices --at 2025-12-01 --history gemini-2.5-pro
  tokcost prices --pricing my-prices.yaml --format json my-model
  tokcost prices --list 'claude-*'
  tokcost prices import model_prices_and_context_window.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if opts.List {
				return cobra.MaximumNArgs(1)(cmd, args)
			}
			return cobra.MinimumNArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Models = args
			if runF != nil {
				return runF(opts)
			}
			return pricesRun(ios, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Provider, "provider", "", "the traces' provider name (e.g. gcp.gemini, gcp.vertex_ai, azure.ai.openai)")
	f.StringVar(&opts.At, "at", "", "show the rates in force on this UTC date (YYYY-MM-DD) or time (RFC 3339); default: latest")
	f.StringArrayVar(&opts.PricingFiles, "pricing", nil, "price file layered over the embedded table: LiteLLM JSON or tokcost YAML/JSON (repeatable)")
	f.StringVarP(&opts.Format, "format", "f", "table", report.PricesWriters.FlagHelp())
	f.BoolVar(&opts.History, "history", false, "also list every dated rate of the resolved key, with where its date comes from (genai-prices, litellm-mirror, …)")
	f.BoolVar(&opts.List, "list", false, "list the table's keys (optionally those matching PATTERN: a glob with * and ?, or text the key contains) with their rates")
	f.BoolVar(&opts.Wide, "wide", false, wideHelp)
	cmd.AddCommand(newPricesImportCmd(ios))
	return cmd
}

// parseAt parses --at: "" is the latest rates (0).
func parseAt(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.UnixNano(), nil
	}
	if ts, err := time.Parse(time.RFC3339, s); err == nil {
		return ts.UnixNano(), nil
	}
	return 0, usageErr("invalid --at %q: want YYYY-MM-DD or an RFC 3339 time", s)
}

func pricesRun(ios *IOStreams, opts *pricesOptions) error {
	w, err := report.PricesWriters.Lookup(opts.Format, report.WriterOptions{Width: ios.tableWidth(opts.Wide, true)})
	if err != nil {
		return usageErr("%s", err)
	}
	atNano, err := parseAt(opts.At)
	if err != nil {
		return err
	}
	table := pricing.Embedded()
	for _, p := range opts.PricingFiles {
		if table, err = pricing.LoadFile(p, table); err != nil {
			return err
		}
	}
	res := report.PriceModels{PriceTable: table.Info(), At: "latest"}
	if opts.At != "" {
		res.At = opts.At
	}
	if opts.List {
		pattern := ""
		if len(opts.Models) > 0 {
			pattern = opts.Models[0]
		}
		return w.Write(ios.Out, listPrices(table, res, pattern, atNano))
	}
	for _, m := range opts.Models {
		res.Models = append(res.Models, explainModel(table, m, opts.Provider, atNano, opts.History))
	}
	return w.Write(ios.Out, &res)
}

func explainModel(t *pricing.Table, model, provider string, atNano int64, history bool) report.ModelPrices {
	x := t.Explain(model, provider, atNano)
	mp := report.ModelPrices{Model: model, Provider: provider, Normalized: x.Normalized, Priced: x.OK}
	for _, c := range x.Candidates {
		mp.Tried = append(mp.Tried, c)
		if c.Hit {
			break // Lookup stops at the first hit
		}
	}
	if !x.OK {
		return mp
	}
	mp.Key, mp.Rule, mp.From = x.Match.Key, x.Match.Rule, x.Match.From
	if d, err := time.Parse(time.DateOnly, mp.From); err == nil && atNano != 0 && d.UnixNano() > atNano {
		mp.Earliest = true
	}
	r := billed(x.Match.Rates)
	mp.Rates = &r
	if history {
		periods, _ := t.History(x.Match.Key)
		for _, p := range periods {
			mp.History = append(mp.History, report.DatedRates{From: p.From, DateSource: p.DateSource, Rates: billed(p.Rates)})
		}
	}
	return mp
}

// billed derives each class's rate from Rates.Cost, so what is shown is
// what a call is billed, fallbacks included.
func billed(r pricing.Rates) report.MTokRates {
	const m = 1_000_000
	cost := func(u pricing.Usage) float64 { return r.Cost(u) }
	// Below the tier: price one million tokens of each class. With a tier
	// below 1M tokens, scale down to a request that stays under it.
	n := int64(m)
	if r.TierAbove > 0 && r.TierAbove < n {
		n = r.TierAbove
	}
	per := func(u pricing.Usage) float64 { return roundMTok(cost(u) * m / float64(n)) }
	out := report.MTokRates{
		Input:        per(pricing.Usage{Input: n}),
		Output:       per(pricing.Usage{Output: n}),
		CacheRead:    per(pricing.Usage{Input: n, CacheRead: n}),
		CacheWrite:   per(pricing.Usage{Input: n, CacheWrite: n}),
		CacheWrite1h: per(pricing.Usage{Input: n, CacheWrite: n, CacheWrite1h: n}),
		Reasoning:    per(pricing.Usage{Output: n, Reasoning: n}),
	}
	if r.AudioInput > 0 {
		out.AudioInput = per(pricing.Usage{Input: n, AudioIn: n})
	}
	if r.ImageInput > 0 {
		out.ImageInput = per(pricing.Usage{Input: n, ImageIn: n})
	}
	if r.AudioOutput > 0 {
		out.AudioOutput = per(pricing.Usage{Output: n, AudioOut: n})
	}
	if r.ImageOutput > 0 {
		out.ImageOutput = per(pricing.Usage{Output: n, ImageOut: n})
	}
	if !r.HasCacheRead {
		out.Notes = append(out.Notes, "no cache-read price: cache reads billed as input")
	}
	if !r.HasCacheWrite {
		out.Notes = append(out.Notes, "no cache-write price: cache writes billed as input")
	}
	if r.HasCacheWrite && r.CacheWrite1h == 0 {
		out.Notes = append(out.Notes, "no 1-hour write price: 1-hour writes billed at the 5-minute rate")
	}
	if r.Reasoning == 0 {
		out.Notes = append(out.Notes, "reasoning billed as output")
	}
	tierAt := func(above int64) report.MTokTier {
		k := above + 1 // the smallest request over the tier
		tierPer := func(u pricing.Usage, base pricing.Usage) float64 {
			return roundMTok((cost(u) - cost(base)) * m / float64(k))
		}
		in := pricing.Usage{Input: k}
		return report.MTokTier{
			Above:        above,
			Input:        tierPer(in, pricing.Usage{}),
			Output:       tierPer(pricing.Usage{Input: k, Output: k}, in),
			CacheRead:    tierPer(pricing.Usage{Input: k, CacheRead: k}, pricing.Usage{}),
			CacheWrite:   tierPer(pricing.Usage{Input: k, CacheWrite: k}, pricing.Usage{}),
			CacheWrite1h: tierPer(pricing.Usage{Input: k, CacheWrite: k, CacheWrite1h: k}, pricing.Usage{}),
		}
	}
	if r.TierAbove > 0 {
		t := tierAt(r.TierAbove)
		out.Tier = &t
		for _, h := range r.Higher {
			if h.Above > 0 {
				out.HigherTiers = append(out.HigherTiers, tierAt(h.Above))
			}
		}
	}
	for _, name := range []string{pricing.ServiceBatch, pricing.ServicePriority, pricing.ServiceFlex} {
		rt, ok := r.ForServiceTier(name)
		if !ok {
			continue
		}
		per := func(u pricing.Usage) float64 { return roundMTok(rt.Cost(u) * m / float64(n)) }
		out.ServiceTiers = append(out.ServiceTiers, report.MTokService{
			Tier:         name,
			Input:        per(pricing.Usage{Input: n}),
			Output:       per(pricing.Usage{Output: n}),
			CacheRead:    per(pricing.Usage{Input: n, CacheRead: n}),
			CacheWrite:   per(pricing.Usage{Input: n, CacheWrite: n}),
			CacheWrite1h: per(pricing.Usage{Input: n, CacheWrite: n, CacheWrite1h: n}),
		})
	}
	out.WebSearch = r.WebSearch
	out.USOnly = r.GeoUS
	out.Fast, out.RegionEU, out.RegionUS = r.Fast, r.RegionEU, r.RegionUS
	if len(out.ServiceTiers) > 0 {
		out.Notes = append(out.Notes, "service-tier classes without their own price scale with the tier's input rate (docs/pricing.md)")
	}
	return out
}

// roundMTok drops float noise: $/MTok to a millionth of a dollar.
func roundMTok(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func money(v float64) string { return "$" + strconv.FormatFloat(v, 'f', -1, 64) }
