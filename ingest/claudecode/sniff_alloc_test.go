package claudecode

import "testing"

// TestSniffAllocs: Sniff runs on every input that no format ahead of it
// claimed, canonical JSONL included, so a directory of 5,000 small files
// runs it 5,000 times. It reuses its parser: a new one allocated its value
// cache on every call (3.5 KB, docs/performance.md, session 7). The line
// is canonical JSONL (no "type", no "sessionId"): decodeProbe keeps no
// string, so a pooled parser leaves nothing to allocate.
func TestSniffAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops parsers at random under -race")
	}
	head := []byte(`{"id":"a-1","session_id":"a","seq":1,"kind":"llm","model":"gpt-5","input_tokens":5,"output_tokens":1}` + "\n")
	allocs := testing.AllocsPerRun(200, func() {
		if (Format{}).Sniff("part.jsonl", head) {
			t.Fatal("Sniff claimed a canonical JSONL line")
		}
	})
	if allocs >= 1 {
		t.Errorf("Sniff allocated %.1f times a call; want 0 (a reused parser)", allocs)
	}
}
