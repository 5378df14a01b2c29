package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/report"
)

// agentDir is one default log location of a coding agent.
type agentDir struct {
	Agent string
	Path  string
}

// localEnv is what the default locations depend on, so tests can fake
// a home directory, an OS and the environment.
type localEnv struct {
	Home   string
	GOOS   string
	Getenv func(string) string
}

// vscodeExtensions are the VS Code extension ids whose globalStorage
// holds a tasks/ folder tokcost reads (format cline).
var vscodeExtensions = []struct{ agent, id string }{
	{"Cline", "saoudrizwan.claude-dev"},
	{"Roo Code", "rooveterinaryinc.roo-cline"},
	{"Kilo Code", "kilocode.kilo-code"},
}

// vscodeEditors are the VS Code builds whose user data may hold them.
var vscodeEditors = []string{"Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf"}

// agentDirs lists every default log location of the supported agents, in
// a fixed order, honouring the overrides the agents honour themselves.
// Whether each exists is checked by the caller.
func agentDirs(e localEnv) []agentDir {
	home := e.Home
	env := func(k string) string { return strings.TrimSpace(e.Getenv(k)) }
	var out []agentDir
	add := func(agent string, parts ...string) { out = append(out, agentDir{agent, filepath.Join(parts...)}) }

	// Claude Code: CLAUDE_CONFIG_DIR replaces ~/.claude; versions that
	// follow XDG write ~/.config/claude.
	if d := env("CLAUDE_CONFIG_DIR"); d != "" {
		for _, p := range strings.Split(d, ",") {
			if p = strings.TrimSpace(p); p != "" {
				add("Claude Code", p, "projects")
			}
		}
	} else {
		add("Claude Code", home, ".claude", "projects")
		add("Claude Code", xdg(e, "XDG_CONFIG_HOME", ".config"), "claude", "projects")
	}
	// Codex: CODEX_HOME replaces ~/.codex.
	if d := env("CODEX_HOME"); d != "" {
		add("Codex", d, "sessions")
	} else {
		add("Codex", home, ".codex", "sessions")
	}
	// Gemini CLI keeps chats under ~/.gemini/tmp/<project>/chats.
	add("Gemini CLI", home, ".gemini", "tmp")
	// OpenCode: OPENCODE_DATA_DIR, else $XDG_DATA_HOME/opencode. Messages
	// only: storage/ also holds session and project files no reader claims.
	// OpenCode 1.2 and later keep them in opencode.db (a file), and leave
	// the old storage/ beside it: the calls in both are read once (the
	// analysis drops the second copy of each, docs/formats/opencode.md).
	ocDir := env("OPENCODE_DATA_DIR")
	if ocDir == "" {
		ocDir = filepath.Join(xdg(e, "XDG_DATA_HOME", filepath.Join(".local", "share")), "opencode")
	}
	add("OpenCode", ocDir, "opencode.db")
	add("OpenCode", ocDir, "storage", "message")
	// Cline, Roo Code, Kilo Code in VS Code and its forks.
	for _, ed := range vscodeEditors {
		for _, x := range vscodeExtensions {
			add(x.agent, vscodeUserDir(e, ed), "globalStorage", x.id, "tasks")
		}
	}
	// Cline CLI and JetBrains: CLINE_DATA_DIR, else $CLINE_DIR/data, else
	// ~/.cline/data.
	switch {
	case env("CLINE_DATA_DIR") != "":
		add("Cline", env("CLINE_DATA_DIR"), "tasks")
	case env("CLINE_DIR") != "":
		add("Cline", env("CLINE_DIR"), "data", "tasks")
	default:
		add("Cline", home, ".cline", "data", "tasks")
	}
	return out
}

// xdg is $name, or home/fallback when it is unset or not absolute (the
// XDG rule).
func xdg(e localEnv, name, fallback string) string {
	if d := strings.TrimSpace(e.Getenv(name)); d != "" && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(e.Home, fallback)
}

// vscodeUserDir is an editor's User directory: %APPDATA%\<editor>\User on
// Windows, ~/Library/Application Support/<editor>/User on macOS,
// $XDG_CONFIG_HOME/<editor>/User elsewhere.
func vscodeUserDir(e localEnv, editor string) string {
	switch e.GOOS {
	case "windows":
		appData := strings.TrimSpace(e.Getenv("APPDATA"))
		if appData == "" {
			appData = filepath.Join(e.Home, "AppData", "Roaming")
		}
		return filepath.Join(appData, editor, "User")
	case "darwin":
		return filepath.Join(e.Home, "Library", "Application Support", editor, "User")
	}
	return filepath.Join(xdg(e, "XDG_CONFIG_HOME", ".config"), editor, "User")
}

// localInputs returns the default log directories that exist, printing
// each one found on stderr (unless quiet), or a usage error when there is
// none.
func localInputs(ios *IOStreams, quiet bool, e localEnv) ([]string, error) {
	var found []string
	seen := map[string]bool{}
	for _, d := range agentDirs(e) {
		if seen[d.Path] {
			continue
		}
		seen[d.Path] = true
		// With HOME unset (or an override not absolute) a default
		// location would be relative to the working directory: not the
		// user's logs, whatever a checkout there holds.
		if !filepath.IsAbs(d.Path) {
			continue
		}
		st, err := os.Stat(d.Path)
		if err != nil {
			continue
		}
		if st.Mode().IsRegular() && ingest.IsTraceName(d.Path) {
			// A database file (OpenCode's opencode.db).
			found = append(found, d.Path)
			if !quiet {
				fmt.Fprintf(ios.ErrOut, "tokcost: --local: %s: %s\n", d.Agent, report.SafeText(d.Path))
			}
			continue
		}
		if !st.IsDir() {
			continue
		}
		if !holdsTraces(d.Path) {
			// An agent installed but never run: nothing to read, and
			// not an error (a directory named as INPUT would be).
			if !quiet {
				fmt.Fprintf(ios.ErrOut, "tokcost: --local: %s: %s (no trace files, skipped)\n", d.Agent, report.SafeText(d.Path))
			}
			continue
		}
		found = append(found, d.Path)
		if !quiet {
			fmt.Fprintf(ios.ErrOut, "tokcost: --local: %s: %s\n", d.Agent, report.SafeText(d.Path))
		}
	}
	if len(found) == 0 {
		return nil, usageErr("--local: no coding agent logs in their default locations (README, Input formats, lists them)")
	}
	return found, nil
}

// holdsTraces reports whether a directory walk of dir would find a file
// to read; it stops at the first.
func holdsTraces(dir string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && ingest.IsTraceName(p) {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}

// thisMachine is the environment --local looks at.
func thisMachine() localEnv {
	home, _ := os.UserHomeDir()
	return localEnv{Home: home, GOOS: runtime.GOOS, Getenv: os.Getenv}
}

// inputArgs accepts INPUT... or --local (or both).
func inputArgs(o *inputOptions) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 && !o.Local {
			return fmt.Errorf("requires at least 1 arg(s), only received 0 (or --local for the agents' default log directories)")
		}
		return nil
	}
}
