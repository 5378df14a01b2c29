package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// importRules is the table of docs/architecture.md ("Packages and what each
// may import"): for each package directory (relative to the module root), the
// tokcost packages its non-test files may import. A prefix ending in "/"
// allows everything below it. Directories not listed (ingest/<producer>)
// follow the reader rule.
var importRules = map[string][]string{
	"ingest":           {"ingest/internal/"},
	"ingest/objstore":  {"ingest"},
	"internal/store":   {"ingest"},
	"internal/runsort": {"ingest"},
	"internal/memtest": {},
	"pricing":          {"pricing/internal/"},
	"analyze":          {"ingest", "internal/store", "pricing"},
	"report":           {"analyze", "ingest", "pricing"},
	"gen":              {},
}

// readerRule applies to every other directory under ingest/.
var readerRule = []string{"ingest", "ingest/internal/", "ingest/langfuse"}

const modulePath = "github.com/tokcost/tokcost/"

// TestImportRules fails when a package imports a tokcost package its row of
// the architecture table does not allow: the layering cmd → report →
// analyze → ingest/pricing stays true by test, not by review.
func TestImportRules(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if rel != "." && (name == "testdata" || strings.HasPrefix(name, ".") || name == "bench" || name == "bin") {
			return filepath.SkipDir
		}
		if rel != "." {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module (beam/, tools/)
			}
		}
		allowed, ok := importRules[rel]
		if !ok {
			if !strings.HasPrefix(rel, "ingest/") || strings.HasPrefix(rel, "ingest/internal/") {
				return nil // cmd, internal helpers and generators: unrestricted
			}
			allowed = readerRule
		}
		files, _ := filepath.Glob(filepath.Join(path, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range af.Imports {
				p := strings.Trim(im.Path.Value, `"`)
				if !strings.HasPrefix(p, modulePath) {
					continue
				}
				p = strings.TrimPrefix(p, modulePath)
				if strings.HasPrefix(p, rel+"/internal/") {
					continue // a package's own internal helpers
				}
				if !allowedImport(p, allowed) {
					t.Errorf("%s imports %s: not allowed by docs/architecture.md (allowed: %v)", filepath.ToSlash(mustRel(root, f)), p, allowed)
				}
				checked++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("only %d tokcost imports checked: the walk missed the packages", checked)
	}
}

func allowedImport(p string, allowed []string) bool {
	for _, a := range allowed {
		if p == a || (strings.HasSuffix(a, "/") && strings.HasPrefix(p, a)) {
			return true
		}
	}
	return false
}

func mustRel(root, p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return r
}
