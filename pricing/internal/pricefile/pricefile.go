// Package pricefile holds what the pricing package and its generator must
// agree on: the schema of the embedded artefact and of overrides.yaml, the
// LiteLLM price-file parser, and exact $-per-million-token decoding.
package pricefile

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Price mirrors pricing.Rates field for field (same names, types and order)
// so the pricing package can convert with pricing.Rates(p); a drift between
// the two is a compile error there, not a silent mispricing.
type Price struct {
	Input        float64 `json:"input"`
	Output       float64 `json:"output"`
	CacheRead    float64 `json:"cache_read,omitempty"`
	CacheWrite   float64 `json:"cache_write,omitempty"`
	CacheWrite1h float64 `json:"cache_write_1h,omitempty"`
	Reasoning    float64 `json:"reasoning,omitempty"`

	HasCacheRead  bool `json:"has_cache_read,omitempty"`
	HasCacheWrite bool `json:"has_cache_write,omitempty"`

	TierAbove       int64   `json:"tier_above,omitempty"`
	InputAbove      float64 `json:"input_above,omitempty"`
	OutputAbove     float64 `json:"output_above,omitempty"`
	CacheReadAbove  float64 `json:"cache_read_above,omitempty"`
	CacheWriteAbove float64 `json:"cache_write_above,omitempty"`
	// CacheWrite1hAbove is the 1-hour write above the tier; 0: CacheWrite1h.
	CacheWrite1hAbove float64 `json:"cache_write_1h_above,omitempty"`
	// ReasoningAbove is the reasoning rate above the tier; 0: Reasoning.
	ReasoningAbove float64 `json:"reasoning_above,omitempty"`
	// Higher are further long-context tiers, ascending by Above, all above
	// TierAbove (LiteLLM tiered_pricing ranges, several _above_ suffixes).
	Higher [MaxHigherTiers]LongTier `json:"higher,omitzero"`

	// Service-tier rates (LiteLLM *_batches, *_priority, *_flex); a tier
	// with no input and output price is not priced for the model.
	Batch    TierRates `json:"batch,omitzero"`
	Priority TierRates `json:"priority,omitzero"`
	Flex     TierRates `json:"flex,omitzero"`

	// WebSearch is the fee per server-side web search ($ per search;
	// LiteLLM search_context_cost_per_query, medium context size); 0: none known.
	WebSearch float64 `json:"web_search,omitempty"`
	// GeoUS multiplies the token rates of a call run US-only (Anthropic
	// inference_geo "us"; LiteLLM provider_specific_entry.us); 0: unknown.
	GeoUS float64 `json:"geo_us,omitempty"`
	// Fast multiplies the token rates of a call run in Anthropic's fast
	// mode (usage.speed "fast"; LiteLLM provider_specific_entry.fast,
	// ×6 on Claude Opus 4.6); 0: the model has no fast mode price.
	Fast float64 `json:"fast,omitempty"`
	// RegionEU and RegionUS multiply the token rates of OpenAI calls with
	// data residency in that region (LiteLLM
	// regional_processing_uplift_multiplier_eu/_us); 0: unknown.
	RegionEU float64 `json:"region_eu,omitempty"`
	RegionUS float64 `json:"region_us,omitempty"`

	// Per-token rates of the audio and image parts of input and output
	// (LiteLLM input_cost_per_audio_token, input_cost_per_image_token,
	// output_cost_per_audio_token, output_cost_per_image_token); 0: the
	// table has none, and such tokens are billed at the text rate, as an
	// assumption the report names.
	AudioInput  float64 `json:"audio_input,omitempty"`
	ImageInput  float64 `json:"image_input,omitempty"`
	AudioOutput float64 `json:"audio_output,omitempty"`
	ImageOutput float64 `json:"image_output,omitempty"`
}

// Artefact is the generated, embedded table (table_gen.json).
type Artefact struct {
	Version string            `json:"version"`
	Inputs  string            `json:"inputs"` // provenance of the generator's inputs
	Aliases map[string]string `json:"aliases"`
	Models  map[string]Model  `json:"models"`
}

