package otel

import (
	"bufio"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestCacheWriteAttributes: the cache-write count under the names
// producers use besides gen_ai.usage.cache_creation.input_tokens:
// gen_ai.usage.cache_write.input_tokens (the name on semantic-conventions'
// main branch, read by several collectors) and
// gen_ai.usage.cache_write_input_tokens (Coralogix llm-tracekit's Strands
// Agents spans, next to gen_ai.usage.cache_read_input_tokens). Before,
// both were counted as unknown usage and the writes went unbilled as
// writes. Expected counts by hand: span 1 has input 1000 (inclusive, above
// its caches), cache read 200, write 300; span 2 is Bedrock-style with an
// input of 100 that excludes its caches (read 200 + write 50 > 100), so its
// input is made inclusive: 100 + 200 + 50 = 350.
func TestCacheWriteAttributes(t *testing.T) {
	kv := func(k, v string) string { return `{"key":"` + k + `","value":{"intValue":"` + v + `"}}` }
	span := func(id string, attrs ...string) string {
		attrs = append([]string{`{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}}`,
			`{"key":"gen_ai.request.model","value":{"stringValue":"claude-sonnet-4-20250514"}}`}, attrs...)
		return `{"traceId":"0af7651916cd43dd8448eb211c80319` + id + `","spanId":"b7ad6b716920333` + id + `","name":"chat","startTimeUnixNano":"174800000` + id + `000000000","endTimeUnixNano":"174800000` + id + `100000000","attributes":[` + strings.Join(attrs, ",") + `]}`
	}
	line := `{"resourceSpans":[{"scopeSpans":[{"spans":[` +
		span("1", kv("gen_ai.usage.input_tokens", "1000"), kv("gen_ai.usage.output_tokens", "90"),
			kv("gen_ai.usage.cache_read.input_tokens", "200"), kv("gen_ai.usage.cache_write.input_tokens", "300")) + "," +
		span("2", kv("gen_ai.usage.input_tokens", "100"), kv("gen_ai.usage.output_tokens", "50"),
			kv("gen_ai.usage.cache_read_input_tokens", "200"), kv("gen_ai.usage.cache_write_input_tokens", "50")) +
		`]}]}]}` + "\n"
	sink := decodeSource(t, mustLookup(t, "otlp"), &ingest.Source{Name: "x.jsonl", R: bufio.NewReader(strings.NewReader(line))})
	if len(sink.recs) != 2 {
		t.Fatalf("records %+v notes %+v", sink.recs, sink.notes)
	}
	type tok struct{ in, out, read, write int64 }
	want := map[int64]tok{1000: {1000, 90, 200, 300}, 350: {350, 50, 200, 50}}
	for _, r := range sink.recs {
		got := tok{r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheWriteTokens}
		if got != want[r.InputTokens] {
			t.Errorf("got %+v, want %+v", got, want[r.InputTokens])
		}
		if r.UnknownUsage != "" {
			t.Errorf("unknown usage %q", r.UnknownUsage)
		}
	}
}
