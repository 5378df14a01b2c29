package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest/internal/jsonscan"
	"github.com/valyala/fastjson/fastfloat"
)

// lastSink keeps the last record or note a decoder produced.
type lastSink struct {
	rec   *Record
	notes []Note
}

func (s *lastSink) Record(r *Record) {
	cp := *r
	cp.Attrs = map[string]string{}
	for k, v := range r.Attrs {
		cp.Attrs[k] = v
	}
	s.rec = &cp
}
func (s *lastSink) Note(n Note)   { s.notes = append(s.notes, n) }
func (s *lastSink) Lines(n int64) {}

// differential decodes line with the fast path and with the general
// decoder alone, fails t when the fast path accepted a line the general
// decoder rejects or built a different record, and reports whether the
// fast path took the line.
func differential(t testing.TB, line []byte) bool {
	t.Helper()
	return differentialWith(t, newLineDecoder("f", nil), line)
}

// differentialWith is differential with a fast decoder that may have
// decoded other lines before: what it learned of their keys must not
// change what it makes of this one.
func differentialWith(t testing.TB, f *lineDecoder, line []byte) bool {
	t.Helper()
	var gen lastSink
	g := newLineDecoder("f", &gen)
	g.noFast = true
	g.decodeLine(line, 7)

	// Both decoders accept only RFC 8259 JSON without duplicate keys.
	if gen.rec != nil && (!json.Valid(line) || hasDuplicateKey(line)) {
		t.Fatalf("the general decoder accepted a line that is not RFC 8259 JSON or repeats a key:\n%q", line)
	}
	var fast lastSink
	f.sink = &fast
	f.rec.Reset()
	if !f.fast.decode(line, &f.rec) {
		return false
	}
	f.rec.File, f.rec.Line = "f", 7
	fast.Record(&f.rec)
	if gen.rec == nil {
		t.Fatalf("fast path accepted a line the general decoder rejects (%v):\n%q", gen.notes, line)
	}
	if !reflect.DeepEqual(*gen.rec, *fast.rec) {
		t.Fatalf("records differ for %q:\ngeneral %+v\nfast    %+v", line, *gen.rec, *fast.rec)
	}
	// A sink that borrows ids sees the same record while Record runs, even
	// when the line is overwritten afterwards.
	buf := append([]byte(nil), line...)
	var borrow lastSink
	b := newLineDecoder("f", borrowingSink{&borrow})
	b.fast.borrowIDs = BorrowsIDs(b.sink)
	b.decodeLine(buf, 7)
	clear(buf)
	if borrow.rec == nil || !reflect.DeepEqual(*gen.rec, *borrow.rec) {
		t.Fatalf("records differ for %q with borrowed ids:\ngeneral  %+v\nborrowed %+v", line, *gen.rec, borrow.rec)
	}
	return true
}

// borrowingSink declares BorrowsIDs and copies the id while Record runs.
type borrowingSink struct{ *lastSink }

func (borrowingSink) BorrowsIDs() bool { return true }
func (s borrowingSink) Record(r *Record) {
	s.lastSink.Record(r)
	s.rec.ID = strings.Clone(r.ID)
}

