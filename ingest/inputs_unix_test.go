//go:build unix

package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Cancelling unblocks a read waiting on a pipe (a FIFO held open by a
// writer that never writes), so Ctrl-C does not wait for input.
func TestRunCancelUnblocksPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "in.jsonl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_RDWR, 0) // does not wait for a reader
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.WriteString(oneRecord)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		c := &collect{}
		_, err := Run([]string{fifo}, Options{Context: ctx}, func(FileResult, int) SinkFactory { return func() Sink { return collectSink{c} } })
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Run returned before cancel: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run still blocked 30 s after cancel")
	}
}
