package pricing

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Claude-Sonnet-4-5-20250929 ", "claude-sonnet-4-5-20250929"},
		{"anthropic/claude-opus-4-6", "claude-opus-4-6"},
		{"openai/gpt-5.4-mini", "gpt-5.4-mini"}, // dots are kept: gpt-5.4 is not gpt-5-4
		{"openrouter/anthropic/claude-sonnet-4.5", "claude-sonnet-4.5"},
		{"azure/gpt-4o", "gpt-4o"},
		{"google/gemini-2.5-pro", "gemini-2.5-pro"},
		{"models/gemini-2.5-pro", "gemini-2.5-pro"}, // Gemini API's resource name
		// Bedrock: region prefix, vendor prefix, version suffix.
		{"us.anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku-20241022"},
		{"eu.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022"},
		{"apac.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4-20250514"},
		{"global.anthropic.claude-opus-4-5-20251101-v1:0", "claude-opus-4-5-20251101"},
		{"anthropic.claude-opus-4-6-v1", "claude-opus-4-6"},
		{"bedrock/us-east-1/anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku-20240307"},
		{"bedrock/converse/us.anthropic.claude-sonnet-4-6", "claude-sonnet-4-6"},
		// Vertex: @date becomes -date; @default goes.
		{"vertex_ai/claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet-v2-20241022"},
		{"claude-opus-4-1@20250805", "claude-opus-4-1-20250805"},
		{"vertex_ai/claude-opus-4-6@default", "claude-opus-4-6"},
		// Not stripped: unknown namespaces, a region without a vendor, "-v1" without "anthropic.".
		{"acme/claude-opus-4-6", "acme/claude-opus-4-6"},
		{"us.my-model", "us.my-model"},
		{"mistral-7b-instruct-v1", "mistral-7b-instruct-v1"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStripDate(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"claude-sonnet-4-6-20260217", "claude-sonnet-4-6", true},
		{"gpt-5.4-mini-2026-03-17", "gpt-5.4-mini", true},
		{"gpt-5.4-mini", "gpt-5.4-mini", false},
		{"model-2026031", "model-2026031", false}, // 7 digits is not a date
		{"-20260217", "-20260217", false},         // nothing left
	}
	for _, tt := range tests {
		got, ok := stripDate(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("stripDate(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"us.anthropic.claude-3-5-haiku-20241022-v1:0", "vertex_ai/claude-3-5-sonnet-v2@20241022",
		"bedrock/us-east-1/invoke/anthropic.x-v2:0", "models/gemini-2.5-pro", "gpt-5.4-mini-2026-03-17", "anthropic/", "@default"} {
		f.Add(s, "gemini")
	}
	tb := Embedded()
	f.Fuzz(func(t *testing.T, model, provider string) {
		n := Normalize(model)
		if len(n) > len(strings.ToLower(strings.TrimSpace(model))) {
			t.Errorf("Normalize(%q) = %q grew the id", model, n)
		}
		m, ok := tb.Lookup(model, provider, 0)
		if ok {
			if _, exists := tb.History(m.Key); !exists {
				t.Errorf("Lookup(%q) = key %q not in the table", model, m.Key)
			}
		}
		x := tb.Explain(model, provider, 0)
		if x.OK != ok || x.Match != m {
			t.Errorf("Explain(%q) = %+v, Lookup = %+v, %v", model, x.Match, m, ok)
		}
	})
}

// Resource-path model ids: the documented wrapper is stripped, then the id
// inside is looked up exactly as any other (docs/pricing.md). Each want is
// a key of the embedded table, found by hand in table_gen.json; the
// wrapped id alone resolves to the same key (second column), so the
// wrapper changes nothing but its own removal.
func TestResourcePathIDs(t *testing.T) {
	tests := []struct{ in, bare, key string }{
		// A Vertex path is a Vertex call: the bare key, which is LiteLLM's
		// Vertex price, as for "vertex_ai/gemini-2.5-flash" (not the Gemini
		// API's "gemini/gemini-2.5-flash" a bare id gets).
		{"projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.5-flash", "vertex_ai/gemini-2.5-flash", "gemini-2.5-flash"},
		{"publishers/google/models/gemini-2.5-flash", "vertex_ai/gemini-2.5-flash", "gemini-2.5-flash"},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0",
			"us.anthropic.claude-3-5-sonnet-20241022-v2:0", "us.anthropic.claude-3-5-sonnet-20241022-v2:0"},
		{"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
			"anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"},
		{"arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
			"anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"},
		{"/openai/deployments/gpt-4o-2024-08-06", "gpt-4o-2024-08-06", "gpt-4o-2024-08-06"},
		{"azureml://registries/azure-openai/models/gpt-4o/versions/2024-08-06", "gpt-4o-2024-08-06", "gpt-4o-2024-08-06"},
	}
	tab := Embedded()
	for _, tt := range tests {
		m, ok := tab.Lookup(tt.in, "", 0)
		b, bok := tab.Lookup(tt.bare, "", 0)
		if !ok || m.Key != tt.key || !bok || b.Key != m.Key {
			t.Errorf("Lookup(%q) = %q %v; bare %q = %q %v; want %q", tt.in, m.Key, ok, tt.bare, b.Key, bok, tt.key)
		}
	}
	// Opaque resources name no model: unpriced, never guessed. Nor is a
	// wrapper matched anywhere but whole.
	for _, id := range []string{
		"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4",
		"projects/p/locations/l/endpoints/1234567890",
		"/openai/deployments/my-team-chat",
		"x-projects/p/locations/l/publishers/google/models/gemini-2.5-flash",
		"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0/extra",
	} {
		if m, ok := tab.Lookup(id, "", 0); ok {
			t.Errorf("Lookup(%q) = %q, want unpriced", id, m.Key)
		}
	}
}
