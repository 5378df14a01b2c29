package codex

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// Loop detection (docs/loops.md) compares calls by their arguments and
// results. Codex writes a function_call's arguments as a JSON text and its
// output in a later function_call_output line joined by call_id.
//
// By hand: calls 1 and 2 run the same command with the keys in another
// order, and their outputs differ only in Codex's chunk id and wall time,
// so they share both hashes; call 3 runs another command.
func TestToolArgsAndResults(t *testing.T) {
	in := strings.Join([]string{
		`{"timestamp":"2026-05-11T08:27:22Z","type":"session_meta","payload":{"id":"s1"}}`,
		`{"timestamp":"2026-05-11T08:27:23Z","type":"response_item","payload":{"type":"function_call","name":"exec_command","arguments":"{\"cmd\": \"ls\", \"workdir\": \"/r\"}","call_id":"c1"}}`,
		`{"timestamp":"2026-05-11T08:27:24Z","type":"response_item","payload":{"type":"function_call_output","call_id":"c1","output":"Chunk ID: a21e41\nWall time: 1.0037 seconds\nProcess exited with code 0\nOriginal token count: 3\nOutput:\na.go\n"}}`,
		`{"timestamp":"2026-05-11T08:27:25Z","type":"response_item","payload":{"type":"function_call","name":"exec_command","arguments":"{\"workdir\":\"/r\",\"cmd\":\"ls\"}","call_id":"c2"}}`,
		`{"timestamp":"2026-05-11T08:27:26Z","type":"response_item","payload":{"type":"function_call_output","call_id":"c2","output":"Chunk ID: 853167\nWall time: 0.0000 seconds\nProcess exited with code 0\nOriginal token count: 3\nOutput:\na.go\n"}}`,
		`{"timestamp":"2026-05-11T08:27:27Z","type":"response_item","payload":{"type":"function_call","name":"exec_command","arguments":"{\"cmd\":\"pwd\"}","call_id":"c3"}}`,
		`{"timestamp":"2026-05-11T08:27:28Z","type":"response_item","payload":{"type":"function_call_output","call_id":"c3","output":"Chunk ID: 111111\nWall time: 0.1 seconds\nProcess exited with code 0\nOriginal token count: 1\nOutput:\n/r\n"}}`,
	}, "\n") + "\n"
	c := decode(t, "r.jsonl", []byte(in))
	checkAccounting(t, c, 7)
	if len(c.Recs) != 3 {
		t.Fatalf("%d records, want 3 tool calls", len(c.Recs))
	}
	a, b, d := c.Recs[0], c.Recs[1], c.Recs[2]
	if a.ToolArgsHash == 0 || a.ToolArgsHash != b.ToolArgsHash || a.ToolArgsHash == d.ToolArgsHash {
		t.Errorf("argument hashes %x %x %x: want 1 = 2 ≠ 3, none zero", a.ToolArgsHash, b.ToolArgsHash, d.ToolArgsHash)
	}
	if a.ToolResultHash == 0 || a.ToolResultHash != b.ToolResultHash || a.ToolResultHash == d.ToolResultHash {
		t.Errorf("result hashes %x %x %x: want 1 = 2 ≠ 3, none zero", a.ToolResultHash, b.ToolResultHash, d.ToolResultHash)
	}
	// The kept result is the exit line and the output:
	// len("Process exited with code 0\na.go\n") = 26 + 1 + 5 = 32.
	if a.ToolResultBytes != 32 {
		t.Errorf("result bytes %d, want 32", a.ToolResultBytes)
	}
}

// On the real rollout, the number of distinct argument hashes equals the
// number of distinct arguments found by a second method: encoding/json
// decodes each function_call's arguments and re-encodes them (map keys
// sorted), so key order and spacing vanish there too; a custom_tool_call's
// input is plain text, compared as it is. Every call with an output line
// has a result. (The rollout: 99 function_call + 3 custom_tool_call lines,
// each with its output line: grep -c.)
func TestToolArgsSample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", sample))
	if err != nil {
		t.Fatal(err)
	}
	canon := map[string]bool{}
	withOutput := map[string]bool{}
	calls := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var raw struct {
			Payload map[string]any `json:"payload"`
		}
		if json.Unmarshal(sc.Bytes(), &raw) != nil {
			continue
		}
		switch raw.Payload["type"] {
		case "function_call":
			calls++
			var v any
			if err := json.Unmarshal([]byte(raw.Payload["arguments"].(string)), &v); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(v)
			canon[string(b)] = true
		case "custom_tool_call": // its input is text (an apply_patch body)
			calls++
			canon["text:"+raw.Payload["input"].(string)] = true
		case "function_call_output", "custom_tool_call_output":
			withOutput[raw.Payload["call_id"].(string)] = true
		}
	}
	c := decode(t, sample, data)
	hashes := map[uint64]bool{}
	got, results := 0, 0
	for _, r := range c.Recs {
		if r.Kind != ingest.KindTool || r.ToolArgsHash == 0 {
			continue
		}
		got++
		hashes[r.ToolArgsHash] = true
		if r.ToolResultHash != 0 {
			results++
			if !withOutput[r.ID] {
				t.Errorf("call %s has a result but no output line", r.ID)
			}
		}
	}
	if got != calls || len(hashes) != len(canon) {
		t.Errorf("%d calls with arguments, %d distinct hashes; want %d calls, %d distinct", got, len(hashes), calls, len(canon))
	}
	if results != len(withOutput) {
		t.Errorf("%d calls with results, want %d (output lines)", results, len(withOutput))
	}
}
