package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
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

var pricesFormats = []string{"table", "json"}

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
	f.StringVarP(&opts.Format, "format", "f", "table", "output format: "+strings.Join(pricesFormats, ", "))
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
	switch opts.Format {
	case "table", "json":
	default:
		return usageErr("invalid --format %q (valid: %s)", opts.Format, strings.Join(pricesFormats, ", "))
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
	res := pricesResult{PriceTable: table.Info(), At: "latest"}
	if opts.At != "" {
		res.At = opts.At
	}
	if opts.List {
		pattern := ""
		if len(opts.Models) > 0 {
			pattern = opts.Models[0]
		}
		return listPrices(ios.Out, table, res, pattern, atNano, opts.Format, ios.tableWidth(opts.Wide, true))
	}
	for _, m := range opts.Models {
		res.Models = append(res.Models, explainModel(table, m, opts.Provider, atNano, opts.History))
	}
	if opts.Format == "json" {
		enc := json.NewEncoder(ios.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return writePricesTable(ios.Out, res, ios.tableWidth(opts.Wide, true))
}

type pricesResult struct {
	PriceTable pricing.Info  `json:"price_table"`
	At         string        `json:"at"` // "latest" or --at as given
	Models     []modelPrices `json:"models"`
}

type modelPrices struct {
	Model      string              `json:"model"`
	Provider   string              `json:"provider,omitempty"`
	Normalized string              `json:"normalized"`
	Tried      []pricing.Candidate `json:"candidates_tried"` // in order, up to the hit
	Priced     bool                `json:"priced"`
	Key        string              `json:"key,omitempty"`
	Rule       string              `json:"rule,omitempty"`
	From       string              `json:"from,omitempty"` // first day of the rates shown; "" = all dates
	// Earliest is set when --at is before the key's first dated rates, which
	// then apply (the table knows no older price).
	Earliest bool         `json:"earliest_known,omitempty"`
	Rates    *mtokRates   `json:"rates,omitempty"`
	History  []datedRates `json:"history,omitempty"`
}

type datedRates struct {
	From string `json:"from,omitempty"`
	// DateSource: genai-prices, litellm-mirror, litellm-snapshot or
	// price-file (docs/pricing.md, "Price history"); "" with no From.
	DateSource string    `json:"date_source,omitempty"`
	Rates      mtokRates `json:"rates"`
}

// mtokRates are the rates billed, in $ per million tokens, per token class.
// A class without its own price shows the rate it is billed at, and Notes
// says so.
type mtokRates struct {
	Input        float64 `json:"input"`
	Output       float64 `json:"output"`
	CacheRead    float64 `json:"cache_read"`
	CacheWrite   float64 `json:"cache_write_5m"`
	CacheWrite1h float64 `json:"cache_write_1h"`
	Reasoning    float64 `json:"reasoning"`
	// The audio and image rates, where the table has them (otherwise
	// those tokens are billed at the text rate, reported by analyze).
	AudioInput  float64   `json:"audio_input,omitempty"`
	ImageInput  float64   `json:"image_input,omitempty"`
	AudioOutput float64   `json:"audio_output,omitempty"`
	ImageOutput float64   `json:"image_output,omitempty"`
	Tier        *mtokTier `json:"tier,omitempty"`
	// HigherTiers are further long-context tiers, ascending.
	HigherTiers []mtokTier `json:"higher_tiers,omitempty"`
	// ServiceTiers are the batch, priority and flex rates the table has
	// for the model, below the long-context tier.
	ServiceTiers []mtokService `json:"service_tiers,omitempty"`
	// WebSearch is the fee per server-side web search, in $ (not per MTok).
	WebSearch float64 `json:"web_search_per_search,omitempty"`
	// USOnly multiplies the token rates of US-only inference.
	USOnly float64 `json:"us_only_multiplier,omitempty"`
	// Fast multiplies the token rates of Anthropic fast mode; RegionEU and
	// RegionUS those of OpenAI data residency (not applied: see docs).
	Fast     float64  `json:"fast_multiplier,omitempty"`
	RegionEU float64  `json:"region_eu_multiplier,omitempty"`
	RegionUS float64  `json:"region_us_multiplier,omitempty"`
	Notes    []string `json:"notes,omitempty"`
}

// mtokService is one service tier's rates ($/MTok).
type mtokService struct {
	Tier         string  `json:"tier"`
	Input        float64 `json:"input"`
	Output       float64 `json:"output"`
	CacheRead    float64 `json:"cache_read"`
	CacheWrite   float64 `json:"cache_write_5m"`
	CacheWrite1h float64 `json:"cache_write_1h"`
}

// mtokTier is the long-context tier: above Above input tokens the whole
// request is billed at these rates.
type mtokTier struct {
	Above        int64   `json:"above_input_tokens"`
	Input        float64 `json:"input"`
	Output       float64 `json:"output"`
	CacheRead    float64 `json:"cache_read"`
	CacheWrite   float64 `json:"cache_write_5m"`
	CacheWrite1h float64 `json:"cache_write_1h"`
}

func explainModel(t *pricing.Table, model, provider string, atNano int64, history bool) modelPrices {
	x := t.Explain(model, provider, atNano)
	mp := modelPrices{Model: model, Provider: provider, Normalized: x.Normalized, Priced: x.OK}
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
			mp.History = append(mp.History, datedRates{From: p.From, DateSource: p.DateSource, Rates: billed(p.Rates)})
		}
	}
	return mp
}

