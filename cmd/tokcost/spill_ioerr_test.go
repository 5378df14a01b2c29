package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpillReadBackFailsExit1: a spill file in --temp-dir that cannot be
// read back (a failing disk) stops the run with exit 1 (README, "Exit
// status": a runtime error) and one message naming what failed and the
// temp directory; nothing on stdout, no report file, and nothing left in
// the temp directory (which holds the -o report's own temp file too).
// Before the fix a worker goroutine panicked: a Go stack trace, exit 2,
// and no cleanup. The spill files are handed out write-only (reads fail
// with EBADF) from the createSpillTemp seam:
//   - records: every file, so the records' read-back fails in Finish;
//   - summaries: the second file (the records' file is made while
//     reading, the summaries' in Finish), so the runaway pass at the end
//     of Finish fails;
//   - report: the files work, but the summaries' file is closed once
//     Finish returned, so the report's first pass fails: for analyze to
//     stdout and -o, and for check, whose verdict must not stand on it.
//
// 2,000 generated sessions with --memory-limit 1MiB spill both records
// (TestSpillFileGoneAfterError) and summaries (2,000 × 512 bytes is past
// the quarter of the limit; checked on stderr in the control run).
func TestSpillReadBackFailsExit1(t *testing.T) {
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet.jsonl")
	if code, _, errOut := run(t, "gen", "--sessions", "2000", "--seed", "3", "-o", fleet); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errOut)
	}
	orig := createSpillTemp
	t.Cleanup(func() { createSpillTemp, afterFinish = orig, nil })
	var made []*os.File
	// failFrom: the files from the n-th on (1-based; 0: none) are
	// write-only.
	seam := func(failFrom int) {
		made = nil
		createSpillTemp = func(d string) (*os.File, error) {
			f, err := orig(d)
			if err != nil || failFrom == 0 || len(made)+1 < failFrom {
				made = append(made, f)
				return f, err
			}
			name := f.Name()
			_ = f.Close()
			if f, err = os.OpenFile(name, os.O_WRONLY, 0); err == nil {
				made = append(made, f)
			}
			return f, err
		}
	}
	closeSummaries := func(context.Context) {
		if len(made) != 2 {
			t.Errorf("%d spill files, want 2 (records, summaries)", len(made))
			return
		}
		_ = made[1].Close()
	}
	for _, c := range []struct {
		name     string
		failFrom int
		after    func(context.Context)
		args     []string
		out      bool // -o in the temp dir
		want     string
	}{
		{"control", 0, nil, []string{"analyze", "--format", "csv"}, true, ""},
		{"records", 1, nil, []string{"analyze", "--format", "json"}, false, "reading spilled records back from a temp file in "},
		{"records-o", 1, nil, []string{"analyze", "--format", "json"}, true, "reading spilled records back from a temp file in "},
		{"summaries", 2, nil, []string{"analyze", "--format", "csv"}, false, "reading spilled session summaries back from a temp file in "},
		{"report", 0, closeSummaries, []string{"analyze", "--format", "csv"}, false, "reading spilled session summaries back from a temp file in "},
		{"report-o", 0, closeSummaries, []string{"analyze", "--format", "html"}, true, "reading spilled session summaries back from a temp file in "},
		{"check", 0, closeSummaries, []string{"check", "--max-p95-cost", "1000"}, false, "reading spilled session summaries back from a temp file in "},
	} {
		spillDir := filepath.Join(dir, c.name)
		if err := os.Mkdir(spillDir, 0o755); err != nil {
			t.Fatal(err)
		}
		seam(c.failFrom)
		afterFinish = c.after
		args := append(c.args, "--memory-limit", "1MiB", "--temp-dir", spillDir)
		rep := filepath.Join(spillDir, "report")
		if c.out {
			args = append(args, "-o", rep)
		}
		code, out, errOut := run(t, append(args, fleet)...)
		if c.failFrom == 0 && !strings.Contains(errOut, "tokcost: spilled ") {
			// (When Finish fails the note is not printed: its error says
			// the spill file was being read.)
			t.Errorf("%s: nothing spilled, so the test shows nothing: %q", c.name, errOut)
		}
		if c.want == "" {
			if code != 0 || !strings.Contains(errOut, "MiB of session summaries to disk") {
				t.Fatalf("%s: exit %d, want 0 and the summaries spilled: %s", c.name, code, errOut)
			}
			if _, err := os.Stat(rep); err != nil {
				t.Errorf("%s: no report: %v", c.name, err)
			}
			continue
		}
		if code != ExitError {
			t.Errorf("%s: exit %d, want %d: %s", c.name, code, ExitError, errOut)
		}
		var errs []string
		for _, l := range strings.Split(strings.TrimSuffix(errOut, "\n"), "\n") {
			if !strings.HasPrefix(l, "tokcost: spilled ") { // the notes of a report-stage failure
				errs = append(errs, l)
			}
		}
		if want := "tokcost: " + c.want + spillDir + ": "; len(errs) != 1 || !strings.HasPrefix(errs[0], want) {
			t.Errorf("%s: stderr %q, want one error %q…", c.name, errOut, want)
		}
		if strings.Contains(errOut, "goroutine ") || strings.Contains(errOut, "panic") {
			t.Errorf("%s: a stack trace: %s", c.name, errOut)
		}
		if out != "" {
			t.Errorf("%s: stdout %q, want nothing", c.name, out)
		}
		if left, _ := os.ReadDir(spillDir); len(left) > 0 {
			t.Errorf("%s: left in the temp dir: %v", c.name, left)
		}
	}
}

// TestOutputsStopOnFailed: once outputs.failed reports an error (spilled
// summaries not read back), a writer's next write fails with it, on
// stdout and into a file, and commit replaces nothing, not even a file
// written in full before it: a writer that
// streams summaries and meets the failure mid-way stops there. Before
// the failure writes go through (the control).
func TestOutputsStopOnFailed(t *testing.T) {
	var out, errOut strings.Builder
	ios := &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	path := filepath.Join(t.TempDir(), "report")
	outs := newOutputs(ios)
	defer outs.discard()
	o, err := outs.open(path)
	if err != nil {
		t.Fatal(err)
	}
	path2 := filepath.Join(filepath.Dir(path), "also")
	o2, err := outs.open(path2)
	if err != nil {
		t.Fatal(err)
	}
	var failed error
	outs.failed = func() error { return failed }
	// Written in full before the failure: commit must still not replace it.
	if err := outs.write(ios, o2, func(w io.Writer) error { _, err := io.WriteString(w, "whole\n"); return err }); err != nil {
		t.Fatal(err)
	}
	why := os.ErrClosed
	for _, dst := range []*output{nil, o} {
		failed = nil
		err := outs.write(ios, dst, func(w io.Writer) error {
			if _, err := io.WriteString(w, "before\n"); err != nil {
				return err
			}
			failed = why
			_, err := io.WriteString(w, "after\n")
			return err
		})
		if !errors.Is(err, why) {
			t.Errorf("output %v: error %v, want %v", dst, err, why)
		}
	}
	if out.String() != "before\n" {
		t.Errorf("stdout %q, want only what was written before the failure", out.String())
	}
	if err := outs.commit(); !errors.Is(err, why) {
		t.Errorf("commit: %v, want %v", err, why)
	}
	for _, p := range []string{path, path2} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s was written despite the failure (stat: %v)", p, err)
		}
	}
}
