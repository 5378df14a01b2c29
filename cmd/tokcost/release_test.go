package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The release configuration is checked here, without goreleaser (which is
// not a dependency): the targets users download, the checksum file, and
// that the -ldflags really stamp the version `tokcost --version` prints.
// .github/workflows/release.yml also runs `goreleaser check` in CI.

type goreleaserConfig struct {
	Version int `yaml:"version"`
	Builds  []struct {
		ID      string   `yaml:"id"`
		Main    string   `yaml:"main"`
		Binary  string   `yaml:"binary"`
		Env     []string `yaml:"env"`
		Goos    []string `yaml:"goos"`
		Goarch  []string `yaml:"goarch"`
		Ignore  []any    `yaml:"ignore"`
		Flags   []string `yaml:"flags"`
		Ldflags []string `yaml:"ldflags"`
	} `yaml:"builds"`
	Archives []struct {
		IDs             []string `yaml:"ids"`
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
}

func loadGoreleaser(t *testing.T) goreleaserConfig {
	t.Helper()
	b, err := os.ReadFile("../../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c goreleaserConfig
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&c); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	return c
}

func TestGoreleaserTargets(t *testing.T) {
	c := loadGoreleaser(t)
	if c.Version != 2 {
		t.Errorf("version = %d, want 2 (goreleaser v2 schema)", c.Version)
	}
	if len(c.Builds) != 1 {
		t.Fatalf("%d builds, want 1", len(c.Builds))
	}
	b := c.Builds[0]
	if b.Main != "./cmd/tokcost" || b.Binary != "tokcost" {
		t.Errorf("main %q binary %q, want ./cmd/tokcost and tokcost", b.Main, b.Binary)
	}
	if _, err := os.Stat(filepath.Join("../..", b.Main, "main.go")); err != nil {
		t.Errorf("main package: %v", err)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("env %v: cross-compiled binaries need CGO_ENABLED=0", b.Env)
	}
	// The matrix: Linux/macOS/Windows × amd64/arm64, none skipped.
	goos, goarch := slices.Sorted(slices.Values(b.Goos)), slices.Sorted(slices.Values(b.Goarch))
	if !slices.Equal(goos, []string{"darwin", "linux", "windows"}) || !slices.Equal(goarch, []string{"amd64", "arm64"}) || len(b.Ignore) != 0 {
		t.Errorf("targets %v × %v (ignore %v), want darwin,linux,windows × amd64,arm64", goos, goarch, b.Ignore)
	}
	if !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("flags %v: want -trimpath (no build paths in release binaries)", b.Flags)
	}
	if len(c.Archives) != 1 || !slices.Equal(c.Archives[0].Formats, []string{"tar.gz"}) {
		t.Fatalf("archives %+v, want one tar.gz archive", c.Archives)
	}
	a := c.Archives[0]
	if len(a.FormatOverrides) != 1 || a.FormatOverrides[0].Goos != "windows" || !slices.Equal(a.FormatOverrides[0].Formats, []string{"zip"}) {
		t.Errorf("format_overrides %+v, want zip for windows", a.FormatOverrides)
	}
	if c.Checksum.Algorithm != "sha256" || c.Checksum.NameTemplate == "" {
		t.Errorf("checksum %+v, want sha256 with a file name", c.Checksum)
	}
}

// xFlag is one -X importpath.name=value of an ldflags line.
var xFlag = regexp.MustCompile(`-X\s+([^\s=]+)\.([A-Za-z_][A-Za-z0-9_]*)=(\S*)`)

// TestGoreleaserLdflagsVariables checks that every -X names a string
// variable of package main: the linker silently ignores a -X whose
// variable does not exist, so a rename would ship unstamped binaries.
func TestGoreleaserLdflagsVariables(t *testing.T) {
	b := loadGoreleaser(t).Builds[0]
	flags := strings.Join(b.Ldflags, " ")
	vars := stringVars(t)
	seen := map[string]bool{}
	for _, m := range xFlag.FindAllStringSubmatch(flags, -1) {
		if m[1] != "main" {
			t.Errorf("-X %s.%s: the version variables live in package main", m[1], m[2])
		}
		if !vars[m[2]] {
			t.Errorf("-X main.%s: no package-level string variable %s in cmd/tokcost", m[2], m[2])
		}
		seen[m[2]] = true
	}
	if !seen["version"] || !seen["commit"] {
		t.Errorf("ldflags %q must stamp main.version and main.commit", flags)
	}
}

// stringVars lists the package-level variables of package main that are
// initialised with a string literal (what -X can set).
func stringVars(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							out[n.Name] = true
						}
					}
				}
			}
		}
	}
	return out
}

// TestGoreleaserLdflagsStamp builds tokcost with the release ldflags (the
// goreleaser templates filled in by hand) and checks --version prints them.
func TestGoreleaserLdflagsStamp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	b := loadGoreleaser(t).Builds[0]
	// goreleaser's .Version is the tag without its "v"; .ShortCommit is
	// the abbreviated hash. Any other template would need a value here.
	fill := strings.NewReplacer("{{ .Version }}", "1.2.3", "{{ .ShortCommit }}", "abc1234")
	var ldflags []string
	for _, l := range b.Ldflags {
		l = fill.Replace(l)
		if strings.Contains(l, "{{") {
			t.Fatalf("ldflags %q: template this test does not fill", l)
		}
		ldflags = append(ldflags, l)
	}
	bin := filepath.Join(t.TempDir(), "tokcost")
	// Without the config's -trimpath: it changes every package's cache key,
	// so the test would recompile the whole dependency tree.
	args := []string{"build", "-ldflags", strings.Join(ldflags, " "), "-o", bin, "."}
	cmd := exec.Command("go", args...) // go test puts its GOROOT/bin first in PATH
	cmd.Env = append(os.Environ(), b.Env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	// "v" + .Version and .ShortCommit as filled above, in the format of
	// root.go's version line.
	if want := "tokcost v1.2.3 (commit abc1234), price table "; !strings.HasPrefix(string(out), want) {
		t.Errorf("--version = %q, want prefix %q", out, want)
	}
}

type workflow struct {
	On struct {
		Push struct {
			Tags []string `yaml:"tags"`
		} `yaml:"push"`
	} `yaml:"on"`
	Jobs map[string]struct {
		If    string `yaml:"if"`
		Steps []struct {
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestReleaseWorkflow checks the workflow publishes on a v* tag and runs
// `goreleaser check` on every push.
func TestReleaseWorkflow(t *testing.T) {
	b, err := os.ReadFile("../../.github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("release.yml: %v", err)
	}
	if !slices.Contains(w.On.Push.Tags, "v*") {
		t.Errorf("push tags %v, want v*", w.On.Push.Tags)
	}
	args := map[string]string{} // goreleaser args → job's if
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			if strings.HasPrefix(s.Uses, "goreleaser/goreleaser-action@") {
				args[s.With["args"]] = j.If
			}
		}
	}
	if cond, ok := args["check"]; !ok || cond != "" {
		t.Errorf("want an unconditional goreleaser check step; have %v", args)
	}
	if cond, ok := args["release --clean"]; !ok || !strings.Contains(cond, "refs/tags/v") {
		t.Errorf("want goreleaser release --clean only on v* tags; have %v", args)
	}
}