// Model is one table key with its dated rates, oldest first.
type Model struct {
	Provider string    `json:"provider,omitempty"`
	History  []Segment `json:"history"`
}

// Segment is a rate in force from From (YYYY-MM-DD, UTC). The first segment
// also covers everything before its date; From "" means no date is known.
type Segment struct {
	From  string `json:"from,omitempty"`
	Rates Price  `json:"rates"`
	// DateSource says where From comes from: "" is the price-history
	// mirror's first-seen date (or no date), DateGenAIPrices a dated price
	// in pydantic's genai-prices, DateSnapshot the LiteLLM snapshot's date.
	DateSource string `json:"date_source,omitempty"`
}

// Date sources of a Segment (see Segment.DateSource).
const (
	DateGenAIPrices = "genai-prices"
	DateSnapshot    = "litellm-snapshot"
)

// Overrides is overrides.yaml: corrections the generator applies on top of
// LiteLLM's data. Every entry carries a why citing its source.
type Overrides struct {
	Revision   int         `yaml:"revision"`
	DropEvents []DropEvent `yaml:"drop_events"`
	EventFixes []EventFix  `yaml:"event_fixes"`
	Fixes      []Fix       `yaml:"fixes"`
	Free       []Free      `yaml:"free"`
	Aliases    []Alias     `yaml:"aliases"`
}

// Free keeps a key's $0-input, $0-output periods, which the generator
// otherwise drops: LiteLLM writes 0/0 for "price unknown" (local runtimes,
// previews), so a zero price must be stated, with a source, to be believed.
type Free struct {
	Key string `yaml:"key"`
	Why string `yaml:"why"`
}

// DropEvent removes one row of the price-changes CSV, identified by key and
// mirror commit, because it records a LiteLLM data error, not a price.
type DropEvent struct {
	Key    string `yaml:"key"`
	Commit string `yaml:"commit"`
	Why    string `yaml:"why"`
}

// EventFix sets fields (in $ per million tokens) of one row of the
// price-changes CSV, identified by key and mirror commit, whose other fields
// are right: a partial LiteLLM data error.
type EventFix struct {
	Key    string               `yaml:"key"`
	Commit string               `yaml:"commit"`
	Set    map[string]MTokPrice `yaml:"set"`
	Why    string               `yaml:"why"`
}

// Fix sets fields (in $ per million tokens) on every dated segment of keys.
type Fix struct {
	Keys      []string             `yaml:"keys"`
	Set       map[string]MTokPrice `yaml:"set"`
	TierAbove int64                `yaml:"tier_above"`
	Why       string               `yaml:"why"`
}

// Alias maps a normalised model id to a table key.
type Alias struct {
	Alias string `yaml:"alias"`
	Key   string `yaml:"key"`
	Why   string `yaml:"why"`
}

// ParseOverrides decodes overrides.yaml strictly: unknown keys are errors.
func ParseOverrides(data []byte) (*Overrides, error) {
	var o Overrides
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&o); err != nil {
		return nil, err
	}
	for i, f := range o.Fixes {
		if strings.TrimSpace(f.Why) == "" {
			return nil, fmt.Errorf("fixes[%d]: missing why", i)
		}
		for field := range f.Set {
			if err := SetField(&Price{}, field, 0); err != nil {
				return nil, fmt.Errorf("fixes[%d]: %w", i, err)
			}
		}
	}
	for i, d := range o.DropEvents {
		if strings.TrimSpace(d.Why) == "" {
			return nil, fmt.Errorf("drop_events[%d]: missing why", i)
		}
	}
	for i, f := range o.EventFixes {
		if strings.TrimSpace(f.Why) == "" {
			return nil, fmt.Errorf("event_fixes[%d]: missing why", i)
		}
		for field := range f.Set {
			if err := SetField(&Price{}, field, 0); err != nil {
				return nil, fmt.Errorf("event_fixes[%d]: %w", i, err)
			}
		}
	}
	for i, f := range o.Free {
		if strings.TrimSpace(f.Why) == "" {
			return nil, fmt.Errorf("free[%d] (%s): missing why", i, f.Key)
		}
	}
	for i, a := range o.Aliases {
		if strings.TrimSpace(a.Why) == "" {
			return nil, fmt.Errorf("aliases[%d] (%s): missing why", i, a.Alias)
		}
	}
	return &o, nil
}

