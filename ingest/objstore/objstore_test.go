package objstore

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
	"github.com/tokcost/tokcost/ingest/parquet"
)

// collect runs ingest.Run over inputs and keeps every sink's records.
type collect struct {
	mu    sync.Mutex
	sinks []*ingesttest.Sink
}

func (c *collect) factory(ingest.FileResult, int) ingest.SinkFactory {
	return func() ingest.Sink {
		s := &ingesttest.Sink{}
		c.mu.Lock()
		c.sinks = append(c.sinks, s)
		c.mu.Unlock()
		return s
	}
}

func (c *collect) records() []ingest.Record {
	var out []ingest.Record
	for _, s := range c.sinks {
		out = append(out, s.Recs...)
	}
	return out
}

// inputTokens sums input_tokens over a JSONL file with encoding/json: a
// second reading, independent of tokcost's decoders.
func inputTokens(t *testing.T, data []byte) (lines int, sum int64) {
	for _, l := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var v struct {
			InputTokens int64 `json:"input_tokens"`
		}
		if err := json.Unmarshal(l, &v); err != nil {
			t.Fatal(err)
		}
		lines++
		sum += v.InputTokens
	}
	return lines, sum
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestS3PrefixListingPruningAndReads(t *testing.T) {
	react, err := os.ReadFile("../../testdata/react10.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	retry, err := os.ReadFile("../../testdata/retry15.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	reactLines, reactIn := inputTokens(t, react)
	retryLines, retryIn := inputTokens(t, retry)

	// The react records again, as canonical Parquet: read back by ranged
	// requests.
	local := &collect{}
	if _, err := ingest.Run([]string{"../../testdata/react10.jsonl"}, ingest.Options{}, local.factory); err != nil {
		t.Fatal(err)
	}
	var pq bytes.Buffer
	if err := parquet.WriteCanonical(&pq, local.records()); err != nil {
		t.Fatal(err)
	}

	s := startS3(t, "traces")
	s.put(t, "traces", map[string][]byte{
		"logs/year=2026/month=12/day=01/react.jsonl":        react,
		"logs/year=2026/month=12/day=03/hour=07/r.jsonl.gz": gz(t, retry),
		"logs/dt=2026-12-02/react.parquet":                  pq.Bytes(),
		"logs/year=2026/month=11/day=20/old.jsonl":          retry, // pruned
		"logs/dt=2026-11-30/old.jsonl":                      react, // pruned
		"logs/README.md":                                    []byte("not a trace"),
		"logs/.staging/part.jsonl":                          []byte("hidden"),
		"logs/" + goneKey + ".jsonl":                        react, // 404 on GET
		"logs/" + deniedKey + ".jsonl":                      react, // 403 on GET
	})

	// The window starts 2026-12-01T14:00Z: day=11-30 (widened by UTC+14
	// and UTC-12 to [11-29 10:00, 12-01 12:00)) ends before it, and
	// 11-20 long before; day=12-01 ([11-30 10:00, 12-02 12:00)) overlaps.
	win := ingest.Window{Since: time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)}
	c := &collect{}
	var st ingest.RemoteStats
	files, err := ingest.Run([]string{"s3://traces/logs/?" + s.query}, ingest.Options{Window: win, Remote: &st}, c.factory)
	if err != nil {
		t.Fatal(err)
	}
	// Listed: the 8 objects not hidden (README.md included); pruned: the
	// two November trace objects; read: the other five trace objects.
	if st != (ingest.RemoteStats{Listed: 8, Pruned: 2, Read: 5}) {
		t.Errorf("stats = %+v, want listed 8, pruned 2, read 5", st)
	}
	got := map[string]ingest.FileResult{}
	for _, f := range files {
		got[strings.TrimPrefix(f.Name, "s3://traces/logs/")] = f
	}
	if len(files) != 5 {
		t.Errorf("%d file results, want 5: %+v", len(files), files)
	}
	if f := got["year=2026/month=12/day=03/hour=07/r.jsonl.gz"]; f.Compression != "gzip" || f.Format != "jsonl" || f.Error != "" {
		t.Errorf("gzip object: %+v", f)
	}
	if f := got["dt=2026-12-02/react.parquet"]; f.Format != "parquet" || f.Error != "" {
		t.Errorf("parquet object: %+v", f)
	}
	if f := got[goneKey+".jsonl"]; !strings.Contains(f.Error, "not found") {
		t.Errorf("object gone since the listing: %+v, want a not found error", f)
	}
	if f := got[deniedKey+".jsonl"]; !strings.Contains(f.Error, "access denied") {
		t.Errorf("object denied: %+v, want an access denied error", f)
	}
	// Read: react twice (JSONL, Parquet) and retry once. Their records
	// are dated June 2025, before the window, so the window also filters
	// every one of them out as a record: each is a skipped note.
	if n := len(c.records()); n != 0 {
		t.Errorf("records = %d, want 0: all are before --since", n)
	}
	// The Parquet copy's rows are not even read: its row group's
	// timestamp statistics place them all before the window
	// (ingest.SkippedUnread).
	var outside, unread int
	for _, sk := range c.sinks {
		for _, n := range sk.Notes {
			if n.Kind == ingest.NoteSkipped && n.Reason == ingest.SkippedOutsideWindow {
				outside++
			}
			if n.Kind == ingest.NoteSkipped && n.Reason == ingest.SkippedUnread {
				unread++
			}
		}
	}
	if want := reactLines + retryLines; outside != want || unread != reactLines {
		t.Errorf("records skipped outside the window = %d and unread %d, want %d and %d", outside, unread, want, reactLines)
	}

	// Without a window nothing is pruned: seven trace objects are tried
	// (two fail) and every record is kept: react three times (day=01,
	// the Parquet copy, dt=11-30) and retry twice (the gzip copy,
	// day=11-20); token sums from the independent encoding/json pass.
	c = &collect{}
	st = ingest.RemoteStats{}
	if _, err := ingest.Run([]string{"s3://traces/logs/?" + s.query}, ingest.Options{Remote: &st}, c.factory); err != nil {
		t.Fatal(err)
	}
	if st != (ingest.RemoteStats{Listed: 8, Pruned: 0, Read: 7}) {
		t.Errorf("stats without a window = %+v, want listed 8, pruned 0, read 7", st)
	}
	var n int
	var in int64
	for _, r := range c.records() {
		n++
		in += r.InputTokens
	}
	if want := 3*reactLines + 2*retryLines; n != want {
		t.Errorf("records without a window = %d, want %d", n, want)
	}
	if want := 3*reactIn + 2*retryIn; in != want {
		t.Errorf("input tokens without a window = %d, want %d", in, want)
	}
}

