package opencode

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
	"github.com/tokcost/tokcost/internal/memtest"
)

const fixtureDB = "testdata/db/opencode.db"

// decodeDB decodes a database and checks the accounting: units are the
// rows of part and message.
func decodeDBPath(t *testing.T, path string, units int64) *ingesttest.Sink {
	t.Helper()
	src, err := ingest.OpenSource(path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if !(Format{}).Sniff(path, src.Head()) {
		t.Fatalf("%s not recognised", path)
	}
	s := &ingesttest.Sink{}
	if err := (Format{}).Decode(src, func() ingest.Sink { return s }); err != nil {
		t.Fatal(err)
	}
	ingesttest.CheckAccounting(t, s, units)
	return s
}

// The database's ses_A and ses_B are testdata/storage moved in as OpenCode
// moves it (testdata/mkdb.py): their records must be the JSON files'
// records, field for field (the second method: the file reader).
func TestDBSameAsStorage(t *testing.T) {
	// testdata/db: 13 part rows + 7 message rows (testdata/mkdb.py).
	db := decodeDBPath(t, fixtureDB, 20)
	var fromDB []ingest.Record
	for _, r := range db.Recs {
		if r.SessionID == "ses_A" || r.SessionID == "ses_B" {
			fromDB = append(fromDB, r)
		}
	}
	var fromFiles []ingest.Record
	for _, f := range []string{"ses_A/msg_a1.json", "ses_A/msg_a2.json", "ses_B/msg_b1.json", "ses_B/msg_b2.json"} {
		fromFiles = append(fromFiles, decodePath(t, filepath.Join("testdata/storage/message", f)).Recs...)
	}
	norm := func(rs []ingest.Record) []ingest.Record {
		out := make([]ingest.Record, len(rs))
		for i, r := range rs {
			r.File, r.Line = "", 0
			out[i] = r
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		return out
	}
	a, b := norm(fromDB), norm(fromFiles)
	// msg_a2: 2 steps + 2 tools; msg_b1, msg_b2: 1 call each.
	if len(a) != 6 || !reflect.DeepEqual(a, b) {
		t.Errorf("database records differ from the files':\n db    %+v\n files %+v", a, b)
	}
}

// The rows only the WAL holds, by hand from testdata/mkdb.py:
//
//	msg_c1 (openai gpt-5-mini; reasoning inside output):
//	  prt_c1000003: input 1000 + cache read 3000 = 4000, output 200 (reasoning 50 ≤ 200: inside)
//	  prt_c1000006: input 500 + read 4500 = 5000, output 100
//	  prt_c1000002: bash, 02.000 → 03.500 = 1500 ms
//	msg_d1: no parts: its own tokens, input 300, output 40, marked AssumedField
//	prt_g1: a step-finish of msg_gone (no such message): a dropped step, noted
//	msg_x*: never committed (spilled WAL frames after the last commit): absent
func TestDBFromWAL(t *testing.T) {
	s := decodeDBPath(t, fixtureDB, 20)
	got := map[string]ingest.Record{}
	for _, r := range s.Recs {
		if r.SessionID == "ses_X" {
			t.Errorf("uncommitted row read: %+v", r)
		}
		if r.SessionID == "ses_C" {
			got[r.ID] = r
		}
	}
	if len(got) != 4 {
		t.Fatalf("ses_C records %d: %+v", len(got), got)
	}
	for id, w := range map[string]struct{ in, out, read, rsn int64 }{
		"msg_c1/prt_c1000003": {4000, 200, 3000, 50},
		"msg_c1/prt_c1000006": {5000, 100, 4500, 0},
		"msg_d1":              {300, 40, 0, 0},
	} {
		r := got[id]
		if r.Kind != ingest.KindLLM || r.InputTokens != w.in || r.OutputTokens != w.out || r.CacheReadTokens != w.read || r.ReasoningTokens != w.rsn || r.Model != "gpt-5-mini" || r.Provider != "openai" {
			t.Errorf("%s: %+v", id, r)
		}
		if (r.UnknownUsage == AssumedField) != (id == "msg_d1") {
			t.Errorf("%s: unknown usage %q", id, r.UnknownUsage)
		}
	}
	if r := got["call_c1"]; r.Kind != ingest.KindTool || r.Tool != "bash" || r.DurationMS != 1500 || r.TSNano != 1772400002000*1e6 {
		t.Errorf("tool %+v", r)
	}
	// Notes: 12 parts skipped, users msg_a1 and msg_c0 skipped, and the
	// step of msg_gone (part row 13) invalid.
	var skipped, dropped int
	for _, n := range s.Notes {
		switch {
		case n.Kind == ingest.NoteSkipped:
			skipped++
		case n.Kind == ingest.NoteInvalid && n.Reason == "step-finish part without its message" && n.Line == 13:
			dropped++
		default:
			t.Errorf("note %+v", n)
		}
	}
	if skipped != 14 || dropped != 1 {
		t.Errorf("skipped %d dropped %d", skipped, dropped)
	}
}

// Without its WAL the database holds only what was checkpointed: the
// storage's 4 messages and 6 parts (10 rows), none of ses_C.
func TestDBWithoutWAL(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(fixtureDB)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "opencode.db")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := decodeDBPath(t, p, 10)
	for _, r := range s.Recs {
		if r.SessionID != "ses_A" && r.SessionID != "ses_B" {
			t.Errorf("record of %s without the WAL", r.SessionID)
		}
	}
	if len(s.Recs) != 6 {
		t.Errorf("%d records, want 6", len(s.Recs))
	}
	if _, err := os.Stat(p + "-shm"); err == nil {
		t.Error("a -shm file was created")
	}
}

// A message without parts is counted as assumed in the JSON files too
// (msg_b1, msg_b2 have no part directory); a message whose steps are on
// disk is not.
func TestAssumedLastStep(t *testing.T) {
	for file, want := range map[string]bool{
		"testdata/storage/message/ses_B/msg_b1.json": true,
		"testdata/storage/message/ses_A/msg_a2.json": false,
	} {
		for _, r := range decodePath(t, file).Recs {
			if r.Kind == ingest.KindLLM && (r.UnknownUsage == AssumedField) != want {
				t.Errorf("%s %s: unknown usage %q", file, r.ID, r.UnknownUsage)
			}
		}
	}
	// No tokens at all: no step finished, none was lost, nothing assumed.
	s := ingesttest.Decode(t, Format{}, "x.json", []byte(`{"id":"msg_1","sessionID":"ses_1","role":"assistant","tokens":{"input":0,"output":0,"reasoning":0,"cache":{"read":0,"write":0}}}`))
	if len(s.Recs) != 1 || s.Recs[0].UnknownUsage != "" {
		t.Errorf("zero-token message: %+v", s.Recs)
	}
}

func TestSniffDB(t *testing.T) {
	head := []byte("SQLite format 3\x00\x10\x00")
	for name, want := range map[string]bool{
		"opencode.db":                      true,
		"/home/u/.local/share/opencode.db": true,
		"opencode-dev.db":                  true,
		"other.db":                         false,
		"opencode.db-wal":                  false,
		"opencode.sqlite":                  false,
	} {
		if got := (Format{}).Sniff(name, head); got != want {
			t.Errorf("%s: %v", name, got)
		}
	}
	if (Format{}).Sniff("opencode.db", []byte(`{"id":"x"}`)) {
		t.Error("JSON named opencode.db taken for a database")
	}
}

// A database reached through a decompressing stream has no file to read
// at random: an error, not an empty read.
func TestDBCompressedRefused(t *testing.T) {
	src, err := ingest.OpenSource(fixtureDB, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.Compression = "gzip" // as if decompressed from a stream
	s := &ingesttest.Sink{}
	if err := (Format{}).Decode(src, func() ingest.Sink { return s }); err == nil {
		t.Error("a database without a file to read at random accepted")
	}
}

// TestDBPartTooLarge: a part row past the row bound (maxRow, lowered here
// to 4 KiB) may hold a step, so its message is invalid ("unreadable
// part"), as a part file that cannot be read makes its message invalid
// (docs/formats/opencode.md, "The database"). Before, the message was
// priced with its other step alone: an undercount beside one invalid row.
// The database is written by python3's sqlite3 with the columns the
// reader uses.
func TestDBPartTooLarge(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("TOKCOST_REQUIRE_PYTHON") != "" {
			t.Fatal("python3 required")
		}
		t.Skip("python3 not found")
	}
	path := filepath.Join(t.TempDir(), "opencode.db")
	script := `
import sqlite3, sys, json
c = sqlite3.connect(sys.argv[1])
c.execute("create table message (id text primary key, session_id text not null, data text not null)")
c.execute("create table part (id text primary key, message_id text not null, session_id text not null, data text not null)")
c.execute("insert into message values ('msg_1','ses_1',?)", (json.dumps({"role":"assistant","modelID":"m","providerID":"p","tokens":{"input":1,"output":1,"reasoning":0,"cache":{"read":0,"write":0}}}),))
step = {"type":"step-finish","tokens":{"input":10,"output":5,"reasoning":0,"cache":{"read":0,"write":0}}}
c.execute("insert into part values ('prt_1','msg_1','ses_1',?)", (json.dumps(step),))
big = dict(step, pad="x"*10000)
c.execute("insert into part values ('prt_2','msg_1','ses_1',?)", (json.dumps(big),))
c.commit()
`
	if out, err := exec.Command(py, "-c", script, path).CombinedOutput(); err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	defer func(old int64) { maxRow = old }(maxRow)
	maxRow = 4 << 10 // prt_2's data alone is over 10,000 bytes
	// Three units (two part rows, one message row): prt_2 invalid,
	// msg_1 invalid for it, prt_1 a skipped step of an invalid message.
	s := decodeDBPath(t, path, 3)
	if len(s.Recs) != 0 {
		t.Errorf("records %+v, want none: a step of msg_1 was not read", s.Recs)
	}
	var got []string
	for _, n := range s.Notes {
		kind := "skipped"
		if n.Kind == ingest.NoteInvalid {
			kind = "invalid"
		}
		got = append(got, kind+" "+n.Reason)
	}
	sort.Strings(got)
	want := []string{"invalid unreadable part", "invalid unreadable part", "skipped part (read with its message)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("notes %q, want %q", got, want)
	}
}

// TestDBPartErrorsBounded: the parts of a database are held until its
// message table is read, so a tool part's error text is cut to what the
// record keeps (maxErrorText, 2 KiB) as the part is read. 40 tool parts
// with 1 MiB errors each: held whole they are 40 MiB; cut, 80 KiB. The
// heap may not rise by 20 MiB (bytes, not a timing; internal/memtest).
func TestDBPartErrorsBounded(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("TOKCOST_REQUIRE_PYTHON") != "" {
			t.Fatal("python3 required")
		}
		t.Skip("python3 not found")
	}
	path := filepath.Join(t.TempDir(), "opencode.db")
	script := `
import sqlite3, sys, json
c = sqlite3.connect(sys.argv[1])
c.execute("create table message (id text primary key, session_id text not null, data text not null)")
c.execute("create table part (id text primary key, message_id text not null, session_id text not null, data text not null)")
c.execute("insert into message values ('msg_1','ses_1',?)", (json.dumps({"role":"assistant","modelID":"m","providerID":"p","tokens":{"input":1,"output":1,"reasoning":0,"cache":{"read":0,"write":0}}}),))
for i in range(40):
    tool = {"type":"tool","tool":"bash","callID":"call_%d" % i,"state":{"status":"error","error":"e" * (1 << 20)}}
    c.execute("insert into part values (?,'msg_1','ses_1',?)", ("prt_%02d" % i, json.dumps(tool)))
c.commit()
`
	if out, err := exec.Command(py, "-c", script, path).CombinedOutput(); err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	var s *ingesttest.Sink
	rise := memtest.PeakHeap(func() {
		s = decodeDBPath(t, path, 41)
	})
	t.Logf("heap rise reading 40 parts with 1 MiB errors: %.1f MiB", float64(rise)/(1<<20))
	// 1 call (the message's own tokens) + 40 tool calls.
	if len(s.Recs) != 41 {
		t.Fatalf("%d records, want 41", len(s.Recs))
	}
	for _, r := range s.Recs {
		if len(r.Error) > maxErrorText {
			t.Fatalf("error of %d bytes kept", len(r.Error))
		}
	}
	if rise > 20<<20 {
		t.Errorf("heap rose %d MiB reading 40 parts with 1 MiB errors; want their errors cut as read", rise>>20)
	}
}

