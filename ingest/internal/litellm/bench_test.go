package litellm

import (
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// BenchmarkParse reads the real OpenHands usage object of TestParse
// (docs/performance.md, JSON decoding).
func BenchmarkParse(b *testing.B) {
	raw := []byte(`{"completion_tokens":177,"prompt_tokens":4646,"total_tokens":4823,"completion_tokens_details":null,"prompt_tokens_details":{"audio_tokens":null,"cached_tokens":3482},"cache_creation_input_tokens":1158,"cache_read_input_tokens":3482}`)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var r ingest.Record
		if err := Parse(raw, &r); err != nil {
			b.Fatal(err)
		}
	}
}
