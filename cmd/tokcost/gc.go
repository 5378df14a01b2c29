package main

import (
	"os"
	"runtime/debug"
	"sync/atomic"

	"github.com/tokcost/tokcost/ingest"
)

// Garbage-collector policy, when GOGC is not set in the environment (it
// wins if it is).
//
// The analysis keeps pointer-free blocks and integer tables, so collecting
// often costs little and keeps peak memory low: gcPercent. Formats that
// buffer every unit until their input ends (ingest.BuffersInput: the span
// formats keep spans full of strings) make each collection mark them all
// again, and collecting less often is 15% faster for 5% more memory:
// bufferingGCPercent while they are read (docs/performance.md).
const (
	gcPercent          = 30
	bufferingGCPercent = 100
)

var gcTuned = os.Getenv("GOGC") == ""

// setGC sets the collector's target, unless the environment set GOGC.
func setGC(percent int) {
	if gcTuned {
		debug.SetGCPercent(percent)
	}
}

// readGC is the collector policy of one ingest.Run: Run calls its sink
// callback on worker goroutines, so the callback only records, once, that a
// buffering format is being read; the setting changes there at most once.
type readGC struct{ buffering atomic.Bool }

// file is called for every input file as its reading starts.
func (g *readGC) file(format string) {
	if ingest.BuffersInput(format) && !g.buffering.Swap(true) {
		setGC(bufferingGCPercent) // until the reading ends
	}
}

// done restores the analysis' setting once every input is read.
func (g *readGC) done() { setGC(gcPercent) }
