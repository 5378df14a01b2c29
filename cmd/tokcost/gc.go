package main

import (
	"os"
	"runtime/debug"
)

// Garbage-collector policy, when GOGC is not set in the environment (it
// wins if it is).
//
// The analysis keeps pointer-free blocks and integer tables, so collecting
// often costs little and keeps peak memory low: gcPercent. The span
// formats (OTLP, Tempo, Jaeger) buffer every span, full of strings, until
// their input ends; there each collection marks them all again, and
// collecting less often is 15% faster for 5% more memory: spanGCPercent
// while they are read (docs/performance.md).
const (
	gcPercent     = 30
	spanGCPercent = 100
)

var gcTuned = os.Getenv("GOGC") == ""

// setGC sets the collector's target, unless the environment set GOGC.
func setGC(percent int) {
	if gcTuned {
		debug.SetGCPercent(percent)
	}
}

// spanFormat reports whether a format buffers its spans until the input ends.
func spanFormat(name string) bool { return name == "otlp" || name == "tempo" || name == "jaeger" }
