package main

// Effective dates from pydantic's genai-prices (pricing/source/genai-prices):
// its provider files record some price changes as a list of prices, each
// after the first under a `constraint: {start_date: …}` taken from the
// vendor's announcement. The LiteLLM history only knows when a mirror saw a
// change, so where genai-prices dates the same change, its date wins.

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tokcost/tokcost/pricing/internal/pricefile"
	"go.yaml.in/yaml/v3"
)

// gpNamespace maps a genai-prices provider id to the LiteLLM key prefix of
// the same route. Providers not listed are not read.
var gpNamespace = map[string]string{
	"anthropic": "",        // Anthropic API: bare claude-… keys
	"openai":    "",        // OpenAI API: bare keys
	"google":    "gemini/", // genai-prices' google is the Gemini API (ai.google.dev prices)
	"aws":       "",        // Bedrock model ids are LiteLLM's bare Bedrock keys
}

// gpModel is one genai-prices model with dated prices.
type gpModel struct {
	where   string   // file:line of the model, for messages
	ids     []string // its id and every `equals` match value (never starts_with/contains/regex)
	periods []gpPeriod
}

// gpPeriod is one entry of a model's price list; start is "" for the first.
type gpPeriod struct {
	start string
	line  int
	price gpPrice
}

// gpPrice is what a genai-prices period says about the fields tokcost
// compares, in $ per token (web search: $ per search). A field absent from
// the file is not compared.
type gpPrice struct {
	has                                            map[string]bool
	input, output, cacheRead, cacheWrite, cacheW1h float64
	tier                                           int64 // 0: no long-context tier
	inputAbove, outputAbove, cacheReadAbove        float64
	cacheWriteAbove, cacheW1hAbove, webSearch      float64
}

// readGenAIPrices parses genai-prices provider files and returns the models
// whose prices carry start_date constraints. Models whose prices depend on
// anything else (time of day) are skipped with a note.
func readGenAIPrices(paths []string, files [][]byte, warn io.Writer) ([]gpModel, error) {
	var out []gpModel
	for i, data := range files {
		name := filepath.Base(paths[i])
		var f struct {
			ID     string `yaml:"id"`
			Models []struct {
				ID     string    `yaml:"id"`
				Match  yaml.Node `yaml:"match"`
				Prices yaml.Node `yaml:"prices"`
			} `yaml:"models"`
		}
		if err := yaml.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		ns, ok := gpNamespace[f.ID]
		if !ok {
			return nil, fmt.Errorf("%s: provider %q has no known LiteLLM namespace", name, f.ID)
		}
		for _, m := range f.Models {
			if m.Prices.Kind != yaml.SequenceNode {
				continue // one undated price
			}
			gm := gpModel{where: fmt.Sprintf("%s:%d (%s)", name, m.Prices.Line, m.ID)}
			for _, id := range append([]string{m.ID}, equalsValues(&m.Match)...) {
				k := ns + strings.ToLower(strings.TrimSpace(id))
				if !slices.Contains(gm.ids, k) {
					gm.ids = append(gm.ids, k)
				}
			}
			skip := ""
			for j, item := range m.Prices.Content {
				var e struct {
					Constraint map[string]string `yaml:"constraint"`
					Prices     yaml.Node         `yaml:"prices"`
				}
				if err := item.Decode(&e); err != nil {
					return nil, fmt.Errorf("%s: %w", gm.where, err)
				}
				p := gpPeriod{line: item.Line}
				for k, v := range e.Constraint {
					if k != "start_date" {
						skip = "constraint " + k
						continue
					}
					if _, err := time.Parse(time.DateOnly, v); err != nil {
						return nil, fmt.Errorf("%s line %d: start_date %q", name, item.Line, v)
					}
					p.start = v
				}
				if (j == 0) != (p.start == "") {
					skip = "a dated first price or an undated later one"
				}
				pr, err := decodeGPPrice(&e.Prices)
				if err != nil {
					return nil, fmt.Errorf("%s line %d: %w", name, item.Line, err)
				}
				p.price = pr
				gm.periods = append(gm.periods, p)
			}
			if skip != "" {
				fmt.Fprintf(warn, "pricegen: genai-prices %s: skipped (%s)\n", gm.where, skip)
				continue
			}
			for j := 1; j < len(gm.periods); j++ {
				if gm.periods[j].start <= gm.periods[j-1].start {
					return nil, fmt.Errorf("%s: start dates not ascending", gm.where)
				}
			}
			out = append(out, gm)
		}
	}
	return out, nil
}

