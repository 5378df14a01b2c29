package csvfmt

import (
	"bufio"
	"bytes"
	"os"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

func decodeMap(t *testing.T, name string, data []byte, m map[string]string) (*ingesttest.Sink, error) {
	t.Helper()
	s := &ingesttest.Sink{}
	src := &ingest.Source{Name: name, R: bufio.NewReader(bytes.NewReader(data)), Map: m}
	err := Format{}.Decode(src, func() ingest.Sink { return s })
	return s, err
}

// TestCanonical: testdata/canonical.csv by hand. 7 CSV records (the empty
// line between records 3 and 4 is not a CSV record):
//
//	1 header (skipped)
//	2 s1 llm 1200/80, 1000 cached, team=alpha
//	3 s1 tool search, error `no results, "retry"` (a quoted comma and quotes)
//	4 s1 llm 1500/40, 1200 cached, ts as epoch ms 1746093604000 = 2025-05-01T10:00:04Z
//	5 s2 llm 900/100
//	6 invalid: negative input_tokens
//	7 invalid: 6 fields, the header has 11
func TestCanonical(t *testing.T) {
	data, err := os.ReadFile("testdata/canonical.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !(Format{}).Sniff("canonical.csv", data) {
		t.Error("Sniff rejects it")
	}
	s, err := decodeMap(t, "canonical.csv", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	ingesttest.CheckAccounting(t, s, 7)
	if len(s.Recs) != 4 || s.Count(ingest.NoteSkipped) != 1 || s.Count(ingest.NoteInvalid) != 2 {
		t.Fatalf("%d records, notes %+v", len(s.Recs), s.Notes)
	}
	var in, out, cached int64
	for _, r := range s.Recs {
		in += r.InputTokens
		out += r.OutputTokens
		cached += r.CacheReadTokens
	}
	// 1200 + 1500 + 900 = 3600 in; 80 + 40 + 100 = 220 out; 1000 + 1200 = 2200 cached.
	if in != 3600 || out != 220 || cached != 2200 {
		t.Errorf("in %d out %d cached %d", in, out, cached)
	}
	tool := s.Recs[1]
	if tool.Kind != ingest.KindTool || tool.Status != ingest.StatusError || tool.Error != `no results, "retry"` || tool.Attrs["team"] != "alpha" {
		t.Errorf("tool row %+v", tool)
	}
	if r := s.Recs[2]; r.TSNano != 1746093604000*1e6 || r.Line != 4 {
		t.Errorf("epoch-ms row %+v", r)
	}
	reasons := map[string]bool{}
	for _, n := range s.Notes {
		reasons[n.Reason] = true
	}
	if !reasons["negative token count"] || !reasons["wrong number of fields"] {
		t.Errorf("reasons %v", reasons)
	}
}

// TestMapped: testdata/warehouse.csv with --map. By hand: 2 sessions,
// 3 calls, in 2000 + 2600 + 500 = 5100, out 300 + 120 + 50 = 470, cached
// 1500 + 2000 = 3500, recorded cost 0.00415 + 0.003 + 0.0014 = 0.00855;
// Region is an attribute.
func TestMapped(t *testing.T) {
	data, err := os.ReadFile("testdata/warehouse.csv")
	if err != nil {
		t.Fatal(err)
	}
	if (Format{}).Sniff("warehouse.csv", data) {
		t.Error("Sniff accepts a CSV without canonical columns")
	}
	m := map[string]string{"session_id": "Conversation", "ts": "Started At", "model": "LLM", "input_tokens": "Prompt Tokens",
		"output_tokens": "Completion Tokens", "cache_read_tokens": "Cached Prompt Tokens", "cost_usd": "Cost (USD)"}
	s, err := decodeMap(t, "warehouse.csv", data, m)
	if err != nil {
		t.Fatal(err)
	}
	ingesttest.CheckAccounting(t, s, 4)
	var in, out, cached int64
	var cost float64
	sessions := map[string]bool{}
	for _, r := range s.Recs {
		sessions[r.SessionID] = true
		in += r.InputTokens
		out += r.OutputTokens
		cached += r.CacheReadTokens
		cost += r.CostUSD
		if r.Kind != ingest.KindLLM || r.Attrs["Region"] == "" || r.TSNano == 0 || !r.HasCost {
			t.Errorf("record %+v", r)
		}
	}
	if len(sessions) != 2 || len(s.Recs) != 3 || in != 5100 || out != 470 || cached != 3500 || cost < 0.008549999 || cost > 0.008550001 {
		t.Errorf("sessions %d records %d in %d out %d cached %d cost %v", len(sessions), len(s.Recs), in, out, cached, cost)
	}
	// A mapped column missing from the header is an error, not an empty field.
	if _, err := decodeMap(t, "warehouse.csv", data, map[string]string{"session_id": "Thread"}); err == nil {
		t.Error("a mapping to a missing column was accepted")
	}
}

func TestEdges(t *testing.T) {
	tests := []struct {
		name, data    string
		units         int64
		recs, invalid int
	}{
		{"empty", "", 0, 0, 0},
		{"header only", "session_id,input_tokens\n", 1, 0, 0},
		{"bad quote", "session_id,input_tokens\ns,\"1\n", 2, 0, 1},
		{"cache above input", "session_id,input_tokens,cache_read_tokens\ns,5,9\n", 2, 0, 1},
		{"fractional tokens", "session_id,input_tokens\ns,1.5\n", 2, 0, 1},
		{"no session", "session_id,input_tokens\n,5\n", 2, 0, 1},
		{"bad kind", "session_id,kind\ns,robot\n", 2, 0, 1},
		{"crlf", "session_id,input_tokens\r\ns,5\r\n", 2, 1, 0},
		{"whitespace row", "session_id\n  \ns\n", 3, 1, 0}, // the spaces are a blank unit
	}
	for _, tt := range tests {
		s, err := decodeMap(t, tt.name, []byte(tt.data), nil)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if len(s.Recs) != tt.recs || s.Count(ingest.NoteInvalid) != tt.invalid {
			t.Errorf("%s: %d records, notes %+v", tt.name, len(s.Recs), s.Notes)
		}
		ingesttest.CheckAccounting(t, s, tt.units)
	}
	// A quote that never closes swallows every line after it into one CSV
	// record. Counted as one invalid unit, 3,000 lost rows after 300 good
	// ones were a 0.3% invalid share and check passed its 1% default. Every
	// physical line an invalid record spans is an invalid unit.
	swallow := "session_id,input_tokens\ns,1\ns,2\nbad,\"3\nt,4\nt,5\nt,6\n"
	// header 1 + records 2 + lines 4..7 (the bad line and the three it swallowed) = 7 units, 4 invalid.
	if s, err := decodeMap(t, "swallow", []byte(swallow), nil); err != nil || len(s.Recs) != 2 || s.Count(ingest.NoteInvalid) != 4 {
		t.Errorf("swallow: err %v, %d records, notes %+v", err, len(s.Recs), s.Notes)
	} else {
		ingesttest.CheckAccounting(t, s, 7)
	}
	// The quote closes two lines on: one record of lines 4..6 with a wrong
	// tokens field; those three lines are 3 invalid units. 1 + 2 + 3 + 1 (t,7) = 7.
	closes := "session_id,input_tokens\ns,1\ns,2\nbad,\"3\nt,4\nt,5\"\nt,7\n"
	if s, err := decodeMap(t, "closes", []byte(closes), nil); err != nil || len(s.Recs) != 3 || s.Count(ingest.NoteInvalid) != 3 {
		t.Errorf("closes: err %v, %d records, notes %+v", err, len(s.Recs), s.Notes)
	} else {
		ingesttest.CheckAccounting(t, s, 7)
	}
	if _, err := decodeMap(t, "x", []byte("\"session_id,input_tokens\ns,1\n"), nil); err == nil {
		t.Error("an unreadable header was accepted")
	}
}

func FuzzDecode(f *testing.F) {
	for _, p := range []string{"testdata/canonical.csv", "testdata/warehouse.csv"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &ingesttest.Sink{}
		src := &ingest.Source{Name: "f.csv", R: bufio.NewReader(bytes.NewReader(data))}
		if err := (Format{}).Decode(src, func() ingest.Sink { return s }); err != nil {
			return // an unreadable header: the whole input is refused, loudly
		}
		ingesttest.CheckAccounting(t, s, s.Units)
		for _, r := range s.Recs {
			if err := ingest.Validate(&r); err != nil {
				t.Fatalf("record fails validation: %v: %+v", err, r)
			}
		}
	})
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		name, head string
		want       bool
	}{
		{"a.csv", "session_id,input_tokens\ns,1\n", true},
		{"a.csv.gz", "sessionId,kind\n", true},
		{"a.txt", "session_id,input_tokens\n", false},
		{"a.csv", "session_id,model\n", false}, // no step column
		{"a.csv", "input_tokens,output_tokens\n", false},
		// LiteLLM spend logs exported as CSV: cache parts live in metadata.
		{"spend.csv", "request_id,call_type,spend,prompt_tokens,completion_tokens,session_id\n", false},
	} {
		if got := (Format{}).Sniff(c.name, []byte(c.head)); got != c.want {
			t.Errorf("Sniff(%s, %q) = %v", c.name, c.head, got)
		}
	}
}

