//go:build linux

package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalMidFinish: SIGINT while sessions are finished (after reading,
// before the report) stops the finish itself, which returns the
// cancellation to load: the run exits 130, leaves --temp-dir empty and
// the previous report in place, and does so by the graceful path, not
// the hard stop (signals.go). The child sends itself SIGINT from the
// beforeFinish hook and waits until the run's context is cancelled, so
// finish always starts cancelled, whatever the machine's speed. The
// evidence is in its stderr, not in timing: MainContext's "stopped"
// line is there and the hard stop's "did not stop in time" is not, and
// with TOKCOST_TIMING=1 the "read" phase is reported but "finish" is
// not, because an interrupted finish returns before it is reported (a
// finish that ignored the context would run to its end and print it).
// The input spills both records and summaries: 200,000 records of at
// least 4 encoded bytes (800 KB) over 2,000 sessions, past the 512 KiB
// --memory-limit 1MiB lets records keep (as TestSignalMidSpill); 2,000
// summaries at 512 bytes (1 MB) are past half the limit.
func TestSignalMidFinish(t *testing.T) {
	if os.Getenv("TOKCOST_FINISH_CHILD") == "1" {
		beforeFinish = func(ctx context.Context) {
			_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
			<-ctx.Done()
		}
		os.Exit(runProcess(flag.Args()))
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	in, report := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "report.json")
	var b bytes.Buffer
	for i := range 200_000 {
		fmt.Fprintf(&b, `{"session_id":"s%d","seq":%d,"kind":"llm","model":"gpt-4o","input_tokens":%d,"output_tokens":10}`+"\n", i%2000, i/2000+1, 100+i)
	}
	if err := os.WriteFile(in, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(report, []byte("previous output\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"analyze", "--format", "json", "-o", report, "--memory-limit", "1MiB", "--temp-dir", tmp, in}
	cmd := exec.Command(exe, append([]string{"-test.run=^TestSignalMidFinish$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "TOKCOST_FINISH_CHILD=1", "TOKCOST_TIMING=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second): // a hung child, not a timing claim
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running after 60 s; stderr:\n%s", stderr.String())
	}
	errText := stderr.String()
	if got := cmd.ProcessState.ExitCode(); got != 130 {
		t.Errorf("exit code %d, want 130; stderr:\n%s", got, errText)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) > 0 {
		t.Errorf("files left in the temp directory: %v", left)
	}
	if got, _ := os.ReadFile(report); string(got) != "previous output\n" {
		t.Errorf("report replaced: %q", got)
	}
	if !strings.Contains(errText, "interrupted by interrupt: stopped; no output file was replaced") ||
		strings.Contains(errText, "did not stop in time") {
		t.Errorf("not the graceful stop; stderr:\n%s", errText)
	}
	if !strings.Contains(errText, "tokcost: timing: read ") {
		t.Errorf("no timing line for the read phase (TOKCOST_TIMING): the evidence below is void; stderr:\n%s", errText)
	}
	if strings.Contains(errText, "tokcost: timing: finish ") {
		t.Errorf("finish ran to its end although cancelled when it began; stderr:\n%s", errText)
	}
}
