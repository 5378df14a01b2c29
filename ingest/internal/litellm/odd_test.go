package litellm

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestOddUsage pins what Parse makes of JSON LiteLLM does not write but a
// damaged or hand-edited log may hold, so that the decoder under it can
// change without changing it (docs/usage.md, "Odd JSON in a LiteLLM usage
// object"). Each want is the rule stated beside it: "in out read" of the
// record, "no usage" for ErrNoUsage, or the error's text.
func TestOddUsage(t *testing.T) {
	deep := strings.Repeat("[", 400) + strings.Repeat("]", 400)
	for _, tc := range []struct{ name, usage, want string }{
		// A repeated key: the last one counts, as Python's json (LiteLLM)
		// reads it. Changed: earlier builds' shared rules read the first (5).
		{"duplicate keys", `{"prompt_tokens":5,"prompt_tokens":7,"completion_tokens":1}`, "7 1 0"},
		// A type error in any copy of a repeated key is an error.
		{"duplicate key, first of the wrong type", `{"prompt_tokens":"x","prompt_tokens":5}`, "usage.prompt_tokens: not a token count (string)"},
		// Keys match exactly: a mis-cased key is another key, not read.
		// Changed: earlier builds matched it case-insensitively for the type
		// check and for "is there usage" (but not for the counts), so
		// {"Prompt_Tokens":5} was a call of 0 tokens and "x" a wrong type.
		{"mis-cased key beside counts", `{"Prompt_Tokens":5,"completion_tokens":1}`, "0 1 0"},
		{"mis-cased key alone", `{"Prompt_Tokens":5}`, "no usage"},
		{"mis-cased key of the wrong type", `{"PROMPT_TOKENS":"x","completion_tokens":1}`, "0 1 0"},
		// A count is an integer that fits in int64 and below 2^32; anything
		// else names the field and the value as encoding/json does.
		{"count as string", `{"prompt_tokens":"5"}`, "usage.prompt_tokens: not a token count (string)"},
		{"count 1.5", `{"prompt_tokens":1.5}`, "usage.prompt_tokens: not a token count (number 1.5)"},
		{"count 1e3", `{"prompt_tokens":1e3}`, "usage.prompt_tokens: not a token count (number 1e3)"},
		{"count over int64", `{"prompt_tokens":100000000000000000000}`, "usage.prompt_tokens: not a token count (number 100000000000000000000)"},
		// Refused by Fill's own bound (2^32 and up) before the shared rules
		// see it: the wording changed when Fill got the bound (session 8).
		{"count 2^32 + 705,032,704", `{"prompt_tokens":5000000000}`, "usage.prompt_tokens: too large"},
		{"negative count", `{"prompt_tokens":-1}`, "usage.prompt_tokens: negative"},
		{"nested count as string", `{"prompt_tokens":5,"prompt_tokens_details":{"cached_tokens":"2"}}`, "usage.prompt_tokens_details.cached_tokens: not a token count (string)"},
		{"deeper count as bool", `{"prompt_tokens":5,"prompt_tokens_details":{"cache_creation_token_details":{"ephemeral_1h_input_tokens":true}}}`,
			"usage.prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens: not a token count (bool)"},
		{"details as number", `{"prompt_tokens":5,"prompt_tokens_details":5}`, "usage.prompt_tokens_details: not a token count (number)"},
		{"usage as array", `[]`, "usage.: not a token count (array)"},
		{"usage as string", `"x"`, "usage.: not a token count (string)"},
		// The first wrong field in the document is the one named.
		{"two wrong fields", `{"completion_tokens":"a","prompt_tokens":true}`, "usage.completion_tokens: not a token count (string)"},
		// A field the shared rules read (docs/usage.md) is checked by them.
		{"total as string", `{"prompt_tokens":5,"total_tokens":"x"}`, "usage.total_tokens: wrong type (want number)"},
		// A field no rule reads may hold anything.
		{"unread field of any type", `{"prompt_tokens":5,"foo":"x"}`, "5 0 0"},
		// null is missing.
		{"null usage", `null`, "no usage"},
		{"null counts", `{"prompt_tokens":null,"completion_tokens":null}`, "no usage"},
		{"null details", `{"prompt_tokens":5,"prompt_tokens_details":null}`, "5 0 0"},
		// Counts that contradict each other are returned as read, for the
		// reader to report with its own reason.
		{"cache above prompt", `{"prompt_tokens":5,"completion_tokens":1,"cache_read_input_tokens":9}`, "5 1 9"},
		// Not RFC 8259: the standard library's message.
		{"leading zero", `{"prompt_tokens":01}`, "invalid character '1' after object key:value pair"},
		// Nesting deeper than 300 levels is an error (the decoder's limit).
		{"deep nesting", `{"prompt_tokens":5,"x":` + deep + `}`, "too big depth"},
		// Changed: earlier builds checked the depth last, so an object
		// without counts was ErrNoUsage and one with contradicting counts
		// was returned without error.
		{"deep nesting without counts", `{"x":` + deep + `}`, "too big depth"},
		{"deep nesting, cache above prompt", `{"prompt_tokens":5,"cache_read_input_tokens":9,"x":` + deep + `}`, "too big depth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r ingest.Record
			err := Parse([]byte(tc.usage), &r)
			got := fmt.Sprintf("%d %d %d", r.InputTokens, r.OutputTokens, r.CacheReadTokens)
			switch {
			case errors.Is(err, ErrNoUsage):
				got = "no usage"
			case err != nil:
				got = err.Error()
			}
			if got != tc.want && !(strings.HasPrefix(tc.want, "too big") && strings.Contains(got, tc.want)) {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
