package sweagent

import (
	"bufio"
	"fmt"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
)

func oddUnits(s *ingesttest.Sink) []string {
	return ingesttest.Units(s, func(r *ingest.Record) string {
		return fmt.Sprintf("llm %q in=%d out=%d calls=%d cost=%v exit=%q version=%q instance=%q", r.Model, r.InputTokens, r.OutputTokens, r.Calls, r.CostUSD, r.Attrs["exit_status"], r.Attrs["version"], r.Attrs["instance"])
	})
}

// TestOddJSON pins how odd JSON is read. Written against the
// encoding/json reader before the move to fastjson: each expected value
// is encoding/json's rule for the info, model_stats (*float64 fields) and
// replay_config structs, stated beside it. The file is x.traj, so the
// instance is "x" unless replay_config names one.
func TestOddJSON(t *testing.T) {
	const ms = `"model_stats":{"tokens_sent":10,"tokens_received":2,"api_calls":1}`
	rec := `llm "" in=10 out=2 calls=1 cost=0 exit="" version="" instance="x"`
	tests := []struct{ name, doc, want string }{
		// The last of two equal keys wins, at the top level too.
		{"duplicate key", `{"info":{"exit_status":"a","exit_status":"b",` + ms + `}}`, `llm "" in=10 out=2 calls=1 cost=0 exit="b" version="" instance="x"`},
		{"duplicate info", `{"info":{"exit_status":"a"},"info":{` + ms + `}}`, rec},
		{"duplicate count", `{"info":{"model_stats":{"tokens_sent":1,"tokens_sent":10,"tokens_received":2,"api_calls":1}}}`, rec},
		// null is missing.
		{"null info", `{"info":null}`, `invalid no info.model_stats: `},
		{"null exit", `{"info":{"exit_status":null,` + ms + `}}`, rec},
		{"null count", `{"info":{"model_stats":{"tokens_sent":null,"tokens_received":2,"api_calls":1}}}`, `invalid info.model_stats lacks tokens_sent, tokens_received or api_calls: `},
		{"null replay", `{"info":{` + ms + `},"replay_config":null}`, rec},
		// A wrong type in info is malformed, worded by encoding/json.
		{"exit number", `{"info":{"exit_status":5,` + ms + `}}`, `invalid malformed json: info: json: cannot unmarshal number into Go struct field info.exit_status of type string`},
		{"version array", `{"info":{"swe_agent_version":[1],` + ms + `}}`, `invalid malformed json: info: json: cannot unmarshal array into Go struct field info.swe_agent_version of type string`},
		{"info array", `{"info":[1]}`, `invalid malformed json: info: json: cannot unmarshal array into Go value of type sweagent.info`},
		{"info string", `{"info":"x"}`, `invalid malformed json: info: json: cannot unmarshal string into Go value of type sweagent.info`},
		// A wrong type in model_stats makes it bad.
		{"count string", `{"info":{"model_stats":{"tokens_sent":"10","tokens_received":2,"api_calls":1}}}`, `invalid bad info.model_stats: `},
		{"count beyond float", `{"info":{"model_stats":{"tokens_sent":1e999,"tokens_received":2,"api_calls":1}}}`, `invalid bad info.model_stats: `},
		{"stats not object", `{"info":{"model_stats":[1]}}`, `invalid no info.model_stats: `},
		// Numbers are read as float64: 1e1 is 10, a huge count is too large.
		{"exponent", `{"info":{"model_stats":{"tokens_sent":1e1,"tokens_received":2,"api_calls":1}}}`, rec},
		{"huge count", `{"info":{"model_stats":{"tokens_sent":99999999999999999999,"tokens_received":2,"api_calls":1}}}`, `invalid bad tokens_sent: token count too large: `},
		// replay_config: a wrong type costs the model name and instance only.
		{"replay number", `{"info":{` + ms + `},"replay_config":5}`, rec},
		{"replay model number", `{"info":{` + ms + `},"replay_config":"{\"agent\":{\"model\":{\"name\":5}},\"problem_statement\":{\"id\":\"i\"}}"}`, `llm "" in=10 out=2 calls=1 cost=0 exit="" version="" instance="i"`},
		{"replay object", `{"info":{` + ms + `},"replay_config":{"agent":{"model":{"name":"m"}}}}`, `llm "m" in=10 out=2 calls=1 cost=0 exit="" version="" instance="x"`},
		{"replay not json", `{"info":{` + ms + `},"replay_config":"{x"}`, rec},
		// The document: a break, or anything after it.
		{"trailing", `{"info":{` + ms + `}} 1`, `invalid not a trajectory object: expected a JSON object`},
		{"bad value", `{"trajectory":[1,],"info":{` + ms + `}}`, `invalid malformed json: invalid character ']' looking for beginning of value`},
		{"truncated", `{"trajectory":[1`, `invalid malformed json: unexpected EOF`},
		{"unclosed", `{"info":{` + ms + `}`, `invalid malformed json: EOF`},
		{"BOM", "\ufeff{}", `invalid malformed json: invalid character 'ï' looking for beginning of value`},
		{"key not string", `{1:2}`, `invalid malformed json: invalid character '1'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ingesttest.Decode(t, Format{}, "x.traj", []byte(tt.doc))
			if got := oddUnits(s); len(got) != 1 || got[0] != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			ingesttest.CheckAccounting(t, s, 1)
		})
	}
}

// TestOddJSONChanged pins the rows the move to fastjson changes on purpose.
func TestOddJSONChanged(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		// encoding/json matched keys case-insensitively: "Exit_Status" was
		// exit_status (exit "a"); now it is another key.
		{"mis-cased key", `{"info":{"Exit_Status":"a","model_stats":{"tokens_sent":10,"tokens_received":2,"api_calls":1}}}`, `llm "" in=10 out=2 calls=1 cost=0 exit="" version="" instance="x"`},
		// encoding/json decoded a repeated object into the one it had (model
		// "m" stayed); now the last "agent" is the value, without a model.
		{"repeated object", `{"info":{"model_stats":{"tokens_sent":10,"tokens_received":2,"api_calls":1}},"replay_config":{"agent":{"model":{"name":"m"}},"agent":{}}}`, `llm "" in=10 out=2 calls=1 cost=0 exit="" version="" instance="x"`},
		// encoding/json read 10,000 levels of nesting; fastjson stops at 300
		// (worded short, as fjson.Parse words it: TestParseDepth).
		{"deep info", `{"info":{"x":` + strings.Repeat("[", 400) + strings.Repeat("]", 400) + `}}`, `invalid malformed json: too big depth: nested more than 300 levels`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := oddUnits(ingesttest.Decode(t, Format{}, "x.traj", []byte(tt.doc))); len(got) != 1 || got[0] != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTooLong: a top-level value longer than --max-line-bytes (here 1
// KiB, the least) makes the document invalid "line too long", where
// encoding/json held any size; memory stays within the bound.
func TestTooLong(t *testing.T) {
	doc := `{"trajectory":"` + strings.Repeat("x", 2000) + `","info":{"model_stats":{"tokens_sent":10,"tokens_received":2,"api_calls":1}}}`
	s := &ingesttest.Sink{}
	src := &ingest.Source{Name: "x.traj", R: bufio.NewReader(strings.NewReader(doc)), MaxLineBytes: 1 << 10}
	if err := (Format{}).Decode(src, func() ingest.Sink { return s }); err != nil {
		t.Fatal(err)
	}
	if got, want := oddUnits(s), []string{`invalid line too long: a JSON value longer than 1024 bytes (--max-line-bytes)`}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestUnknownTokenKeys: model_stats keys that name tokens but are not read
// are named in Record.UnknownUsage. By hand: tokens_sent 10, tokens_received
// 2 are read; "Tokens_Received" (mis-cased) and "cache_read_tokens" (no
// such key) are named, sorted as bytes ('T' before 'c'); total_cost and
// instance_cost are not tokens.
func TestUnknownTokenKeys(t *testing.T) {
	doc := `{"info":{"model_stats":{"tokens_sent":10,"tokens_received":2,"Tokens_Received":3,"cache_read_tokens":4,"api_calls":1,"total_cost":0.1,"instance_cost":0.1}}}`
	s := ingesttest.Decode(t, Format{}, "x.traj", []byte(doc))
	if len(s.Recs) != 1 {
		t.Fatalf("notes %+v", s.Notes)
	}
	if r := s.Recs[0]; r.InputTokens != 10 || r.OutputTokens != 2 || r.UnknownUsage != "Tokens_Received,cache_read_tokens" {
		t.Errorf("in %d out %d unknown %q", r.InputTokens, r.OutputTokens, r.UnknownUsage)
	}
}