// equalsValues returns the `equals` ids of a match clause, at top level or
// directly under `or`. Other matchers (starts_with, contains, regex) are
// ignored: tokcost matches model ids exactly.
func equalsValues(n *yaml.Node) []string {
	var m struct {
		Equals string      `yaml:"equals"`
		Or     []yaml.Node `yaml:"or"`
	}
	if n.Kind == 0 || n.Decode(&m) != nil {
		return nil
	}
	var out []string
	if m.Equals != "" {
		out = append(out, m.Equals)
	}
	for i := range m.Or {
		var c struct {
			Equals string `yaml:"equals"`
		}
		if m.Or[i].Decode(&c) == nil && c.Equals != "" {
			out = append(out, c.Equals)
		}
	}
	return out
}

func decodeGPPrice(n *yaml.Node) (gpPrice, error) {
	p := gpPrice{has: map[string]bool{}}
	if n.Kind != yaml.MappingNode {
		return p, fmt.Errorf("prices: want a mapping")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, v := n.Content[i].Value, n.Content[i+1]
		var base, above *float64
		switch key {
		case "input_mtok":
			base, above = &p.input, &p.inputAbove
		case "output_mtok":
			base, above = &p.output, &p.outputAbove
		case "cache_read_mtok":
			base, above = &p.cacheRead, &p.cacheReadAbove
		case "cache_write_mtok":
			base, above = &p.cacheWrite, &p.cacheWriteAbove
		case "cache_write_1h_mtok":
			base, above = &p.cacheW1h, &p.cacheW1hAbove
		case "web_searches_kcount":
			f, err := strconv.ParseFloat(v.Value, 64)
			if err != nil || v.Kind != yaml.ScalarNode {
				return p, fmt.Errorf("line %d: %s: want a number", v.Line, key)
			}
			p.webSearch, p.has[key] = f/1000, true // $ per 1,000 searches → $ per search
			continue
		default:
			continue // audio, image, request fees: not compared here
		}
		p.has[key] = true
		if v.Kind == yaml.ScalarNode {
			f, err := pricefile.ParseMTok(v.Value)
			if err != nil {
				return p, fmt.Errorf("line %d: %s: %w", v.Line, key, err)
			}
			*base = f
			continue
		}
		var t struct {
			Base  string `yaml:"base"`
			Tiers []struct {
				Start int64  `yaml:"start"`
				Price string `yaml:"price"`
			} `yaml:"tiers"`
		}
		if err := v.Decode(&t); err != nil {
			return p, fmt.Errorf("line %d: %s: %w", v.Line, key, err)
		}
		if len(t.Tiers) != 1 || (p.tier != 0 && p.tier != t.Tiers[0].Start) {
			return p, fmt.Errorf("line %d: %s: only one long-context tier is supported", v.Line, key)
		}
		f, err := pricefile.ParseMTok(t.Base)
		if err != nil {
			return p, fmt.Errorf("line %d: %s: %w", v.Line, key, err)
		}
		a, err := pricefile.ParseMTok(t.Tiers[0].Price)
		if err != nil {
			return p, fmt.Errorf("line %d: %s: %w", v.Line, key, err)
		}
		*base, *above, p.tier = f, a, t.Tiers[0].Start
	}
	if !p.has["input_mtok"] || !p.has["output_mtok"] {
		return p, fmt.Errorf("prices: input_mtok and output_mtok are required here")
	}
	return p, nil
}