// billed derives each class's rate from Rates.Cost, so what is shown is
// what a call is billed, fallbacks included.
func billed(r pricing.Rates) mtokRates {
	const m = 1_000_000
	cost := func(u pricing.Usage) float64 { return r.Cost(u) }
	// Below the tier: price one million tokens of each class. With a tier
	// below 1M tokens, scale down to a request that stays under it.
	n := int64(m)
	if r.TierAbove > 0 && r.TierAbove < n {
		n = r.TierAbove
	}
	per := func(u pricing.Usage) float64 { return roundMTok(cost(u) * m / float64(n)) }
	out := mtokRates{
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
	tierAt := func(above int64) mtokTier {
		k := above + 1 // the smallest request over the tier
		tierPer := func(u pricing.Usage, base pricing.Usage) float64 {
			return roundMTok((cost(u) - cost(base)) * m / float64(k))
		}
		in := pricing.Usage{Input: k}
		return mtokTier{
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
		out.ServiceTiers = append(out.ServiceTiers, mtokService{
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

// writePricesTable writes the resolution of each model. Its text lines wrap
// at width and its history table drops columns to fit it (report's fitting,
// shared with every other table); width 0 (--wide) is the full layout.
func writePricesTable(w io.Writer, res pricesResult, width int) error {
	var out, b strings.Builder
	// flushText moves the text written so far to out, wrapped.
	flushText := func() {
		out.WriteString(report.WrapText(b.String(), width))
		b.Reset()
	}
	for i, mp := range res.Models {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s", mp.Model)
		if mp.Provider != "" {
			fmt.Fprintf(&b, " (provider %s)", mp.Provider)
		}
		b.WriteString("\n")
		var tried []string
		for _, c := range mp.Tried {
			tried = append(tried, c.Rule+" "+c.ID)
		}
		if !mp.Priced {
			fmt.Fprintf(&b, "  unpriced: no price-table entry matched; candidates tried: %s\n", strings.Join(tried, ", "))
			continue
		}
		fmt.Fprintf(&b, "  resolves to  %s (rule %s)\n", mp.Key, mp.Rule)
		fmt.Fprintf(&b, "  tried        %s\n", strings.Join(tried, ", "))
		from := "all dates"
		switch {
		case mp.Earliest:
			from = "earliest known rates, dated " + mp.From
		case mp.From != "":
			from = "in force from " + mp.From
		}
		fmt.Fprintf(&b, "  rates at %s (%s), $ per million tokens:\n", res.At, from)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		writeRates(tw, "    ", *mp.Rates)
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(mp.History) > 0 {
			b.WriteString("  history:\n")
			flushText()
			var rows [][]string
			for _, h := range mp.History {
				from := h.From
				if from == "" {
					from = "(all dates)"
				}
				r := h.Rates
				src := h.DateSource
				if src == "" {
					src = "-"
				}
				rows = append(rows, []string{from, money(r.Input), money(r.Output), money(r.CacheRead),
					money(r.CacheWrite), money(r.CacheWrite1h), money(r.Reasoning), tierText(r.Tier), src})
			}
			// Too wide: the long-context tier goes first (the rates above
			// show the one in force, and --wide or JSON every period's), then
			// where the date comes from, then the rarer cache and reasoning
			// rates; from, input and output always stay.
			header := []string{"from", "input", "output", "cache read", "write 5m", "write 1h", "reasoning", "tier", "date from"}
			if err := report.WritePlainTable(&out, width, "    ", header, rows, 7, 8, 5, 6, 4, 3); err != nil {
				return err
			}
		}
	}
	flushText()
	_, err := io.WriteString(w, out.String())
	return err
}

func writeRates(w io.Writer, indent string, r mtokRates) {
	fmt.Fprintf(w, "%sinput\t%s\n", indent, money(r.Input))
	fmt.Fprintf(w, "%soutput\t%s\n", indent, money(r.Output))
	fmt.Fprintf(w, "%scache read\t%s\n", indent, money(r.CacheRead))
	fmt.Fprintf(w, "%scache write 5m\t%s\n", indent, money(r.CacheWrite))
	fmt.Fprintf(w, "%scache write 1h\t%s\n", indent, money(r.CacheWrite1h))
	fmt.Fprintf(w, "%sreasoning\t%s\n", indent, money(r.Reasoning))
	for _, m := range []struct {
		name string
		v    float64
	}{{"audio input", r.AudioInput}, {"image input", r.ImageInput}, {"audio output", r.AudioOutput}, {"image output", r.ImageOutput}} {
		if m.v > 0 {
			fmt.Fprintf(w, "%s%s\t%s\n", indent, m.name, money(m.v))
		}
	}
	fmt.Fprintf(w, "%stier\t%s\n", indent, tierText(r.Tier))
	for i := range r.HigherTiers {
		fmt.Fprintf(w, "%stier\t%s\n", indent, tierText(&r.HigherTiers[i]))
	}
	for _, st := range r.ServiceTiers {
		fmt.Fprintf(w, "%s%s\tinput %s, output %s, cache read %s, write 5m %s, write 1h %s\n", indent, st.Tier,
			money(st.Input), money(st.Output), money(st.CacheRead), money(st.CacheWrite), money(st.CacheWrite1h))
	}
	if r.WebSearch > 0 {
		fmt.Fprintf(w, "%sweb search\t%s per search\n", indent, money(r.WebSearch))
	}
	if r.Fast > 0 {
		fmt.Fprintf(w, "%sfast mode\t×%s on every token rate\n", indent, strconv.FormatFloat(r.Fast, 'f', -1, 64))
	}
	if r.RegionEU > 0 || r.RegionUS > 0 {
		fmt.Fprintf(w, "%sdata residency\tEU ×%s, US ×%s (applied with --openai-residency eu|us)\n", indent,
			strconv.FormatFloat(r.RegionEU, 'f', -1, 64), strconv.FormatFloat(r.RegionUS, 'f', -1, 64))
	}
	if r.USOnly > 0 {
		fmt.Fprintf(w, "%sUS-only\t×%s on every token rate\n", indent, strconv.FormatFloat(r.USOnly, 'f', -1, 64))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "%snote\t%s\n", indent, n)
	}
}

func tierText(t *mtokTier) string {
	if t == nil {
		return "none"
	}
	return fmt.Sprintf(">%d input tokens: input %s, output %s, cache read %s, write 5m %s, write 1h %s",
		t.Above, money(t.Input), money(t.Output), money(t.CacheRead), money(t.CacheWrite), money(t.CacheWrite1h))
}