// TestBorrowedIDs: only a sink that declares it gets ids aliasing the line,
// also through Run's validating wrapper; an unescaped id never aliases the
// scratch buffer that a later escaped field overwrites.
func TestBorrowedIDs(t *testing.T) {
	if BorrowsIDs(&lastSink{}) || !BorrowsIDs(borrowingSink{&lastSink{}}) {
		t.Fatal("BorrowsIDs does not follow the declaration")
	}
	if !BorrowsIDs(checkedSink{Sink: borrowingSink{&lastSink{}}}) || BorrowsIDs(checkedSink{Sink: &lastSink{}}) {
		t.Fatal("the validating wrapper does not pass the declaration on")
	}
	for _, line := range []string{
		`{"id":"e\"1","session_id":"s","tool":"x","error":"a\nb"}`,
		`{"id":"e1","session_id":"s","tool":"x","error":"a\nb"}`,
		`{"id":12345,"session_id":"s","tool":"x"}`,
	} {
		if !differential(t, []byte(line)) {
			t.Fatalf("fast path declined %s", line)
		}
	}
	// A decoder going back to the pool drops its borrowed id, which would
	// keep the input's last chunk alive.
	pooled := getDecoder("f", borrowingSink{&lastSink{}})
	pooled.decodeLine([]byte(`{"id":"e1","session_id":"s","tool":"x"}`), 1)
	if pooled.rec.ID != "e1" {
		t.Fatalf("borrowed id %q, want e1", pooled.rec.ID)
	}
	putDecoder(pooled)
	if pooled.rec.ID != "" {
		t.Fatal("a pooled decoder still holds a borrowed id")
	}

	var keep lastSink
	d := getDecoder("f", &keep)
	defer putDecoder(d)
	buf := []byte(`{"id":"e1","session_id":"s","tool":"x"}`)
	d.decodeLine(buf, 1)
	clear(buf)
	if keep.rec == nil || keep.rec.ID != "e1" {
		t.Fatalf("a sink that keeps records got an id aliasing the line: %+v", keep.rec)
	}
}

func TestFastFieldsMatchAliases(t *testing.T) {
	want := map[string]int{
		"id": fID, "session_id": fSession, "seq": fSeq, "ts": fTS, "duration_ms": fDuration, "kind": fKind,
		"model": fModel, "provider": fProvider, "input_tokens": fInput, "output_tokens": fOutput,
		"cache_read_tokens": fCacheRead, "cache_write_tokens": fCacheWrite, "cache_write_1h_tokens": fCacheWrite1h,
		"reasoning_tokens": fReasoning, "usage": fUsage, "tool": fTool, "status": fStatus, "error": fError,
		"error_class": fErrorClass, "role": fRole, "workflow": fWorkflow, "cost_usd": fCost,
		"tool_args": fToolArgs, "tool_result": fToolResult,
		"service_tier":       fServiceTier,
		"audio_input_tokens": fRare, "image_input_tokens": fRare, "audio_output_tokens": fRare, "image_output_tokens": fRare,
		"fast_mode": fRare, "us_only": fRare,
	}
	for alias, canonical := range canonicalAliases {
		code, ok := want[canonical]
		if !ok {
			t.Fatalf("canonical field %q has no fast-path code", canonical)
		}
		if got := fieldOf(alias); got != code {
			t.Errorf("fieldOf(%q) = %d, want %d (%s)", alias, got, code, canonical)
		}
	}
	for _, k := range []string{"", "Model", "session", "ids", "team"} {
		if fieldOf(k) != fUnknown {
			t.Errorf("fieldOf(%q) should be unknown", k)
		}
	}
}

