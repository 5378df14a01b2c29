package litellm

import (
	"errors"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestParse: LiteLLM usage objects read field by field. The first is a real
// one (OpenHands' basic.json, second call): prompt_tokens 4646 already holds
// 3482 cache reads and 1158 cache writes (4646 − 3482 − 1158 = 6 uncached),
// so input stays 4646 — Anthropic's own rule (add the cache to input) would
// give 4646 + 4640 = 9286.
func TestParse(t *testing.T) {
	tests := []struct {
		usage                        string
		in, out, read, write, reason int64
		err                          bool
	}{
		{`{"completion_tokens":177,"prompt_tokens":4646,"total_tokens":4823,"completion_tokens_details":null,
		   "prompt_tokens_details":{"audio_tokens":null,"cached_tokens":3482},"cache_creation_input_tokens":1158,"cache_read_input_tokens":3482}`,
			4646, 177, 3482, 1158, 0, false},
		// OpenAI through LiteLLM: cached_tokens only; reasoning inside completion.
		{`{"prompt_tokens":2473,"completion_tokens":203,"prompt_tokens_details":{"cached_tokens":2304},"completion_tokens_details":{"reasoning_tokens":192}}`,
			2473, 203, 2304, 0, 192, false},
		{`{"completion_tokens":5}`, 0, 5, 0, 0, 0, false},
		{`{}`, 0, 0, 0, 0, 0, true},
		{`null`, 0, 0, 0, 0, 0, true},
		{`{"prompt_tokens":-1}`, 0, 0, 0, 0, 0, true},
		{`{"prompt_tokens":1.5}`, 0, 0, 0, 0, 0, true},
		{`[]`, 0, 0, 0, 0, 0, true},
	}
	for _, tt := range tests {
		var r ingest.Record
		err := Parse([]byte(tt.usage), &r)
		if (err != nil) != tt.err {
			t.Errorf("%s: err %v", tt.usage, err)
			continue
		}
		if err == nil && (r.InputTokens != tt.in || r.OutputTokens != tt.out || r.CacheReadTokens != tt.read ||
			r.CacheWriteTokens != tt.write || r.ReasoningTokens != tt.reason) {
			t.Errorf("%s: %+v", tt.usage, r)
		}
	}
	var r ingest.Record
	if err := Parse([]byte(`{}`), &r); !errors.Is(err, ErrNoUsage) {
		t.Errorf("empty usage: %v", err)
	}
}

// The shared by-field rules apply to LiteLLM's object too (docs/usage.md):
// a total above prompt + completion with no reasoning count is hidden
// thinking, billed as output (by hand: 2,023 − 5 − 845 = 1,173); DeepSeek's
// cache hit/miss fields are known parts of the prompt; an unknown token
// field is named; two fields naming one count must agree.
func TestSharedRules(t *testing.T) {
	var r ingest.Record
	if err := Parse([]byte(`{"prompt_tokens":5,"completion_tokens":845,"total_tokens":2023}`), &r); err != nil ||
		r.OutputTokens != 2018 || r.ReasoningTokens != 1173 || r.TokensFromTotal != 1173 {
		t.Errorf("thinking: %v %+v", err, r)
	}
	r = ingest.Record{}
	if err := Parse([]byte(`{"prompt_tokens":1689,"completion_tokens":76,"total_tokens":1765,"prompt_tokens_details":{"cached_tokens":1664},"prompt_cache_hit_tokens":1664,"prompt_cache_miss_tokens":25,"x_video_tokens":3}`), &r); err != nil ||
		r.InputTokens != 1689 || r.CacheReadTokens != 1664 || r.TokensFromTotal != 0 || r.UnknownUsage != "x_video_tokens" {
		t.Errorf("deepseek: %v %+v", err, r)
	}
	r = ingest.Record{}
	if err := Parse([]byte(`{"prompt_tokens":100,"completion_tokens":1,"cache_read_input_tokens":7,"prompt_tokens_details":{"cached_tokens":8}}`), &r); err == nil {
		t.Errorf("disagreeing cache reads accepted: %+v", r)
	}
}

// TestCacheWrite1h: LiteLLM splits an Anthropic cache write by lifetime in
// prompt_tokens_details.cache_creation_token_details. The shape below is a
// LiteLLM 1.98 /v1/messages usage with every write an hour-long one
// (18,770 prompt = 15,093 read + 3,674 write + 3 uncached). Ignored, the
// 3,674 tokens were priced at the 5-minute write rate (Sonnet: 3.75 instead
// of 6 $/MTok), too low with exit 0. cache_creation_tokens stands in for
// cache_creation_input_tokens when only it is given.
func TestCacheWrite1h(t *testing.T) {
	var r ingest.Record
	if err := Parse([]byte(`{"prompt_tokens":18770,"completion_tokens":5,"cache_read_input_tokens":15093,"cache_creation_input_tokens":3674,
		"prompt_tokens_details":{"cache_creation_token_details":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":3674}}}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.InputTokens != 18770 || r.CacheReadTokens != 15093 || r.CacheWriteTokens != 3674 || r.CacheWrite1hTokens != 3674 {
		t.Errorf("%+v", r)
	}
	r = ingest.Record{}
	if err := Parse([]byte(`{"prompt_tokens":130,"completion_tokens":25,"prompt_tokens_details":{"cached_tokens":20,"cache_creation_tokens":10,
		"cache_creation_token_details":{"ephemeral_5m_input_tokens":7,"ephemeral_1h_input_tokens":3}}}`), &r); err != nil {
		t.Fatal(err)
	}
	// 130 prompt holds 20 read + 10 written, 3 of them for an hour.
	if r.InputTokens != 130 || r.CacheReadTokens != 20 || r.CacheWriteTokens != 10 || r.CacheWrite1hTokens != 3 {
		t.Errorf("%+v", r)
	}
}

// TestParseMedia: LiteLLM passes OpenAI's audio and image details through
// (prompt_tokens_details.audio_tokens, …); they become the record's media
// counts, parts of the totals (the input's own numbers).
func TestParseMedia(t *testing.T) {
	var r ingest.Record
	if err := Parse([]byte(`{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500,
		"prompt_tokens_details":{"audio_tokens":600,"image_tokens":100,"cached_tokens":0},
		"completion_tokens_details":{"audio_tokens":400,"reasoning_tokens":0}}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.InputTokens != 1000 || r.OutputTokens != 500 || r.AudioInputTokens != 600 || r.ImageInputTokens != 100 ||
		r.AudioOutputTokens != 400 || r.ImageOutputTokens != 0 {
		t.Errorf("got %+v", r)
	}
}
