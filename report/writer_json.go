package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"iter"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tokcost/tokcost/analyze"
)

type jsonWriter struct{}

// parallelJSONAfter is how many runaway sessions make it worth encoding
// them on every core: a large fleet has tens of thousands, nearly all of
// the report's bytes.
const parallelJSONAfter = 2000

// jsonChunk is how many runaway sessions one goroutine encodes at a time
// (about 1 KB each).
const jsonChunk = 256

// Write emits the contract as indented JSON with a trailing newline: the
// bytes of json.Encoder with SetIndent("", "  "), whichever way they are
// made. Past parallelJSONAfter runaway sessions it writes the document
// field by field (writeObject) and encodes the sessions in chunks on every
// core, written in order as they are done. On the 200,000-session fleet
// (32,000 runaway sessions, 36 MB of JSON) the write took 0.53-0.60 CPU
// seconds against 1.32-1.41 with one encoder (two ABAB pairs, 2 cores,
// load ~55, 2026-12-04; docs/performance.md): besides using both cores
// it never holds the whole document, which one encoder builds twice
// (compact, then indented) in buffers grown by doubling.
// BenchmarkJSONWriter pairs the two on a 20,000-session fleet.
// A list that stayed on disk with the spilled summaries is always written
// this way, read back a chunk at a time.
func (jsonWriter) Write(w io.Writer, a *Analysis) error {
	if !a.Runaway.OnDisk() && len(a.Runaway.Sessions) < parallelJSONAfter {
		return writeJSONPlain(w, a)
	}
	return writeJSONChunked(w, a, jsonChunk)
}

// writeJSONPlain is the one-encoder form, the reference the chunked one
// must equal byte for byte.
func writeJSONPlain(w io.Writer, a *Analysis) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(a)
}

var (
	runawayType         = reflect.TypeFor[analyze.Runaway]()
	runawaySessionsType = reflect.TypeFor[[]analyze.RunawaySession]()
	// chunkable is whether writeObject can write Analysis and Runaway
	// field by field; when a change to either gives them a field it does
	// not handle, Write falls back to one encoder (TestJSONChunkable fails).
	chunkable = sync.OnceValue(func() bool {
		_, ok1 := jsonFields(reflect.TypeFor[Analysis]())
		_, ok2 := jsonFields(runawayType)
		return ok1 && ok2
	})
)

