// Package jsonutil holds the JSON helpers the span-based readers (otel,
// langfuse) share: numbers that arrive as strings or numbers, documents
// that are one pretty-printed object or a stream of them, first-key
// sniffing. The JSON-document readers walk their documents with
// jsonscan.Stream, as EachValue walks a stream of pretty-printed values.
package jsonutil

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/jsonscan"
)

// RawText renders a JSON scalar as text: a string unquoted, a number or
// bool as written. Numbers stay text so 19-digit nanoseconds keep every digit.
func RawText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	if raw[0] == '{' || raw[0] == '[' {
		return ""
	}
	return string(raw)
}

// ParseInt reads an integer written as a JSON number or a decimal string
// (proto3 JSON writes int64 as strings). Integral floats ("2256.0", 1e3)
// are accepted; anything else reports false.
func ParseInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 9e18 {
		return 0, false
	}
	return int64(f), true
}

// ParseCount is ParseInt for token counts: negative values are unusable.
func ParseCount(s string) (int64, bool) {
	n, ok := ParseInt(s)
	if !ok || n < 0 {
		return 0, false
	}
	return n, true
}

// FirstKey returns the first object key of the JSON text in head, or "".
// Exporters write their top-level keys in a fixed order, so the first key
// identifies the shape without parsing 64 KiB.
func FirstKey(head []byte) string {
	b := bytes.TrimLeft(head, " \t\r\n\ufeff")
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if len(b) == 0 || b[0] != '{' {
		return ""
	}
	b = bytes.TrimLeft(b[1:], " \t\r\n")
	if len(b) == 0 || b[0] != '"' {
		return ""
	}
	end := bytes.IndexByte(b[1:], '"')
	if end < 0 {
		return ""
	}
	return string(b[1 : 1+end])
}

// EachValue calls fn with every top-level JSON value of src and its 1-based
// starting line. Inputs are JSON Lines (one value per line) or pretty-printed
// documents. Blank lines and lines that are not JSON are reported to sink as
// one unit each; fn accounts for the units of the values it receives.
func EachValue(src *ingest.Source, sink ingest.Sink, fn func(val []byte, line int64)) error {
	lineFn := func(line []byte, n int64) error {
		if ingest.IsBlank(line) {
			sink.Lines(1)
			sink.Note(ingest.Note{Kind: ingest.NoteBlank, File: src.Name, Line: n})
			return nil
		}
		if !json.Valid(line) {
			sink.Lines(1)
			sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: src.Name, Line: n, Reason: "malformed json"})
			return nil
		}
		fn(line, n)
		return nil
	}
	if !PrettyDocument(src.Head()) {
		tooLong := func(n int64) {
			sink.Lines(1)
			sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: src.Name, Line: n, Reason: ingest.ReasonLineTooLong})
		}
		if _, err := src.EachLine(lineFn, tooLong); err != nil {
			return fmt.Errorf("read %s: %w", src.Name, err)
		}
		return nil
	}
	// A pretty-printed document has to be held whole to be parsed; the
	// readers buffer every span anyway.
	data, err := io.ReadAll(src.R)
	if err != nil {
		return fmt.Errorf("read %s: %w", src.Name, err)
	}
	if DecodeStream(data, src.Name, sink, fn) {
		return nil
	}
	// Not a document after all (e.g. JSON Lines whose first line is
	// truncated): read it line by line so one bad line costs one unit.
	_, _ = ingest.EachLine(bufio.NewReader(bytes.NewReader(data)), lineFn)
	return nil
}

// PrettyDocument reports whether head starts with a JSON value spread over
// several lines: its first non-blank line opens an object or array but is
// not complete JSON.
func PrettyDocument(head []byte) bool {
	for len(head) > 0 {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			return false // first line longer than head: a long JSON line
		}
		line := bytes.TrimSpace(head[:i])
		head = head[i+1:]
		if len(line) == 0 {
			continue
		}
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		return (line[0] == '{' || line[0] == '[') && !json.Valid(line)
	}
	return false
}

// DecodeStream feeds fn the concatenated JSON values of data, each valid
// JSON (a slice fn must not keep). It returns false when the first value
// does not parse, so the caller can fall back to lines; a later error is
// one invalid unit and ends the input, since a stream cannot be
// resynchronised. jsonscan.Stream splits the values as json.Decoder did,
// with the Decoder's error texts (FuzzStream), without copying each value;
// data is in memory already, so its bound is data's length.
func DecodeStream(data []byte, name string, sink ingest.Sink, fn func(val []byte, line int64)) bool {
	dec := jsonscan.NewStream(bytes.NewReader(data), len(data)+1)
	var lastOff int
	var lastLine int64 = 1
	lineAt := func(off int) int64 {
		if off > len(data) {
			off = len(data)
		}
		if off < lastOff {
			return lastLine
		}
		lastLine += int64(bytes.Count(data[lastOff:off], []byte{'\n'}))
		lastOff = off
		return lastLine
	}
	for n := 0; ; n++ {
		start := int(dec.InputOffset())
		for start < len(data) && (data[start] == ' ' || data[start] == '\t' || data[start] == '\r' || data[start] == '\n') {
			start++
		}
		raw, err := dec.Value()
		if err == io.EOF {
			return true
		}
		if err != nil {
			if n == 0 {
				return false
			}
			sink.Lines(1)
			sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: name, Line: lineAt(start), Reason: "malformed json", Detail: err.Error()})
			return true
		}
		fn(raw, lineAt(start))
	}
}
