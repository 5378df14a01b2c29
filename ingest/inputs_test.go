package ingest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

const oneRecord = `{"session_id":"s1","seq":1,"kind":"llm","model":"gpt-4o","input_tokens":100,"output_tokens":10}` + "\n"

// An unreadable subdirectory is reported under its own name, not the top
// directory's, and the walk goes on (as root no directory is unreadable,
// so readDir fails on purpose).
func TestUnreadableSubdirectoryIsNamed(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	for _, p := range []string{filepath.Join(dir, "a.jsonl"), filepath.Join(sub, "b.jsonl")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(oneRecord), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	defer func(f func(string) ([]os.DirEntry, error)) { readDir = f }(readDir)
	readDir = func(p string) ([]os.DirEntry, error) {
		if p == sub {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
		}
		return os.ReadDir(p)
	}
	c := &collect{}
	res, err := Run([]string{dir}, Options{}, func(FileResult, int) SinkFactory { return func() Sink { return collectSink{c} } })
	if err != nil {
		t.Fatal(err)
	}
	// a.jsonl read (one record, by hand), sub listed with its error.
	if len(res) != 2 || res[0].Name != filepath.Join(dir, "a.jsonl") || res[1].Name != sub || res[1].Error != "unreadable directory: permission denied" {
		t.Fatalf("results %+v", res)
	}
	if len(c.recs) != 1 {
		t.Fatalf("%d records, want 1", len(c.recs))
	}
	// The top directory itself unreadable is still an error, naming it.
	readDir = func(p string) ([]os.DirEntry, error) {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
	}
	if _, err := Run([]string{dir}, Options{}, func(FileResult, int) SinkFactory { return func() Sink { return collectSink{c} } }); err == nil || err.Error() != "input "+dir+": permission denied" {
		t.Fatalf("unreadable top directory: %v", err)
	}
}

func TestIsTraceName(t *testing.T) {
	for name, want := range map[string]bool{
		"a.jsonl": true, "A.JSONL.GZ": true, "x.json.zst": true, "t.parquet": true, "s.ndjson": true,
		"notes.tar.gz": false, "data.zst": false, "trace.gz": false, "README.md": false, "a.jsonl.bak": false,
		"usage.csv": true, "U.CSV.GZ": true, "u.csv.zst": true, "u.tsv": false, "u.csv.bak": false,
	} {
		if got := IsTraceName(name); got != want {
			t.Errorf("IsTraceName(%q) = %v, want %v", name, got, want)
		}
	}
}

// A cancelled context stops Run: no input starts, and it returns the
// context's error rather than a report over fewer files.
func TestRunCancelled(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.jsonl")
	if err := os.WriteFile(p, []byte(oneRecord), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &collect{}
	_, err := Run([]string{p, p}, Options{Context: ctx}, func(FileResult, int) SinkFactory { return func() Sink { return collectSink{c} } })
	if !errors.Is(err, context.Canceled) || len(c.recs) != 0 {
		t.Fatalf("err %v, %d records; want context.Canceled and none", err, len(c.recs))
	}
}

// A database's new rows go to its WAL, leaving the file's size and time
// as they were: its stamp must change with the WAL, or --state would skip
// it as read unchanged.
func TestStampFollowsWAL(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "opencode.db")
	if err := os.WriteFile(db, []byte("SQLite format 3\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	stamp := func() Stamp {
		st, err := os.Stat(db)
		if err != nil {
			t.Fatal(err)
		}
		return stampWithWAL(db, stampOf(st))
	}
	before := stamp()
	if err := os.WriteFile(db+"-wal", make([]byte, 4152), 0o644); err != nil {
		t.Fatal(err)
	}
	after := stamp()
	// 16 bytes of file + 4152 of WAL.
	if after == before || after.Size != 16+4152 {
		t.Errorf("stamp before the WAL %+v, after %+v", before, after)
	}
}

// The same through a listing: expansion leaves the WAL to incremental,
// which must still fold it in. A state that read the database before its
// WAL held rows (16 bytes, no WAL) finds it changed and reads it again;
// the stamp recorded for next time is the file's 16 bytes plus the WAL's
// 4152.
func TestIncrementalFoldsWAL(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "opencode.db")
	if err := os.WriteFile(db, []byte("SQLite format 3\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db+"-wal", make([]byte, 4152), 0o644); err != nil {
		t.Fatal(err)
	}
	x, err := expand([]string{db})
	if err != nil {
		t.Fatal(err)
	}
	inc := &Incremental{Read: map[string]Stamp{db: stampOf(st)}}
	if err := x.incremental(inc); err != nil {
		t.Fatal(err)
	}
	if inc.Changed != 1 || inc.AlreadyRead != 0 || len(x.inputs) != 1 || inc.Stamps[db].Size != 16+4152 {
		t.Errorf("changed %d, already read %d, %d inputs kept, stamp %+v; want 1, 0, 1, size 4168",
			inc.Changed, inc.AlreadyRead, len(x.inputs), inc.Stamps[db])
	}
}
