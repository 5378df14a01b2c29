package pricing

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
}

// Usage is one call's tokens in canonical (OpenTelemetry) semantics: Input
// includes cache reads and writes, CacheWrite includes CacheWrite1h, Output
// includes Reasoning.
type Usage struct {
	Input, Output, CacheRead, CacheWrite, CacheWrite1h, Reasoning int64
}

// Parts is one call's cost split by token class.
type Parts struct {
	Input      float64 // uncached input
	CacheRead  float64
	CacheWrite float64 // 5-minute and 1-hour writes
	Output     float64 // output, reasoning included
}

// Total is the call's cost.
func (p Parts) Total() float64 { return p.Input + p.CacheRead + p.CacheWrite + p.Output }

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
// decided by the whole request's input, then applied to every class.
func (r Rates) CostParts(u Usage) Parts {
	in, out, read, write, write1h := r.Input, r.Output, r.CacheRead, r.CacheWrite, r.CacheWrite1h
	if r.TierAbove > 0 && u.Input > r.TierAbove {
		if r.InputAbove > 0 {
			in = r.InputAbove
		}
		if r.OutputAbove > 0 {
			out = r.OutputAbove
		}
		if r.CacheReadAbove > 0 {
			read = r.CacheReadAbove
		}
		if r.CacheWriteAbove > 0 {
			write = r.CacheWriteAbove
		}
		if r.CacheWrite1hAbove > 0 {
			write1h = r.CacheWrite1hAbove
		}
	}
	if !r.HasCacheRead {
		read = in
	}
	if !r.HasCacheWrite {
		write = in
	}
	if write1h == 0 {
		write1h = write
	}
	cw1h := clamp(u.CacheWrite1h, 0, u.CacheWrite)
	cw5m := u.CacheWrite - cw1h
	uncached := u.Input - u.CacheRead - u.CacheWrite
	if uncached < 0 {
		uncached = 0
	}
	reasoning := int64(0)
	if r.Reasoning > 0 {
		reasoning = clamp(u.Reasoning, 0, u.Output)
	}
	plainOut := u.Output - reasoning
	return Parts{
		Input:      float64(uncached) * in,
		CacheRead:  float64(u.CacheRead) * read,
		CacheWrite: float64(cw5m)*write + float64(cw1h)*write1h,
		Output:     float64(plainOut)*out + float64(reasoning)*r.Reasoning,
	}
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
