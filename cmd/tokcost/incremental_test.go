package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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
		Records         int64 `json:"records"`
		AlreadyRead     int64 `json:"already_read"`
		NotInManifest   int64 `json:"not_in_manifest"`
		ManifestMissing int64 `json:"manifest_missing"`
		Files           []struct {
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
		Manifests map[string]string
		Read      map[string]struct{ Size int64 }
	}
	b, _ := os.ReadFile(state)
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Manifests["s3://lf/exports/proj1"] != run1 || st.Read["s3://lf/"+obs(run1)].Size != int64(len(observations("r1", 3))) {
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
	// An object deleted from the listed prefix (a lifecycle rule expiring
	// old partitions) is forgotten by the state: b goes, a and c stay.
	srv.Delete(t, "lf", "plain/b.jsonl")
	srv.Put(t, "lf", map[string][]byte{"plain/d.jsonl": observations("pd", 1)})
	code, _, errOut = run(t, "analyze", "-f", "json", "-o", rep, "--state", state2, plain)
	if code != 0 || !strings.Contains(errOut, "forgot 1 inputs") {
		t.Fatalf("plain 4: exit %d: %s", code, errOut)
	}
	if got := stateNames(t, state2); strings.Join(got, " ") != "s3://lf/plain/a.jsonl s3://lf/plain/c.jsonl s3://lf/plain/d.jsonl" {
		t.Errorf("plain 4: state holds %v; want a, c, d", got)
	}
}

// stateNames is the sorted input names a state file holds.
func stateNames(t *testing.T, state string) []string {
	t.Helper()
	b, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Read map[string]json.RawMessage }
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range st.Read {
		names = append(names, filepath.ToSlash(n))
	}
	sort.Strings(names)
	return names
}

// TestStateForgetsGone: the state holds the inputs that are there, not
// every input ever read: a file deleted from an input directory is
// forgotten; a file behind a link whose target is gone (an unmounted
// disk), or in a directory left empty (a mount point whose disk is away),
// is not, since it would be read a second time when the disk is back;
// entries below inputs this run did not list stay. Record counts
// are by construction (one record a line).
func TestStateForgetsGone(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	other := filepath.Join(dir, "other")
	disk := filepath.Join(dir, "disk")
	state := filepath.Join(dir, "state.json")
	rep := filepath.Join(dir, "r.json")
	writeTree(t, in, map[string][]byte{"a.jsonl": observations("a", 3), "b.jsonl": observations("b", 2), "old/x.jsonl": observations("x", 1),
		"mp/f.jsonl": observations("f", 2)})
	writeTree(t, other, map[string][]byte{"o.jsonl": observations("o", 1)})
	writeTree(t, disk, map[string][]byte{"e.jsonl": observations("e", 4)})
	if err := os.Symlink(disk, filepath.Join(in, "mnt")); err != nil {
		t.Fatal(err)
	}
	analyze := func(inputs ...string) string {
		t.Helper()
		args := append([]string{"analyze", "-f", "json", "-o", rep, "--state", state}, inputs...)
		code, _, errOut := run(t, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		return errOut
	}
	analyze(in, other)
	rel := func(names []string) string {
		var out []string
		for _, n := range names {
			r, _ := filepath.Rel(filepath.ToSlash(dir), n)
			out = append(out, filepath.ToSlash(r))
		}
		return strings.Join(out, " ")
	}
	if got := rel(stateNames(t, state)); got != "in/a.jsonl in/b.jsonl in/mnt/e.jsonl in/mp/f.jsonl in/old/x.jsonl other/o.jsonl" {
		t.Fatalf("night 1: state holds %s", got)
	}
	// a.jsonl and the whole old/ folder are deleted, the disk behind mnt
	// is gone (the link dangles), c.jsonl is new; other/ is not an input
	// tonight.
	for _, p := range []string{filepath.Join(in, "a.jsonl"), filepath.Join(in, "old")} {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(disk, disk+".off"); err != nil { // unmounted
		t.Fatal(err)
	}
	// mp is a mount point whose disk is away: the directory is there,
	// empty (its file moved out, keeping its time).
	if err := os.Rename(filepath.Join(in, "mp", "f.jsonl"), filepath.Join(dir, "f.off")); err != nil {
		t.Fatal(err)
	}
	writeTree(t, in, map[string][]byte{"c.jsonl": observations("c", 5)})
	errOut := analyze(in)
	if !strings.Contains(errOut, "forgot 2 inputs") {
		t.Errorf("night 2: stderr %q; want 2 forgotten (a, old/x)", errOut)
	}
	if got := rel(stateNames(t, state)); got != "in/b.jsonl in/c.jsonl in/mnt/e.jsonl in/mp/f.jsonl other/o.jsonl" {
		t.Errorf("night 2: state holds %s; want b, c, mnt/e (link dangling), mp/f (empty mount point), other/o (not listed)", got)
	}
	// The disk is back, e.jsonl unchanged: already read, not counted
	// twice; nothing else is new (exit 6).
	if err := os.Rename(disk+".off", disk); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "f.off"), filepath.Join(in, "mp", "f.jsonl")); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "analyze", "-f", "json", "-o", rep, "--state", state, in); code != ExitNoRecords || !strings.Contains(errOut, "nothing new to read: 4 files") {
		t.Errorf("night 3: exit %d, stderr %q; want %d, b, c, mnt/e and mp/f already read", code, errOut, ExitNoRecords)
	}
}

