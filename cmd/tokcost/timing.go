package main

import (
	"fmt"
	"os"
	"time"
)

// phaseTimer prints how long each phase of a run took on stderr when
// TOKCOST_TIMING is set: where the wall time of a large run goes
// (docs/performance.md), without a profiler.
type phaseTimer struct {
	on   bool
	last time.Time
}

var timing = &phaseTimer{on: os.Getenv("TOKCOST_TIMING") != "", last: time.Now()}

func (t *phaseTimer) done(phase string) {
	if !t.on {
		return
	}
	now := time.Now()
	fmt.Fprintf(os.Stderr, "tokcost: timing: %-8s %6.3f s\n", phase, now.Sub(t.last).Seconds())
	t.last = now
}
