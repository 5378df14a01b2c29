package ingest

import (
	"os"
	"path/filepath"
	"testing"
)

// A relative link target is relative to the directory the link really is
// in. Reached through a symlinked directory, "a/link -> ../t.jsonl" with
// a -> x/y names x/t.jsonl; joining lexically gave ./t.jsonl, and
// `analyze t.jsonl -o a/link` renamed its report over the input t.jsonl.
func TestResolveLinksThroughLinkedDirectory(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "x", "y"), 0o755))
	must(os.Symlink(filepath.Join("x", "y"), filepath.Join(dir, "a")))
	must(os.Symlink(filepath.Join("..", "t.jsonl"), filepath.Join(dir, "x", "y", "link")))
	must(os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte("{}\n"), 0o644))

	got := ResolveLinks(filepath.Join(dir, "a", "link"))
	// The link lives in dir/x/y, so ../t.jsonl is dir/x/t.jsonl (by hand).
	wantDir, err := filepath.EvalSymlinks(filepath.Join(dir, "x"))
	must(err)
	gotDir, err := filepath.EvalSymlinks(filepath.Dir(got))
	must(err)
	if gotDir != wantDir || filepath.Base(got) != "t.jsonl" {
		t.Fatalf("ResolveLinks = %s, want %s", got, filepath.Join(wantDir, "t.jsonl"))
	}
	// The input is named as a file: the output must clash with nothing
	// (it is a new file), and above all not be the input.
	must(os.WriteFile(filepath.Join(dir, "x", "t.jsonl"), []byte("old\n"), 0o644))
	if err := OutputClash([]string{filepath.Join(dir, "x", "t.jsonl")}, filepath.Join(dir, "a", "link")); err == nil {
		t.Fatal("output through a/link is the input x/t.jsonl; no clash reported")
	}
}

// Two outputs naming one file (the same path spelled two ways, or a link
// to it) are refused: the second rename replaced the first output and the
// run exited 0 (analyze -o same.json --sessions-out same.json left only
// the Parquet table).
func TestOutputClashSameOutputTwice(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(in, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "r.json")
	if err := os.Symlink("r.json", filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{
		{out, out},
		{out, filepath.Join(dir, ".", "r.json")},
		{out, filepath.Join(dir, "link.json")},
	} {
		if err := OutputClash([]string{in}, pair[0], "-", pair[1]); err == nil {
			t.Errorf("outputs %s and %s: no clash reported", pair[0], pair[1])
		}
	}
	if err := OutputClash([]string{in}, out, filepath.Join(dir, "s.parquet"), "-", "-"); err != nil {
		t.Errorf("different outputs and stdout twice: %v", err)
	}
}