// lfManifest is a Langfuse run manifest (version 1) listing keys.
func lfManifest(project string, keys ...string) []byte {
	var files []string
	for _, k := range keys {
		files = append(files, fmt.Sprintf(`{"key":%q,"table":"observations"}`, k))
	}
	return fmt.Appendf(nil, `{"version":1,"projectId":%q,"files":[%s]}`, project, strings.Join(files, ","))
}

// writeTree writes files (slash paths below dir).
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStateRefusesWindow: a --since/--until run reads part of each file;
// with --state it would mark the files read whole and the records outside
// the window would never be read: refused before anything is read.
func TestStateRefusesWindow(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{"in/a.jsonl": observations("a", 2)})
	state := filepath.Join(dir, "state.json")
	for _, flag := range []string{"--since", "--until"} {
		code, _, errOut := run(t, "analyze", "-o", os.DevNull, "--state", state, flag, "2026-12-02", filepath.Join(dir, "in"))
		if code != ExitUsage || !strings.Contains(errOut, "--state cannot be used with --since/--until") {
			t.Errorf("%s: exit %d, stderr %q; want %d", flag, code, errOut, ExitUsage)
		}
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("a refused run wrote the state: %v", err)
	}
}

// TestStateReadingOptions: the state remembers the options that change
// what is taken from a file; a run with other ones is refused, naming it,
// and the state stays.
func TestStateReadingOptions(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{"in/a.jsonl": observations("a", 2)})
	state := filepath.Join(dir, "state.json")
	in := filepath.Join(dir, "in")
	if code, _, errOut := run(t, "analyze", "-o", os.DevNull, "--state", state, in); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, errOut)
	}
	before, _ := os.ReadFile(state)
	for _, c := range []struct{ flag, value, name string }{
		{"--max-line-bytes", "1KiB", "--max-line-bytes"},
		{"--input-format", "langfuse", "--input-format"},
		{"--map", "session_id=session_id", "--input-format"}, // --map implies the mapped format: the first option compared that differs
	} {
		code, _, errOut := run(t, "analyze", "-o", os.DevNull, "--state", state, c.flag, c.value, in)
		if code != ExitUsage || !strings.Contains(errOut, "written by runs with "+c.name) {
			t.Errorf("%s %s: exit %d, stderr %q; want %d naming %s", c.flag, c.value, code, errOut, ExitUsage, c.name)
		}
	}
	// The same options, spelt another way (64MiB is the default): accepted.
	if code, _, errOut := run(t, "analyze", "-o", os.DevNull, "--state", state, "--max-line-bytes", "67108864", in); code != ExitNoRecords {
		t.Errorf("same options: exit %d, stderr %q; want %d (nothing new)", code, errOut, ExitNoRecords)
	}
	if after, _ := os.ReadFile(state); !bytes.Equal(before, after) {
		t.Errorf("a refused run changed the state")
	}
}

// TestStateFailOnUnpriced: a run that exits 5 (--fail-on-unpriced) writes
// its report but not the state: the next run reads the same files again.
func TestStateFailOnUnpriced(t *testing.T) {
	dir := t.TempDir()
	// One call of a model no price table holds: unpriced.
	writeTree(t, dir, map[string][]byte{"in/a.jsonl": []byte(strings.ReplaceAll(string(observations("a", 1)), "gpt-4o", "no-such-model-x1"))})
	state := filepath.Join(dir, "state.json")
	in := filepath.Join(dir, "in")
	code, _, errOut := run(t, "analyze", "-o", os.DevNull, "--fail-on-unpriced", "--state", state, in)
	if code != ExitUnpriced {
		t.Fatalf("exit %d, stderr %q; want %d", code, errOut, ExitUnpriced)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("a run exiting 5 wrote the state: %v", err)
	}
}