func TestS3SingleObjectAndErrors(t *testing.T) {
	react, err := os.ReadFile("../../testdata/react10.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	reactLines, _ := inputTokens(t, react)
	s := startS3(t, "b")
	s.put(t, "b", map[string][]byte{"a/one.log": react, "only/README.md": []byte("x")})

	// One object named by its key is read whatever its name.
	c := &collect{}
	files, err := ingest.Run([]string{"s3://b/a/one.log?" + s.query}, ingest.Options{}, c.factory)
	if err != nil || len(files) != 1 || files[0].Name != "s3://b/a/one.log" {
		t.Fatalf("single object: %v %+v", err, files)
	}
	if n := len(c.records()); n != reactLines {
		t.Errorf("records = %d, want %d (the file's lines)", n, reactLines)
	}

	for _, tc := range []struct{ in, want string }{
		{"s3://b/missing.jsonl", "no such object or prefix"},
		{"s3://b/only/", "holds no trace objects"},
		{"s3://nobucket/x/", "NoSuchBucket"},
	} {
		_, err := ingest.Run([]string{tc.in + "?" + s.query}, ingest.Options{}, (&collect{}).factory)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.in, err, tc.want)
		}
		// The query (an endpoint, which may carry credentials) is never
		// printed.
		if err != nil && strings.Contains(err.Error(), s.query) {
			t.Errorf("%s: error repeats the URL's query: %v", tc.in, err)
		}
	}
	// Credentials in the endpoint stay out of the error too: a listing of
	// a server that is not there.
	secret := "endpoint=http://user:s3cr3t@127.0.0.1:1&region=us-east-1&use_path_style=true"
	if _, err := ingest.Run([]string{"s3://b/x/?" + secret}, ingest.Options{}, (&collect{}).factory); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("listing error with credentials in the endpoint: %v", err)
	}
	// A named object the credential may not read stops the run.
	s.put(t, "b", map[string][]byte{deniedKey + ".jsonl": react})
	if _, err := ingest.Run([]string{"s3://b/" + deniedKey + ".jsonl?" + s.query}, ingest.Options{}, (&collect{}).factory); err == nil || !strings.Contains(err.Error(), "access denied") {
		t.Errorf("denied named object: %v", err)
	}
}

func TestRangeReads(t *testing.T) {
	s := startS3(t, "r")
	data := []byte("0123456789abcdefghij")
	s.put(t, "r", map[string][]byte{"k": data})
	l, err := theRemote.List(t.Context(), "s3://r/k?"+s.query, ingest.Window{})
	if err != nil {
		t.Fatal(err)
	}
	ra := theRemote.ReaderAt(t.Context(), l.Objects[0])
	before := rangeRequests.Load()
	p := make([]byte, 5)
	if n, err := ra.ReadAt(p, 10); n != 5 || err != nil || string(p) != "abcde" {
		t.Errorf("ReadAt(5@10) = %d %v %q", n, err, p)
	}
	// Past the end: the 3 bytes there and io.EOF, as io.ReaderAt says.
	if n, err := ra.ReadAt(p, 17); n != 3 || err == nil || string(p[:3]) != "hij" {
		t.Errorf("ReadAt(5@17) = %d %v %q", n, err, p[:n])
	}
	if got := rangeRequests.Load() - before; got != 2 {
		t.Errorf("%d ranged requests, want 2", got)
	}
}
