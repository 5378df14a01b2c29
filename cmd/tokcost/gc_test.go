package main

import (
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestSpanFormatsExist guards the GC policy against a renamed format: the
// span formats it names must be registered, and the line formats must not
// be taken for them.
func TestSpanFormatsExist(t *testing.T) {
	for _, name := range []string{"otlp", "tempo", "jaeger"} {
		if _, err := ingest.Lookup(name); err != nil || !spanFormat(name) {
			t.Errorf("%s: lookup error %v, span format %v", name, err, spanFormat(name))
		}
	}
	for _, name := range []string{"jsonl", "parquet", "claude-code", "langfuse"} {
		if spanFormat(name) {
			t.Errorf("%s taken for a span format", name)
		}
	}
}
