package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// phaseTimer prints how long each phase of a run took on stderr when
// TOKCOST_TIMING is set: where the wall time of a large run goes
// (docs/performance.md), without a profiler. Where the OS tells
// (resourceUsage), each line also gives the phase's CPU time, which a
// loaded machine does not stretch as it does wall time, and the peak RSS
// so far, which says in which phase the peak was reached.
// It writes to the IOStreams' ErrOut (SystemIO makes it; streams without
// one, as in tests, time nothing).
type phaseTimer struct {
	out        io.Writer
	timing     bool   // TOKCOST_TIMING: print each phase's times
	heapPrefix string // TOKCOST_HEAPPROFILE: write each phase's heap profile
	last       time.Time
	lastCPU    time.Duration
}

// processStart is when the process began: the first phase counts from it.
var processStart = time.Now()

// newPhaseTimer returns a timer writing to out when TOKCOST_TIMING or
// TOKCOST_HEAPPROFILE is set, else nil. The heap profiles' errors go to
// out too, so nothing past the IOStreams writes to os.Stderr.
func newPhaseTimer(out io.Writer) *phaseTimer {
	t := &phaseTimer{out: out, timing: os.Getenv("TOKCOST_TIMING") != "",
		heapPrefix: os.Getenv("TOKCOST_HEAPPROFILE"), last: processStart}
	if !t.timing && t.heapPrefix == "" {
		return nil
	}
	return t
}

func (t *phaseTimer) done(phase string) {
	if t == nil {
		return
	}
	if t.heapPrefix != "" {
		heapProfile(t.out, t.heapPrefix, phase) // heapprofile.go
	}
	if !t.timing {
		return
	}
	now := time.Now()
	line := fmt.Sprintf("tokcost: timing: %-8s %6.3f s", phase, now.Sub(t.last).Seconds())
	if cpu, peak, ok := resourceUsage(); ok {
		line += fmt.Sprintf("  cpu %6.3f s  peak RSS %4d MiB", (cpu - t.lastCPU).Seconds(), peak>>20)
		t.lastCPU = cpu
	}
	fmt.Fprintln(t.out, line)
	t.last = now
}

// generations notes how many generations of reading state the store
// retired to disk (internal/store, generation.go), when timing.
func (t *phaseTimer) generations(n int64) {
	if t != nil {
		fmt.Fprintf(t.out, "tokcost: timing: %d generations of session state retired to disk\n", n)
	}
}