// disagreements lists the fields where a LiteLLM period r differs from the
// genai-prices period g, on the fields g records (and the long-context tier,
// which g always records when it has one). Empty means they agree.
func (g gpPrice) disagreements(r pricefile.Price) []string {
	var d []string
	eq := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y)) }
	mt := func(v float64) string { return strconv.FormatFloat(v*1e6, 'g', -1, 64) }
	cmp := func(name string, has bool, gv, rv float64) {
		if has && !eq(gv, rv) {
			d = append(d, fmt.Sprintf("%s %s vs genai-prices %s", name, mt(rv), mt(gv)))
		}
	}
	cmp("input", true, g.input, r.Input)
	cmp("output", true, g.output, r.Output)
	cmp("cache_read", g.has["cache_read_mtok"], g.cacheRead, r.CacheRead)
	cmp("cache_write", g.has["cache_write_mtok"], g.cacheWrite, r.CacheWrite)
	cmp("cache_write_1h", g.has["cache_write_1h_mtok"], g.cacheW1h, r.CacheWrite1h)
	if g.tier != r.TierAbove {
		d = append(d, fmt.Sprintf("long-context tier above %d vs genai-prices %d", r.TierAbove, g.tier))
	} else if g.tier != 0 {
		cmp("input_above", true, g.inputAbove, r.InputAbove)
		cmp("output_above", true, g.outputAbove, r.OutputAbove)
		cmp("cache_read_above", g.has["cache_read_mtok"], g.cacheReadAbove, r.CacheReadAbove)
		cmp("cache_write_above", g.has["cache_write_mtok"], g.cacheWriteAbove, r.CacheWriteAbove)
	}
	if g.has["web_searches_kcount"] && r.WebSearch > 0 && !eq(g.webSearch, r.WebSearch) {
		d = append(d, fmt.Sprintf("web search $%g vs genai-prices $%g", r.WebSearch, g.webSearch))
	}
	return d
}

// after returns the rates of a period genai-prices dates after the LiteLLM
// snapshot: the last LiteLLM rates with every class genai-prices gives
// replaced, and the per-token rates it does not give (reasoning, further
// tiers, batch/priority/flex) cleared, so they fall back or are reported
// as unpriced rather than kept at the old price. Multipliers (fast, US,
// data residency) are ratios and stay.
func (g gpPrice) after(last pricefile.Price) pricefile.Price {
	p := pricefile.Price{
		Input: g.input, Output: g.output,
		WebSearch: last.WebSearch, GeoUS: last.GeoUS, Fast: last.Fast, RegionEU: last.RegionEU, RegionUS: last.RegionUS,
	}
	if g.has["cache_read_mtok"] {
		p.CacheRead, p.HasCacheRead = g.cacheRead, true
	}
	if g.has["cache_write_mtok"] {
		p.CacheWrite, p.HasCacheWrite = g.cacheWrite, true
	}
	p.CacheWrite1h = g.cacheW1h
	if g.tier != 0 {
		p.TierAbove, p.InputAbove, p.OutputAbove = g.tier, g.inputAbove, g.outputAbove
		p.CacheReadAbove, p.CacheWriteAbove, p.CacheWrite1hAbove = g.cacheReadAbove, g.cacheWriteAbove, g.cacheW1hAbove
	}
	if g.has["web_searches_kcount"] {
		p.WebSearch = g.webSearch
	}
	return p
}

// applyGenAIDates dates the history of every table key a genai-prices model
// names exactly. For each dated change it finds the LiteLLM period that
// first has the new rates (the previous period not having them) and moves
// its date to genai-prices' start_date. A change after the snapshot that
// the history cannot show yet is added as a period. Anything else — the
// change not found, the rates before it disagreeing, dates out of order —
// is reported and left as LiteLLM has it.
func applyGenAIDates(models map[string]pricefile.Model, gps []gpModel, snapshot string, warn io.Writer) {
	lower := map[string]string{}
	for k := range models {
		lower[strings.ToLower(k)] = k
	}
	for _, gm := range gps {
		matched := false
		for _, id := range gm.ids {
			key, ok := lower[id]
			if !ok {
				continue
			}
			matched = true
			m := models[key]
			for j := 1; j < len(gm.periods); j++ {
				m.History = dateChange(key, m.History, gm, j, snapshot, warn)
			}
			models[key] = m
		}
		if matched {
			unnamedRoutes(models, gm, warn)
		}
		if !matched {
			fmt.Fprintf(warn, "pricegen: genai-prices %s: no table key is %s; its dates are not used\n", gm.where, strings.Join(gm.ids, ", "))
		}
	}
}

