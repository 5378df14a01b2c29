package otel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/jsonutil"
)

// decodeOTLPReference is the sequential general decoder alone (fastjson,
// read by otlpFields), without the fast scanner or the parallel line
// workers, kept to check that the fast parallel path yields the same
// records and notes.
func decodeOTLPReference(src *ingest.Source, sink ingest.Sink) error {
	c := newCollector(src.Name, sink)
	d := newFastDecoder()
	err := jsonutil.EachValue(src, sink, func(val []byte, line int64) {
		spans, note := d.general(val, src.Name, line, nil)
		if note == nil && len(spans) == 0 {
			note = &ingest.Note{Kind: ingest.NoteSkipped, File: src.Name, Line: line, Reason: "no spans"}
		}
		c.addLine(spans, note)
	})
	c.flush()
	return err
}

// edgeLines are shapes where the fast decoder could drift from the
// general one: case-folded and repeated keys, nulls, wrong types,
// non-ASCII and \u escapes, the {"trace":…} wrapper, snake_case names.
var edgeLines = []string{
	`{"resourceSpans":[{"scopeSpans":[{"spans":[{"TraceId":"aa","spanId":"01","attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":5}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"1"}}],"name":"chat"}]}]}]}`,
	`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"aa","spanId":"02","spanId":"03","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}}]}]}]}]}`,
	`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"aa","spanId":"04","startTimeUnixNano":null,"start_time_unix_nano":"7","attributes":[null,{"key":"gen_ai.usage.input_tokens","value":{"stringValue":null,"intValue":"3"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"2"}}]}]}]}]}`,
	`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"aa","spanId":"05","name":5}]}]}]}`,
	`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"aa","spanId":"06","name":"caf\u00e9 chat","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}}]}]}]}]}`,
	`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"aa","spanId":"07","name":"café \ud800","status":{"code":"STATUS_CODE_ERROR","message":"x"}}]}]}]}`,
	`{"trace":{"resourceSpans":[{"scopeSpans":[{"scope":{"NAME":"s"},"spans":[{"traceId":"AA","spanId":"08","status":{"code":2}}]}]}]},"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"aa","spanId":"09"}]}]}]}`,
	`{"trace":{"resourceSpans":[]},"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"aa","spanId":"0a","name":1}]}]}]}`,
	`{"resource_spans":[{"scope_spans":[{"scope":{"name":"a","Name":"b"},"spans":[{"trace_id":"qrs=","span_id":"AAAAAAAAAAs=","parent_span_id":"0b"}]}]}],"batches":[{"instrumentationLibrarySpans":[{"instrumentationLibrary":{"name":"lib"},"spans":[null,{"traceId":"bb","spanId":"0c","attributes":[{"key":"gen_ai.usage.input_tokens","value":{"doubleValue":1.5}}]}]}]}]}`,
	`{"resourceSpans":null}`, `null`, `[1]`, `"x"`, `{"resourceSpans":[{"resource":{"attributes":[{"key":"session.id","value":{"stringValue":"S"}},{"key":"service.name","value":{"boolValue":true}}]},"scopeSpans":[{"spans":[{"traceId":"cc","spanId":"0d","endTimeUnixNano":1e3,"attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1","intValue":"2"}}]}]}]}]}`,
	`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"cc","spanId":"0e","status":{"code":{"a":1},"message":"m"},"attributes":[{"key":"gen_ai.usage.output_tokens","value":{"intValue":[1]}},{"key":"k","value":"v"}]}]}]}]}`,
	`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"cc","spanId":"0f","status":null,"attributes":null}],"scope":null}],"resource":null}]}`,
	`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"cc","spanId":"10","name":"tab\tin\"quoted\\"}]}]}]}`,
	`{"trace":{"trace":{"resourceSpans":[]},"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"dd","spanId":"11"}]}]}]}}`,
	"", "not json", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"aa","spanId":"01"}]}]}]}`,
}

func decodeBoth(t *testing.T, data []byte) (got, want *collectSink) {
	t.Helper()
	got, want = &collectSink{}, &collectSink{}
	f := mustLookup(t, "otlp")
	if err := f.Decode(&ingest.Source{Name: "x", R: bufio.NewReaderSize(bytes.NewReader(data), 1<<16)}, func() ingest.Sink { return got }); err != nil {
		t.Fatal(err)
	}
	if err := decodeOTLPReference(&ingest.Source{Name: "x", R: bufio.NewReaderSize(bytes.NewReader(data), 1<<16)}, want); err != nil {
		t.Fatal(err)
	}
	return got, want
}

func sameOutput(t *testing.T, name string, got, want *collectSink) {
	t.Helper()
	if got.lines != want.lines || len(got.recs) != len(want.recs) || len(got.notes) != len(want.notes) {
		t.Fatalf("%s: lines/records/notes %d/%d/%d, reference %d/%d/%d", name, got.lines, len(got.recs), len(got.notes), want.lines, len(want.recs), len(want.notes))
	}
	for i := range got.recs {
		if !reflect.DeepEqual(got.recs[i], want.recs[i]) {
			t.Fatalf("%s: record %d:\n got %+v\nwant %+v", name, i, got.recs[i], want.recs[i])
		}
	}
	for i := range got.notes {
		if got.notes[i] != want.notes[i] {
			t.Fatalf("%s: note %d:\n got %+v\nwant %+v", name, i, got.notes[i], want.notes[i])
		}
	}
}

func TestOTLPMatchesReference(t *testing.T) {
	for _, path := range []string{"testdata/hand.jsonl", "testdata/tempo_export_with_batches.json"} {
		data := readFile(t, path)
		got, want := decodeBoth(t, data)
		sameOutput(t, path, got, want)
		// The same file as JSON Lines when it is a pretty document.
		var compact bytes.Buffer
		if json.Compact(&compact, data) == nil {
			got, want = decodeBoth(t, append(compact.Bytes(), '\n'))
			sameOutput(t, path+" compact", got, want)
		}
	}
	for i, l := range edgeLines {
		got, want := decodeBoth(t, []byte(l+"\n"))
		sameOutput(t, "edge "+strings.Repeat("#", 0)+string(rune('a'+i)), got, want)
	}
	got, want := decodeBoth(t, []byte(strings.Join(edgeLines, "\n")))
	sameOutput(t, "edge lines together", got, want)
	// Enough lines for several batches, with out-of-order spans.
	gen := genOTLP(20000)
	lines := bytes.Split(bytes.TrimSuffix(gen, []byte("\n")), []byte("\n"))
	for i := 0; i+7 < len(lines); i += 97 {
		lines[i], lines[i+7] = lines[i+7], lines[i]
	}
	got, want = decodeBoth(t, append(bytes.Join(lines, []byte("\n")), '\n'))
	sameOutput(t, "generated", got, want)
	if len(got.recs) == 0 {
		t.Fatal("generated input gave no records")
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// FuzzOTLPReference checks the fast parallel decoder against the
// sequential general decoder on arbitrary input.
func FuzzOTLPReference(f *testing.F) {
	f.Add(readFileF(f, "testdata/hand.jsonl"))
	f.Add([]byte(strings.Join(edgeLines, "\n")))
	f.Add(genOTLP(16))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, want := decodeBoth(t, data)
		sameOutput(t, "fuzz", got, want)
	})
}

// FuzzScanner holds the fast path's scanner to the general decoder,
// fastjson behind fjson.Parse (json.Valid judges validity, fastjson bounds
// nesting), on the lines the fast path sees (plainJSON): it must accept
// exactly what fjson.Parse accepts, and build the same tree (kinds,
// strings unescaped, numbers as written, members in order).
func FuzzScanner(f *testing.F) {
	for _, l := range edgeLines {
		f.Add([]byte(l))
	}
	f.Add([]byte(`{"a":[1,-0.5e+3,true,false,null,"\"\\\/\b\f\n\r\t"],"b":{}} `))
	f.Add([]byte(`{"a":` + strings.Repeat("[", 298) + `1` + strings.Repeat("]", 298) + `}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !plainJSON(data) {
			return // parse's precondition
		}
		var sc scanner
		root, ok := sc.parse(data)
		var fp fastjson.Parser
		v, detail, want := fjson.Parse(&fp, data)
		if ok != want {
			t.Fatalf("scanner accepts %v, fjson.Parse %v (%s): %q", ok, want, detail, data)
		}
		if ok {
			sameTree(t, &sc, root, v)
		}
	})
}

