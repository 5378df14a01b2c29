package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCobraErrorsByOrigin: cobra's rejections of the command line are
// usage errors (exit 2, with the help hint), and a command's own error is
// not, whatever its text. The file "accepts x.txt" holds a line no reader
// recognises; the error names the file first, so its text begins like
// cobra's "accepts N arg(s)", which matching by prefix took for a usage
// error (exit 2 and the hint), though the command line was fine.
func TestCobraErrorsByOrigin(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "accepts x.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	const hint = "--help' for usage."
	for _, tc := range []struct {
		args     []string
		code     int
		wantHint bool
	}{
		{[]string{"analyze", "accepts x.txt"}, ExitError, false},
		{[]string{"analyze"}, ExitUsage, true},                  // requires at least 1 arg(s)
		{[]string{"nosuchcommand"}, ExitUsage, true},            // unknown command
		{[]string{"diff", "a.json"}, ExitUsage, true},           // accepts 2 arg(s)
		{[]string{"formats", "extra"}, ExitUsage, true},         // NoArgs: unknown command
		{[]string{"analyze", "--nosuch", "x"}, ExitUsage, true}, // through the FlagErrorFunc
	} {
		var out, errOut bytes.Buffer
		code := Main(&IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, tc.args)
		if code != tc.code || strings.Contains(errOut.String(), hint) != tc.wantHint {
			t.Errorf("%q: exit %d, stderr %q; want exit %d, hint %v", tc.args, code, errOut.String(), tc.code, tc.wantHint)
		}
	}
}
