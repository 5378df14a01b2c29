package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClineTasks analyses the three real Cline task excerpts
// (ingest/cline/testdata/README.md has the independent figures):
//
//	sessions 3 (the task folders); lines 269 + 380 + 435 = 1084 messages,
//	skipped 238 + 319 + 382 = 939; input 777242 + 3322890 + 6696517 = 10796649;
//	output 4086 + 23260 + 51905 = 79251.
//	cost: cline-xray, claude-opus-4-6 at $5 / $25 / $0.5 read / $6.25 write:
//	  (6696517-5349183-1346804)·5 + 51905·25 + 5349183·0.5 + 1346804·6.25 = 12392391.5 µ$ = 12.3923915,
//	  which is also the sum of the file's own cost fields;
//	+ fineye 0.47771265 and jeehunter 0.3095055: sums of the files' cost fields
//	  (their models, anthropic/claude-sonnet-4.5 and none, are not in the table)
//	= 13.17960965; the grok-code-fast-1 calls cost 0 in the file and are unpriced.
func TestClineTasks(t *testing.T) {
	r := analyzeJSON(t, "../../ingest/cline/testdata/tasks")
	if r.Sessions.Count != 3 || r.Sessions.In.Total != 10796649 || r.Sessions.Out.Total != 79251 {
		t.Errorf("sessions %d in %d out %d", r.Sessions.Count, r.Sessions.In.Total, r.Sessions.Out.Total)
	}
	if math.Abs(r.Sessions.Cost.Total-13.17960965) > 1e-9 {
		t.Errorf("cost %.10f, want 13.17960965", r.Sessions.Cost.Total)
	}
	if r.Input.Lines != 1084 || r.Input.Skipped != 939 || r.Input.Invalid != 0 || r.Input.Records != 145 {
		t.Errorf("input %+v", r.Input)
	}
}

