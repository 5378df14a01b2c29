package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokcost/tokcost/internal/s3test"
)

// observations is a Langfuse blob-export JSONL file (docs/formats/langfuse.md)
// of n GENERATION observations of one session: n records, one a line.
func observations(file string, n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"id":"%s-%d","trace_id":"t-%s","session_id":"s-%s","type":"GENERATION","name":"chat","start_time":"2026-12-02 00:00:%02d.000000","end_time":"2026-12-02 00:00:%02d.500000","level":"DEFAULT","provided_model_name":"gpt-4o","usage_details":{"input":100,"output":10,"total":110}}`+"\n",
			file, i, file, file, i, i)
	}
	return []byte(b.String())
}

// reportInput is the part of the JSON report these tests read.
type reportInput struct {
	Input struct {
		Records       int64 `json:"records"`
		AlreadyRead   int64 `json:"already_read"`
		NotInManifest int64 `json:"not_in_manifest"`
		Files         []struct {
			Name string `json:"name"`
		} `json:"files"`
		Objects *struct {
			Listed, Pruned, Read int64
			AlreadyRead          int64 `json:"already_read"`
			NotInManifest        int64 `json:"not_in_manifest"`
		} `json:"objects"`
	} `json:"input"`
}

func readInput(t *testing.T, path string) reportInput {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r reportInput
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestStateLocalDirectory: a nightly job on a growing directory with
// --state reads each file once. Expected counts are by construction: each
// file holds a known number of one-record lines.
func TestStateLocalDirectory(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	state := filepath.Join(dir, "state.json")
	rep := filepath.Join(dir, "r.json")
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(in, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	write("a.jsonl", observations("a", 3))
	write("b.jsonl", observations("b", 2))
	analyze := func() (int, string) {
		code, _, errOut := run(t, "analyze", "-f", "json", "-o", rep, "--state", state, in)
		return code, errOut
	}

	// Night 1: no state yet: both files, 3 + 2 records.
	if code, errOut := analyze(); code != 0 {
		t.Fatalf("night 1: exit %d: %s", code, errOut)
	}
	if r := readInput(t, rep); r.Input.Records != 5 || r.Input.AlreadyRead != 0 {
		t.Fatalf("night 1: %d records, %d already read; want 5, 0", r.Input.Records, r.Input.AlreadyRead)
	}
	// Night 2: c.jsonl is new (4 records); a and b are left out.
	write("c.jsonl", observations("c", 4))
	code, errOut := analyze()
	if code != 0 {
		t.Fatalf("night 2: exit %d: %s", code, errOut)
	}
	r := readInput(t, rep)
	if r.Input.Records != 4 || r.Input.AlreadyRead != 2 || len(r.Input.Files) != 1 || filepath.Base(r.Input.Files[0].Name) != "c.jsonl" {
		t.Fatalf("night 2: %+v; want 4 records of c.jsonl, 2 already read", r.Input)
	}
	if !strings.Contains(errOut, "2 files or objects already read") {
		t.Errorf("night 2: stderr does not say what was left out: %q", errOut)
	}

	// Nothing new: exit 6, the state and the last report are untouched.
	before, _ := os.ReadFile(state)
	lastReport, _ := os.ReadFile(rep)
	if code, errOut := analyze(); code != ExitNoRecords || !strings.Contains(errOut, "nothing new to read: 3 files") {
		t.Errorf("nothing new: exit %d, stderr %q; want %d", code, errOut, ExitNoRecords)
	}
	if after, _ := os.ReadFile(state); !bytes.Equal(before, after) {
		t.Errorf("a run without a report changed the state file")
	}
	if after, _ := os.ReadFile(rep); !bytes.Equal(lastReport, after) {
		t.Errorf("a run without a report replaced the report")
	}

	// A failing run (--strict, an invalid line in d.jsonl) leaves the
	// state as it was: d is read again next time.
	write("d.jsonl", append(observations("d", 1), "not json\n"...))
	if code, _, _ := run(t, "analyze", "--strict", "-f", "json", "-o", rep, "--state", state, in); code != ExitInvalid {
		t.Fatalf("strict run: exit %d, want %d", code, ExitInvalid)
	}
	if after, _ := os.ReadFile(state); !bytes.Equal(before, after) {
		t.Errorf("a failed run changed the state file")
	}
	// A file changed since it was read (a grew by 2 lines and its time
	// moved) is read again, whole, with a warning: a's 3 + 2 records and
	// d's 1 (its invalid line is counted, not fatal without --strict).
	write("a.jsonl", observations("a", 5))
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(in, "a.jsonl"), future, future); err != nil {
		t.Fatal(err)
	}
	code, errOut = analyze()
	if code != 0 {
		t.Fatalf("night 4: exit %d: %s", code, errOut)
	}
	if r := readInput(t, rep); r.Input.Records != 6 || r.Input.AlreadyRead != 2 {
		t.Errorf("night 4: %d records, %d already read; want 6 (a: 5, d: 1), 2 (b, c)", r.Input.Records, r.Input.AlreadyRead)
	}
	if !strings.Contains(errOut, "1 files or objects changed since") {
		t.Errorf("night 4: no warning about the changed file: %q", errOut)
	}

	// The state file is an output: inside an input directory with a
	// trace ending it would be read as traces next time: refused.
	if code, _, errOut := run(t, "analyze", "-o", os.DevNull, "--state", filepath.Join(in, "state.json"), in); code != ExitUsage || !strings.Contains(errOut, "inside the input directory") {
		t.Errorf("state inside the input: exit %d, stderr %q", code, errOut)
	}
	// A state file that is not one is a usage error, and is not replaced.
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte("[1,2]"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "analyze", "-o", os.DevNull, "--state", filepath.Join(dir, "bad.json"), in); code != ExitUsage || !strings.Contains(errOut, "not a tokcost state file") {
		t.Errorf("bad state: exit %d, stderr %q", code, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "bad.json")); string(b) != "[1,2]" {
		t.Errorf("bad state file replaced: %q", b)
	}
}

// TestStateLangfuseExportS3: a Langfuse blob export on S3, laid out as
// Langfuse's worker writes it (langfuse/langfuse,
// worker/src/features/blobstorage/manifest.ts and
// handleBlobStorageIntegrationProjectJob.ts): PREFIX/PROJECT/TABLE/TS.jsonl
// per table and run, and the run's manifest PREFIX/PROJECT/manifests/TS.json
// written last, listing the run's files. Expected counts are by
// construction (one record a line).
func TestStateLangfuseExportS3(t *testing.T) {
	srv := s3test.Start(t, "lf")
	manifest := func(ts string, keys ...string) []byte {
		var files []string
		for _, k := range keys {
			files = append(files, fmt.Sprintf(`{"key":%q,"table":"observations","fileType":"JSONL","format":"jsonl","compressed":false,"contentType":"application/x-ndjson; charset=utf-8","sizeBytes":1,"rowCount":1}`, k))
		}
		return fmt.Appendf(nil, `{"version":1,"projectId":"proj1","exportSource":"TRACES_OBSERVATIONS","window":{"minTimestamp":"x","maxTimestamp":"y"},"maxTimestamp":"y","createdAt":"z","tables":["observations"],"files":[%s]}`, strings.Join(files, ","))
	}
	const run1, run2, run3 = "2026-12-02T00-00-00", "2026-12-03T00-00-00", "2026-12-04T00-00-00"
	obs := func(ts string) string { return "exports/proj1/observations/" + ts + ".jsonl" }
	srv.Put(t, "lf", map[string][]byte{
		obs(run1): observations("r1", 3),
		"exports/proj1/manifests/" + run1 + ".json": manifest(run1, obs(run1)),
	})
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	rep := filepath.Join(dir, "r.json")
	url := "s3://lf/exports/?" + srv.Query
	analyze := func(extra ...string) (int, string) {
		args := append([]string{"analyze", "-f", "json", "-o", rep, "--state", state}, extra...)
		code, _, errOut := run(t, append(args, url)...)
		return code, errOut
	}

	// First run: every manifest ("0" sorts before any id): run 1's 3
	// records; the manifest itself is not read as traces (it is counted
	// as listed and ignored: 2 listed, 1 read).
	if code, errOut := analyze("--after-manifest", "0"); code != 0 {
		t.Fatalf("run 1: exit %d: %s", code, errOut)
	}
	r := readInput(t, rep)
	if r.Input.Records != 3 || r.Input.Objects == nil || r.Input.Objects.Listed != 2 || r.Input.Objects.Read != 1 {
		t.Fatalf("run 1: %+v %+v; want 3 records, 2 objects listed, 1 read", r.Input, r.Input.Objects)
	}
	var st struct {
		AfterManifest string `json:"after_manifest"`
		Read          map[string]struct{ Size int64 }
	}
	b, _ := os.ReadFile(state)
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.AfterManifest != run1 || st.Read["s3://lf/"+obs(run1)].Size != int64(len(observations("r1", 3))) {
		t.Fatalf("state after run 1: %s", b)
	}

	// Langfuse's next run has committed (files, then manifest), the one
	// after is half written (its file, no manifest yet). The state alone
	// (no flag) goes on from run 1's manifest: run 2's 2 records only; run
	// 3's file waits for its manifest, and run 1's is not read again.
	srv.Put(t, "lf", map[string][]byte{
		obs(run2): observations("r2", 2),
		"exports/proj1/manifests/" + run2 + ".json": manifest(run2, obs(run2)),
		obs(run3): observations("r3", 4),
	})
	code, errOut := analyze()
	if code != 0 {
		t.Fatalf("run 2: exit %d: %s", code, errOut)
	}
	// 5 listed: 3 observation files + 2 manifests (ignored); run 1's and
	// run 3's files are in no newer manifest; run 2's is read.
	if r := readInput(t, rep); r.Input.Records != 2 || len(r.Input.Files) != 1 || r.Input.Files[0].Name != "s3://lf/"+obs(run2) ||
		r.Input.NotInManifest != 2 || r.Input.Objects.Listed != 5 || r.Input.Objects.NotInManifest != 2 || r.Input.Objects.Read != 1 {
		t.Errorf("run 2: %+v %+v; want run 2's 2 records only, 5 listed, 2 not in a newer manifest, 1 read", r.Input, r.Input.Objects)
	}
	if !strings.Contains(errOut, "read 1 manifests ("+run2+")") || !strings.Contains(errOut, "2 objects under manifest folders are in no newer manifest") {
		t.Errorf("run 2: stderr %q", errOut)
	}

	// Run 3 commits: its 4 records, nothing else.
	srv.Put(t, "lf", map[string][]byte{"exports/proj1/manifests/" + run3 + ".json": manifest(run3, obs(run3))})
	if code, errOut := analyze(); code != 0 {
		t.Fatalf("run 3: exit %d: %s", code, errOut)
	}
	if r := readInput(t, rep); r.Input.Records != 4 {
		t.Errorf("run 3: %d records, want 4", r.Input.Records)
	}

	// Without manifests, the state alone: a fresh state over a prefix of
	// plain objects reads them once; the next run, with one object
	// added, reads that one and counts the others as already read.
	srv.Put(t, "lf", map[string][]byte{"plain/a.jsonl": observations("pa", 2), "plain/b.jsonl": observations("pb", 1)})
	state2 := filepath.Join(dir, "state2.json")
	plain := "s3://lf/plain/?" + srv.Query
	if code, _, errOut := run(t, "analyze", "-f", "json", "-o", rep, "--state", state2, plain); code != 0 {
		t.Fatalf("plain 1: exit %d: %s", code, errOut)
	}
	srv.Clock.T = srv.Clock.T.Add(time.Minute)
	srv.Put(t, "lf", map[string][]byte{"plain/c.jsonl": observations("pc", 5)})
	if code, _, errOut := run(t, "analyze", "-f", "json", "-o", rep, "--state", state2, plain); code != 0 {
		t.Fatalf("plain 2: exit %d: %s", code, errOut)
	}
	r = readInput(t, rep)
	if r.Input.Records != 5 || r.Input.AlreadyRead != 2 || r.Input.Objects.AlreadyRead != 2 || r.Input.Objects.Read != 1 || r.Input.Objects.Listed != 3 {
		t.Errorf("plain 2: %+v %+v; want c's 5 records, 3 listed = 2 already read + 1 read", r.Input, r.Input.Objects)
	}
	// An object rewritten in place (same key, new content and time) is
	// read again.
	srv.Clock.T = srv.Clock.T.Add(time.Minute)
	srv.Put(t, "lf", map[string][]byte{"plain/a.jsonl": observations("pa", 3)})
	code, _, errOut = run(t, "analyze", "-f", "json", "-o", rep, "--state", state2, plain)
	if code != 0 || !strings.Contains(errOut, "1 files or objects changed since") {
		t.Fatalf("plain 3: exit %d: %s", code, errOut)
	}
	if r := readInput(t, rep); r.Input.Records != 3 {
		t.Errorf("plain 3: %d records, want a's 3", r.Input.Records)
	}
}
