//go:build linux

package main

import (
	"bytes"
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

// TestSignalMidSpill sends SIGINT to a real tokcost process that has
// spilled records to --temp-dir and is still reading: it must exit 130
// and leave nothing in the temp directory. The input is a FIFO the test
// holds open, so the child is blocked reading when the signal comes; the
// spill is seen in /proc/PID/fd (Linux): the child holds a file of the
// temp directory, already unlinked ("(deleted)").
func TestSignalMidSpill(t *testing.T) {
	if os.Getenv("TOKCOST_SPILL_CHILD") == "1" {
		os.Exit(runProcess(flag.Args()))
	}
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "in.jsonl")
	// 200,000 records over 2,000 sessions: at least 4 bytes each encoded
	// (the four leading bytes), 800 KB, past the 512 KiB --memory-limit
	// 1MiB lets records keep.
	interruptMidSpill(t, "TestSignalMidSpill", "TOKCOST_SPILL_CHILD", tmp, fifo,
		[]string{"analyze", "--format", "json", "--memory-limit", "1MiB", "--temp-dir", tmp, fifo})
}

// interruptMidSpill makes fifo a FIFO fed 200,000 canonical records over
// 2,000 sessions, runs the test binary as tokcost with args (test is the
// running test, whose child branch runs when env is "1"), sends SIGINT
// once the child holds a temp file in tmp, and checks it exits 130 and
// leaves tmp empty. It returns the child's stderr.
func interruptMidSpill(t *testing.T, test, env, tmp, fifo string, args []string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	go func() {
		var b bytes.Buffer
		for i := range 200_000 {
			fmt.Fprintf(&b, `{"session_id":"s%d","seq":%d,"kind":"llm","model":"gpt-4o","input_tokens":%d,"output_tokens":10}`+"\n", i%2000, i/2000+1, 100+i)
			if b.Len() > 1<<16 {
				if _, err := w.Write(b.Bytes()); err != nil {
					return
				}
				b.Reset()
			}
		}
		w.Write(b.Bytes())
	}()

	cmd := exec.Command(exe, append([]string{"-test.run=^" + test + "$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), env+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	deadline := time.Now().Add(60 * time.Second)
	for !holdsSpill(cmd.Process.Pid, tmp) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			t.Fatalf("%v: the child never spilled into %s; stderr:\n%s", args, tmp, stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v: still running 30 s after SIGINT; stderr:\n%s", args, stderr.String())
	}
	if got := cmd.ProcessState.ExitCode(); got != 130 {
		t.Errorf("%v: exit code %d, want 130; stderr:\n%s", args, got, stderr.String())
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) > 0 {
		t.Errorf("%v: files left in the temp directory: %v", args, left)
	}
	return stderr.String()
}

// holdsSpill reports whether process pid has a file of dir open.
func holdsSpill(pid int, dir string) bool {
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)+".tokcost-") {
			return true
		}
	}
	return false
}
