package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TOKCOST_HEAPPROFILE without TOKCOST_TIMING: the profile is written, and a
// profile that cannot be written is told on the streams' ErrOut, not on
// os.Stderr past the IOStreams (issue 12.5); no timing line is printed.
func TestHeapProfileThroughErrOut(t *testing.T) {
	t.Setenv("TOKCOST_TIMING", "")
	dir := t.TempDir()

	t.Setenv("TOKCOST_HEAPPROFILE", filepath.Join(dir, "p"))
	var ok bytes.Buffer
	newPhaseTimer(&ok).done("read")
	if _, err := os.Stat(filepath.Join(dir, "p-read.pprof")); err != nil {
		t.Errorf("profile not written: %v", err)
	}
	if ok.Len() != 0 {
		t.Errorf("ErrOut %q, want nothing (no TOKCOST_TIMING, no error)", ok.String())
	}

	// A prefix inside a directory that does not exist cannot be created.
	t.Setenv("TOKCOST_HEAPPROFILE", filepath.Join(dir, "missing", "p"))
	var bad bytes.Buffer
	newPhaseTimer(&bad).done("finish")
	if !strings.HasPrefix(bad.String(), "tokcost: TOKCOST_HEAPPROFILE: ") || strings.Contains(bad.String(), "timing") {
		t.Errorf("ErrOut %q, want the profile's error alone", bad.String())
	}
}

// Neither variable set: no timer, and done on it does nothing.
func TestPhaseTimerOff(t *testing.T) {
	t.Setenv("TOKCOST_TIMING", "")
	t.Setenv("TOKCOST_HEAPPROFILE", "")
	if tm := newPhaseTimer(&bytes.Buffer{}); tm != nil {
		t.Fatalf("timer %+v, want nil", tm)
	}
	(*phaseTimer)(nil).done("read")
}