// writeTask makes <dir>/tasks/<id>/ui_messages.json.
func writeTask(t *testing.T, dir, id, body string) {
	t.Helper()
	p := filepath.Join(dir, "tasks", id)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, "ui_messages.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestClineAssumedIsLoud: a call whose tokensIn semantics the file does
// not settle (no provider, tokensIn 2000 >= 900 cached) is read, warned
// about, and fails --strict.
func TestClineAssumedIsLoud(t *testing.T) {
	dir := t.TempDir()
	writeTask(t, dir, "t1", `[{"ts":1700000000000,"type":"say","say":"api_req_started","text":"{\"tokensIn\":2000,\"tokensOut\":5,\"cacheReads\":900}"}]`)
	code, out, errOut := run(t, "analyze", "--format", "json", dir)
	if code != 0 || !strings.Contains(errOut, "1 Cline/Roo Code calls do not record whether tokensIn includes the cache") {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if !strings.Contains(out, `"cline.tokensIn(cache-included-unknown)": 1`) {
		t.Errorf("report does not count the assumption:\n%s", out)
	}
	if code, _, errOut := run(t, "analyze", "--strict", dir); code != ExitInvalid || !strings.Contains(errOut, "--strict") {
		t.Errorf("--strict: exit %d, stderr %s", code, errOut)
	}
	// convert writes canonical records, which cannot carry the mark: it
	// warns, and fails --strict, too.
	pq := filepath.Join(t.TempDir(), "out.parquet")
	if code, _, errOut := run(t, "convert", "-o", pq, dir); code != 0 || !strings.Contains(errOut, "input tokens are assumed") {
		t.Errorf("convert: exit %d, stderr %s", code, errOut)
	}
	if code, _, _ := run(t, "convert", "--strict", "-o", pq, dir); code != ExitInvalid {
		t.Errorf("convert --strict: exit %d", code)
	}
	// Without the ambiguity (10 < 900: exclusive by evidence) --strict passes.
	writeTask(t, dir, "t1", `[{"ts":1700000000000,"type":"say","say":"api_req_started","text":"{\"tokensIn\":10,\"tokensOut\":5,\"cacheReads\":900}"}]`)
	if code, _, errOut := run(t, "analyze", "--strict", dir); code != 0 {
		t.Errorf("--strict on a settled file: exit %d, stderr %s", code, errOut)
	}
}

func TestAgentDirs(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	has := func(dirs []agentDir, agent, path string) bool {
		for _, d := range dirs {
			if d.Agent == agent && d.Path == filepath.FromSlash(path) {
				return true
			}
		}
		return false
	}
	linux := agentDirs(localEnv{Home: "/h", GOOS: "linux", Getenv: env()})
	for _, w := range [][2]string{
		{"Claude Code", "/h/.claude/projects"}, {"Claude Code", "/h/.config/claude/projects"},
		{"Codex", "/h/.codex/sessions"}, {"Gemini CLI", "/h/.gemini/tmp"},
		{"OpenCode", "/h/.local/share/opencode/storage/message"}, {"OpenCode", "/h/.local/share/opencode/opencode.db"},
		{"Cline", "/h/.config/Code/User/globalStorage/saoudrizwan.claude-dev/tasks"},
		{"Roo Code", "/h/.config/Cursor/User/globalStorage/rooveterinaryinc.roo-cline/tasks"},
		{"Kilo Code", "/h/.config/VSCodium/User/globalStorage/kilocode.kilo-code/tasks"},
		{"Cline", "/h/.cline/data/tasks"},
	} {
		if !has(linux, w[0], w[1]) {
			t.Errorf("linux: no %s %s", w[0], w[1])
		}
	}
	over := agentDirs(localEnv{Home: "/h", GOOS: "linux", Getenv: env(
		"CLAUDE_CONFIG_DIR", "/c1,/c2", "CODEX_HOME", "/cx", "OPENCODE_DATA_DIR", "/oc",
		"XDG_CONFIG_HOME", "/xc", "CLINE_DIR", "/cl")})
	for _, w := range [][2]string{
		{"Claude Code", "/c1/projects"}, {"Claude Code", "/c2/projects"}, {"Codex", "/cx/sessions"},
		{"OpenCode", "/oc/storage/message"}, {"OpenCode", "/oc/opencode.db"}, {"Cline", "/xc/Code/User/globalStorage/saoudrizwan.claude-dev/tasks"},
		{"Cline", "/cl/data/tasks"},
	} {
		if !has(over, w[0], w[1]) {
			t.Errorf("overrides: no %s %s", w[0], w[1])
		}
	}
	if has(over, "Claude Code", "/h/.claude/projects") || has(over, "Codex", "/h/.codex/sessions") {
		t.Error("an override did not replace the default")
	}
	mac := agentDirs(localEnv{Home: "/h", GOOS: "darwin", Getenv: env()})
	if !has(mac, "Cline", "/h/Library/Application Support/Code/User/globalStorage/saoudrizwan.claude-dev/tasks") {
		t.Error("darwin: no VS Code globalStorage")
	}
	win := agentDirs(localEnv{Home: "/h", GOOS: "windows", Getenv: env("APPDATA", "/ad")})
	if !has(win, "Roo Code", "/ad/Code/User/globalStorage/rooveterinaryinc.roo-cline/tasks") {
		t.Error("windows: no %APPDATA% globalStorage")
	}
}

// TestLocalFlag: with a fake home holding a Claude Code project and a
// Cline task, --local reads both, says so, and gives the totals of naming
// the two directories.
func TestLocalFlag(t *testing.T) {
	home := t.TempDir()
	for _, k := range []string{"CLAUDE_CONFIG_DIR", "CODEX_HOME", "OPENCODE_DATA_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "CLINE_DIR", "CLINE_DATA_DIR", "APPDATA"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", home)
	if code, _, errOut := run(t, "analyze", "--local"); code != ExitUsage || !strings.Contains(errOut, "no coding agent logs") {
		t.Fatalf("empty home: exit %d, %s", code, errOut)
	}
	// An agent installed but never run: its directory exists, empty.
	if err := os.MkdirAll(filepath.Join(home, ".codex", "sessions"), 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "analyze", "--local"); code != ExitUsage || !strings.Contains(errOut, "sessions (no trace files, skipped)") {
		t.Fatalf("empty agent dir: exit %d, %s", code, errOut)
	}
	claude := filepath.Join(home, ".claude", "projects", "p")
	tasks := filepath.Join(home, ".config", "Code", "User", "globalStorage", "saoudrizwan.claude-dev")
	copyFile(t, "../../ingest/claudecode/testdata/short.jsonl", filepath.Join(claude, "short.jsonl"))
	copyFile(t, "../../ingest/cline/testdata/tasks/fineye/ui_messages.json", filepath.Join(tasks, "tasks", "fineye", "ui_messages.json"))

	code, _, errOut := run(t, "analyze", "--local", "--format", "json", "-o", filepath.Join(t.TempDir(), "r.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"--local: Claude Code: " + filepath.Join(home, ".claude", "projects"), "--local: Cline: " + filepath.Join(tasks, "tasks")} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	got := analyzeJSON(t, "--local")
	want := analyzeJSON(t, filepath.Join(home, ".claude", "projects"), filepath.Join(tasks, "tasks"))
	if got.Sessions.Count != want.Sessions.Count || got.Input.Lines != want.Input.Lines || got.Sessions.In.Total != want.Sessions.In.Total || got.Sessions.Count < 2 {
		t.Errorf("--local %+v, named %+v", got, want)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLocalNoHome: with HOME unset, --local must not take the default
// locations relative to the working directory (os.UserHomeDir fails and
// filepath.Join("", ".claude", "projects") is ".claude/projects"): a
// repository checked out with a .claude/projects folder would be read and
// reported, exit 0, as the user's own logs. Expected: the usage error for
// no logs found, and no report.
func TestLocalNoHome(t *testing.T) {
	for _, k := range []string{"CLAUDE_CONFIG_DIR", "CODEX_HOME", "OPENCODE_DATA_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "CLINE_DIR", "CLINE_DATA_DIR", "APPDATA"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", "")
	cwd := t.TempDir()
	copyFile(t, "../../ingest/claudecode/testdata/short.jsonl", filepath.Join(cwd, ".claude", "projects", "p", "short.jsonl"))
	t.Chdir(cwd)
	code, _, errOut := run(t, "analyze", "--local", "--format", "json", "-o", filepath.Join(t.TempDir(), "r.json"))
	if code != ExitUsage || !strings.Contains(errOut, "no coding agent logs") {
		t.Fatalf("HOME unset: exit %d, want %d (no logs); stderr:\n%s", code, ExitUsage, errOut)
	}
}
