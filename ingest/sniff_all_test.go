package ingest_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	_ "github.com/tokcost/tokcost/ingest/claudecode"
	_ "github.com/tokcost/tokcost/ingest/cline"
	_ "github.com/tokcost/tokcost/ingest/codex"
	_ "github.com/tokcost/tokcost/ingest/csvfmt"
	_ "github.com/tokcost/tokcost/ingest/gemini"
	_ "github.com/tokcost/tokcost/ingest/langfuse"
	_ "github.com/tokcost/tokcost/ingest/litellmlogs"
	_ "github.com/tokcost/tokcost/ingest/mapped"
	_ "github.com/tokcost/tokcost/ingest/miniswe"
	_ "github.com/tokcost/tokcost/ingest/opencode"
	_ "github.com/tokcost/tokcost/ingest/openhands"
	_ "github.com/tokcost/tokcost/ingest/otel"
	_ "github.com/tokcost/tokcost/ingest/parquet"
	_ "github.com/tokcost/tokcost/ingest/sweagent"
)

// sampleFormat says which reader owns each sample in the repository, by
// path relative to the repository root. A new sample must be added here,
// so no format's sniffer is left untried on it. "!name" marks a sample
// its reader reads only when named with --input-format: no sniffer may
// claim it.
var sampleFormat = map[string]string{
	"analyze/testdata/agent-a2898e3.jsonl":                                                         "claude-code",
	"ingest/claudecode/testdata/agent-a2898e3.jsonl":                                               "claude-code",
	"ingest/claudecode/testdata/short.jsonl":                                                       "claude-code",
	"ingest/claudecode/testdata/subagent.jsonl":                                                    "claude-code",
	"ingest/claudecode/testdata/tool_heavy.jsonl":                                                  "claude-code",
	"ingest/cline/testdata/tasks/cline-xray/ui_messages.json":                                      "cline",
	"ingest/cline/testdata/tasks/fineye/ui_messages.json":                                          "cline",
	"ingest/cline/testdata/tasks/jeehunter/ui_messages.json":                                       "cline",
	"ingest/codex/testdata/rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl": "codex",
	"ingest/csvfmt/testdata/canonical.csv":                                                         "csv",
	"ingest/csvfmt/testdata/warehouse.csv":                                                         "!csv", // needs --input-format csv --map
	"ingest/gemini/testdata/session-2026-01-16T11-01-file-ops-37b7abef.json":                       "gemini-cli",
	"ingest/langfuse/testdata/blob.jsonl":                                                          "langfuse",
	"ingest/langfuse/testdata/google-adk-2025-08-28.trace.json":                                    "langfuse",
	"ingest/langfuse/testdata/langgraph-python-2025-08-22.trace.json":                              "langfuse",
	"ingest/langfuse/testdata/microsoft-agent-2025-12-17.trace.json":                               "langfuse",
	"ingest/langfuse/testdata/openai-agents-2025-09-30.trace.json":                                 "langfuse",
	"ingest/litellmlogs/testdata/spendlogs.jsonl":                                                  "litellm-spend-logs",
	"ingest/miniswe/testdata/astropy__astropy-12907.traj.json":                                     "mini-swe-agent",
	"ingest/opencode/testdata/db/opencode.db":                                                      "opencode",
	"ingest/internal/sqlite/testdata/seeds/seed.db":                                                "!opencode", // SQLite, not named as OpenCode names its database
	"ingest/internal/sqlite/testdata/seeds/seedwal.db":                                             "!opencode",
	"ingest/opencode/testdata/storage/message/ses_A/msg_a1.json":                                   "opencode",
	"ingest/opencode/testdata/storage/message/ses_A/msg_a2.json":                                   "opencode",
	"ingest/opencode/testdata/storage/message/ses_B/msg_b1.json":                                   "opencode",
	"ingest/opencode/testdata/storage/message/ses_B/msg_b2.json":                                   "opencode",
	"ingest/opencode/testdata/storage/part/msg_a2/prt_a2000001.json":                               "opencode",
	"ingest/opencode/testdata/storage/part/msg_a2/prt_a2000002.json":                               "opencode",
	"ingest/opencode/testdata/storage/part/msg_a2/prt_a2000003.json":                               "opencode",
	"ingest/opencode/testdata/storage/part/msg_a2/prt_a2000004.json":                               "opencode",
	"ingest/opencode/testdata/storage/part/msg_a2/prt_a2000005.json":                               "opencode",
	"ingest/opencode/testdata/storage/part/msg_a2/prt_a2000006.json":                               "opencode",
	"ingest/openhands/testdata/basic.json":                                                         "openhands",
	"ingest/openhands/testdata/basic_gui_mode.json":                                                "openhands",
	"ingest/openhands/testdata/basic_interactions.json":                                            "openhands",
	"ingest/openhands/testdata/wrong_initial_state.json":                                           "openhands",
	"ingest/otel/testdata/console_py.json":                                                         "otel-console",
	"ingest/otel/testdata/hand.jsonl":                                                              "otlp",
	"ingest/otel/testdata/k8s.json":                                                                "jaeger",
	"ingest/otel/testdata/tempo_export_with_batches.json":                                          "tempo",
	"ingest/otel/testdata/stdouttrace_lines.jsonl":                                                 "stdouttrace",
	"ingest/otel/testdata/stdouttrace_pretty.json":                                                 "stdouttrace",
	"ingest/parquet/testdata/duckdb-fleet.parquet":                                                 "parquet",
	"ingest/sweagent/testdata/swe-agent__test-repo-i1.traj":                                        "swe-agent",
	"testdata/fleet.jsonl":                                                                         "jsonl",
	"testdata/fleet.truth.jsonl":                                                                   "jsonl",
	"testdata/hostile.jsonl":                                                                       "jsonl",
	"testdata/planner_executor.jsonl":                                                              "jsonl",
	"testdata/react10.jsonl":                                                                       "jsonl",
	"testdata/retry15.jsonl":                                                                       "jsonl",
	"testdata/service_tiers.jsonl":                                                                 "jsonl",
}