// TestToolArgsColumns: tool_args and tool_result cells fill the hashes.
func TestToolArgsColumns(t *testing.T) {
	data := []byte("session_id,tool,tool_args,tool_result\ns,read_file,\"{\"\"path\"\":\"\"a.py\"\"}\",abc\ns,read_file,\"{ \"\"path\"\" : \"\"a.py\"\" }\",abc\n")
	s, err := decodeMap(t, "t.csv", data, nil)
	if err != nil || len(s.Recs) != 2 {
		t.Fatalf("%v, %d records, notes %+v", err, len(s.Recs), s.Notes)
	}
	a, b := s.Recs[0], s.Recs[1]
	if a.ToolArgsHash == 0 || a.ToolArgsHash != b.ToolArgsHash || a.ToolArgsLabel != "a.py" ||
		a.ToolResultHash != toolhash.Text("abc") || a.ToolResultBytes != 3 {
		t.Errorf("%+v\n%+v", a, b)
	}
}

// TestServiceTierColumn: a service_tier column is the canonical field, not
// an attribute: batch, "default" (OpenAI's standard) and an unknown value.
func TestServiceTierColumn(t *testing.T) {
	data := []byte("session_id,kind,model,input_tokens,output_tokens,service_tier\ns,llm,gpt-4o,10,1,batch\ns,llm,gpt-4o,10,1,default\ns,llm,gpt-4o,10,1,turbo\n")
	s, err := decodeMap(t, "t.csv", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []ingest.ServiceTier{ingest.TierBatch, ingest.TierStandard, ingest.TierOther}
	if len(s.Recs) != len(want) {
		t.Fatalf("%d records", len(s.Recs))
	}
	for i, w := range want {
		if r := s.Recs[i]; r.ServiceTier != w || r.Attrs["service_tier"] != "" {
			t.Errorf("row %d: tier %v attrs %v, want %v", i, r.ServiceTier, r.Attrs, w)
		}
	}
}
