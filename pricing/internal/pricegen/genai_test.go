package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/pricing/internal/pricefile"
)

const gpYAML = `id: openai
models:
  - id: m1
    match:
      or:
        - equals: m1-2025-01-01
        - starts_with: m1
    prices:
      - prices:
          input_mtok: 10
          output_mtok: 40
      - constraint:
          start_date: 2025-06-10
        prices:
          input_mtok: 2
          output_mtok: 8
  - id: m2
    match:
      starts_with: m2
    prices:
      - prices: {input_mtok: 1, output_mtok: 2}
      - constraint: {start_date: 2025-03-01}
        prices: {input_mtok: 3, output_mtok: 4}
  - id: m3
    prices:
      - prices: {input_mtok: 5, output_mtok: 5}
      - constraint: {start_date: 2025-03-01}
        prices: {input_mtok: 7, output_mtok: 7}
`

// TestGenAIDates: genai-prices' start_date replaces the mirror's date of
// the same change; only exact ids (id, equals) match; a rate disagreement
// is reported, not resolved.
func TestGenAIDates(t *testing.T) {
	var warn bytes.Buffer
	gps, err := readGenAIPrices([]string{"openai.yml"}, [][]byte{[]byte(gpYAML)}, &warn)
	if err != nil {
		t.Fatal(err)
	}
	seg := func(from string, in, out float64) pricefile.Segment {
		return pricefile.Segment{From: from, Rates: price(in, out)}
	}
	models := map[string]pricefile.Model{
		// m1: the mirror saw the cut on 2025-06-11; genai-prices dates it 2025-06-10.
		"m1": {History: []pricefile.Segment{seg("2025-04-16", 10, 40), seg("2025-06-11", 2, 8)}},
		// m1-2025-01-01 (an equals id): before-rates disagree (12 vs 10): reported, date still moved.
		"m1-2025-01-01": {History: []pricefile.Segment{seg("2025-04-16", 12, 40), seg("2025-06-20", 2, 8)}},
		// m1-mini starts with "m1" but is not an equals id: untouched.
		"m1-mini": {History: []pricefile.Segment{seg("2025-04-16", 10, 40), seg("2025-06-11", 2, 8)}},
		// m2-x matches m2 only by starts_with: untouched. (m2 itself is no key.)
		"m2-x": {History: []pricefile.Segment{seg("2025-01-01", 1, 2), seg("2025-03-05", 3, 4)}},
		// m3: LiteLLM went 5 → 9, genai-prices says 5 → 7: not applied, reported.
		"m3": {History: []pricefile.Segment{seg("2025-01-01", 5, 5), seg("2025-03-05", 9, 9)}},
	}
	applyGenAIDates(models, gps, "2025-12-01", &warn)
	check := func(key string, i int, from, src string) {
		t.Helper()
		if s := models[key].History[i]; s.From != from || s.DateSource != src {
			t.Errorf("%s[%d] = %s (%q), want %s (%q)", key, i, s.From, s.DateSource, from, src)
		}
	}
	check("m1", 0, "2025-04-16", "")
	check("m1", 1, "2025-06-10", pricefile.DateGenAIPrices)
	check("m1-2025-01-01", 1, "2025-06-10", pricefile.DateGenAIPrices)
	check("m1-mini", 1, "2025-06-11", "")
	check("m2-x", 1, "2025-03-05", "")
	check("m3", 1, "2025-03-05", "")
	// Line numbers counted in gpYAML: m1's dated entry "- constraint:" is
	// line 12, m2's price list starts on line 21, m3's dated entry is line 27.
	w := warn.String()
	for _, s := range []string{
		"m1-2025-01-01: rates before 2025-06-10 disagree (genai-prices openai.yml line 12); kept LiteLLM's: input 12 vs genai-prices 10",
		"genai-prices openai.yml:21 (m2): no table key is m2",
		"m3: genai-prices openai.yml line 27 dates a change on 2025-03-01 that the LiteLLM history does not show (latest input 9 vs genai-prices 7; output 9 vs genai-prices 7); not applied",
	} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings lack %q:\n%s", s, w)
		}
	}

	// After the snapshot: a change the history cannot show yet is added.
	models = map[string]pricefile.Model{"m1": {History: []pricefile.Segment{seg("", 10, 40)}}}
	applyGenAIDates(models, gps, "2025-05-01", &warn)
	if h := models["m1"].History; len(h) != 2 || h[1].From != "2025-06-10" || h[1].Rates.Input != 2e-6 || h[1].DateSource != pricefile.DateGenAIPrices {
		t.Errorf("post-snapshot change: history %+v, want a $2/$8 period from 2025-06-10", h)
	}
}