func dateChange(key string, h []pricefile.Segment, gm gpModel, j int, snapshot string, warn io.Writer) []pricefile.Segment {
	prev, cur := gm.periods[j-1], gm.periods[j]
	src := fmt.Sprintf("genai-prices %s line %d", gm.where[:strings.Index(gm.where, ":")], cur.line)
	for i := 1; i < len(h); i++ {
		if len(cur.price.disagreements(h[i].Rates)) > 0 || len(cur.price.disagreements(h[i-1].Rates)) == 0 {
			continue
		}
		if h[i-1].From != "" && cur.start <= h[i-1].From || i+1 < len(h) && cur.start >= h[i+1].From {
			fmt.Fprintf(warn, "pricegen: %s: %s dates the change seen on %s at %s, out of order with the neighbouring periods; kept the mirror's date\n",
				key, src, h[i].From, cur.start)
			return h
		}
		if d := prev.price.disagreements(h[i-1].Rates); len(d) > 0 {
			fmt.Fprintf(warn, "pricegen: %s: rates before %s disagree (%s); kept LiteLLM's: %s\n", key, cur.start, src, strings.Join(d, "; "))
		}
		fmt.Fprintf(warn, "pricegen: %s: change seen by the mirror on %s dated %s (%s)\n", key, h[i].From, cur.start, src)
		h[i].From, h[i].DateSource = cur.start, pricefile.DateGenAIPrices
		return h
	}
	last := h[len(h)-1]
	if cur.start > snapshot && cur.start > last.From {
		if d := prev.price.disagreements(last.Rates); len(d) > 0 {
			fmt.Fprintf(warn, "pricegen: %s: change on %s after the snapshot not added, the rates before it disagree (%s): %s\n", key, cur.start, src, strings.Join(d, "; "))
			return h
		}
		fmt.Fprintf(warn, "pricegen: %s: added the change on %s, after the snapshot (%s)\n", key, cur.start, src)
		return append(h, pricefile.Segment{From: cur.start, Rates: cur.price.after(last.Rates), DateSource: pricefile.DateGenAIPrices})
	}
	if len(h) == 1 && len(cur.price.disagreements(last.Rates)) == 0 && len(prev.price.disagreements(last.Rates)) > 0 &&
		(last.From == "" || cur.start > last.From) {
		// One undated (or earlier-dated) LiteLLM period that has the new
		// rates: a dated id LiteLLM priced only after the change. Before
		// genai-prices' date the previous rates were in force.
		fmt.Fprintf(warn, "pricegen: %s: split its only period at %s, the earlier rates from %s line %d (%s)\n", key, cur.start, src[:strings.LastIndex(src, " line ")], prev.line, src)
		return []pricefile.Segment{
			{From: last.From, Rates: prev.price.after(last.Rates), DateSource: last.DateSource},
			{From: cur.start, Rates: last.Rates, DateSource: pricefile.DateGenAIPrices},
		}
	}
	d := "no LiteLLM period has its rates"
	if x := cur.price.disagreements(last.Rates); len(x) == 0 {
		d = "the key has the new rates but no dated change to them"
	} else if len(h) > 0 {
		d = "latest " + strings.Join(x, "; ")
	}
	fmt.Fprintf(warn, "pricegen: %s: %s dates a change on %s that the LiteLLM history does not show (%s); not applied\n", key, src, cur.start, d)
	return h
}

// unnamedRoutes prints the table keys that look like another route's id
// of a dated genai-prices model (anthropic.…, us.…, vertex_ai/…, azure_ai/…)
// but that genai-prices does not name: their LiteLLM history is kept, since
// other providers' list prices and change dates may differ. For the
// maintainer's eye only; never used to price.
func unnamedRoutes(models map[string]pricefile.Model, gm gpModel, warn io.Writer) {
	var keys []string
	for k := range models {
		lk := strings.ToLower(k)
		for _, id := range gm.ids {
			if lk == id || !strings.Contains(lk, id) {
				continue
			}
			i := strings.Index(lk, id)
			before, after := lk[:i], lk[i+len(id):]
			if (before == "" || strings.HasSuffix(before, "/") || strings.HasSuffix(before, ".")) &&
				(after == "" || after[0] == ':' || after[0] == '@' || strings.HasPrefix(after, "-v")) {
				keys = append(keys, k)
				break
			}
		}
	}
	if len(keys) == 0 {
		return
	}
	slices.Sort(keys)
	fmt.Fprintf(warn, "pricegen: genai-prices %s: dates not applied to keys it does not name (other routes keep their LiteLLM history): %s\n", gm.where, strings.Join(keys, ", "))
}
