package pricing

import "testing"

// TestMultimodalCost prices audio and image tokens at their modality's
// rates, from the embedded table's LiteLLM entries:
//
//	gpt-4o-audio-preview: input_cost_per_token 2.5e-06, output_cost_per_token
//	1e-05, input_cost_per_audio_token 4e-05, output_cost_per_audio_token 8e-05;
//	no cache-read price (cache reads billed as input), no image rates.
//	gemini/gemini-2.5-flash: input 3e-07, cache read 3e-08,
//	input_cost_per_audio_token 1e-06, output 2.5e-06, reasoning 2.5e-06.
func TestMultimodalCost(t *testing.T) {
	tb := Embedded()
	audio := mustLookup(t, tb, "gpt-4o-audio-preview", "", 0).Rates
	flash := mustLookup(t, tb, "gemini/gemini-2.5-flash", "", 0).Rates
	tests := []struct {
		name        string
		r           Rates
		u           Usage
		want        Parts
		atTextRate  bool
		textOnlyUSD float64 // the same call with no media counts
	}{
		{
			// 400 text × 2.5e-6 = 0.001; 600 audio × 4e-5 = 0.024;
			// 100 text out × 1e-5 = 0.001; 400 audio out × 8e-5 = 0.032.
			name: "audio in and out",
			r:    audio, u: Usage{Input: 1000, Output: 500, AudioIn: 600, AudioOut: 400},
			want:        Parts{Input: 0.001, Output: 0.001, Multimodal: 0.056},
			textOnlyUSD: 1000*2.5e-6 + 500*1e-5,
		},
		{
			// 700 cache reads at input (no cache price) 0.00175; uncached 300,
			// all of it taken as audio (the media is assumed uncached first):
			// 300 × 4e-5 = 0.012; the other 300 audio are in the cache reads,
			// at the text cache rate: an assumed rate the report names.
			name: "audio beside cache reads",
			r:    audio, u: Usage{Input: 1000, CacheRead: 700, AudioIn: 600},
			want: Parts{CacheRead: 0.00175, Multimodal: 0.012}, atTextRate: true,
		},
		{
			// No image rate: 1,000 × 2.5e-6 = 0.0025 in the multimodal class.
			name: "image without a rate",
			r:    audio, u: Usage{Input: 1000, ImageIn: 1000},
			want: Parts{Multimodal: 0.0025}, atTextRate: true,
		},
		{
			// Audio out of a call that also reasons: media is within output
			// less reasoning. Output 300 = 100 reasoning + 150 audio + 50 text.
			// 50 × 1e-5 + 100 × 1e-5 (reasoning as output) = 0.0015; 150 × 8e-5 = 0.012.
			name: "audio out beside reasoning",
			r:    audio, u: Usage{Output: 300, Reasoning: 100, AudioOut: 150},
			want: Parts{Output: 0.0015, Multimodal: 0.012},
		},
		{
			// Gemini 2.5 Flash: 2,000 prompt, 500 cached (× 3e-8 = 0.000015),
			// 1,000 audio (× 1e-6 = 0.001), 500 text (× 3e-7 = 0.00015);
			// 100 output (× 2.5e-6 = 0.00025).
			name: "gemini audio with cache",
			r:    flash, u: Usage{Input: 2000, CacheRead: 500, Output: 100, AudioIn: 1000},
			want: Parts{Input: 0.00015, CacheRead: 0.000015, Output: 0.00025, Multimodal: 0.001},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.r.CostParts(tt.u)
			if !near(got.Input, tt.want.Input) || !near(got.CacheRead, tt.want.CacheRead) || !near(got.CacheWrite, tt.want.CacheWrite) ||
				!near(got.Output, tt.want.Output) || !near(got.Multimodal, tt.want.Multimodal) {
				t.Errorf("CostParts = %+v, want %+v", got, tt.want)
			}
			if g := tt.r.MediaAtTextRate(tt.u); g != tt.atTextRate {
				t.Errorf("MediaAtTextRate = %v, want %v", g, tt.atTextRate)
			}
			if tt.textOnlyUSD > 0 {
				u := tt.u
				u.AudioIn, u.ImageIn, u.AudioOut, u.ImageOut = 0, 0, 0, 0
				if g := tt.r.Cost(u); !near(g, tt.textOnlyUSD) {
					t.Errorf("text-only cost = %v, want %v", g, tt.textOnlyUSD)
				}
			}
		})
	}
}

// TestMultimodalServiceTier: a service tier scales the modality rates like
// its input (output) rate and says the rate is derived. Rates made up:
// input 1, batch input 0.5 (×0.5), audio input 10 → 5 in batch.
func TestMultimodalServiceTier(t *testing.T) {
	r := Rates{Input: 1, Output: 2, AudioInput: 10, AudioOutput: 20, Batch: TierRates{Input: 0.5, Output: 1}}
	b, ok := r.ForServiceTier(ServiceBatch)
	if !ok || b.AudioInput != 5 || b.AudioOutput != 10 {
		t.Fatalf("batch audio rates = %v, %v (ok %v), want 5, 10", b.AudioInput, b.AudioOutput, ok)
	}
	if !r.TierScaled(ServiceBatch, Usage{Input: 10, AudioIn: 4}) {
		t.Error("audio in a batch call should be a scaled (assumed) rate")
	}
	if r.TierScaled(ServiceBatch, Usage{Input: 10}) {
		t.Error("a text-only batch call needs no scaled rate")
	}
}
