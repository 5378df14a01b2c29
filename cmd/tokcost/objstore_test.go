package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputToObjectURL: object-storage URLs are inputs only. An output
// named s3://b/r.json was taken as the local path s3:/b/r.json: written
// there, exit 0, when a folder "s3:/b" happens to exist (the user believes
// the report went to the bucket), and a confusing "open s3:/b/.tokcost-…:
// no such file" (exit 1) otherwise. Expected: a usage error naming the URL,
// before anything is read, and no local file.
func TestOutputToObjectURL(t *testing.T) {
	in, err := filepath.Abs("../../testdata/react10.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	cwd := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cwd, "s3:", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(cwd)
	for _, args := range [][]string{
		{"analyze", "-q", "-o", "s3://b/r.json", in},
		{"analyze", "-q", "--sessions-out", "s3://b/s.parquet", in},
		{"whatif", "-q", "--caps", "3", "-o", "s3://b/w.txt", in},
		{"ticket", "-q", "-o", "s3://b/t.md", in},
		{"convert", "-q", "-o", "s3://b/c.parquet", in},
	} {
		code, _, errOut := run(t, args...)
		if code != ExitUsage || !strings.Contains(errOut, "object storage") {
			t.Errorf("%v: exit %d, want %d (object storage is not an output); stderr:\n%s", args, code, ExitUsage, errOut)
		}
	}
	left, _ := filepath.Glob(filepath.Join(cwd, "s3:", "b", "*"))
	left2, _ := filepath.Glob(filepath.Join(cwd, "s3:", "b", ".*"))
	if len(left)+len(left2) > 0 {
		t.Errorf("files written locally: %v %v", left, left2)
	}
}
