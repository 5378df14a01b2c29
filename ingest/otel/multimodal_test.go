package otel

import (
	"bufio"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestMultimodalAttributes maps the usage breakdown of
// open-telemetry/semantic-conventions-genai (gen_ai.usage.{audio,image}.
// {input,output}_tokens, parts of input and output) and OpenInference's
// llm.token_count.{prompt,completion}_details.audio onto the record, and
// reads the text and cached-media parts as known (not "unknown usage").
// Expected counts are the attributes' own values.
func TestMultimodalAttributes(t *testing.T) {
	kv := func(k, v string) string { return `{"key":"` + k + `","value":{"intValue":"` + v + `"}}` }
	span := func(id string, attrs ...string) string {
		attrs = append([]string{`{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}}`,
			`{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-audio-preview"}}`}, attrs...)
		return `{"traceId":"0af7651916cd43dd8448eb211c80319` + id + `","spanId":"b7ad6b716920333` + id + `","name":"chat","startTimeUnixNano":"174800000` + id + `000000000","endTimeUnixNano":"174800000` + id + `100000000","attributes":[` + strings.Join(attrs, ",") + `]}`
	}
	line := `{"resourceSpans":[{"scopeSpans":[{"spans":[` +
		span("1", kv("gen_ai.usage.input_tokens", "300"), kv("gen_ai.usage.output_tokens", "90"),
			kv("gen_ai.usage.text.input_tokens", "100"), kv("gen_ai.usage.image.input_tokens", "150"), kv("gen_ai.usage.audio.input_tokens", "50"),
			kv("gen_ai.usage.text.cache_read.input_tokens", "40"), kv("gen_ai.usage.cache_read.input_tokens", "40"),
			kv("gen_ai.usage.text.output_tokens", "20"), kv("gen_ai.usage.audio.output_tokens", "60"), kv("gen_ai.usage.image.output_tokens", "10")) + "," +
		span("2", kv("llm.token_count.prompt", "70"), kv("llm.token_count.completion", "30"),
			kv("llm.token_count.prompt_details.audio", "25"), kv("llm.token_count.completion_details.audio", "12")) +
		`]}]}]}` + "\n"
	sink := decodeSource(t, mustLookup(t, "otlp"), &ingest.Source{Name: "x.jsonl", R: bufio.NewReader(strings.NewReader(line))})
	if len(sink.recs) != 2 {
		t.Fatalf("records %+v notes %+v", sink.recs, sink.notes)
	}
	type media struct{ in, out, audioIn, imageIn, audioOut, imageOut int64 }
	want := map[int64]media{300: {300, 90, 50, 150, 60, 10}, 70: {70, 30, 25, 0, 12, 0}}
	for _, r := range sink.recs {
		got := media{r.InputTokens, r.OutputTokens, r.AudioInputTokens, r.ImageInputTokens, r.AudioOutputTokens, r.ImageOutputTokens}
		if got != want[r.InputTokens] {
			t.Errorf("got %+v, want %+v", got, want[r.InputTokens])
		}
		if r.UnknownUsage != "" {
			t.Errorf("unknown usage %q: the breakdown's text and cached parts are known", r.UnknownUsage)
		}
	}
}
