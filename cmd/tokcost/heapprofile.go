package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// heapProfile writes the live heap after a phase to PREFIX-PHASE.pprof
// when TOKCOST_HEAPPROFILE=PREFIX is set (phaseTimer calls it): where the
// bytes kept per session and per record go (docs/performance.md), for
// `go tool pprof`. It collects first, so the profile is what is live, and
// costs a collection per phase only when asked for. A failure is told on
// errOut and the run goes on.
func heapProfile(errOut io.Writer, prefix, phase string) {
	runtime.GC()
	f, err := os.Create(prefix + "-" + phase + ".pprof")
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(errOut, "tokcost: TOKCOST_HEAPPROFILE:", err)
	}
}