// TestUnknownTokenKeys: keys of a tokens object (and of its cache object)
// the reader does not read are named in Record.UnknownUsage, in message
// files and in the database alike, and their counts are not read.
func TestUnknownTokenKeys(t *testing.T) {
	// A message file without step parts, so its own tokens are the call
	// (assumed: AssumedField). By hand: in = 10 + 3 read + 4 written = 17;
	// out = 2 (reasoning 0); "Output", "audio" and "cache.Read" named, and
	// total (the sum) left. Sorted as bytes: "opencode…" < "tokens.O…" <
	// "tokens.a…" < "tokens.c…".
	s := ingesttest.Decode(t, Format{}, "x.json", []byte(`{"id":"msg_1","sessionID":"ses_1","role":"assistant","providerID":"anthropic",`+
		`"tokens":{"input":10,"output":2,"Output":3,"reasoning":0,"cache":{"read":3,"write":4,"Read":1},"total":19,"audio":5}}`))
	want := AssumedField + ",tokens.Output,tokens.audio,tokens.cache.Read"
	if len(s.Recs) != 1 || s.Recs[0].InputTokens != 17 || s.Recs[0].OutputTokens != 2 || s.Recs[0].UnknownUsage != want {
		t.Errorf("message file: %+v\nwant in 17, out 2, unknown %q", s.Recs, want)
	}

	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("TOKCOST_REQUIRE_PYTHON") != "" {
			t.Fatal("python3 required")
		}
		t.Skip("python3 not found")
	}
	path := filepath.Join(t.TempDir(), "opencode.db")
	script := `
import sqlite3, sys, json
c = sqlite3.connect(sys.argv[1])
c.execute("create table message (id text primary key, session_id text not null, data text not null)")
c.execute("create table part (id text primary key, message_id text not null, session_id text not null, data text not null)")
c.execute("insert into message values ('msg_1','ses_1',?)", (json.dumps({"role":"assistant","modelID":"m","providerID":"p","tokens":{"input":10,"output":5,"reasoning":0,"cache":{"read":0,"write":0}}}),))
step = {"type":"step-finish","tokens":{"input":10,"output":5,"reasoning":0,"cache":{"read":0,"write":0},"cacheRead":2}}
c.execute("insert into part values ('prt_1','msg_1','ses_1',?)", (json.dumps(step),))
c.commit()
`
	if out, err := exec.Command(py, "-c", script, path).CombinedOutput(); err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	// Two units (a part row, a message row); one call, the step: in 10
	// (no cache), out 5, "cacheRead" named (the step's, not assumed).
	s = decodeDBPath(t, path, 2)
	if len(s.Recs) != 1 || s.Recs[0].InputTokens != 10 || s.Recs[0].OutputTokens != 5 || s.Recs[0].UnknownUsage != "tokens.cacheRead" {
		t.Errorf("database: %+v", s.Recs)
	}
}
