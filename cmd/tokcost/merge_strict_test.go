package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMergeStrictAssumedInput: merge --strict exits 3 on session tables
// whose runs assumed Cline input tokens, as analyze --strict does on their
// traces (README, exit code 3); without --strict both exit 0. The trace
// is one Cline call whose tokensIn (2,000) is above its cacheReads (900)
// with no provider to say whether it includes them: the reader assumes it
// does not (ingest/cline, "no provider assumed" in reader_test.go), so the
// table's input counts name cline.tokensIn(cache-included-unknown) once.
// Before, merge --strict exited 0 on it.
func TestMergeStrictAssumedInput(t *testing.T) {
	dir := t.TempDir()
	task := filepath.Join(dir, "tasks", "t1")
	if err := os.MkdirAll(task, 0o755); err != nil {
		t.Fatal(err)
	}
	msgs := `[{"ts":1,"type":"say","say":"api_req_started","text":"{\"tokensIn\":2000,\"tokensOut\":5,\"cacheReads\":900}","modelInfo":{"providerId":"newcomer","modelId":"claude-sonnet-4-5"}}]`
	if err := os.WriteFile(filepath.Join(task, "ui_messages.json"), []byte(msgs), 0o644); err != nil {
		t.Fatal(err)
	}
	table := filepath.Join(dir, "t.parquet")
	if code, _, errOut := run(t, "analyze", "-q", "--sessions-out", table, filepath.Join(dir, "tasks")); code != 0 {
		t.Fatalf("analyze: exit %d: %s", code, errOut)
	}
	if code, _, _ := run(t, "analyze", "-q", "--strict", filepath.Join(dir, "tasks")); code != ExitInvalid {
		t.Fatalf("analyze --strict: exit %d, want %d (the trace has an assumption)", code, ExitInvalid)
	}
	if code, _, errOut := run(t, "merge", "-q", table); code != 0 {
		t.Errorf("merge: exit %d, want 0: %s", code, errOut)
	}
	code, _, errOut := run(t, "merge", "--strict", table)
	if code != ExitInvalid || !strings.Contains(errOut, "1 Cline/Roo Code calls do not record whether tokensIn includes the cache") {
		t.Errorf("merge --strict: exit %d, stderr %q; want %d and the assumption named", code, errOut, ExitInvalid)
	}
}