// writeJSONChunked writes a as writeJSONPlain does, the runaway sessions
// encoded chunk sessions at a time on every core.
func writeJSONChunked(w io.Writer, a *Analysis, chunk int) error {
	if !chunkable() {
		if a.Runaway.OnDisk() { // one encoder needs the list in memory
			c := *a
			c.Runaway.Sessions = c.Runaway.Head(c.Runaway.Len())
			a = &c
		}
		return writeJSONPlain(w, a)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var field func(f reflect.Value, depth int) error
	field = func(f reflect.Value, depth int) error {
		switch f.Type() {
		case runawayType:
			return writeObject(bw, f, depth, field)
		case runawaySessionsType:
			if a.Runaway.OnDisk() { // the only list of runaway sessions in a
				return writeSessionsJSON(bw, a.Runaway.Len(), a.Runaway.All(), depth, chunk)
			}
			rs := f.Interface().([]analyze.RunawaySession)
			if rs == nil {
				_, err := bw.WriteString("null")
				return err
			}
			return writeSessionsJSON(bw, len(rs), slices.Values(ptrs(rs)), depth, chunk)
		}
		return writeValueJSON(bw, f, depth)
	}
	if err := writeObject(bw, reflect.ValueOf(a).Elem(), 0, field); err != nil {
		return err
	}
	_ = bw.WriteByte('\n') // json.Encoder ends each value with a newline; Flush reports any error
	return bw.Flush()
}

// jsonField is a struct field as encoding/json writes it.
type jsonField struct {
	index     int
	name      string
	omitEmpty bool
}

// jsonFields lists the fields encoding/json writes of struct type t, in
// order; ok is false when t has one this writer does not handle the way
// encoding/json does (embedded structs, tag options other than
// omitempty, names that need escaping, names used twice).
func jsonFields(t reflect.Type) (fields []jsonField, ok bool) {
	seen := map[string]bool{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil, false
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		if opts != "" && opts != "omitempty" || seen[name] || strings.ContainsFunc(name, func(r rune) bool {
			return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		}) {
			return nil, false
		}
		seen[name] = true
		fields = append(fields, jsonField{i, name, opts == "omitempty"})
	}
	return fields, true
}

// isEmptyJSON is encoding/json's test for omitempty.
func isEmptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// writeObject writes struct v (addressable, chunkable) as an object whose
// braces are at depth indents, calling value for each field's value.
// Errors of w's small writes are left to the final Flush: a bufio.Writer
// keeps its first error and returns it from every later call.
func writeObject(w *bufio.Writer, v reflect.Value, depth int, value func(f reflect.Value, depth int) error) error {
	fields, _ := jsonFields(v.Type())
	n := 0
	for _, f := range fields {
		fv := v.Field(f.index)
		if f.omitEmpty && isEmptyJSON(fv) {
			continue
		}
		if n == 0 {
			_ = w.WriteByte('{')
		} else {
			_ = w.WriteByte(',')
		}
		n++
		newline(w, depth+1)
		_, _ = w.WriteString(`"` + f.name + `": `)
		if err := value(fv, depth+1); err != nil {
			return err
		}
	}
	if n == 0 {
		_, err := w.WriteString("{}")
		return err
	}
	newline(w, depth)
	return w.WriteByte('}')
}

// newline starts a line at depth indents.
func newline(w *bufio.Writer, depth int) {
	_ = w.WriteByte('\n')
	for range depth {
		_, _ = w.WriteString("  ")
	}
}

// writeValueJSON writes v, whose first line is at depth indents, as it
// reads inside the whole document: indenting is by nesting only, so a
// value indented on its own with depth indents as prefix is the same
// bytes. v is addressable and passed by address, as encoding/json does,
// so that methods on pointers apply as they would.
func writeValueJSON(w *bufio.Writer, v reflect.Value, depth int) error {
	var buf bytes.Buffer
	if err := appendValueJSON(&buf, v.Addr().Interface(), depth); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func appendValueJSON(buf *bytes.Buffer, v any, depth int) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Indent(buf, b, strings.Repeat("  ", depth), "  ")
}

// ptrs is a pointer to each of rs.
func ptrs(rs []analyze.RunawaySession) []*analyze.RunawaySession {
	out := make([]*analyze.RunawaySession, len(rs))
	for i := range rs {
		out[i] = &rs[i]
	}
	return out
}

// writeSessionsJSON writes the n runaway sessions all yields (each valid
// until the next) as an array whose brackets are at depth indents, chunk
// sessions per goroutine, at most two chunks per core encoded ahead of
// the writer.
func writeSessionsJSON(w *bufio.Writer, n int, all iter.Seq[*analyze.RunawaySession], depth, chunk int) error {
	if n == 0 {
		_, err := w.WriteString("[]")
		return err
	}
	prefix := "\n" + strings.Repeat("  ", depth+1)
	type part struct {
		buf  bytes.Buffer
		err  error
		done chan struct{}
	}
	queue := make(chan *part, 2*runtime.GOMAXPROCS(0))
	var stop atomic.Bool
	go func() {
		defer close(queue)
		lo := 0 // the index of batch[0]
		batch := make([]analyze.RunawaySession, 0, chunk)
		send := func() {
			p := &part{done: make(chan struct{})}
			queue <- p // waits while enough chunks are ahead of the writer
			go func(lo int, rs []analyze.RunawaySession) {
				defer close(p.done)
				for i := range rs {
					if p.err != nil {
						break
					}
					if lo+i > 0 {
						p.buf.WriteByte(',')
					}
					p.buf.WriteString(prefix)
					p.err = appendValueJSON(&p.buf, &rs[i], depth+1)
				}
			}(lo, batch)
			lo += len(batch)
			batch = make([]analyze.RunawaySession, 0, chunk)
		}
		for rs := range all {
			if stop.Load() {
				return
			}
			if batch = append(batch, *rs); len(batch) == chunk {
				send()
			}
		}
		if len(batch) > 0 && !stop.Load() {
			send()
		}
	}()
	err := w.WriteByte('[')
	for p := range queue { // in order
		<-p.done
		if err == nil {
			err = p.err
		}
		if err == nil {
			_, err = w.Write(p.buf.Bytes())
		}
		if err != nil {
			stop.Store(true) // encode nothing more; the queue still drains
		}
	}
	if err != nil {
		return err
	}
	newline(w, depth)
	return w.WriteByte(']')
}
