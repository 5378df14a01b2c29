package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tokcost/tokcost/pricing"
)

// PricesResult is what `tokcost prices` writes: *PriceModels for
// `prices MODEL...`, *PriceList for `prices --list`. Each PricesWriters
// format writes both.
type PricesResult interface{ pricesResult() }

func (*PriceModels) pricesResult() {}
func (*PriceList) pricesResult()   {}

// PriceModels is how each model id of `tokcost prices MODEL...` resolves,
// and the rates in force (cmd/tokcost computes them from the price table).
type PriceModels struct {
	PriceTable pricing.Info  `json:"price_table"`
	At         string        `json:"at"` // "latest" or --at as given
	Models     []ModelPrices `json:"models"`
}

// ModelPrices is one model id: the candidates tried, the key it resolves
// to and the rates (nil when unpriced).
type ModelPrices struct {
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
	Rates    *MTokRates   `json:"rates,omitempty"`
	History  []DatedRates `json:"history,omitempty"`
}

// DatedRates is one period of a key's history (--history).
type DatedRates struct {
	From string `json:"from,omitempty"`
	// DateSource: genai-prices, litellm-mirror, litellm-snapshot or
	// price-file (docs/pricing.md, "Price history"); "" with no From.
	DateSource string    `json:"date_source,omitempty"`
	Rates      MTokRates `json:"rates"`
}

// MTokRates are the rates billed, in $ per million tokens, per token class.
// A class without its own price shows the rate it is billed at, and Notes
// says so.
type MTokRates struct {
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
	Tier        *MTokTier `json:"tier,omitempty"`
	// HigherTiers are further long-context tiers, ascending.
	HigherTiers []MTokTier `json:"higher_tiers,omitempty"`
	// ServiceTiers are the batch, priority and flex rates the table has
	// for the model, below the long-context tier.
	ServiceTiers []MTokService `json:"service_tiers,omitempty"`
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

// MTokService is one service tier's rates ($/MTok).
type MTokService struct {
	Tier         string  `json:"tier"`
	Input        float64 `json:"input"`
	Output       float64 `json:"output"`
	CacheRead    float64 `json:"cache_read"`
	CacheWrite   float64 `json:"cache_write_5m"`
	CacheWrite1h float64 `json:"cache_write_1h"`
}

// MTokTier is the long-context tier: above Above input tokens the whole
// request is billed at these rates.
type MTokTier struct {
	Above        int64   `json:"above_input_tokens"`
	Input        float64 `json:"input"`
	Output       float64 `json:"output"`
	CacheRead    float64 `json:"cache_read"`
	CacheWrite   float64 `json:"cache_write_5m"`
	CacheWrite1h float64 `json:"cache_write_1h"`
}

// PriceList is `tokcost prices --list`: the keys matching Pattern with the
// rates in force At.
type PriceList struct {
	PriceTable pricing.Info `json:"price_table"`
	At         string       `json:"at"`
	Pattern    string       `json:"pattern,omitempty"`
	Keys       []ListedKey  `json:"keys"`
}

// ListedKey is one key of PriceList.
type ListedKey struct {
	Key      string    `json:"key"`
	Provider string    `json:"provider,omitempty"`
	From     string    `json:"from,omitempty"` // first day of the rates shown; "" = all dates
	Periods  int       `json:"periods"`        // dated rates in the key's history
	Rates    MTokRates `json:"rates"`
}

// pricesTable is the prices table format; width as in WriterOptions.
type pricesTable struct{ width int }

func (t pricesTable) Write(w io.Writer, r PricesResult) error {
	switch r := r.(type) {
	case *PriceModels:
		return writePriceModels(w, r, t.width)
	case *PriceList:
		return writePriceList(w, r, t.width)
	}
	return fmt.Errorf("report: prices table of %T", r)
}

// writePriceModels writes the resolution of each model. Its text lines wrap
// at width and its history table drops columns to fit it (report's fitting,
// shared with every other table); width 0 (--wide) is the full layout.
func writePriceModels(w io.Writer, res *PriceModels, width int) error {
	var out, b strings.Builder
	// flushText moves the text written so far to out, wrapped.
	flushText := func() {
		out.WriteString(WrapText(b.String(), width))
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
					money(r.CacheWrite), money(r.CacheWrite1h), money(r.Reasoning), mtokTierText(r.Tier), src})
			}
			// Too wide: the long-context tier goes first (the rates above
			// show the one in force, and --wide or JSON every period's), then
			// where the date comes from, then the rarer cache and reasoning
			// rates; from, input and output always stay.
			header := []string{"from", "input", "output", "cache read", "write 5m", "write 1h", "reasoning", "tier", "date from"}
			if err := WritePlainTable(&out, width, "    ", header, rows, 7, 8, 5, 6, 4, 3); err != nil {
				return err
			}
		}
	}
	flushText()
	_, err := io.WriteString(w, out.String())
	return err
}

func writeRates(w io.Writer, indent string, r MTokRates) {
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
	fmt.Fprintf(w, "%stier\t%s\n", indent, mtokTierText(r.Tier))
	for i := range r.HigherTiers {
		fmt.Fprintf(w, "%stier\t%s\n", indent, mtokTierText(&r.HigherTiers[i]))
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

func mtokTierText(t *MTokTier) string {
	if t == nil {
		return "none"
	}
	return fmt.Sprintf(">%d input tokens: input %s, output %s, cache read %s, write 5m %s, write 1h %s",
		t.Above, money(t.Input), money(t.Output), money(t.CacheRead), money(t.CacheWrite), money(t.CacheWrite1h))
}

// writePriceList writes the keys of a --list, one row each; the table drops
// columns to fit width (0: --wide, every column).
func writePriceList(w io.Writer, out *PriceList, width int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d keys", len(out.Keys))
	if out.Pattern != "" {
		fmt.Fprintf(&b, " matching %q", out.Pattern)
	}
	fmt.Fprintf(&b, " · prices %s · rates at %s, $ per million tokens\n", out.PriceTable.Version, out.At)
	var rows [][]string
	for _, k := range out.Keys {
		r := k.Rates
		from := k.From
		if from == "" {
			from = "-"
		}
		tiers := "-"
		if r.Tier != nil {
			var th []string
			for _, t := range append([]MTokTier{*r.Tier}, r.HigherTiers...) {
				th = append(th, fmt.Sprintf(">%d", t.Above))
			}
			tiers = strings.Join(th, " ")
		}
		var svc []string
		for _, s := range r.ServiceTiers {
			svc = append(svc, s.Tier)
		}
		if svc == nil {
			svc = []string{"-"}
		}
		rows = append(rows, []string{k.Key, k.Provider, from, money(r.Input), money(r.Output),
			money(r.CacheRead), money(r.CacheWrite), money(r.CacheWrite1h), tiers, strings.Join(svc, " ")})
	}
	// Too wide: the 1-hour cache write goes first (Anthropic's only), then
	// which service tiers and long-context thresholds exist (prices MODEL
	// shows their rates), then the date, the 5-minute cache write and the
	// provider; key, input, output and cache read always stay.
	header := []string{"key", "provider", "from", "input", "output", "cache read", "write 5m", "write 1h", "long context", "service tiers"}
	if _, err := io.WriteString(w, WrapText(b.String(), width)); err != nil {
		return err
	}
	return WritePlainTable(w, width, "", header, rows, 7, 9, 8, 2, 6, 1)
}

// money is a rate in $, every digit the table has.
func money(v float64) string { return "$" + strconv.FormatFloat(v, 'f', -1, 64) }
