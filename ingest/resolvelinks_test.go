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
