package main

import (
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestBufferingFormats guards the GC policy: the formats that keep every span
// until their input ends (otlp, tempo, jaeger: ingest/otel builds span trees)
// declare it, and the line formats, which hold one chunk at a time, do not.
func TestBufferingFormats(t *testing.T) {
	for _, name := range []string{"otlp", "tempo", "jaeger"} {
		if _, err := ingest.Lookup(name); err != nil || !ingest.BuffersInput(name) {
			t.Errorf("%s: lookup error %v, buffers input %v", name, err, ingest.BuffersInput(name))
		}
	}
	for _, name := range []string{"jsonl", "parquet", "claude-code", "langfuse", "stdouttrace", "no-such-format"} {
		if ingest.BuffersInput(name) {
			t.Errorf("%s taken for a buffering format", name)
		}
	}
}
