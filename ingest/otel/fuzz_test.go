package otel

import (
	"bufio"
	"bytes"
	"os"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// fuzzFormat decodes arbitrary bytes: it must not panic, and every unit
// read must be a record or a note. A second read with every trace and
// span id hash colliding must give the same output (the collector's
// indexes compare ids, never trust a hash).
func fuzzFormat(f *testing.F, name string, seeds ...string) {
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"aa\",\"spanId\":\"01\",\"parentSpanId\":\"01\"}]}]}]}\n\n{"))
	format := mustLookup(f, name)
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &ingest.Source{Name: "fuzz", R: bufio.NewReaderSize(bytes.NewReader(data), 1<<16)}
		s := decodeSource(t, format, src)
		s.checkUnits(t)
		collideAll(t)
		again := decodeSource(t, format, &ingest.Source{Name: "fuzz", R: bufio.NewReaderSize(bytes.NewReader(data), 1<<16)})
		sameOutput(t, "colliding ids", again, s)
	})
}

func FuzzOTLP(f *testing.F) { fuzzFormat(f, "otlp", "testdata/hand.jsonl") }

func FuzzTempo(f *testing.F) { fuzzFormat(f, "tempo", "testdata/tempo_export_with_batches.json") }

func FuzzJaeger(f *testing.F) { fuzzFormat(f, "jaeger", "testdata/k8s.json") }
