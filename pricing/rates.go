package pricing

import "github.com/tokcost/tokcost/pricing/internal/pricefile"

// Rates are one model's prices in USD per token, as in LiteLLM's file.
// Cache prices are absolute, not multipliers, because vendors differ.
type Rates struct {
	Input        float64 `json:"input"`
	Output       float64 `json:"output"`
	CacheRead    float64 `json:"cache_read,omitempty"`     // 0 with HasCacheRead false: bill cache reads as input
	CacheWrite   float64 `json:"cache_write,omitempty"`    // 5-minute TTL write (the default)
	CacheWrite1h float64 `json:"cache_write_1h,omitempty"` // 1-hour TTL write; 0: use CacheWrite
	// Reasoning is set only where a vendor bills reasoning differently from
	// output (some Gemini models); 0 means reasoning is billed as output.
	Reasoning float64 `json:"reasoning,omitempty"`

	HasCacheRead  bool `json:"has_cache_read,omitempty"`
	HasCacheWrite bool `json:"has_cache_write,omitempty"`

	// Long-context tier: when a request's input exceeds TierAbove tokens,
	// the whole request is billed at the *Above rates (LiteLLM semantics).
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

// Usage is one call's tokens in canonical (OpenTelemetry) semantics: Input
// includes cache reads and writes, CacheWrite includes CacheWrite1h, Output
// includes Reasoning.
//
// AudioIn and ImageIn are parts of Input, AudioOut and ImageOut parts of
// Output less Reasoning (the audio and image tokens OpenAI and the OTel
// usage breakdown report): they move the price of that part to the
// modality's rate and change no total.
type Usage struct {
	Input, Output, CacheRead, CacheWrite, CacheWrite1h, Reasoning int64
	AudioIn, ImageIn, AudioOut, ImageOut                          int64
}

// Scale returns p with every token class multiplied by f (a region uplift).
func (p Parts) Scale(f float64) Parts {
	return Parts{Input: p.Input * f, CacheRead: p.CacheRead * f, CacheWrite: p.CacheWrite * f, Output: p.Output * f,
		Multimodal: p.Multimodal * f}
}

// RegionMultiplier is the OpenAI data-residency uplift for region ("eu",
// "us"), 0 if the table has none for it.
func (r Rates) RegionMultiplier(region string) float64 {
	switch region {
	case "eu":
		return r.RegionEU
	case "us":
		return r.RegionUS
	}
	return 0
}

// ServerToolCost is the fee for n server-side web searches, and whether the
// table has a price for them (n > 0 without one: not priced, to be reported).
func (r Rates) ServerToolCost(webSearches int64) (float64, bool) {
	if webSearches <= 0 {
		return 0, true
	}
	if r.WebSearch <= 0 {
		return 0, false
	}
	return float64(webSearches) * r.WebSearch, true
}

// Parts is one call's cost split by token class.
type Parts struct {
	Input      float64 // uncached input
	CacheRead  float64
	CacheWrite float64 // 5-minute and 1-hour writes
	Output     float64 // output, reasoning included
	// Multimodal is the audio and image tokens, input and output, at
	// their modality's rates (the text rate where the table has none);
	// Input and Output are then the text parts.
	Multimodal float64
}

// Total is the call's cost.
func (p Parts) Total() float64 { return p.Input + p.CacheRead + p.CacheWrite + p.Output + p.Multimodal }

// Cost prices one call:
//
//	(input − cache_read − cache_write)·in + cache_read·read
//	  + cache_write_5m·write + cache_write_1h·write_1h + output·out
//
// with reasoning tokens at the reasoning rate where the vendor sets one.
// A cache class the model has no price for is billed at the input rate.
// Inconsistent counts (cache larger than input) are clamped, never negative.
func (r Rates) Cost(u Usage) float64 { return r.CostParts(u).Total() }

// CostParts prices one call by token class. The long-context tier is
// decided by the whole request's input (cache reads and writes included),
// then applied to every class of that request.
func (r Rates) CostParts(u Usage) Parts {
	c := r.classRates(u.Input)
	cw1h := clamp(u.CacheWrite1h, 0, u.CacheWrite)
	cw5m := u.CacheWrite - cw1h
	uncached := u.Input - u.CacheRead - u.CacheWrite
	if uncached < 0 {
		uncached = 0
	}
	reasoning := int64(0)
	if c.reasoning > 0 {
		reasoning = clamp(u.Reasoning, 0, u.Output)
	}
	plainOut := u.Output - reasoning
	p := Parts{
		CacheRead:  float64(u.CacheRead) * c.read,
		CacheWrite: float64(cw5m)*c.write + float64(cw1h)*c.write1h,
	}
	// Media input is taken from the uncached part: no producer we read
	// says how much of it was cached, and the table has no cached-media
	// rate for chat models (docs/pricing.md). Media output excludes
	// reasoning.
	audioIn := clamp(u.AudioIn, 0, uncached)
	imageIn := clamp(u.ImageIn, 0, uncached-audioIn)
	media := u.Output - clamp(u.Reasoning, 0, u.Output)
	audioOut := clamp(u.AudioOut, 0, media)
	imageOut := clamp(u.ImageOut, 0, media-audioOut)
	own := func(rate, text float64) float64 {
		if rate > 0 {
			return rate
		}
		return text
	}
	p.Input = float64(uncached-audioIn-imageIn) * c.in
	p.Output = float64(plainOut-audioOut-imageOut)*c.out + float64(reasoning)*c.reasoning
	if audioIn|imageIn|audioOut|imageOut != 0 {
		p.Multimodal = float64(audioIn)*own(r.AudioInput, c.in) + float64(imageIn)*own(r.ImageInput, c.in) +
			float64(audioOut)*own(r.AudioOutput, c.out) + float64(imageOut)*own(r.ImageOutput, c.out)
	}
	return p
}

// MediaAtTextRate reports whether CostParts bills some of u's audio or
// image tokens at a text rate, an assumption the report must name: a
// modality the rates give no price for, or media input beyond the
// uncached input, which stays in the cache classes (no producer says how
// much media was cached, and the table has no cached-media rates).
func (r Rates) MediaAtTextRate(u Usage) bool {
	uncached := max(u.Input-u.CacheRead-u.CacheWrite, 0)
	return u.AudioIn > 0 && r.AudioInput <= 0 || u.ImageIn > 0 && r.ImageInput <= 0 ||
		u.AudioOut > 0 && r.AudioOutput <= 0 || u.ImageOut > 0 && r.ImageOutput <= 0 ||
		u.AudioIn+u.ImageIn > uncached
}

// classRates are the per-token rates one request is billed at.
type classRates struct{ in, out, read, write, write1h, reasoning float64 }

// TierFor is the long-context threshold a request with input tokens is
// billed above: 0 for the base rates, else the highest threshold it exceeds.
func (r Rates) TierFor(input int64) int64 {
	above := int64(0)
	if r.TierAbove > 0 && input > r.TierAbove {
		above = r.TierAbove
		for _, h := range r.Higher {
			if h.Above > 0 && input > h.Above {
				above = h.Above
			}
		}
	}
	return above
}

// classRates resolves the rates for a request with input tokens: the base
// rates, overlaid by each tier the input exceeds in ascending order (a
// tier's 0 keeps the lower tier's rate), then the fallbacks: a cache class
// without a price is billed as input, a 1-hour write without one at the
// 5-minute write rate.
func (r Rates) classRates(input int64) classRates {
	c := classRates{r.Input, r.Output, r.CacheRead, r.CacheWrite, r.CacheWrite1h, r.Reasoning}
	if r.TierAbove > 0 && input > r.TierAbove {
		c.overlay(LongTier{Above: r.TierAbove, Input: r.InputAbove, Output: r.OutputAbove, CacheRead: r.CacheReadAbove,
			CacheWrite: r.CacheWriteAbove, CacheWrite1h: r.CacheWrite1hAbove, Reasoning: r.ReasoningAbove})
		for _, h := range r.Higher {
			if h.Above > 0 && input > h.Above {
				c.overlay(h)
			}
		}
	}
	if !r.HasCacheRead {
		c.read = c.in
	}
	if !r.HasCacheWrite {
		c.write = c.in
	}
	if c.write1h == 0 {
		c.write1h = c.write
	}
	return c
}

func (c *classRates) overlay(t LongTier) {
	for _, x := range []struct {
		dst *float64
		v   float64
	}{
		{&c.in, t.Input}, {&c.out, t.Output}, {&c.read, t.CacheRead}, {&c.write, t.CacheWrite},
		{&c.write1h, t.CacheWrite1h}, {&c.reasoning, t.Reasoning},
	} {
		if x.v > 0 {
			*x.dst = x.v
		}
	}
}

// Service tiers, as named in the canonical service_tier field.
const (
	ServiceStandard = "standard"
	ServiceBatch    = "batch"
	ServicePriority = "priority"
	ServiceFlex     = "flex"
)

// ForServiceTier returns the rates of a service tier ("standard", "batch",
// "priority", "flex"; "" is standard) and whether the table prices that tier
// for the model. A tier it does not price returns the standard rates and
// false: the caller bills them and must say so.
//
// The tier's input and output rates come from the table. A class the tier
// has no rate for (LiteLLM gives batch input and output only, for example)
// is the standard class rate scaled like the tier's input (output, for
// reasoning): the vendors' batch and priority prices are uniform discounts
// and uplifts on every input class (OpenAI and Anthropic Batch: 50% off).
func (r Rates) ForServiceTier(tier string) (Rates, bool) {
	var t TierRates
	switch tier {
	case "", ServiceStandard:
		return r, true
	case ServiceBatch:
		t = r.Batch
	case ServicePriority:
		t = r.Priority
	case ServiceFlex:
		t = r.Flex
	default:
		return r, false
	}
	if t.Input <= 0 || t.Output <= 0 || r.Input <= 0 || r.Output <= 0 {
		return r, false
	}
	fi, fo := t.Input/r.Input, t.Output/r.Output
	own := func(v, std, f float64) float64 {
		if v > 0 {
			return v
		}
		return std * f
	}
	out := r
	out.Input, out.Output = t.Input, t.Output
	out.CacheRead = own(t.CacheRead, r.CacheRead, fi)
	out.HasCacheRead = r.HasCacheRead || t.CacheRead > 0
	out.CacheWrite = own(t.CacheWrite, r.CacheWrite, fi)
	out.HasCacheWrite = r.HasCacheWrite || t.CacheWrite > 0
	out.CacheWrite1h = r.CacheWrite1h * fi
	out.Reasoning = r.Reasoning * fo
	out.InputAbove = own(t.InputAbove, r.InputAbove, fi)
	out.OutputAbove = own(t.OutputAbove, r.OutputAbove, fo)
	out.CacheReadAbove = own(t.CacheReadAbove, r.CacheReadAbove, fi)
	out.CacheWriteAbove = r.CacheWriteAbove * fi
	out.CacheWrite1hAbove = r.CacheWrite1hAbove * fi
	out.ReasoningAbove = r.ReasoningAbove * fo
	out.AudioInput, out.ImageInput = r.AudioInput*fi, r.ImageInput*fi
	out.AudioOutput, out.ImageOutput = r.AudioOutput*fo, r.ImageOutput*fo
	for i, h := range r.Higher {
		out.Higher[i] = LongTier{Above: h.Above, Input: h.Input * fi, Output: h.Output * fo, CacheRead: h.CacheRead * fi,
			CacheWrite: h.CacheWrite * fi, CacheWrite1h: h.CacheWrite1h * fi, Reasoning: h.Reasoning * fo}
	}
	return out, true
}

// TierScaled reports whether ForServiceTier(tier) bills u with a rate the
// table does not give for that tier, derived by scaling the standard rate
// (a cache, 1-hour write, reasoning or long-context class with tokens): an
// assumption the report must name. False for standard and unpriced tiers.
func (r Rates) TierScaled(tier string, u Usage) bool {
	var t TierRates
	switch tier {
	case ServiceBatch:
		t = r.Batch
	case ServicePriority:
		t = r.Priority
	case ServiceFlex:
		t = r.Flex
	default:
		return false
	}
	if _, ok := r.ForServiceTier(tier); !ok {
		return false
	}
	if u.AudioIn > 0 && r.AudioInput > 0 || u.ImageIn > 0 && r.ImageInput > 0 ||
		u.AudioOut > 0 && r.AudioOutput > 0 || u.ImageOut > 0 && r.ImageOutput > 0 {
		return true // no service tier prices a modality
	}
	if r.TierFor(u.Input) > 0 { // every class at a long-context rate
		for _, h := range r.Higher {
			if h.Above > 0 && u.Input > h.Above {
				return true // no service tier prices a higher threshold
			}
		}
		uncached := u.Input - u.CacheRead - u.CacheWrite
		return uncached > 0 && t.InputAbove == 0 && r.InputAbove > 0 ||
			u.Output > 0 && t.OutputAbove == 0 && r.OutputAbove > 0 ||
			u.CacheRead > 0 && t.CacheReadAbove == 0 && r.CacheReadAbove > 0 ||
			u.CacheWrite > 0 && (r.CacheWriteAbove > 0 || r.CacheWrite1hAbove > 0) ||
			u.Reasoning > 0 && r.ReasoningAbove > 0 ||
			u.CacheRead > 0 && r.CacheReadAbove == 0 && r.HasCacheRead && t.CacheRead == 0 ||
			u.CacheWrite > 0 && r.CacheWriteAbove == 0 && r.HasCacheWrite && t.CacheWrite == 0
	}
	return u.CacheRead > 0 && r.HasCacheRead && t.CacheRead == 0 ||
		u.CacheWrite > 0 && r.HasCacheWrite && t.CacheWrite == 0 ||
		u.CacheWrite1h > 0 && r.CacheWrite1h > 0 ||
		u.Reasoning > 0 && r.Reasoning > 0
}

func clamp(v, lo, hi int64) int64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// MaxHigherTiers, LongTier and TierRates are shared with the generator.
const MaxHigherTiers = pricefile.MaxHigherTiers

type (
	LongTier  = pricefile.LongTier
	TierRates = pricefile.TierRates
)
