package main

import (
	"os"
	"runtime/debug"
)

// Garbage-collector policy, when GOGC is not set in the environment (it
// wins if it is).
//
// The analysis keeps pointer-free blocks and integer tables, so collecting
// often costs little and keeps peak memory low: gcPercent, for every
// format. Until session 8 the span formats (OTLP, Tempo, Jaeger) were read
// at 100, switched from a sink callback on a worker goroutine; once their
// general decoder moved to fjson, 30 measured as fast and lighter on the
// 0.3 GB OTLP/JSON bench input (three pairs at load 2: CPU 5.1-5.8 s
// against 5.1-5.2 s, peak RSS 572-621 MiB against 437-442 MiB;
// docs/performance.md), so the switch went. Their buffered spans are
// pointer-free too since session 10 (ingest/otel/pack.go): before, they
// made the collector at 30 cost 2.5 times what it cost at 100.
const gcPercent = 30

// setGC sets the collector's target, unless the environment set GOGC.
func setGC(percent int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(percent)
	}
}
