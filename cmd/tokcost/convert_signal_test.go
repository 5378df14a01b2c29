//go:build linux

package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
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
		// 200,000 records: at least 40 bytes each encoded (a session id, a
		// model name and the codec's fixed fields), 8 MB, far past the 256
		// KiB run buffer --memory-limit 1MiB gives.
		fifo := filepath.Join(dir, fmt.Sprintf("in%d.jsonl", i))
		args := append([]string{"convert", "--memory-limit", "1MiB", "--temp-dir", tmp}, append(extra, fifo)...)
		interruptMidSpill(t, "TestSignalMidConvert", "TOKCOST_CONVERT_CHILD", tmp, fifo, args)
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