// Apply applies the fix to p.
func (f Fix) Apply(p *Price) {
	for field, v := range f.Set {
		_ = SetField(p, field, float64(v)) // fields were validated by ParseOverrides
	}
	if f.TierAbove > 0 {
		p.TierAbove = f.TierAbove
	}
}

// SetField sets one price field by its snake_case name; v is $ per token.
// Setting a cache price also records that the model has one.
func SetField(p *Price, field string, v float64) error {
	switch field {
	case "input":
		p.Input = v
	case "output":
		p.Output = v
	case "cache_read":
		p.CacheRead, p.HasCacheRead = v, true
	case "cache_write":
		p.CacheWrite, p.HasCacheWrite = v, true
	case "cache_write_1h":
		p.CacheWrite1h = v
	case "reasoning":
		p.Reasoning = v
	case "input_above":
		p.InputAbove = v
	case "output_above":
		p.OutputAbove = v
	case "cache_read_above":
		p.CacheReadAbove = v
	case "cache_write_above":
		p.CacheWriteAbove = v
	case "cache_write_1h_above":
		p.CacheWrite1hAbove = v
	default:
		return fmt.Errorf("unknown price field %q", field)
	}
	return nil
}

// MTokPrice is a price written in $ per million tokens and held in $ per
// token. Decoding goes through the decimal text ("0.3" → "0.3e-6") so the
// result is the float nearest the written price, as LiteLLM's "3e-07" is.
type MTokPrice float64

