package parquet

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestBillingColumnsRoundTrip: the audio and image counts and the fast-mode
// and US-only flags survive a conversion (Writer, then this reader), from
// both their sources: canonical top-level fields and a provider usage
// object. Before the columns existed, the converted file lost all of them
// and priced those calls as text, at base rates.
func TestBillingColumnsRoundTrip(t *testing.T) {
	src := filepath.Join(t.TempDir(), "in.jsonl")
	lines := `{"session_id":"s","kind":"llm","model":"gpt-4o-audio-preview","input_tokens":1000,"output_tokens":500,"audio_input_tokens":600,"image_input_tokens":20,"audio_output_tokens":400,"image_output_tokens":5}
{"session_id":"s","kind":"llm","model":"claude-opus-4-6","usage":{"input_tokens":100,"output_tokens":10,"speed":"fast","inference_geo":"us"}}
{"session_id":"s","kind":"llm","model":"claude-opus-4-6","input_tokens":100,"output_tokens":10,"fast_mode":true}
{"session_id":"s","kind":"llm","model":"claude-opus-4-6","input_tokens":100,"output_tokens":10,"us_only":true}
{"session_id":"s","kind":"llm","model":"gpt-4o","input_tokens":100,"output_tokens":10}
`
	if err := os.WriteFile(src, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	want, notes, _ := decodeAll(t, ingest.Options{Format: "jsonl"}, src)
	if len(notes) != 0 || len(want) != 5 {
		t.Fatalf("source: %d records, notes %+v", len(want), notes)
	}
	// What the source says, by hand, so the test does not only compare the
	// reader with itself.
	type billing struct {
		audioIn, imageIn, audioOut, imageOut int64
		fast, us                             bool
	}
	hand := []billing{{600, 20, 400, 5, false, false}, {0, 0, 0, 0, true, true}, {0, 0, 0, 0, true, false}, {0, 0, 0, 0, false, true}, {}}
	got, notes, _ := decodeAll(t, ingest.Options{}, toParquet(t, src))
	if len(notes) != 0 || len(got) != len(want) {
		t.Fatalf("parquet: %d records, notes %+v", len(got), notes)
	}
	for i := range got {
		g, w := got[i], want[i]
		b := billing{g.AudioInputTokens, g.ImageInputTokens, g.AudioOutputTokens, g.ImageOutputTokens, g.Fast, g.USOnly}
		if b != hand[i] {
			t.Errorf("row %d: %+v, want %+v", i+1, b, hand[i])
		}
		if bw := (billing{w.AudioInputTokens, w.ImageInputTokens, w.AudioOutputTokens, w.ImageOutputTokens, w.Fast, w.USOnly}); bw != hand[i] {
			t.Errorf("jsonl line %d: %+v, want %+v", i+1, bw, hand[i])
		}
		if g.InputTokens != w.InputTokens || g.OutputTokens != w.OutputTokens {
			t.Errorf("row %d: tokens %d/%d, want %d/%d", i+1, g.InputTokens, g.OutputTokens, w.InputTokens, w.OutputTokens)
		}
	}
}
