// Command tokcost reports what AI agent sessions really cost, from trace files.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

func main() {
	setGC(gcPercent) // see gc.go
	// TOKCOST_CPUPROFILE=file writes a CPU profile of the whole run, for
	// `go tool pprof` (docs/performance.md).
	if path := os.Getenv("TOKCOST_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "tokcost: TOKCOST_CPUPROFILE:", err)
			os.Exit(ExitError)
		}
		code := runProcess(os.Args[1:])
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "tokcost: TOKCOST_CPUPROFILE:", err)
		}
		os.Exit(code)
	}
	os.Exit(runProcess(os.Args[1:]))
}

// runProcess is tokcost as a process: SIGINT and SIGTERM cancel the run
// (signals.go).
func runProcess(args []string) int {
	ctx, stop := signalContext(os.Stderr)
	defer stop()
	return MainContext(ctx, SystemIO(), args)
}
