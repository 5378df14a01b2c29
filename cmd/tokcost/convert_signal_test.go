//go:build linux

package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSignalMidConvert sends SIGINT to a real `tokcost convert` that has
// written sorted runs to --temp-dir and is still reading: it must exit 130,
// leave nothing in the temp directory and write no output (nor leave the
// output's own temp file beside it). The input is a FIFO the test holds
// open, so the child is blocked reading when the signal comes; the runs'
// file is seen in /proc/PID/fd (TestSignalMidSpill's pattern).
func TestSignalMidConvert(t *testing.T) {
	if os.Getenv("TOKCOST_CONVERT_CHILD") == "1" {
		os.Exit(runProcess(flag.Args()))
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	outDir := filepath.Join(dir, "out")
	for _, d := range []string{tmp, outDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i, extra := range [][]string{
		{"-o", filepath.Join(outDir, "out.parquet")},
		{"--partition-by", "session", "--buckets", "4", "-o", filepath.Join(outDir, "buckets")},
	} {
		// A FIFO of its own for each child: a FIFO's bytes go to one reader.
		fifo := filepath.Join(dir, fmt.Sprintf("in%d.jsonl", i))
		args := append([]string{"convert", "--memory-limit", "1MiB", "--temp-dir", tmp}, append(extra, fifo)...)
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := os.OpenFile(fifo, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		// 200,000 records: at least 40 bytes each encoded (a session id, a
		// model name and the codec's fixed fields), 8 MB, far past the 256 KiB
		// run buffer --memory-limit 1MiB gives.
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
		cmd := exec.Command(exe, append([]string{"-test.run=^TestSignalMidConvert$", "--"}, args...)...)
		cmd.Env = append(os.Environ(), "TOKCOST_CONVERT_CHILD=1")
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
		var written []string
		filepath.WalkDir(outDir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				written = append(written, p)
			}
			return nil
		})
		if len(written) > 0 {
			t.Errorf("%v: interrupted, yet wrote %v", args, written)
		}
	}
}
