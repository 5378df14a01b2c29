package pricing

import (
	"testing"
	"time"
)

// TestGenAIPricesDates checks the effective dates the generator takes from
// pydantic's genai-prices (pricing/source/genai-prices, lines cited below),
// against the mirror dates of pricing/source/litellm_price_changes.csv.
func TestGenAIPricesDates(t *testing.T) {
	tb := Embedded()
	type want struct {
		from, src   string
		input, outp float64 // $/MTok
	}
	cases := []struct {
		key  string
		want []want
	}{
		// o3: the CSV's 2025-04-16 ADDED row (10/40) stays the mirror's; the
		// cut to $2/$8 the mirror saw on 2025-06-11 (CSV row "2025-06-11,563aa51b,o3")
		// is dated 2025-06-10 by openai.yml lines 1345-1351
		// ("start_date: 2025-06-10", input_mtok 2, output_mtok 8).
		{"o3", []want{{"2025-04-16", DateMirror, 10, 40}, {"2025-06-10", DateGenAIPrices, 2, 8}}},
		// o3-2025-04-16: genai-prices names it (openai.yml line 1338,
		// "equals: o3-2025-04-16" under o3), but LiteLLM has one undated
		// period at the cut rates ($2/$8). Split at 2025-06-10: before it,
		// openai.yml lines 1341-1344 (input_mtok 10, output_mtok 40).
		{"o3-2025-04-16", []want{{"", "", 10, 40}, {"2025-06-10", DateGenAIPrices, 2, 8}}},
		// claude-opus-4-6: the >200k surcharge the mirror saw removed on
		// 2026-03-27 was removed on 2026-03-13 (anthropic.yml lines 363-371,
		// "Long context (>200k) surcharge removed", input 5, output 25).
		{"claude-opus-4-6", []want{{"2026-02-05", DateMirror, 5, 25}, {"2026-03-13", DateGenAIPrices, 5, 25}}},
		// claude-sonnet-4-6: same change (anthropic.yml lines 547-555); the
		// later 2026-06-21 CSV row (1-hour write added) keeps the mirror's date.
		{"claude-sonnet-4-6", []want{{"2026-02-17", DateMirror, 3, 15}, {"2026-03-13", DateGenAIPrices, 3, 15}, {"2026-06-21", DateMirror, 3, 15}}},
		// claude-sonnet-5: introductory $2/$10 until 2026-08-31, $3/$15 from
		// 2026-09-01 (anthropic.yml lines 575-589), after the 2026-07-18
		// snapshot, so added as a period.
		{"claude-sonnet-5", []want{{"2026-07-01", DateMirror, 3, 15}, {"2026-07-03", DateMirror, 2, 10}, {"2026-09-01", DateGenAIPrices, 3, 15}}},
		// gpt-5.6-luna: only in the snapshot (undated, $1/$6 = openai.yml
		// line 915 base 1, line 930 base 6); the 80% cut from 2026-07-30 is
		// openai.yml lines 934-953 (input base 0.2, output base 1.2).
		{"gpt-5.6-luna", []want{{"", "", 1, 6}, {"2026-07-30", DateGenAIPrices, 0.2, 1.2}}},
	}
	for _, c := range cases {
		h, ok := tb.History(c.key)
		if !ok || len(h) != len(c.want) {
			t.Errorf("%s: history %+v, want %d periods", c.key, h, len(c.want))
			continue
		}
		for i, w := range c.want {
			p := h[i]
			if p.From != w.from || p.DateSource != w.src || !nearly(p.Rates.Input*1e6, w.input) || !nearly(p.Rates.Output*1e6, w.outp) {
				t.Errorf("%s period %d = %s (%s) $%g/$%g, want %s (%s) $%g/$%g", c.key, i, p.From, p.DateSource,
					p.Rates.Input*1e6, p.Rates.Output*1e6, w.from, w.src, w.input, w.outp)
			}
		}
	}
	// A call on 2025-06-10 is priced at the new rate; the day before at the old.
	for day, in := range map[string]float64{"2025-06-09": 10, "2025-06-10": 2} {
		d, _ := time.Parse(time.DateOnly, day)
		m, ok := tb.Lookup("o3", "openai", d.Add(12*time.Hour).UnixNano())
		if !ok || !nearly(m.Rates.Input*1e6, in) {
			t.Errorf("o3 on %s: input $%g, want $%g", day, m.Rates.Input*1e6, in)
		}
	}
	// The post-snapshot period has no batch/priority/flex rates genai-prices
	// does not give (they would be the old prices), so such calls are loud.
	h, _ := tb.History("gpt-5.6-luna")
	if last := h[len(h)-1].Rates; last.Batch.Input != 0 || last.Priority.Input != 0 || last.RegionEU != h[0].Rates.RegionEU {
		t.Errorf("gpt-5.6-luna after the cut: batch %v priority %v regionEU %v; want no service-tier rates, the EU multiplier kept",
			last.Batch, last.Priority, last.RegionEU)
	}
}

func nearly(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }
