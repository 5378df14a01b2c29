package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// collect is a Sink that keeps everything, safe for the parallel decoder.
type collect struct {
	mu    sync.Mutex
	recs  []Record
	notes []Note
	lines int64
}

type collectSink struct{ c *collect }

func (s collectSink) Record(r *Record) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	cp := *r
	cp.Attrs = map[string]string{}
	for k, v := range r.Attrs {
		cp.Attrs[k] = v
	}
	s.c.recs = append(s.c.recs, cp)
}
func (s collectSink) Note(n Note) { s.c.mu.Lock(); s.c.notes = append(s.c.notes, n); s.c.mu.Unlock() }
func (s collectSink) Lines(n int64) {
	s.c.mu.Lock()
	s.c.lines += n
	s.c.mu.Unlock()
}

func decodeString(t *testing.T, input string) *collect {
	t.Helper()
	c := &collect{}
	src := &Source{Name: "in.jsonl", R: bufio.NewReader(strings.NewReader(input))}
	if err := (jsonlFormat{}).Decode(src, func() Sink { return collectSink{c} }); err != nil {
		t.Fatal(err)
	}
	sort.Slice(c.recs, func(i, j int) bool { return c.recs[i].Line < c.recs[j].Line })
	sort.Slice(c.notes, func(i, j int) bool { return c.notes[i].Line < c.notes[j].Line })
	return c
}

func TestCanonicalFieldsAndAliases(t *testing.T) {
	tests := []struct {
		name string
		line string
		want Record
	}{
		{"all canonical fields",
			`{"id":"e1","session_id":"s1","seq":3,"ts":"2025-01-02T03:04:05.5Z","duration_ms":1500,"kind":"llm","model":"gpt-4o","provider":"openai","input_tokens":1000,"output_tokens":300,"cache_read_tokens":400,"cache_write_tokens":100,"reasoning_tokens":50,"role":"planner","workflow":"wf","cost_usd":0.01}`,
			// ts: 2025-01-02T03:04:05.5Z = 1735787045.5 s since the epoch (date -d @1735787045 → 2025-01-02 03:04:05 UTC).
			Record{ID: "e1", SessionID: "s1", Seq: 3, HasSeq: true, TSNano: 1735787045_500_000_000, DurationMS: 1500, Kind: KindLLM,
				Model: "gpt-4o", Provider: "openai", InputTokens: 1000, OutputTokens: 300, CacheReadTokens: 400, CacheWriteTokens: 100,
				ReasoningTokens: 50, Role: "planner", Workflow: "wf", CostUSD: 0.01, HasCost: true}},
		{"aliases and epoch-ms ts",
			`{"sessionId":"s2","timestamp":1735787045500,"prompt_tokens":10,"completion_tokens":5,"model":"m"}`,
			// Kind inferred llm (it has tokens); epoch ms 1735787045500 = the same instant as above.
			Record{SessionID: "s2", TSNano: 1735787045_500_000_000, Kind: KindLLM, Model: "m", InputTokens: 10, OutputTokens: 5}},
		{"epoch ms beyond float64's exact range once scaled to ns",
			`{"session_id":"s2","ts":1793610000250,"kind":"llm"}`,
			// 1,793,610,000,250 ms = 1,793,610,000,250,000,000 ns exactly; ms·1e6 in
			// float64 would land 128 ns early.
			Record{SessionID: "s2", TSNano: 1793610000250000000, Kind: KindLLM}},
		{"conversation_id alias, tool inferred, status from error",
			`{"conversation_id":"s3","tool":"search","error":"boom"}`,
			Record{SessionID: "s3", Kind: KindTool, Tool: "search", Status: StatusError, Error: "boom"}},
		{"explicit ok status keeps ok despite an error text",
			`{"session_id":"s3","kind":"tool","tool":"t","status":"ok","error":"warning only"}`,
			Record{SessionID: "s3", Kind: KindTool, Tool: "t", Status: StatusOK, Error: "warning only"}},
		{"openai chat usage object (inclusive)",
			`{"session_id":"s4","model":"gpt-4o","usage":{"prompt_tokens":1200,"completion_tokens":203,"prompt_tokens_details":{"cached_tokens":1000},"completion_tokens_details":{"reasoning_tokens":192}}}`,
			Record{SessionID: "s4", Kind: KindLLM, Model: "gpt-4o", InputTokens: 1200, OutputTokens: 203, CacheReadTokens: 1000, ReasoningTokens: 192}},
		{"openai responses usage object",
			`{"session_id":"s5","model":"gpt-5","usage":{"input_tokens":900,"output_tokens":100,"input_tokens_details":{"cached_tokens":800},"output_tokens_details":{"reasoning_tokens":60}}}`,
			Record{SessionID: "s5", Kind: KindLLM, Model: "gpt-5", InputTokens: 900, OutputTokens: 100, CacheReadTokens: 800, ReasoningTokens: 60}},
		{"anthropic usage object (exclusive input made inclusive)",
			`{"session_id":"s6","model":"claude-opus-4-6","usage":{"input_tokens":3,"cache_creation_input_tokens":13835,"cache_read_input_tokens":11515,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":13835},"output_tokens":13}}`,
			// Inclusive input = 3 + 13,835 + 11,515 = 25,353 (docs/formats/claude-code.md example line).
			Record{SessionID: "s6", Kind: KindLLM, Model: "claude-opus-4-6", InputTokens: 25353, OutputTokens: 13, CacheReadTokens: 11515,
				CacheWriteTokens: 13835, CacheWrite1hTokens: 13835}},
		{"unknown fields become attributes, nulls are absent",
			`{"session_id":"s7","kind":"llm","team":"search","tier":2,"beta":true,"nested":{"x":1},"model":null}`,
			Record{SessionID: "s7", Kind: KindLLM, Attrs: map[string]string{"team": "search", "tier": "2", "beta": "true"}}},
		{"error_class given, and recognised from the text when not",
			`{"session_id":"e","kind":"tool","tool":"t","status":"error","error":"x","error_class":"user_rejected"}`,
			Record{SessionID: "e", Kind: KindTool, Tool: "t", Status: StatusError, Error: "x", ErrorClass: ErrorUserRejected}},
		{"sibling cascade recognised from its text",
			`{"session_id":"e","kind":"tool","tool":"t","error":"<tool_use_error>Sibling tool call errored</tool_use_error>"}`,
			Record{SessionID: "e", Kind: KindTool, Tool: "t", Status: StatusError, Error: "<tool_use_error>Sibling tool call errored</tool_use_error>", ErrorClass: ErrorSiblingCancel}},
		{"numeric session id",
			`{"session_id":42,"kind":"llm"}`,
			Record{SessionID: "42", Kind: KindLLM}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := decodeString(t, tt.line+"\n")
			if len(c.notes) != 0 {
				t.Fatalf("unexpected notes: %+v", c.notes)
			}
			if len(c.recs) != 1 {
				t.Fatalf("got %d records, want 1", len(c.recs))
			}
			got := c.recs[0]
			want := tt.want
			want.File, want.Line = "in.jsonl", 1
			if want.Attrs == nil {
				want.Attrs = map[string]string{}
			}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestInvalidLinesAreCountedWithReasons(t *testing.T) {
	input := strings.Join([]string{
		`{"session_id":"ok","kind":"llm","input_tokens":5}`, // 1 record
		``,                                      // 2 blank
		`   `,                                   // 3 blank
		`{"session_id":"x","input_tokens":`,     // 4 malformed
		`[1,2]`,                                 // 5 not an object
		`{"kind":"llm","input_tokens":5}`,       // 6 missing session_id
		`{"session_id":"x","input_tokens":"5"}`, // 7 wrong type
		`{"session_id":"x","input_tokens":-1}`,  // 8 negative
		`{"session_id":"x","input_tokens":1e400}`,                     // 9 non-finite
		`{"session_id":"x","input_tokens":1.5}`,                       // 10 fractional
		`{"session_id":"x","input_tokens":10,"cache_read_tokens":20}`, // 11 cache > input
		`{"session_id":"x","output_tokens":10,"reasoning_tokens":20}`, // 12 reasoning > output
		`{"session_id":"x","ts":"9999-01-01T00:00:00Z"}`,              // 13 record: a bad time (beyond int64 ns) loses no tokens
		`{"session_id":"x","kind":"agent"}`,                           // 14 unknown kind
		`{"session_id":"x","status":"meh"}`,                           // 15 unknown status
		"{\"session_id\":\"\xff\xfe\"}",                               // 16 invalid utf-8
		`{"session_id":"x","input_tokens":5000000000}`,                // 17 too large (> 2^32)
		`{"session_id":"x","cost_usd":-1}`,                            // 18 bad cost
		`{"session_id":"ok2","kind":"tool","tool":"t"}`,               // 19 record, no trailing newline
	}, "\n")
	c := decodeString(t, input)
	// 19 lines: records on lines 1, 13 and 19, blanks on 2 and 3, the other 14 invalid.
	if c.lines != 19 {
		t.Errorf("lines = %d, want 19", c.lines)
	}
	if len(c.recs) != 3 || c.recs[0].Line != 1 || c.recs[1].Line != 13 || c.recs[2].Line != 19 {
		t.Errorf("records on lines %v, want [1 13 19]", recLines(c.recs))
	} else if r := c.recs[1]; !r.TSUnreadable || r.TSNano != 0 {
		t.Errorf("line 13: unreadable %v ts %d, want true and 0", r.TSUnreadable, r.TSNano)
	}
	wantReasons := map[int64]string{
		4: "malformed json", 5: "not a json object", 6: "missing session_id", 7: "wrong type (want number)",
		8: "negative token count", 9: "non-finite number", 10: "fractional token count",
		11: "cache tokens exceed input_tokens (input must include cache reads and writes)",
		12: "reasoning tokens exceed output_tokens (output must include reasoning)",
		14: "unknown kind (want llm or tool)",
		15: "unknown status (want ok, error or timeout)", 16: "invalid utf-8", 17: "token count too large", 18: "bad cost_usd",
	}
	blank := 0
	for _, n := range c.notes {
		switch n.Kind {
		case NoteBlank:
			blank++
		case NoteInvalid:
			if want := wantReasons[n.Line]; n.Reason != want {
				t.Errorf("line %d: reason %q, want %q", n.Line, n.Reason, want)
			}
			if n.File != "in.jsonl" {
				t.Errorf("line %d: file %q", n.Line, n.File)
			}
			delete(wantReasons, n.Line)
		default:
			t.Errorf("unexpected note %+v", n)
		}
	}
	if blank != 2 {
		t.Errorf("blank = %d, want 2", blank)
	}
	for line, reason := range wantReasons {
		t.Errorf("line %d: no invalid note, want %q", line, reason)
	}
}

func recLines(rs []Record) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.Line)
	}
	return out
}

// TestChunkBoundariesAndLongLines checks that line numbers stay right
// across chunk boundaries and that a line far longer than a chunk (a 5 MB
// error message) is one valid record.
func TestChunkBoundariesAndLongLines(t *testing.T) {
	var b strings.Builder
	const n = 120000 // ~6 MB of short lines: several 4 MiB chunks
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"session_id":"s%d","seq":%d,"kind":"llm","input_tokens":%d}`+"\n", i%7, i, i)
	}
	huge := strings.Repeat("x", 5<<20)
	fmt.Fprintf(&b, `{"session_id":"big","kind":"tool","tool":"parse","error":"%s"}`+"\n", huge)
	fmt.Fprintf(&b, `{"session_id":"after","kind":"llm"}`+"\n")
	c := decodeString(t, b.String())
	if len(c.notes) != 0 {
		t.Fatalf("notes: %+v", c.notes[:min(3, len(c.notes))])
	}
	if c.lines != n+2 || len(c.recs) != n+2 {
		t.Fatalf("lines %d, records %d, want %d", c.lines, len(c.recs), n+2)
	}
	for i, r := range c.recs[:n] {
		// Line i+1 holds seq i+1 and input_tokens i+1, by construction.
		if r.Line != int64(i+1) || r.Seq != int64(i+1) || r.InputTokens != int64(i+1) {
			t.Fatalf("record %d: line %d seq %d input %d", i, r.Line, r.Seq, r.InputTokens)
		}
	}
	if got := c.recs[n]; got.Line != n+1 || len(got.Error) != 5<<20 || got.Status != StatusError {
		t.Errorf("huge line: line %d, error length %d", got.Line, len(got.Error))
	}
	if got := c.recs[n+1]; got.Line != n+2 || got.SessionID != "after" {
		t.Errorf("line after the huge one: %+v", got)
	}
}

func TestOpenSourceDecompressesByMagic(t *testing.T) {
	dir := t.TempDir()
	content := `{"session_id":"a","kind":"llm"}` + "\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(content))
	zw.Close()
	zs, _ := zstd.NewWriter(nil)
	files := map[string][]byte{
		"plain.jsonl": []byte(content),
		"gz.data":     gz.Bytes(), // no .gz extension: detected by magic bytes
		"z.jsonl.zst": zs.EncodeAll([]byte(content), nil),
		"broken.gz":   {0x1f, 0x8b, 0x00},
	}
	for name, data := range files {
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	for name, wantComp := range map[string]string{"plain.jsonl": "", "gz.data": "gzip", "z.jsonl.zst": "zstd"} {
		src, err := OpenSource(filepath.Join(dir, name), 0, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if src.Compression != wantComp || string(src.Head()) != content {
			t.Errorf("%s: compression %q head %q", name, src.Compression, src.Head())
		}
		src.Close()
	}
	if _, err := OpenSource(filepath.Join(dir, "broken.gz"), 0, nil); err == nil || !strings.Contains(err.Error(), "unreadable gzip") {
		t.Errorf("broken gzip: err = %v, want unreadable gzip", err)
	}
	if _, err := OpenSource(filepath.Join(dir, "missing.jsonl"), 0, nil); err == nil {
		t.Error("missing file: no error")
	}
}

func TestExpandInputs(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"b/x.jsonl", "a.jsonl", "b/.hidden.jsonl", ".git/c.jsonl", "notes.txt", "c.json.gz"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte("{}\n"), 0o644)
	}
	got, err := ExpandInputs([]string{dir, "-"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b/x.jsonl"), filepath.Join(dir, "c.json.gz"), "-"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if _, err := ExpandInputs([]string{filepath.Join(dir, "nope")}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing input: %v", err)
	}
}

func TestEachLine(t *testing.T) {
	long := strings.Repeat("y", 3<<20)
	in := "a\r\nb\n\n" + long + "\nlast"
	var got []string
	n, err := EachLine(bufio.NewReaderSize(strings.NewReader(in), 16), func(line []byte, no int64) error {
		got = append(got, fmt.Sprintf("%d:%d", no, len(line)))
		return nil
	})
	// 5 lines: "a" (CR dropped), "b", "", the 3 MiB line, "last" without a newline.
	want := []string{"1:1", "2:1", "3:0", fmt.Sprintf("4:%d", 3<<20), "5:4"}
	if err != nil || n != 5 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("n=%d err=%v got %v want %v", n, err, got, want)
	}
}

func FuzzJSONL(f *testing.F) {
	for _, s := range []string{
		`{"session_id":"s","kind":"llm","input_tokens":5,"output_tokens":1}`,
		`{"session_id":"s","usage":{"input_tokens":3,"cache_read_input_tokens":7,"output_tokens":1}}`,
		`{"sessionId":1,"ts":1700000000000,"tool":"x","error":{"a":1}}`,
		"\n\n{", "[]", "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &collect{}
		src := &Source{Name: "fuzz", R: bufio.NewReader(bytes.NewReader(data))}
		if err := (jsonlFormat{}).Decode(src, func() Sink { return collectSink{c} }); err != nil {
			t.Fatal(err)
		}
		// Every line is accounted for exactly once.
		if int64(len(c.recs)+len(c.notes)) != c.lines {
			t.Fatalf("lines %d != records %d + notes %d", c.lines, len(c.recs), len(c.notes))
		}
		for _, r := range c.recs {
			if r.SessionID == "" || r.InputTokens < r.CacheReadTokens+r.CacheWriteTokens || r.OutputTokens < r.ReasoningTokens {
				t.Fatalf("inconsistent record accepted: %+v", r)
			}
			// Run's checking sink trusts the decoder's validation
			// (RecordValidated): it must be Validate's.
			if ferr := Validate(&r); ferr != nil {
				t.Fatalf("record Validate rejects (%v) handed on as validated: %+v", ferr, r)
			}
		}
	})
}

// TestDecoderValidatesForCheckedSink: through Run's checking sink, the
// canonical decoder hands on records it validated without a second check,
// and still reports the lines Validate would reject.
func TestDecoderValidatesForCheckedSink(t *testing.T) {
	c := &collect{}
	in := `{"session_id":"s","input_tokens":5,"cache_read_tokens":9}` + "\n" + // cache beyond input
		`{"session_id":"s","output_tokens":1,"reasoning_tokens":2}` + "\n" +
		`{"input_tokens":1}` + "\n" + // no session
		`{"session_id":"s","model":"m","input_tokens":5,"output_tokens":1}` + "\n"
	src := &Source{Name: "in.jsonl", R: bufio.NewReader(strings.NewReader(in))}
	inner := collectSink{c}
	if err := (jsonlFormat{}).Decode(src, func() Sink { return checkedSink{Sink: inner, file: "in.jsonl"} }); err != nil {
		t.Fatal(err)
	}
	if len(c.recs) != 1 || len(c.notes) != 3 {
		t.Fatalf("records %d notes %d (%+v), want 1 and 3", len(c.recs), len(c.notes), c.notes)
	}
	if d := getDecoder("x", checkedSink{Sink: inner, file: "x"}); d.validSink == nil {
		t.Fatal("the decoder does not see that the checking sink takes validated records")
	} else {
		putDecoder(d)
	}
}

// A timestamp problem never costs a record its tokens: an unreadable time
// leaves the record unordered (counted as ts_unreadable), and a time
// without a zone, Python's default, is read as UTC (counted as
// ts_assumed_utc).
func TestTimestampProblemsKeepRecords(t *testing.T) {
	c := decodeString(t, `{"session_id":"x","ts":"yesterday","input_tokens":7}`+"\n"+
		`{"session_id":"x","ts":"2025-13-01T00:00:00Z","input_tokens":7}`+"\n"+
		`{"session_id":"x","ts":true,"input_tokens":7}`+"\n"+
		`{"session_id":"x","ts":-5,"input_tokens":7}`+"\n"+
		`{"session_id":"x","ts":"2025-01-20T20:29:35.040676","input_tokens":7}`+"\n"+
		`{"session_id":"x","ts":"2025-01-20 20:29:35","input_tokens":7}`+"\n")
	if len(c.recs) != 6 || len(c.notes) != 0 {
		t.Fatalf("records %d notes %+v, want 6 and none", len(c.recs), c.notes)
	}
	sort.Slice(c.recs, func(i, j int) bool { return c.recs[i].Line < c.recs[j].Line })
	for _, r := range c.recs[:4] {
		if !r.TSUnreadable || r.TSAssumedUTC || r.TSNano != 0 || r.InputTokens != 7 {
			t.Errorf("line %d: %+v, want unreadable, no time, 7 tokens", r.Line, r)
		}
	}
	// The same wall time built by time.Date in UTC, not by the parser.
	want := []int64{time.Date(2025, 1, 20, 20, 29, 35, 40676000, time.UTC).UnixNano(),
		time.Date(2025, 1, 20, 20, 29, 35, 0, time.UTC).UnixNano()}
	for i, r := range c.recs[4:] {
		if r.TSUnreadable || !r.TSAssumedUTC || r.TSNano != want[i] {
			t.Errorf("line %d: %+v, want UTC assumed at %d", r.Line, r, want[i])
		}
	}
}

func TestUnknownErrorClass(t *testing.T) {
	c := decodeString(t, `{"session_id":"x","kind":"tool","error_class":"oops"}`+"\n")
	if len(c.recs) != 0 || len(c.notes) != 1 || c.notes[0].Reason != "unknown error_class (want sibling_cancel or user_rejected)" {
		t.Fatalf("records %d notes %+v", len(c.recs), c.notes)
	}
}

// TestCanonicalFieldsMatchAliases: the ordered field list and the alias
// table name the same fields, so --map and the readers cannot drift apart.
func TestCanonicalFieldsMatchAliases(t *testing.T) {
	targets := map[string]bool{}
	for _, c := range canonicalAliases {
		targets[c] = true
	}
	list := CanonicalFields()
	if len(list) != len(targets) {
		t.Fatalf("CanonicalFields has %d names, the alias table %d targets", len(list), len(targets))
	}
	for _, n := range list {
		if !targets[n] {
			t.Errorf("%q is listed but no alias maps to it", n)
		}
	}
}