// ParseMTok converts a decimal $-per-million-token literal to $ per token.
func ParseMTok(s string) (float64, error) {
	s = strings.TrimSpace(s)
	var v float64
	var err error
	if strings.ContainsAny(s, "eE") {
		v, err = strconv.ParseFloat(s, 64)
		v /= 1e6
	} else {
		v, err = strconv.ParseFloat(s+"e-6", 64)
	}
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("price must be a finite number >= 0, got %q", s)
	}
	return v, nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (m *MTokPrice) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return fmt.Errorf("line %d: price must be a number, got %q", n.Line, n.Value)
	}
	v, err := ParseMTok(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*m = MTokPrice(v)
	return nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (m *MTokPrice) UnmarshalJSON(b []byte) error {
	var num json.Number
	if err := json.Unmarshal(b, &num); err != nil || strings.HasPrefix(string(b), `"`) {
		return fmt.Errorf("price must be a number, got %s", b)
	}
	v, err := ParseMTok(num.String())
	if err != nil {
		return err
	}
	*m = MTokPrice(v)
	return nil
}

// LiteLLMEntry is one priced model from a LiteLLM price file.
type LiteLLMEntry struct {
	Provider string
	Mode     string
	Price    Price
}

// KeptModes are the LiteLLM modes billed per text token.
var KeptModes = map[string]bool{"chat": true, "completion": true, "responses": true}

// tierThresholds are LiteLLM's long-context suffixes, in tokens, ascending.
// A model may price several; all are kept.
var tierThresholds = []struct {
	suffix string
	tokens int64
}{
	{"_above_128k_tokens", 128_000},
	{"_above_200k_tokens", 200_000},
	{"_above_256k_tokens", 256_000},
	{"_above_272k_tokens", 272_000},
	{"_above_512k_tokens", 512_000},
}

// ParseLiteLLM decodes a LiteLLM model_prices_and_context_window.json. It
// keeps models whose mode is in KeptModes (or, if requireMode is false,
// absent) and that have both per-token input and output prices; it ignores
// unknown fields and the non-model keys sample_spec and
// fallback_generalizations. Malformed prices are errors naming the key.
func ParseLiteLLM(data []byte, requireMode bool) (map[string]LiteLLMEntry, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic first error
	out := make(map[string]LiteLLMEntry, len(top))
	for _, key := range keys {
		if key == "sample_spec" || key == "fallback_generalizations" {
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(top[key], &fields); err != nil || fields == nil {
			return nil, fmt.Errorf("%q: model entry is not a JSON object", key)
		}
		e, ok, err := parseEntry(fields, requireMode)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", key, err)
		}
		if ok {
			out[key] = e
		}
	}
	return out, nil
}

func parseEntry(f map[string]json.RawMessage, requireMode bool) (LiteLLMEntry, bool, error) {
	var e LiteLLMEntry
	if err := str(f, "mode", &e.Mode); err != nil {
		return e, false, err
	}
	if err := str(f, "litellm_provider", &e.Provider); err != nil {
		return e, false, err
	}
	if e.Mode == "" && requireMode || e.Mode != "" && !KeptModes[e.Mode] {
		return e, false, nil
	}
	p := &e.Price
	var hasIn, hasOut bool
	for _, x := range []struct {
		name string
		dst  *float64
		has  *bool
	}{
		{"input_cost_per_token", &p.Input, &hasIn},
		{"output_cost_per_token", &p.Output, &hasOut},
		{"cache_read_input_token_cost", &p.CacheRead, &p.HasCacheRead},
		{"cache_creation_input_token_cost", &p.CacheWrite, &p.HasCacheWrite},
		{"cache_creation_input_token_cost_above_1hr", &p.CacheWrite1h, nil},
		{"output_cost_per_reasoning_token", &p.Reasoning, nil},
		{"input_cost_per_audio_token", &p.AudioInput, nil},
		{"input_cost_per_image_token", &p.ImageInput, nil},
		{"output_cost_per_audio_token", &p.AudioOutput, nil},
		{"output_cost_per_image_token", &p.ImageOutput, nil},
	} {
		ok, err := num(f, x.name, x.dst)
		if err != nil {
			return e, false, err
		}
		if x.has != nil {
			*x.has = ok
		}
	}
	if !hasIn && !hasOut {
		// Priced only by tiered_pricing ranges (dashscope, volcengine).
		ok, err := tieredPricing(f, p)
		if err != nil || !ok {
			return e, false, err
		}
		hasIn, hasOut = true, true
	}
	if !hasIn || !hasOut {
		return e, false, nil // not billed per token
	}
	// Every long-context threshold the entry prices, ascending: the lowest
	// in the Tier*/…Above fields, the others in Higher.
	n := 0
	for _, t := range tierThresholds {
		var lt LongTier
		var any bool
		for _, x := range []struct {
			name string
			dst  *float64
		}{
			{"input_cost_per_token" + t.suffix, &lt.Input},
			{"output_cost_per_token" + t.suffix, &lt.Output},
			{"cache_read_input_token_cost" + t.suffix, &lt.CacheRead},
			{"cache_creation_input_token_cost" + t.suffix, &lt.CacheWrite},
			// e.g. cache_creation_input_token_cost_above_1hr_above_200k_tokens
			{"cache_creation_input_token_cost_above_1hr" + t.suffix, &lt.CacheWrite1h},
			{"output_cost_per_reasoning_token" + t.suffix, &lt.Reasoning},
		} {
			ok, err := num(f, x.name, x.dst)
			if err != nil {
				return e, false, err
			}
			any = any || ok
		}
		if !any {
			continue
		}
		lt.Above = t.tokens
		if n == 0 {
			p.TierAbove, p.InputAbove, p.OutputAbove = lt.Above, lt.Input, lt.Output
			p.CacheReadAbove, p.CacheWriteAbove, p.CacheWrite1hAbove, p.ReasoningAbove = lt.CacheRead, lt.CacheWrite, lt.CacheWrite1h, lt.Reasoning
		} else if n-1 < MaxHigherTiers {
			p.Higher[n-1] = lt
		} else {
			return e, false, fmt.Errorf("more than %d long-context tiers", MaxHigherTiers+1)
		}
		n++
	}
	if raw, ok := f["search_context_cost_per_query"]; ok && string(raw) != "null" {
		var sizes map[string]json.RawMessage
		if err := json.Unmarshal(raw, &sizes); err != nil {
			return e, false, fmt.Errorf("search_context_cost_per_query: not an object: %s", truncate(raw))
		}
		if _, err := num(sizes, "search_context_size_medium", &p.WebSearch); err != nil {
			return e, false, fmt.Errorf("search_context_cost_per_query: %w", err)
		}
	}
	if raw, ok := f["provider_specific_entry"]; ok && string(raw) != "null" {
		var mult map[string]json.RawMessage
		if err := json.Unmarshal(raw, &mult); err == nil { // other shapes carry no multipliers
			if _, err := num(mult, "us", &p.GeoUS); err != nil {
				return e, false, fmt.Errorf("provider_specific_entry: %w", err)
			}
			if _, err := num(mult, "fast", &p.Fast); err != nil {
				return e, false, fmt.Errorf("provider_specific_entry: %w", err)
			}
		}
	}
	for _, x := range []struct {
		name string
		dst  *float64
	}{{"regional_processing_uplift_multiplier_eu", &p.RegionEU}, {"regional_processing_uplift_multiplier_us", &p.RegionUS}} {
		if _, err := num(f, x.name, x.dst); err != nil {
			return e, false, err
		}
	}
	// Service tiers: LiteLLM's *_batches, *_priority, *_flex, and their
	// combination with the first long-context threshold
	// (input_cost_per_token_above_272k_tokens_priority).
	lowest := ""
	for _, t := range tierThresholds {
		if t.tokens == p.TierAbove {
			lowest = t.suffix
		}
	}
	for _, st := range []struct {
		suffix string
		dst    *TierRates
	}{{"_batches", &p.Batch}, {"_priority", &p.Priority}, {"_flex", &p.Flex}} {
		fields := []struct {
			name string
			dst  *float64
		}{
			{"input_cost_per_token" + st.suffix, &st.dst.Input},
			{"output_cost_per_token" + st.suffix, &st.dst.Output},
			{"cache_read_input_token_cost" + st.suffix, &st.dst.CacheRead},
			{"cache_creation_input_token_cost" + st.suffix, &st.dst.CacheWrite},
		}
		if lowest != "" {
			fields = append(fields, []struct {
				name string
				dst  *float64
			}{
				{"input_cost_per_token" + lowest + st.suffix, &st.dst.InputAbove},
				{"output_cost_per_token" + lowest + st.suffix, &st.dst.OutputAbove},
				{"cache_read_input_token_cost" + lowest + st.suffix, &st.dst.CacheReadAbove},
			}...)
		}
		for _, x := range fields {
			if _, err := num(f, x.name, x.dst); err != nil {
				return e, false, err
			}
		}
	}
	return e, true, nil
}

// tieredPricing reads LiteLLM's tiered_pricing: ranges [from, to] of a
// request's input tokens, each with its own rates. A range applies to a
// request whose input exceeds from (the first, from 0, is the base rates),
// as the vendors' "32K < tokens <= 128K" tables say; every token of the
// request is billed at that range's rates. It reports whether the entry
// had per-token ranges.
func tieredPricing(f map[string]json.RawMessage, p *Price) (bool, error) {
	raw, ok := f["tiered_pricing"]
	if !ok || string(raw) == "null" {
		return false, nil
	}
	var ranges []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ranges); err != nil {
		return false, fmt.Errorf("tiered_pricing: not a list of objects: %s", truncate(raw))
	}
	type tier struct {
		from float64
		lt   LongTier
		read bool
	}
	var tiers []tier
	for i, r := range ranges {
		var bounds []float64
		if err := json.Unmarshal(r["range"], &bounds); err != nil || len(bounds) != 2 {
			return false, nil // not a per-token range (max_results_range of search tools)
		}
		if math.IsNaN(bounds[0]) || bounds[0] < 0 || bounds[1] < bounds[0] {
			return false, fmt.Errorf("tiered_pricing[%d]: bad range %v", i, bounds)
		}
		var t tier
		t.from = bounds[0]
		var hasIn, hasOut bool
		var err error
		if hasIn, err = num(r, "input_cost_per_token", &t.lt.Input); err != nil {
			return false, fmt.Errorf("tiered_pricing[%d]: %w", i, err)
		}
		if hasOut, err = num(r, "output_cost_per_token", &t.lt.Output); err != nil {
			return false, fmt.Errorf("tiered_pricing[%d]: %w", i, err)
		}
		if t.read, err = num(r, "cache_read_input_token_cost", &t.lt.CacheRead); err != nil {
			return false, fmt.Errorf("tiered_pricing[%d]: %w", i, err)
		}
		if _, err = num(r, "output_cost_per_reasoning_token", &t.lt.Reasoning); err != nil {
			return false, fmt.Errorf("tiered_pricing[%d]: %w", i, err)
		}
		if !hasIn || !hasOut {
			return false, fmt.Errorf("tiered_pricing[%d]: needs input_cost_per_token and output_cost_per_token", i)
		}
		if i > 0 && t.from <= tiers[i-1].from {
			return false, fmt.Errorf("tiered_pricing[%d]: ranges not ascending", i)
		}
		tiers = append(tiers, t)
	}
	if len(tiers) == 0 || tiers[0].from != 0 {
		return false, fmt.Errorf("tiered_pricing: the first range must start at 0")
	}
	if len(tiers) > MaxHigherTiers+2 {
		return false, fmt.Errorf("tiered_pricing: more than %d ranges", MaxHigherTiers+2)
	}
	base := tiers[0]
	p.Input, p.Output, p.Reasoning = base.lt.Input, base.lt.Output, base.lt.Reasoning
	if base.read {
		p.CacheRead, p.HasCacheRead = base.lt.CacheRead, true
	}
	for i, t := range tiers[1:] {
		t.lt.Above = int64(t.from)
		if i == 0 {
			p.TierAbove, p.InputAbove, p.OutputAbove = t.lt.Above, t.lt.Input, t.lt.Output
			p.CacheReadAbove, p.ReasoningAbove = t.lt.CacheRead, t.lt.Reasoning
			continue
		}
		p.Higher[i-1] = t.lt
	}
	return true, nil
}

