package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/internal/s3test"
)

// TestMergeFromS3: merge reads session tables from an object-storage
// prefix like a local directory: its *.parquet objects in key order, by
// ranged reads. The expected report is computed by a second method, one
// analyze run over all the buckets' traces (merge.txtar shows that equals
// the merge of the local tables), so the merged bytes must equal it.
func TestMergeFromS3(t *testing.T) {
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet.jsonl")
	buckets := filepath.Join(dir, "b")
	mustRun(t, "gen", "-n", "600", "--seed", "5", "--loop-shapes", "-o", fleet)
	mustRun(t, "convert", "-q", "--partition-by", "session", "--buckets", "3", "-o", buckets, fleet)
	objs := map[string][]byte{
		"tables/notes.txt":         []byte("not a table"), // not .parquet: left out
		"tables/.hidden/x.parquet": []byte("hidden"),      // hidden: left out
		"other/not-listed.parquet": []byte("outside the prefix"),
	}
	for i := 0; i < 3; i++ {
		tbl := filepath.Join(dir, fmt.Sprintf("b%02d.parquet", i))
		mustRun(t, "analyze", "-q", "-f", "json", "-o", os.DevNull, "--sessions-out", tbl,
			filepath.Join(buckets, fmt.Sprintf("bucket=%03d", i)))
		b, err := os.ReadFile(tbl)
		if err != nil {
			t.Fatal(err)
		}
		objs["tables/run/"+filepath.Base(tbl)] = b
	}
	srv := s3test.Start(t, "fleet")
	srv.Put(t, "fleet", objs)

	one := filepath.Join(dir, "one.json")
	mustRun(t, "analyze", "-q", "-f", "json", "-o", one, buckets)
	merged := filepath.Join(dir, "merged.json")
	code, _, errOut := run(t, "merge", "--strict", "-f", "json", "-o", merged, "s3://fleet/tables?"+srv.Query)
	if code != 0 {
		t.Fatalf("merge s3://: exit %d: %s", code, errOut)
	}
	want, _ := os.ReadFile(one)
	got, _ := os.ReadFile(merged)
	if !bytes.Equal(got, want) {
		t.Errorf("merge of the tables on S3 differs from one analyze run over the buckets")
	}
	if !bytes.Contains(got, []byte(`"count": 600,`)) { // gen -n 600
		t.Errorf("merged report does not count 600 sessions")
	}

	// One object named by its key is read whatever its name; a prefix
	// without tables is an error naming the prefix, not the endpoint.
	code, _, errOut = run(t, "merge", "-q", "-f", "json", "-o", os.DevNull, "s3://fleet/tables/run/b01.parquet?"+srv.Query)
	if code != 0 {
		t.Errorf("merge of one object: exit %d: %s", code, errOut)
	}
	srv.Put(t, "fleet", map[string][]byte{"empty/a.jsonl": []byte("{}\n")})
	code, _, errOut = run(t, "merge", "-q", "s3://fleet/empty/?"+srv.Query)
	if code == 0 || !strings.Contains(errOut, "s3://fleet/empty/: no .parquet session tables") || strings.Contains(errOut, "127.0.0.1") {
		t.Errorf("merge of a prefix without tables: exit %d, stderr %q", code, errOut)
	}
}

func mustRun(t *testing.T, args ...string) {
	t.Helper()
	if code, _, errOut := run(t, args...); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
}