// TestFastMatchesGeneralHandPicked covers the shapes the fast path must
// take and the ones it must leave to the general decoder.
func TestFastMatchesGeneralHandPicked(t *testing.T) {
	tests := []struct {
		line string
		fast bool // whether the fast path should take it
	}{
		{`{"session_id":"s","model":"m","input_tokens":10,"output_tokens":2}`, true},
		{` { "session_id" : "s" , "tool" : "t" , "error" : "boom" } `, true},
		{`{"session_id":7,"id":8,"seq":3,"ts":1735787045500,"cost_usd":1.5e-3,"team":"a","n":-0.5,"ok":true,"no":false,"x":null}`, true},
		{`{"session_id":"s","kind":"TOOL","status":"Timeout","error":12,"tool":"t"}`, true},
		{`{"session_id":"s","model":null,"error":null,"team":"a","tag":"b"}`, true},
		{`{"session_id":"s","team":"a","team":"b"}`, false},                     // duplicate key
		{`{"session_id":"s","x":null,"x":"b"}`, false},                          // duplicate key, first null
		{`{"session_id":"s","model":"a","model":null}`, false},                  // duplicate field
		{`{"session_id":"s","error":"line\nbreak \"q\" \\ \/ \b\f\r\t"}`, true}, // simple escapes
		{`{"session_id":"s","model":"modèle","team":"é\n"}`, true},              // UTF-8
		{`{"session_id":"s","error":"\u00e9"}`, false},                          // \u escape
		{`{"session_id":"s","error":"\x"}`, false},                              // invalid escape
		{`{"session_id":"s","error":"a\"}`, false},                              // unterminated
		{"{\"session_id\":\"s\",\"model\":\"\xff\"}", false},                    // invalid UTF-8
		{`{"session\u005fid":"s"}`, false},                                      // escaped key
		{`{"session_id":"s","usage":{"prompt_tokens":1}}`, false},               // nested
		{`{"session_id":"s","meta":[1,2]}`, false},                              // array
		{`{"session_id":"s","seq":1.5}`, false},                                 // field error
		{`{"session_id":"s","input_tokens":01}`, false},                         // not strict JSON
		{`{"session_id":"s"} x`, false},                                         // tail
		{`{"session_id":"s",}`, false},
		{`{"model":"m"}`, false}, // missing session_id
		{`{}`, false},
		{`[]`, false},
		{`{"session_id":"s","input_tokens":1e999}`, false},
		{`{"session_id":"s","ts":"yesterday"}`, true}, // unreadable time: kept, unordered
		{`{"session_id":"s","cache_read_tokens":5,"input_tokens":4}`, false},
		{`{"session_id":"s","input_tokens":10,"audio_input_tokens":4}`, false}, // rare: general decoder
		{`{"session_id":"s","fast_mode":true,"us_only":false}`, false},
		// server_tool_use keys not known are named by the general decoder.
		{`{"session_id":"s","usage":{"input_tokens":1,"server_tool_use":{"Web_Search_Requests":2}}}`, false},
		{`{"session_id":"s","input_tokens":1,"usage":{"server_tool_use":{"web_search_requests":1,"code_execution_requests":2}}}`, false},
	}
	for _, tt := range tests {
		if got := differential(t, []byte(tt.line)); got != tt.fast {
			t.Errorf("fast path took=%v, want %v: %s", got, tt.fast, tt.line)
		}
	}
}

// testLines gathers every JSONL line the repository's tests use: the
// testdata files and the string literals of this package's tests.
func testLines(t *testing.T) [][]byte {
	t.Helper()
	var lines [][]byte
	files, _ := filepath.Glob("../testdata/*.jsonl")
	more, _ := filepath.Glob("*/testdata/*.json*")
	for _, name := range append(files, more...) {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, bytes.Split(b, []byte("\n"))...)
	}
	tests, _ := filepath.Glob("*_test.go")
	fset := token.NewFileSet()
	for _, name := range tests {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					for _, l := range strings.Split(s, "\n") {
						lines = append(lines, []byte(l))
					}
				}
			}
			return true
		})
	}
	return lines
}

func TestFastMatchesGeneralOnFixtures(t *testing.T) {
	lines := testLines(t)
	took := 0
	for _, l := range lines {
		if differential(t, bytes.TrimSuffix(l, []byte("\r"))) {
			took++
		}
	}
	t.Logf("%d lines, fast path took %d", len(lines), took)
	if took < 50 {
		t.Fatalf("fast path took only %d of %d fixture lines", took, len(lines))
	}
}