// TestStateManifestsPerProject: Langfuse exports each project on its own
// schedule; each project folder goes on from its own last manifest, so a
// project whose run is written after another project's newer run is still
// read. A local copy of the export, one record a line.
func TestStateManifestsPerProject(t *testing.T) {
	dir := t.TempDir()
	ex := filepath.Join(dir, "ex")
	state := filepath.Join(dir, "state.json")
	rep := filepath.Join(dir, "r.json")
	put := func(project, ts string, n int) {
		key := "exports/" + project + "/observations/" + ts + ".jsonl"
		writeTree(t, ex, map[string][]byte{
			project + "/observations/" + ts + ".jsonl": observations(project+ts, n),
			project + "/manifests/" + ts + ".json":     lfManifest(project, key),
		})
	}
	analyze := func(extra ...string) int64 {
		t.Helper()
		args := append([]string{"analyze", "-f", "json", "-o", rep, "--state", state}, extra...)
		code, _, errOut := run(t, append(args, ex)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		return readInput(t, rep).Input.Records
	}
	put("projA", "2026-12-03T00-00-00", 1)
	put("projB", "2026-12-04T00-00-00", 2)
	if n := analyze("--after-manifest", "0"); n != 3 {
		t.Fatalf("run 1: %d records, want 3 (projA 1 + projB 2)", n)
	}
	// projA's next run is later than its last but earlier than projB's
	// last: with one id for all it would be skipped. It is read: 4.
	put("projA", "2026-12-03T12-00-00", 4)
	if n := analyze(); n != 4 {
		t.Errorf("run 2: %d records, want projA's late run's 4", n)
	}
	b, _ := os.ReadFile(state)
	var st struct{ Manifests map[string]string }
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Manifests[filepath.ToSlash(filepath.Join(ex, "projA"))] != "2026-12-03T12-00-00" || st.Manifests[filepath.ToSlash(filepath.Join(ex, "projB"))] != "2026-12-04T00-00-00" {
		t.Errorf("state manifests: %v", st.Manifests)
	}
}

// TestStateManifestMissingFile: a manifest listing a file that is not
// there warns, fails --strict (exit 3), and does not advance its project,
// so the file is read once it appears.
func TestStateManifestMissingFile(t *testing.T) {
	dir := t.TempDir()
	ex := filepath.Join(dir, "ex")
	state := filepath.Join(dir, "state.json")
	rep := filepath.Join(dir, "r.json")
	const ts = "2026-12-03T00-00-00"
	// The manifest lists two files; only the first was copied.
	writeTree(t, ex, map[string][]byte{
		"p/observations/a.jsonl":      observations("a", 2),
		"p/manifests/" + ts + ".json": lfManifest("p", "exports/p/observations/a.jsonl", "exports/p/observations/b.jsonl"),
	})
	code, _, errOut := run(t, "analyze", "--strict", "-f", "json", "-o", rep, "--state", state, "--after-manifest", "0", ex)
	if code != ExitInvalid || !strings.Contains(errOut, "1 files listed by Langfuse manifests are not among the inputs") {
		t.Errorf("strict: exit %d, stderr %q; want %d", code, errOut, ExitInvalid)
	}
	code, _, errOut = run(t, "analyze", "-f", "json", "-o", rep, "--state", state, "--after-manifest", "0", ex)
	if code != 0 || !strings.Contains(errOut, "1 files listed by the manifests read are not among the inputs") {
		t.Fatalf("run 1: exit %d, stderr %q", code, errOut)
	}
	// The report's input accounting says what it does not stand on: the
	// manifest lists 2 files, 1 (b) is not there.
	if r := readInput(t, rep); r.Input.Records != 2 || r.Input.ManifestMissing != 1 {
		t.Errorf("run 1: %d records, %d listed but missing; want a's 2, b 1", r.Input.Records, r.Input.ManifestMissing)
	}
	// b arrives: the state did not move past the manifest, so b is read
	// (its 3 records) and a, already read, is left out.
	writeTree(t, ex, map[string][]byte{"p/observations/b.jsonl": observations("b", 3)})
	code, _, errOut = run(t, "analyze", "-f", "json", "-o", rep, "--state", state, ex)
	if code != 0 {
		t.Fatalf("run 2: exit %d, stderr %q", code, errOut)
	}
	if r := readInput(t, rep); r.Input.Records != 3 || r.Input.AlreadyRead != 1 {
		t.Errorf("run 2: %d records, %d already read; want b's 3, a 1", r.Input.Records, r.Input.AlreadyRead)
	}
}

// TestStateAfterManifestID: --after-manifest takes a Langfuse manifest id
// (YYYY-MM-DDTHH-MM-SS), ":" for "-", or 0; anything else would compare
// as text wrongly ("2026-12-04T00:00:00" sorts after "2026-12-04T00-30-00"
// because ':' > '-').
func TestStateAfterManifestID(t *testing.T) {
	dir := t.TempDir()
	ex := filepath.Join(dir, "ex")
	writeTree(t, ex, map[string][]byte{
		"p/observations/a.jsonl":               observations("a", 2),
		"p/manifests/2026-12-04T00-30-00.json": lfManifest("p", "exports/p/observations/a.jsonl"),
	})
	for _, bad := range []string{"garbage", "2026-12-04", "2026-12-04T00-00-00Z", "2026-13-04T00-00-00"} {
		if code, _, errOut := run(t, "analyze", "-o", os.DevNull, "--after-manifest", bad, ex); code != ExitUsage || !strings.Contains(errOut, "not a Langfuse manifest id") {
			t.Errorf("%q: exit %d, stderr %q; want %d", bad, code, errOut, ExitUsage)
		}
	}
	// 00:00:00 is before the manifest's 00-30-00: its 2 records are read.
	rep := filepath.Join(dir, "r.json")
	if code, _, errOut := run(t, "analyze", "-f", "json", "-o", rep, "--after-manifest", "2026-12-04T00:00:00", ex); code != 0 || readInput(t, rep).Input.Records != 2 {
		t.Errorf("colons: exit %d, stderr %q; want the manifest's 2 records", code, errOut)
	}
}

// TestStateSymlinkRotation: a link to the current log (listed before the
// file it points to) is read under its name and the file is skipped as
// the same file; once the link is re-pointed to the next log, the old log
// must not be read a second time under its own name. One record a line.
func TestStateSymlinkRotation(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeTree(t, in, map[string][]byte{"a.jsonl": observations("a", 3)})
	link := filepath.Join(in, "0-current.jsonl")
	if err := os.Symlink("a.jsonl", link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	state := filepath.Join(dir, "state.json")
	rep := filepath.Join(dir, "r.json")
	analyze := func() reportInput {
		t.Helper()
		code, _, errOut := run(t, "analyze", "-f", "json", "-o", rep, "--state", state, in)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		return readInput(t, rep)
	}
	if r := analyze(); r.Input.Records != 3 {
		t.Fatalf("night 1: %d records, want a's 3 (once)", r.Input.Records)
	}
	// Rotation: b is the new log, the link points to it.
	writeTree(t, in, map[string][]byte{"b.jsonl": observations("b", 2)})
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("b.jsonl", link); err != nil {
		t.Fatal(err)
	}
	// b's 2 records (through the link); a is already read.
	if r := analyze(); r.Input.Records != 2 || r.Input.AlreadyRead != 1 {
		t.Errorf("night 2: %d records, %d already read; want b's 2, 1 (a)", r.Input.Records, r.Input.AlreadyRead)
	}
}

// TestStateManifestTooLarge: a manifest is read whole, so one past 64 MiB
// (here a valid manifest padded with whitespace to 64 MiB + 1 byte) is
// refused with an error naming it, not held in memory.
func TestStateManifestTooLarge(t *testing.T) {
	dir := t.TempDir()
	ex := filepath.Join(dir, "ex")
	m := lfManifest("p", "exports/p/observations/a.jsonl")
	big := append(bytes.Repeat([]byte(" "), 64<<20+1-len(m)), m...)
	writeTree(t, ex, map[string][]byte{
		"p/observations/a.jsonl":               observations("a", 2),
		"p/manifests/2026-12-04T00-30-00.json": big,
	})
	code, _, errOut := run(t, "analyze", "-o", os.DevNull, "--after-manifest", "0", ex)
	if code == 0 || !strings.Contains(errOut, "2026-12-04T00-30-00.json: larger than 64 MiB, not a manifest") {
		t.Errorf("exit %d, stderr %q; want the manifest refused as too large", code, errOut)
	}
}