// num reads an optional non-negative number field; null counts as absent.
func num(f map[string]json.RawMessage, name string, dst *float64) (bool, error) {
	raw, ok := f[name]
	if !ok || string(raw) == "null" {
		return false, nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, fmt.Errorf("%s: not a number: %s", name, truncate(raw))
	}
	if v < 0 {
		return false, fmt.Errorf("%s: negative price %v", name, v)
	}
	*dst = v
	return true, nil
}

func str(f map[string]json.RawMessage, name string, dst *string) error {
	raw, ok := f[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%s: not a string: %s", name, truncate(raw))
	}
	return nil
}

// truncate shortens a value quoted in an error to 40 bytes, never cutting a
// UTF-8 character in two.
func truncate(b []byte) string {
	if len(b) <= 40 {
		return string(b)
	}
	n := 40
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "…"
}

// MaxHigherTiers is how many long-context tiers beyond the first a price
// holds: LiteLLM's tiered_pricing has up to four ranges (base + 3).
const MaxHigherTiers = 3

// LongTier is one long-context tier: a request whose input (cache reads and
// writes included) exceeds Above tokens is billed at these rates, every
// token of it. A zero rate means the next lower tier's rate.
type LongTier struct {
	Above        int64   `json:"above"`
	Input        float64 `json:"input,omitempty"`
	Output       float64 `json:"output,omitempty"`
	CacheRead    float64 `json:"cache_read,omitempty"`
	CacheWrite   float64 `json:"cache_write,omitempty"`
	CacheWrite1h float64 `json:"cache_write_1h,omitempty"`
	Reasoning    float64 `json:"reasoning,omitempty"`
}

// TierRates are one service tier's rates (batch, priority, flex). Input
// and Output are required for the tier to count as priced; any other rate
// that is 0 is derived from the standard rate in the same proportion as the
// tier's input (or output, for reasoning) to the standard one.
type TierRates struct {
	Input      float64 `json:"input,omitempty"`
	Output     float64 `json:"output,omitempty"`
	CacheRead  float64 `json:"cache_read,omitempty"`
	CacheWrite float64 `json:"cache_write,omitempty"`
	// The first long-context tier's rates in this service tier.
	InputAbove     float64 `json:"input_above,omitempty"`
	OutputAbove    float64 `json:"output_above,omitempty"`
	CacheReadAbove float64 `json:"cache_read_above,omitempty"`
}