func TestFastMatchesGeneralOnGenerated(t *testing.T) {
	var b bytes.Buffer
	if _, err := gen.Generate(&b, nil, gen.Options{Sessions: 500, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&b)
	sc.Buffer(nil, 1<<20)
	n, took := 0, 0
	for sc.Scan() {
		n++
		if differential(t, sc.Bytes()) {
			took++
		}
	}
	// The generator writes flat lines with simple escapes only: the fast
	// path must take every one, or the common case pays for a fallback.
	if took != n {
		t.Fatalf("fast path took %d of %d generated lines", took, n)
	}
}

// TestDecodeWithAndWithoutFastPath runs the whole parallel reader both
// ways over generated data and fixtures: same records, same notes.
func TestDecodeWithAndWithoutFastPath(t *testing.T) {
	var b bytes.Buffer
	if _, err := gen.Generate(&b, nil, gen.Options{Sessions: 300, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	for _, l := range testLines(t) {
		b.Write(l)
		b.WriteByte('\n')
	}
	run := func(noFast bool) *collect {
		c := &collect{}
		d := newLineDecoder("in.jsonl", collectSink{c})
		d.noFast = noFast
		d.decodeChunk(chunk{buf: b.Bytes(), firstLine: 1})
		return c
	}
	fast, general := run(false), run(true)
	if len(general.recs) == 0 || len(general.notes) == 0 {
		t.Fatalf("input should give records and notes: %d, %d", len(general.recs), len(general.notes))
	}
	if !reflect.DeepEqual(fast.recs, general.recs) {
		t.Fatalf("records differ: %d fast, %d general", len(fast.recs), len(general.recs))
	}
	if !reflect.DeepEqual(fast.notes, general.notes) {
		t.Fatalf("notes differ: %d fast, %d general", len(fast.notes), len(general.notes))
	}
}

// FuzzFastDecoder: the fast path and the general decoder give the same
// record, or the fast path declines.
func FuzzFastDecoder(f *testing.F) {
	f.Add([]byte(`{"id":"e1","session_id":"s1","seq":3,"ts":"2025-01-02T03:04:05.5Z","duration_ms":1500,"kind":"llm","model":"gpt-4o","provider":"openai","input_tokens":1000,"output_tokens":300,"cache_read_tokens":400,"cache_write_tokens":100,"reasoning_tokens":50,"role":"planner","workflow":"wf","cost_usd":0.01}`))
	f.Add([]byte(`{"sessionId":"s2","timestamp":1735787045500,"prompt_tokens":10,"completion_tokens":5,"model":"m","x":true,"y":null,"z":-1.5E+3}`))
	f.Add([]byte(`{"conversation_id":"s3","tool":"search","error":"boom","status":"ERROR","kind":"Tool"}`))
	f.Add([]byte(`{"session_id":1,"id":2,"error":false,"cost_usd":0}`))
	// Several lines: the decoder predicts each key from the keys of the
	// lines before (a longer or shorter key, spacing, an alias).
	f.Add([]byte(`{"tool":"a","session_id":"s"}` + "\n" + `{"tool_name":"a","session_id":"s"}` + "\n" + `{"tool" :"a","session_id":"s"}`))
	f.Add([]byte(`{"id":"1","session_id":"s","input_tokens":1}` + "\n" + `{"id":"2","sessionId":"s","input_tokens_x":1}` + "\n" + `{"id":"3","session_id":"s","input_tokens":"1"}`))
	f.Add([]byte(`{"cache_write_1h_tokens":0,"session_id":"s"}` + "\n" + `{"cache_write_1h_tokens_":0,"session_id":"s"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Lines in order through one decoder, as the reader calls it.
		d := newLineDecoder("f", nil)
		for _, line := range bytes.Split(data, []byte{'\n'}) {
			differentialWith(t, d, line)
		}
	})
}

// TestKeyPredictionAcrossLines: keys predicted from earlier lines give the
// general decoder's records, including keys that extend, shorten or
// resemble the predicted one, and keys too near the end of a line for the
// prediction's window.
func TestKeyPredictionAcrossLines(t *testing.T) {
	lines := []string{
		`{"id":"1","session_id":"s","tool":"a","workflow":"w"}`,
		`{"id":"2","session_id":"s","tool_name":"a","workflow":"w"}`,
		`{"id":"3","session_id":"s","tool":"b","workflow":"w"}`,
		`{"id":"4","session_id":"s","toolx":"b","workflow":"w"}`,
		`{"id":"5","session_id":"s","tool" : "c","workflow":"w"}`,
		`{"id":"6","sessionId":"s","tool":"d","workflow":"w"}`,
		`{"id":"7","session_id":"s","too":"d","tool":"e"}`,
		`{"id":"8","session_id":"s","tool":"e"}`,
		`{"session_id":"s","id":"9","tool":"f"}`,
		`{"id":"10","session_id":"s","cache_write_1h_tokens":0,"input_tokens":1}`,
		`{"id":"11","session_id":"s","cache_write_1h_tokensX":0,"input_tokens":1}`,
		`{"id":"12","session_id":"s","cache_write_1h_tokens":0,"input_tokens":1}`,
		`{"id":"13","session_id":"s"}`,
	}
	d := newLineDecoder("f", nil)
	hits := 0
	for _, line := range lines {
		if !differentialWith(t, d, []byte(line)) {
			t.Fatalf("fast path declined %s", line)
		}
	}
	for _, k := range d.fast.next {
		if k.n > 0 {
			hits++
		}
	}
	if hits == 0 {
		t.Fatal("the decoder learned no keys")
	}
}

// TestFastTimeMatchesTimeParse compares fastTime with time.Parse on every
// day from 1970 to 2200 at a few times of day and with every fraction
// length, and on near misses it must decline.
func TestFastTimeMatchesTimeParse(t *testing.T) {
	check := func(s string) {
		t.Helper()
		got, ok := fastTime([]byte(s))
		want, ferr := parseTimeString(s)
		if ok && (ferr != nil || got != want) {
			t.Fatalf("%s: fastTime %d, time.Parse %d (%v)", s, got, want, ferr)
		}
	}
	fracs := []string{"", ".5", ".05", ".123", ".000001", ".123456789"}
	day := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	for ; day.Year() <= 2200; day = day.AddDate(0, 0, 1) {
		for _, hms := range []string{"00:00:00", "12:34:56", "23:59:59"} {
			s := day.Format("2006-01-02") + "T" + hms + fracs[n%len(fracs)] + "Z"
			if _, ok := fastTime([]byte(s)); !ok {
				t.Fatalf("fastTime declined %s", s)
			}
			check(s)
			n++
		}
	}
	for _, s := range []string{
		"2026-02-29T00:00:00Z", "2024-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z",
		"2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567890Z",
		"2026-01-01t00:00:00Z", "2026-01-01T00:00:00+01:00", "1969-12-31T23:59:59Z", "+026-01-01T00:00:00Z",
		"2026-01-01T00:00:0xZ", "2026-01-01T00:00:00.-1Z",
	} {
		check(s)
	}
}

// FuzzFastTime: fastTime agrees with time.Parse or declines.
func FuzzFastTime(f *testing.F) {
	f.Add("2026-01-05T09:00:00.000Z")
	f.Add("2024-02-29T23:59:59.999999999Z")
	f.Fuzz(func(t *testing.T, s string) {
		if got, ok := fastTime([]byte(s)); ok {
			if want, ferr := parseTimeString(s); ferr != nil || got != want {
				t.Fatalf("%q: fastTime %d, time.Parse %d (%v)", s, got, want, ferr)
			}
		}
	})
}

// FuzzDateCache: parsing b after a leaves the remembered date harmless;
// the result is fastTime's without a cache.
func FuzzDateCache(f *testing.F) {
	f.Add("2026-01-05T09:00:00.000Z", "2026-01-05T23:59:59Z")
	f.Add("2026-01-05T09:00:00.000Z", "2026-01-05T24:00:00Z")
	f.Add("2024-02-29T00:00:00Z", "2025-02-29T00:00:00Z")
	f.Add("2026-01-05T09:00:00Z", "2026-01-05X09:00:00Z")
	f.Fuzz(func(t *testing.T, a, b string) {
		var c dateCache
		c.fastTime([]byte(a))
		got, gotOK := c.fastTime([]byte(b))
		want, wantOK := fastTime([]byte(b))
		if got != want || gotOK != wantOK {
			t.Fatalf("after %q, %q: cached %d %v, fresh %d %v", a, b, got, gotOK, want, wantOK)
		}
	})
}

// TestScanIntegerMatchesScanNumber: scanInteger ends where scanNumber
// does, and its value, when it has one, is fastNumber's bit for bit.
func TestScanIntegerMatchesScanNumber(t *testing.T) {
	for _, s := range []string{
		"0", "-0", "7", "-12", "123456789012345", "-999999999999999", "1234567890123456",
		"99999999999999999999999", "007", "-", "--1", "", "x", "1.5", "-0.5", "1e3", "1E+3", "1.", "1e",
		"12,", "12}", "0x1", "-a", "4294967296 ",
	} {
		check := func(line []byte, i int) {
			t.Helper()
			end, v, exact := scanInteger(line, i)
			if want := jsonscan.Number(line, i); end != want {
				t.Fatalf("scanInteger(%q, %d) ends at %d, jsonscan.Number at %d", line, i, end, want)
			}
			if !exact {
				return
			}
			want, ok := fastNumber(fvNumber, line[i:end])
			if !ok || math.Float64bits(v) != math.Float64bits(want) {
				t.Fatalf("scanInteger(%q) = %v, fastNumber %v %v", line, v, want, ok)
			}
		}
		check([]byte(s), 0)
		check([]byte(`"k":`+s), 4)
	}
}

// FuzzScanInteger: scanInteger agrees with scanNumber and fastNumber.
func FuzzScanInteger(f *testing.F) {
	f.Add([]byte("123"), 0)
	f.Add([]byte("-0.5e3,"), 0)
	f.Fuzz(func(t *testing.T, line []byte, i int) {
		if i < 0 || i >= len(line) {
			return
		}
		end, v, exact := scanInteger(line, i)
		if want := jsonscan.Number(line, i); end != want {
			t.Fatalf("scanInteger(%q, %d) ends at %d, jsonscan.Number at %d", line, i, end, want)
		}
		if exact {
			want, ok := fastNumber(fvNumber, line[i:end])
			if !ok || math.Float64bits(v) != math.Float64bits(want) {
				t.Fatalf("scanInteger(%q) = %v, fastNumber %v %v", line, v, want, ok)
			}
		}
	})
}

// TestSmallIntMatchesFastfloat: the integer shortcut gives the general
// decoder's float, bit for bit (-0 included), or declines.
func TestSmallIntMatchesFastfloat(t *testing.T) {
	for _, tt := range []struct {
		s    string
		take bool
	}{
		{"0", true}, {"-0", true}, {"7", true}, {"007", true}, {"-12", true}, {"4294967296", true},
		{"123456789012345", true}, {"-999999999999999", true},
		{"1234567890123456", false}, {"", false}, {"-", false}, {"1.5", false}, {"1e3", false}, {"12a", false}, {"--1", false},
	} {
		got, ok := smallInt([]byte(tt.s))
		if ok != tt.take {
			t.Errorf("smallInt(%q) took=%v, want %v", tt.s, ok, tt.take)
			continue
		}
		if !ok {
			continue
		}
		want, err := fastfloat.Parse(tt.s)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("smallInt(%q) = %v, fastfloat %v (%v)", tt.s, got, want, err)
		}
	}
}

// hasDuplicateKey reports whether the top-level object of line (valid
// JSON) names a key twice, by a second method: encoding/json's tokens.
func hasDuplicateKey(line []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		k := tok.(string)
		if seen[k] {
			return true
		}
		seen[k] = true
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return false
		}
	}
	return false
}

// TestDecodersRejectNonRFC8259: what fastjson alone would accept (leading
// zeros, a plus sign, raw control characters, unknown escapes) and a
// repeated key are invalid lines in both decoders, with a reason.
func TestDecodersRejectNonRFC8259(t *testing.T) {
	for _, tt := range []struct{ line, reason string }{
		{`{"session_id":"s","input_tokens":0123}`, "malformed json"},
		{`{"session_id":"s","input_tokens":+5}`, "malformed json"},
		{"{\"session_id\":\"s\",\"error\":\"a\x01b\"}", "malformed json"},
		{`{"session_id":"s","error":"\q"}`, "malformed json"},
		{`{"session_id":"s","team":"a","team":"b"}`, "duplicate key"},
		{`{"session_id":"s","input_tokens":1,"input_tokens":2}`, "duplicate key"},
		{`{"session_id":"s","seq":1e300}`, "seq out of range"},
	} {
		for _, noFast := range []bool{false, true} {
			var s lastSink
			d := newLineDecoder("f", &s)
			d.noFast = noFast
			d.decodeLine([]byte(tt.line), 1)
			if s.rec != nil || len(s.notes) != 1 || s.notes[0].Reason != tt.reason {
				t.Errorf("noFast=%v %s: record %v notes %+v, want %q", noFast, tt.line, s.rec != nil, s.notes, tt.reason)
			}
		}
	}
}
