package langfuse

import "testing"

// TestMediaUsageKeys: Langfuse's SDKs split OpenAI's audio and image
// details out of the prompt and completion (input_audio_tokens, …) in the
// disjoint form, where total is the sum of every bucket. By hand:
// input 400 + cached 100 + audio 500 = 1,000 prompt tokens, of which 500
// audio; output 50 + reasoning 30 + audio 120 = 200, of which 120 audio;
// total 1,200 = the sum of the buckets.
func TestMediaUsageKeys(t *testing.T) {
	details := map[string]string{"input": "400", "input_cached_tokens": "100", "input_audio_tokens": "500",
		"output": "50", "output_reasoning_tokens": "30", "output_audio_tokens": "120", "total": "1200"}
	u, ok, _, unknown := convertUsage(details)
	if !ok || len(unknown) != 0 {
		t.Fatalf("ok %v unknown %v", ok, unknown)
	}
	want := [nTok]int64{tokIn: 1000, tokOut: 200, tokCacheRead: 100, tokReasoning: 30, tokAudioIn: 500, tokAudioOut: 120}
	if u != want {
		t.Errorf("got %v, want %v", u, want)
	}
}
