package report

import (
	"bufio"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"sync"

	"github.com/tokcost/tokcost/analyze"
)

type jsonWriter struct{}

// Write emits the contract as indented JSON with a trailing newline, the
// bytes json.Encoder with SetIndent("", "  ") writes, but streamed: the
// report object and its runaway section are written field by field and the
// runaway sessions one at a time, so the writer holds one session's JSON,
// not the whole report twice (json.Encoder builds the compact document
// and then its indented copy: 0.5 GiB each for the 318 MB report of a
// 1.75 M-session fleet, docs/performance.md). Encoding the runaway
// sessions on every core and splicing them in by byte search was measured
// and dropped: it saved a few per cent of `analyze -f json` on the
// 200,000-session fleet (docs/performance.md, "JSON decoding: fast paths
// and why") for code that broke on any change to the report's layout.
func (jsonWriter) Write(w io.Writer, a *Analysis) error {
	if !streamable() {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(a)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := writeJSONValue(bw, reflect.ValueOf(a).Elem(), ""); err != nil {
		return err
	}
	if err := bw.WriteByte('\n'); err != nil {
		return err
	}
	return bw.Flush()
}

// The types written field by field or element by element; every other
// value is json.MarshalIndent's, indented to its depth.
var (
	analysisType = reflect.TypeFor[Analysis]()
	runawayType  = reflect.TypeFor[analyze.Runaway]()
	runawaysType = reflect.TypeFor[[]analyze.RunawaySession]()
)

// streamable reports whether the structs written field by field use only
// what writeJSONStruct implements: exported or skipped fields, no embedded
// ones, tags with a name and at most omitempty. Anything else (a field
// added later with ",string", an embedded struct) makes Write fall back to
// json.Encoder: the same bytes, unstreamed.
var streamable = sync.OnceValue(func() bool {
	for _, t := range []reflect.Type{analysisType, runawayType} {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Anonymous {
				return false
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			if _, opts, _ := strings.Cut(tag, ","); opts != "" && opts != "omitempty" {
				return false
			}
		}
	}
	return true
})

// writeJSONValue writes v (addressable) at the indentation prefix, as
// the indented encoding of the enclosing document would have it. Write
// errors stick in w and come out of its Flush.
func writeJSONValue(w *bufio.Writer, v reflect.Value, prefix string) error {
	switch v.Type() {
	case analysisType, runawayType:
		return writeJSONStruct(w, v, prefix)
	case runawaysType:
		if v.IsNil() {
			_, err := w.WriteString("null")
			return err
		}
		if v.Len() == 0 {
			_, err := w.WriteString("[]")
			return err
		}
		inner := prefix + "  "
		_ = w.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				_ = w.WriteByte(',')
			}
			_, _ = w.WriteString("\n" + inner)
			if err := writeMarshalled(w, v.Index(i), inner); err != nil {
				return err
			}
		}
		_, err := w.WriteString("\n" + prefix + "]")
		return err
	}
	return writeMarshalled(w, v, prefix)
}

// writeMarshalled writes json.MarshalIndent of v's address, so that
// methods on pointer receivers apply as they do when the whole report is
// encoded through a pointer.
func writeMarshalled(w *bufio.Writer, v reflect.Value, prefix string) error {
	b, err := json.MarshalIndent(v.Addr().Interface(), prefix, "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// writeJSONStruct writes a struct field by field, in declaration order,
// with encoding/json's rules for the tags streamable allows.
func writeJSONStruct(w *bufio.Writer, v reflect.Value, prefix string) error {
	t := v.Type()
	inner := prefix + "  "
	n := 0
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		fv := v.Field(i)
		if opts == "omitempty" && emptyJSON(fv) {
			continue
		}
		if n == 0 {
			_ = w.WriteByte('{')
		} else {
			_ = w.WriteByte(',')
		}
		n++
		key, err := json.Marshal(name)
		if err != nil {
			return err
		}
		_, _ = w.WriteString("\n" + inner)
		_, _ = w.Write(key)
		_, _ = w.WriteString(": ")
		if err := writeJSONValue(w, fv, inner); err != nil {
			return err
		}
	}
	if n == 0 {
		_, err := w.WriteString("{}")
		return err
	}
	_, err := w.WriteString("\n" + prefix + "}")
	return err
}

// emptyJSON is encoding/json's omitempty test.
func emptyJSON(v reflect.Value) bool {
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