// sameTree compares the scanner's tree at n with fastjson's value.
func sameTree(t *testing.T, sc *scanner, n int32, v *fastjson.Value) {
	t.Helper()
	node := &sc.nodes[n]
	kinds := map[jkind]fastjson.Type{jNull: fastjson.TypeNull, jTrue: fastjson.TypeTrue, jFalse: fastjson.TypeFalse,
		jNum: fastjson.TypeNumber, jStr: fastjson.TypeString, jObj: fastjson.TypeObject, jArr: fastjson.TypeArray}
	if kinds[node.kind] != v.Type() {
		t.Fatalf("kind %d, fastjson %s", node.kind, v.Type())
	}
	kids := sc.kids[node.first:node.end]
	switch node.kind {
	case jStr:
		if got := string(sc.text(node)); got != string(v.GetStringBytes()) {
			t.Fatalf("string %q, fastjson %q", got, v.GetStringBytes())
		}
	case jNum:
		if string(node.raw) != string(v.MarshalTo(nil)) {
			t.Fatalf("number %s, fastjson %s", node.raw, v.MarshalTo(nil))
		}
	case jArr:
		a := v.GetArray()
		if len(a) != len(kids) {
			t.Fatalf("array of %d, fastjson %d", len(kids), len(a))
		}
		for i := range a {
			sameTree(t, sc, kids[i], a[i])
		}
	case jObj:
		o := v.GetObject()
		if o.Len() != len(kids)/2 {
			t.Fatalf("object of %d, fastjson %d", len(kids)/2, o.Len())
		}
		i := 0
		o.Visit(func(k []byte, x *fastjson.Value) {
			if got := string(sc.text(&sc.nodes[kids[i]])); got != string(k) {
				t.Fatalf("key %q, fastjson %q", got, k)
			}
			sameTree(t, sc, kids[i+1], x)
			i += 2
		})
	}
}

func readFileF(f *testing.F, path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return data
}
