package otel

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// genOTLP builds OTLP/JSON lines shaped like the fleet bench file: one span
// per line, traces of an invoke_agent root with chat and tool children, and
// every few spans an alias-named or out-of-order span.
func genOTLP(spans int) []byte {
	var b bytes.Buffer
	for i := 0; i < spans; i++ {
		trace := i / 8
		k := i % 8
		span := fmt.Sprintf("%016x", k+1)
		parent := ""
		if k > 0 {
			parent = fmt.Sprintf(`"parentSpanId":"%016x",`, 1)
		}
		start := int64(1767603600000000000) + int64(i)*1e9
		var attrs, name string
		switch {
		case k == 0:
			name = "invoke_agent planner"
			attrs = `{"key":"gen_ai.operation.name","value":{"stringValue":"invoke_agent"}},{"key":"gen_ai.agent.name","value":{"stringValue":"planner"}}`
		case k%2 == 1:
			name = "chat gpt-5"
			attrs = fmt.Sprintf(`{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"gpt-5"}},{"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},{"key":"gen_ai.response.id","value":{"stringValue":"r%d"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"%d"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":%d}},{"key":"llm.token_count.prompt_details.cache_read","value":{"intValue":"%d"}}`, i, 1000+i%777, 10+i%91, i%500)
		default:
			name = "execute_tool read_file"
			attrs = `{"key":"gen_ai.operation.name","value":{"stringValue":"execute_tool"}},{"key":"gen_ai.tool.name","value":{"stringValue":"read_file"}},{"key":"other.attr","value":{"boolValue":true}}`
		}
		status := ""
		if i%13 == 0 {
			status = `,"status":{"code":2,"message":"boom"}`
		}
		fmt.Fprintf(&b, `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"bench"}},{"key":"session.id","value":{"stringValue":"s%d"}}]},"scopeSpans":[{"scope":{"name":"bench"},"spans":[{"traceId":"%032x","spanId":"%s",%s"kind":3,"startTimeUnixNano":"%d","endTimeUnixNano":"%d","name":%q,"attributes":[%s]%s}]}]}]}`+"\n",
			trace/4, trace, span, parent, start, start+5e8, name, attrs, status)
	}
	return b.Bytes()
}

// benchInput is the first 64 MiB of the fleet bench file when it exists
// (cut at a line end), else a generated input. TOKCOST_OTLP_BENCH names
// another file, read whole.
func benchInput(b *testing.B) []byte {
	path, limit := "../../bench/fleet-200000-100MB.otlp.jsonl", int64(64<<20)
	if p := os.Getenv("TOKCOST_OTLP_BENCH"); p != "" {
		path, limit = p, 1<<40
	}
	if f, err := os.Open(path); err == nil {
		defer f.Close()
		data, _ := io.ReadAll(io.LimitReader(f, limit))
		if i := bytes.LastIndexByte(data, '\n'); i > 0 {
			return data[:i+1]
		}
	}
	return genOTLP(80000)
}

// BenchmarkOTLPGeneral is BenchmarkOTLP with the fast decoder off: every
// line goes to encoding/json.
func BenchmarkOTLPGeneral(b *testing.B) {
	benchNoFast = true
	defer func() { benchNoFast = false }()
	BenchmarkOTLP(b)
}

func BenchmarkOTLP(b *testing.B) {
	data := benchInput(b)
	f := mustLookup(b, "otlp")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		src := &ingest.Source{Name: "bench", R: bufio.NewReaderSize(bytes.NewReader(data), 1<<16)}
		sink := &countSink{}
		if err := f.Decode(src, func() ingest.Sink { return sink }); err != nil {
			b.Fatal(err)
		}
	}
}

// countSink counts without keeping, so the benchmark measures the decoder.
type countSink struct{ recs, notes, lines int64 }

func (s *countSink) Record(*ingest.Record) { s.recs++ }
func (s *countSink) Note(ingest.Note)      { s.notes++ }
func (s *countSink) Lines(n int64)         { s.lines += n }

// BenchmarkScanner parses every line of the bench input with the fast
// path's scanner alone, on one goroutine.
func BenchmarkScanner(b *testing.B) {
	data := benchInput(b)
	b.SetBytes(int64(len(data)))
	var p scanner
	for b.Loop() {
		for buf := data; len(buf) > 0; {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				i = len(buf)
			}
			if _, ok := p.parse(buf[:i]); !ok {
				b.Fatal("scanner declined a bench line")
			}
			buf = buf[min(i+1, len(buf)):]
		}
	}
}

// benchFiles decodes the named testdata files with format once per op.
func benchFiles(b *testing.B, format string, paths ...string) {
	f := mustLookup(b, format)
	var data [][]byte
	var n int64
	for _, p := range paths {
		d, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, d)
		n += int64(len(d))
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range data {
			src := &ingest.Source{Name: "bench", R: bufio.NewReaderSize(bytes.NewReader(d), 1<<16)}
			sink := &countSink{}
			if err := f.Decode(src, func() ingest.Sink { return sink }); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkOTLPGeneralTestdata decodes the bundled OTLP/JSON and Tempo
// files with the fast decoder off: the general decoder's cost on real
// shapes (docs/performance.md, "JSON decoding").
func BenchmarkOTLPGeneralTestdata(b *testing.B) {
	benchNoFast = true
	defer func() { benchNoFast = false }()
	benchFiles(b, "otlp", "testdata/hand.jsonl", "testdata/tempo_export_with_batches.json")
}

// BenchmarkDumpDecode decodes the bundled SDK dumps: the Go exporter's
// pretty and line forms and the Python exporter's.
func BenchmarkDumpDecode(b *testing.B) {
	b.Run("stdouttrace", func(b *testing.B) {
		benchFiles(b, "stdouttrace", "testdata/stdouttrace_pretty.json", "testdata/stdouttrace_lines.jsonl")
	})
	b.Run("console", func(b *testing.B) { benchFiles(b, "otel-console", "testdata/console_py.json") })
}