// generic formats accept broad shapes by design and come last in the
// sniffing order; every other format must accept its own samples only.
var generic = map[string]bool{"jsonl": true, "mapped": true}

// TestEverySnifferOnEverySample runs every registered sniffer over every
// trace sample in the repository: auto-detection picks the owner, and no
// specific format accepts another format's file.
func TestEverySnifferOnEverySample(t *testing.T) {
	root := filepath.Join("..")
	found := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "fuzz" || d.Name() == "script" || strings.HasPrefix(d.Name(), ".") && p != root {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if !strings.Contains(rel, "testdata/") || strings.HasPrefix(rel, "pricing/") || !isTrace(rel) {
			return nil
		}
		found[rel] = true
		want, ok := sampleFormat[rel]
		if !ok {
			t.Errorf("%s: sample has no entry in sampleFormat", rel)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		head := data[:min(len(data), 64<<10)]
		if forced, ok := strings.CutPrefix(want, "!"); ok {
			if f, err := ingest.Detect(rel, head); err == nil {
				t.Errorf("%s (read with --input-format %s) is claimed by %s", rel, forced, f.Name())
			}
			return nil
		}
		if f, err := ingest.Detect(rel, head); err != nil {
			t.Errorf("%s: not detected (%v), want %s", rel, err, want)
		} else if f.Name() != want {
			t.Errorf("%s: detected as %s, want %s", rel, f.Name(), want)
		}
		for _, f := range ingest.Formats() {
			if f.Name() != want && !generic[f.Name()] && f.Sniff(rel, head) {
				t.Errorf("%s (%s) is also accepted by %s", rel, want, f.Name())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel := range sampleFormat {
		if !found[rel] {
			t.Errorf("%s: listed but not found", rel)
		}
	}
}

func isTrace(name string) bool {
	for _, ext := range []string{".json", ".jsonl", ".traj", ".csv", ".parquet", ".db"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}
