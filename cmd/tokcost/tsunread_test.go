package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/parquet"
)

// TestStrictTSUnreadableRepeatFarApart (issue 20): analyze --strict on the
// same records as Parquet (whose valid rows go to the store in batches)
// and as JSONL exits the same. A call and its copy 9,000 rows later (past
// the batch rows' repeat set of at most 8,192 ids), one of the two with a
// timestamp past 2200: the analysis keeps the first copy, so the input is
// clean (exit 0) when the copy has the bad time and not clean (exit 3,
// one ts_unreadable) when the first has it, whatever the format. The
// batch path counted the dropped copy's bad time and exited 3 on the
// clean input.
func TestStrictTSUnreadableRepeatFarApart(t *testing.T) {
	good := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	bad := time.Date(2250, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name            string
		firstTS, copyTS time.Time
		wantCode        int
	}{
		{"late copy unreadable", good, bad, ExitOK},
		{"first copy unreadable", bad, good, ExitInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var recs []ingest.Record
			var jsonl bytes.Buffer
			add := func(id string, ts time.Time) {
				recs = append(recs, ingest.Record{SessionID: "s", ID: id, Model: "gpt-4o", Kind: ingest.KindLLM,
					InputTokens: 10, OutputTokens: 5, TSNano: ts.UnixNano()})
				jsonl.WriteString(`{"session_id":"s","id":"` + id + `","model":"gpt-4o","kind":"llm","input_tokens":10,"output_tokens":5,"ts":"` +
					ts.Format(time.RFC3339Nano) + `"}` + "\n")
			}
			add("call-0", tc.firstTS)
			for i := 1; i <= 9000; i++ {
				add("call-"+strconv.Itoa(i), good.Add(time.Duration(i)*time.Second))
			}
			add("call-0", tc.copyTS)
			pq, jl := filepath.Join(dir, "r.parquet"), filepath.Join(dir, "r.jsonl")
			var buf bytes.Buffer
			if err := parquet.WriteCanonical(&buf, recs); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(pq, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(jl, jsonl.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, in := range []string{pq, jl} {
				code, _, errOut := run(t, "analyze", "--strict", "--format", "json", in)
				if code != tc.wantCode {
					t.Errorf("%s: exit %d, want %d\n%s", filepath.Base(in), code, tc.wantCode, errOut)
				}
				if unread := strings.Contains(errOut, "timestamp that cannot be read"); unread != (tc.wantCode == ExitInvalid) {
					t.Errorf("%s: stderr says unreadable timestamps: %v, want %v\n%s", filepath.Base(in), unread, !unread, errOut)
				}
			}
		})
	}
}
