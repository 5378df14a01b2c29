package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite testscript expectations (cmp files) from actual output")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tokcost": func() {
			if spec := os.Getenv("TOKCOST_TEST_LIMITS"); spec != "" {
				check := limitsWatchdog(spec)
				code := Main(SystemIO(), os.Args[1:])
				if c := check(); c >= 0 {
					code = c
				}
				os.Exit(code)
			}
			os.Exit(Main(SystemIO(), os.Args[1:]))
		},
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script. $TESTDATA
// is the repository's testdata directory.
func TestScripts(t *testing.T) {
	td, err := filepath.Abs("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		UpdateScripts:       *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("TESTDATA", td)
			env.Setenv("EXAMPLES", filepath.Join(td, "..", "examples"))
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}
