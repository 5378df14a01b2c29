package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/rogpeppe/go-internal/testscript"
)

// cmdHostile generates a big hostile input at run time, so the corpus
// commits none (issue 13). A FILE ending in .zst is zstd-compressed:
//
//	hostile zeros N FILE       one valid line, then N NUL bytes (one line without end)
//	hostile repeat SRC N FILE  SRC's content N times over
//	hostile spans N FILE       one OTLP/JSON trace of N chat spans under one root
func cmdHostile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: hostile zeros N FILE | repeat SRC N FILE | spans N FILE")
	}
	nArg, file := args[1], args[2]
	var src string
	if args[0] == "repeat" {
		if len(args) != 4 {
			ts.Fatalf("usage: hostile repeat SRC N FILE")
		}
		src, nArg, file = ts.ReadFile(args[1]), args[2], args[3]
	}
	n, err := strconv.ParseInt(nArg, 10, 64)
	ts.Check(err)
	f, err := os.Create(ts.MkAbs(file))
	ts.Check(err)
	defer f.Close()
	var w io.Writer = f
	var zw *zstd.Encoder
	if strings.HasSuffix(file, ".zst") {
		zw, err = zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedFastest))
		ts.Check(err)
		w = zw
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	switch args[0] {
	case "zeros":
		fmt.Fprintln(bw, `{"session_id":"s1","kind":"llm","model":"gpt-4o","input_tokens":100,"output_tokens":10}`)
		zero := make([]byte, 1<<20)
		for left := n; left > 0; left -= int64(len(zero)) {
			bw.Write(zero[:min(left, int64(len(zero)))])
		}
	case "repeat":
		for range n {
			bw.WriteString(src)
		}
	case "spans":
		span := func(id, parent, op string, start int64, tokens string) {
			fmt.Fprintf(bw, `{"resourceSpans":[{"scopeSpans":[{"scope":{"name":"x"},"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"%s",%s"name":"%s","startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"%s"}},{"key":"session.id","value":{"stringValue":"s1"}}%s]}]}]}]}`+"\n",
				id, parent, op, start, start+500_000_000, op, tokens)
		}
		const t0 = 1767603600000000000
		span("ffffffffffffffff", "", "invoke_agent", t0, "")
		for i := range n {
			span(fmt.Sprintf("%016x", i+1), `"parentSpanId":"ffffffffffffffff",`, "chat", t0+i*1_000_000_000,
				fmt.Sprintf(`,{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"%d"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"10"}}`, 1000+i%7))
		}
	default:
		ts.Fatalf("hostile: unknown kind %q", args[0])
	}
	ts.Check(bw.Flush())
	if zw != nil {
		ts.Check(zw.Close())
	}
}
