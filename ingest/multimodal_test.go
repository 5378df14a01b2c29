package ingest

import (
	"strings"
	"testing"
)

// TestMultimodalUsageFields maps each producer's audio and image counts:
// OpenAI chat (prompt_tokens_details / completion_tokens_details), the
// Responses and image APIs (input_tokens_details / output_tokens_details),
// and the canonical top-level fields, which win over the usage object.
// Every expected count is the input's own number (they are subsets, so
// input and output stay the producer's totals).
func TestMultimodalUsageFields(t *testing.T) {
	type media struct{ in, out, audioIn, imageIn, audioOut, imageOut int64 }
	tests := []struct {
		name, line string
		want       media
	}{
		{"openai chat audio",
			`{"session_id":"s","usage":{"prompt_tokens":1000,"completion_tokens":500,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":600},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":400}}}`,
			media{1000, 500, 600, 0, 400, 0}},
		{"openai responses image",
			`{"session_id":"s","usage":{"input_tokens":1200,"output_tokens":4160,"input_tokens_details":{"cached_tokens":0,"text_tokens":200,"image_tokens":1000},"output_tokens_details":{"image_tokens":4160}}}`,
			media{1200, 4160, 0, 1000, 0, 4160}},
		{"top-level fields",
			`{"session_id":"s","input_tokens":50,"output_tokens":20,"audio_input_tokens":10,"image_input_tokens":5,"audio_output_tokens":7,"image_output_tokens":3}`,
			media{50, 20, 10, 5, 7, 3}},
		{"top-level wins over usage",
			`{"session_id":"s","audio_input_tokens":500,"usage":{"prompt_tokens":1000,"completion_tokens":5,"prompt_tokens_details":{"audio_tokens":600,"image_tokens":30}}}`,
			media{1000, 5, 500, 30, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := decodeString(t, tt.line+"\n")
			if len(c.recs) != 1 {
				t.Fatalf("got %d records, notes %+v", len(c.recs), c.notes)
			}
			r := c.recs[0]
			got := media{r.InputTokens, r.OutputTokens, r.AudioInputTokens, r.ImageInputTokens, r.AudioOutputTokens, r.ImageOutputTokens}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestMultimodalInvalid: counts that cannot be parts of the totals make
// the line invalid, never a wrong price.
func TestMultimodalInvalid(t *testing.T) {
	for _, tt := range []struct{ line, reason string }{
		{`{"session_id":"s","input_tokens":10,"audio_input_tokens":6,"image_input_tokens":5}`, "exceed input_tokens"},
		{`{"session_id":"s","output_tokens":10,"reasoning_tokens":4,"audio_output_tokens":7}`, "exceed output_tokens less reasoning"},
		{`{"session_id":"s","usage":{"prompt_tokens":10,"prompt_tokens_details":{"audio_tokens":5},"input_tokens_details":{"audio_tokens":6}}}`, "disagree"},
		{`{"session_id":"s","fast_mode":"yes"}`, "want boolean"},
	} {
		c := decodeString(t, tt.line+"\n")
		if len(c.recs) != 0 || len(c.notes) != 1 || !strings.Contains(c.notes[0].Reason, tt.reason) {
			t.Errorf("%s: records %d, notes %+v; want one invalid line (%q)", tt.line, len(c.recs), c.notes, tt.reason)
		}
	}
}

// TestFastAndUSOnlyFields: the canonical boolean fields set the record's
// billing flags, as usage.speed "fast" and usage.inference_geo "us" do.
func TestFastAndUSOnlyFields(t *testing.T) {
	c := decodeString(t, `{"session_id":"s","fast_mode":true,"us_only":true}
{"session_id":"s","fast_mode":false,"us_only":false}
{"session_id":"s","usage":{"input_tokens":1,"speed":"fast","inference_geo":"us"}}
`)
	if len(c.recs) != 3 {
		t.Fatalf("got %d records, notes %+v", len(c.recs), c.notes)
	}
	for i, want := range []bool{true, false, true} {
		if r := c.recs[i]; r.Fast != want || r.USOnly != want {
			t.Errorf("line %d: fast %v us_only %v, want %v", i+1, r.Fast, r.USOnly, want)
		}
	}
}

// TestUsageBillingValuesNotKnown: a usage speed or inference_geo whose
// value tokcost does not know (or that is not a string) is not read as
// the default silently: the field is named in UnknownUsage (counted in
// input.unknown_usage_fields); a service tier that is not a string is
// TierOther, reported like an unknown tier name. Known values, by hand:
// "standard", "" and absent speed are standard; "global",
// "not_available" and "" are not US-only.
func TestUsageBillingValuesNotKnown(t *testing.T) {
	c := decodeString(t, `{"session_id":"s","usage":{"input_tokens":1,"speed":"standard","inference_geo":"global"}}
{"session_id":"s","usage":{"input_tokens":1,"speed":"","inference_geo":"not_available"}}
{"session_id":"s","usage":{"input_tokens":1,"speed":"turbo","inference_geo":"eu"}}
{"session_id":"s","usage":{"input_tokens":1,"speed":true,"inference_geo":1,"service_tier":2}}
{"session_id":"s","usage":{"input_tokens":1,"speed":null,"inference_geo":null,"service_tier":null}}
`)
	if len(c.recs) != 5 {
		t.Fatalf("got %d records, notes %+v", len(c.recs), c.notes)
	}
	want := []struct {
		unknown string
		tier    ServiceTier
	}{{"", TierStandard}, {"", TierStandard}, {"inference_geo,speed", TierStandard}, {"inference_geo,speed", TierOther}, {"", TierStandard}}
	for i, w := range want {
		r := c.recs[i]
		if r.UnknownUsage != w.unknown || r.ServiceTier != w.tier || r.Fast || r.USOnly {
			t.Errorf("line %d: unknown %q tier %v fast %v us %v; want %q %v false false", i+1, r.UnknownUsage, r.ServiceTier, r.Fast, r.USOnly, w.unknown, w.tier)
		}
	}
}

// TestServerToolUseKeysNotKnown: web searches are billed from
// usage.server_tool_use.web_search_requests, and keys match exactly, so a
// mis-cased key or a tool kind tokcost does not know bought searches for
// $0 with exit 0. They are named in UnknownUsage, as a mis-cased top-level
// token key is (docs/usage.md); so is a mis-cased billing key of the usage
// object itself. Known keys (web_search_requests, web_fetch_requests,
// free beyond its tokens) are not named, with or without top-level tokens
// beside the usage object (which then supply the counts). A server_tool_use
// that is not an object (an array of the object, a count as text) holds
// nothing this reads and is named "server_tool_use"; an empty object and
// null are no searches and name nothing. By hand from each line: the
// searches read are the exact key's value, or 0.
func TestServerToolUseKeysNotKnown(t *testing.T) {
	lines := []string{
		`{"session_id":"s","usage":{"input_tokens":1,"server_tool_use":{"web_search_requests":3,"web_fetch_requests":2}}}`,
		`{"session_id":"s","usage":{"input_tokens":1,"server_tool_use":{"Web_Search_Requests":3}}}`,
		`{"session_id":"s","usage":{"input_tokens":1,"server_tool_use":{"web_search_requests":1,"code_execution_requests":4,"WEB_FETCH_REQUESTS":0}}}`,
		`{"session_id":"s","input_tokens":1,"usage":{"server_tool_use":{"webSearchRequests":5}}}`,
		`{"session_id":"s","usage":{"input_tokens":1,"Server_Tool_Use":{"web_search_requests":6},"Speed":"fast"}}`,
		`{"session_id":"s","usage":{"input_tokens":1,"server_tool_use":[{"web_search_requests":2}]}}`,
		`{"session_id":"s","usage":{"input_tokens":1,"server_tool_use":"2"}}`,
		`{"session_id":"s","usage":{"input_tokens":1,"server_tool_use":7}}`,
		`{"session_id":"s","usage":{"input_tokens":1,"server_tool_use":{}}}`,
		`{"session_id":"s","usage":{"input_tokens":1,"server_tool_use":null}}`,
	}
	want := []struct {
		unknown  string
		searches int64
	}{
		{"", 3},
		{"server_tool_use.Web_Search_Requests", 0},
		{"server_tool_use.WEB_FETCH_REQUESTS,server_tool_use.code_execution_requests", 1},
		{"server_tool_use.webSearchRequests", 0},
		{"Server_Tool_Use,Speed", 0},
		{"server_tool_use", 0},
		{"server_tool_use", 0},
		{"server_tool_use", 0},
		{"", 0},
		{"", 0},
	}
	for i, line := range lines {
		// Nested objects: the fast path declines, the general decoder
		// reads them; the two must agree (differential).
		if differential(t, []byte(line)) {
			t.Errorf("line %d: the fast path took a line with a usage object", i+1)
		}
		c := decodeString(t, line+"\n")
		if len(c.recs) != 1 {
			t.Fatalf("line %d: %d records, notes %+v", i+1, len(c.recs), c.notes)
		}
		if r := c.recs[0]; r.UnknownUsage != want[i].unknown || r.WebSearchRequests != want[i].searches {
			t.Errorf("line %d: unknown %q searches %d; want %q %d", i+1, r.UnknownUsage, r.WebSearchRequests, want[i].unknown, want[i].searches)
		}
	}
}
