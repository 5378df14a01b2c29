//go:build unix

package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// -o to a FIFO writes through it: the FIFO is still a FIFO afterwards,
// its reader got the report, and no temp file was made beside it. The
// reader opens the FIFO first (O_RDWR does not wait), so a regression
// that renames a file over it cannot hang the test.
func TestOutputToFIFOWritesThrough(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "out.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	in := filepath.Join(dir, "t.jsonl")
	if err := os.WriteFile(in, []byte(`{"session_id":"s1","seq":1,"kind":"llm","model":"gpt-4o","input_tokens":100,"output_tokens":10}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		var buf bytes.Buffer
		r.SetReadDeadline(time.Now().Add(30 * time.Second))
		b := make([]byte, 4096)
		for !bytes.Contains(buf.Bytes(), []byte("\n}\n")) { // the JSON report's last line
			n, err := r.Read(b)
			buf.Write(b[:n])
			if err != nil && err != io.EOF {
				break
			}
		}
		got <- buf.Bytes()
	}()
	var stderr bytes.Buffer
	code := Main(&IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &stderr}, []string{"analyze", "--format", "json", "-o", fifo, in})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	st, err := os.Lstat(fifo)
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("%s is no longer a FIFO: %v %v", fifo, st.Mode(), err)
	}
	if b := <-got; !bytes.Contains(b, []byte(`"schema_version": 1`)) {
		t.Errorf("the FIFO's reader got %q, want the JSON report", b)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".tokcost-*")); len(m) > 0 {
		t.Errorf("temp files beside the FIFO: %v", m)
	}
}

// -o naming a block device (a disk, a partition) is refused before
// anything is opened: writing a report "straight through" as for
// /dev/null would overwrite the disk. The node is made here with major
// 200, which no block driver has (/proc/devices), so a regression gets
// ENXIO from the kernel and touches no real device.
func TestOutputToBlockDeviceRefused(t *testing.T) {
	if !canMknod() {
		t.Skip("needs root to make a device node")
	}
	dir := t.TempDir()
	dev := filepath.Join(dir, "disk")
	if err := syscall.Mknod(dev, syscall.S_IFBLK|0o600, 200<<8); err != nil { // major 200, minor 0
		t.Skip("cannot make a block device node here:", err)
	}
	s := newOutputs(&IOStreams{})
	defer s.discard()
	o, err := s.open(dev)
	if err == nil {
		t.Fatalf("open(%s) = %+v, want an error: it is a block device", dev, o)
	}
	if !strings.Contains(err.Error(), "block device") {
		t.Fatalf("error %q does not say why", err)
	}
}
