//go:build unix

package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSignalRemovesTempFiles sends a real SIGINT (and SIGTERM) to a real
// tokcost process in the middle of `analyze -o … --sessions-out …`: it
// must exit 128 + the signal number, say so, leave no .tokcost-* temp file
// in the output directory and leave the previous outputs as they were.
// The input is a FIFO the test holds open, so the child is reliably
// blocked reading when the signal comes, with its temp files made.
func TestSignalRemovesTempFiles(t *testing.T) {
	if os.Getenv("TOKCOST_SIGNAL_CHILD") == "1" {
		os.Exit(runProcess(flag.Args())) // the arguments after --
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}
			report, sessions := filepath.Join(out, "report.json"), filepath.Join(out, "sessions.parquet")
			for _, p := range []string{report, sessions} {
				if err := os.WriteFile(p, []byte("previous output\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fifo := filepath.Join(dir, "in.jsonl")
			if err := syscall.Mkfifo(fifo, 0o644); err != nil {
				t.Fatal(err)
			}
			// O_RDWR does not wait for a reader, and keeps the FIFO open
			// for writing, so the child's read blocks instead of ending.
			w, err := os.OpenFile(fifo, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			w.WriteString(`{"session_id":"s1","seq":1,"kind":"llm","model":"gpt-4o","input_tokens":100,"output_tokens":10}` + "\n")

			args := []string{"analyze", "--format", "json", "-o", report, "--sessions-out", sessions, fifo}
			cmd := exec.Command(exe, append([]string{"-test.run=^TestSignalRemovesTempFiles$", "--"}, args...)...)
			cmd.Env = append(os.Environ(), "TOKCOST_SIGNAL_CHILD=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()

			// Both temp files exist once the child is past its setup.
			deadline := time.Now().Add(30 * time.Second)
			for len(tempsIn(t, out)) < 2 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					<-done
					t.Fatalf("no temp files appeared in %s; stderr:\n%s", out, stderr.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running 30 s after %s; stderr:\n%s", sig, stderr.String())
			}
			// 130 for SIGINT, 143 for SIGTERM: the shell's 128 + signal.
			if got, want := cmd.ProcessState.ExitCode(), 128+int(sig); got != want {
				t.Errorf("exit code %d, want %d; stderr:\n%s", got, want, stderr.String())
			}
			// The run stopped through its context (the message MainContext
			// prints), not the signal handler's fallback exit.
			if want := "tokcost: interrupted by " + sig.String() + ": stopped; no output file was replaced\n"; stderr.String() != want {
				t.Errorf("stderr %q, want %q", stderr.String(), want)
			}
			if left := tempsIn(t, out); len(left) > 0 {
				t.Errorf("temp files left behind: %v", left)
			}
			for _, p := range []string{report, sessions} {
				if b, err := os.ReadFile(p); err != nil || string(b) != "previous output\n" {
					t.Errorf("%s: %q, %v; want the previous output intact", p, b, err)
				}
			}
		})
	}
}

func tempsIn(t *testing.T, dir string) []string {
	m, err := filepath.Glob(filepath.Join(dir, ".tokcost-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
