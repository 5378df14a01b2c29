package main

import (
	"errors"
	"testing"
)

// failingWriter stands for a stdout whose reader went away (broken pipe)
// or whose disk is full: every write fails.
type failingWriter struct{}

var errWriteFailed = errors.New("write failed")

func (failingWriter) Write([]byte) (int, error) { return 0, errWriteFailed }

// A listing cut short must not exit 0: the write error reaches the caller.
func TestFormatsFailedWriteIsAnError(t *testing.T) {
	cmd := newFormatsCmd(&IOStreams{Out: failingWriter{}, ErrOut: failingWriter{}})
	cmd.SetArgs(nil)
	// Run alone (not under root), cobra would print the error and usage
	// to the process's stderr, cluttering the test log.
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); !errors.Is(err, errWriteFailed) {
		t.Fatalf("formats to a failing stdout: err = %v, want %v", err, errWriteFailed)
	}
}
