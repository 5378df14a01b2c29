package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// chunked hands out its data n bytes at a time, so every refill path of
// the Stream runs (values, strings and escapes cut at every byte).
type chunked struct {
	b []byte
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), c.n, len(c.b))
	copy(p, c.b[:k])
	c.b = c.b[k:]
	return k, nil
}

// walk runs ops over data with encoding/json's Decoder and with a Stream
// and reports the first difference: each op byte is Token (0), More (1)
// or Value (2, Decode into a json.RawMessage). The Decoder is the
// reference: same tokens, same values, same error texts.
func walk(data, ops []byte, chunk int) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	st := NewStream(&chunked{b: data, n: chunk}, 1<<20)
	for i, op := range ops {
		switch op % 3 {
		case 0:
			want, werr := dec.Token()
			got, gerr := st.Token()
			var te *json.UnmarshalTypeError
			if errors.As(werr, &te) && te.Value[:6] == "number" {
				// Decided: a number token is not parsed, so 1e999 is a
				// number, not an error.
				if gerr != nil || got.Kind != '0' {
					return fmt.Errorf("op %d Token: got %v %v, want a number (%v)", i, got, gerr, werr)
				}
				continue
			}
			if werr != nil || gerr != nil {
				if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
					return fmt.Errorf("op %d Token: got err %v, want %v (token %v)", i, gerr, werr, want)
				}
				return nil
			}
			if !same(want, got) {
				return fmt.Errorf("op %d Token: got %+v, want %#v", i, got, want)
			}
		case 1:
			if w, g := dec.More(), st.More(); w != g {
				return fmt.Errorf("op %d More: got %v, want %v", i, g, w)
			}
		case 2:
			var want json.RawMessage
			werr := dec.Decode(&want)
			got, gerr := st.Value()
			if werr != nil || gerr != nil {
				if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
					return fmt.Errorf("op %d Value: got %q err %v, want %q err %v", i, got, gerr, want, werr)
				}
				return nil
			}
			if !bytes.Equal(want, got) {
				return fmt.Errorf("op %d Value: got %q, want %q", i, got, want)
			}
			if dec.InputOffset() != st.InputOffset() {
				return fmt.Errorf("op %d Value: offset %d, want %d", i, st.InputOffset(), dec.InputOffset())
			}
		}
	}
	return nil
}

func same(want json.Token, got Token) bool {
	switch w := want.(type) {
	case json.Delim:
		return got.Kind == Kind(w)
	case string:
		return got.Kind == '"' && got.Str == w
	case bool:
		return got.Kind == 't' && got.Str == fmt.Sprint(w)
	case nil:
		return got.Kind == 'n'
	case float64:
		return got.Kind == '0'
	}
	return false
}

// readerOps walks a document the way the readers do: open, then for each
// element a Value, then the close, and once more at the top level.
var readerOps = bytes.Repeat([]byte{0, 1, 2, 1, 2, 1, 2, 1, 2, 1, 0, 0, 1, 0, 2, 0, 0, 2, 0, 0}, 4)

var oddDocs = []string{
	``, ` `, "\n", `[]`, ` [ ] `, `[1,2,3]`, `[1 2]`, `[1,]`, `[,1]`, `[1,2`, `[1,2,`, `[`, `]`,
	`[{"a":"]}"},{"b":"[{\"}"}]`, `[{"a":"\u005d\\"},"\ud800",{"\u0061":1}]`,
	"\ufeff[1]", "\xef\xbb\xbf[1]", `[1]x`, `[1] [2]`, `[1]]`, `{"a":1}{"b":2}`, `{"a" 1}`, `{"a":1 "b":2}`,
	`{1:2}`, `{"a":}`, `{"a":1,}`, `{,}`, `[-]`, `[-`, `[1.]`, `[1e]`, `[1e+]`, `[01]`, `[1-2]`, `[.5]`,
	`[tru]`, `[tru`, `[truex]`, `[nul,null]`, `[True]`, `["a\x01"]`, `["\x"]`, `["\u12"]`, `["abc`,
	`["abc\`, `[1e999, 1e-999, 123456789012345678901234567890]`, `{"messages":[{"x":[1,{"y":"}"}]}],"sessionId":"s"}`,
	`[{"a":1]`, `[[}]`, `[{]}`, `"top"`, `123`, `true`, `null`, `nul`, `-`, `[` + strings.Repeat(`{"k":"v"},`, 50) + `0]`,
	"[\"\xff\xfe\",\"ok\"]", `[{"a":"b"}]  ` + "\n\n", `[1]` + "\x00",
}

func TestStreamOddInputs(t *testing.T) {
	for _, doc := range oddDocs {
		for _, ops := range [][]byte{readerOps, bytes.Repeat([]byte{0}, 60), bytes.Repeat([]byte{2}, 10), bytes.Repeat([]byte{1, 0}, 30)} {
			for _, chunk := range []int{1, 2, 3, 7, 1 << 16} {
				if err := walk([]byte(doc), ops, chunk); err != nil {
					t.Errorf("%q ops %v chunk %d: %v", doc, ops[:4], chunk, err)
				}
			}
		}
	}
}

// TestStreamElements is how a reader uses the Stream: '[', Value while
// More, ']'. Expected values are the array's elements as written.
func TestStreamElements(t *testing.T) {
	doc := " \n[ {\"a\": \"]\\\"[\"} ,\n\t[1, [2]] , \"x\\u005d\" ,-1.5e3,true,null ]\n"
	want := []string{`{"a": "]\"["}`, `[1, [2]]`, `"x\u005d"`, `-1.5e3`, `true`, `null`}
	st := NewStream(iotest.OneByteReader(strings.NewReader(doc)), 1<<20)
	if tok, err := st.Token(); err != nil || !tok.Delim('[') {
		t.Fatalf("open: %v %v", tok, err)
	}
	var got []string
	for st.More() {
		v, err := st.Value()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(v))
	}
	if tok, err := st.Token(); err != nil || !tok.Delim(']') {
		t.Fatalf("close: %v %v", tok, err)
	}
	if _, err := st.Token(); err != io.EOF {
		t.Fatalf("after the document: %v, want EOF", err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("elements %q, want %q", got, want)
	}
}

// TestStreamTooLong: a value longer than the bound is an error, in memory
// bounded by it; shorter values around it are read. The bound is 1 KiB
// (the least NewStream takes); the long element is 2,000 bytes of string.
func TestStreamTooLong(t *testing.T) {
	long := `"` + strings.Repeat("x", 1998) + `"`
	st := NewStream(strings.NewReader(`[1,`+long+`]`), 1000)
	if _, err := st.Token(); err != nil {
		t.Fatal(err)
	}
	if v, err := st.Value(); err != nil || string(v) != "1" {
		t.Fatalf("first: %q %v", v, err)
	}
	_, err := st.Value()
	var tl *TooLongError
	if !errors.As(err, &tl) || tl.Max != 1<<10 {
		t.Fatalf("long: %v, want a TooLongError at 1024", err)
	}
	if cap(st.buf) > 1<<10+64<<10 {
		t.Errorf("buffer grew to %d", cap(st.buf))
	}
	// An element of exactly the bound is read.
	ok := `"` + strings.Repeat("y", 1022) + `"`
	st = NewStream(strings.NewReader(`[`+ok+`]`), 1000)
	_, _ = st.Token()
	if v, err := st.Value(); err != nil || len(v) != 1024 {
		t.Fatalf("at the bound: %d bytes, %v", len(v), err)
	}
}

// errReader fails after its data.
type errReader struct{ b []byte }

var errDisk = errors.New("disk on fire")

func (e *errReader) Read(p []byte) (int, error) {
	if len(e.b) == 0 {
		return 0, errDisk
	}
	n := copy(p, e.b)
	e.b = e.b[n:]
	return n, nil
}

func TestStreamReadError(t *testing.T) {
	st := NewStream(&errReader{b: []byte(`[{"a":1},{"b":`)}, 1<<20)
	_, _ = st.Token()
	if v, err := st.Value(); err != nil || string(v) != `{"a":1}` {
		t.Fatalf("first: %q %v", v, err)
	}
	if _, err := st.Value(); err != errDisk {
		t.Fatalf("second: %v, want the read error", err)
	}
}

func FuzzStream(f *testing.F) {
	for _, d := range oddDocs {
		f.Add([]byte(d), readerOps, uint8(3))
	}
	f.Fuzz(func(t *testing.T, data, ops []byte, chunk uint8) {
		if len(ops) > 300 {
			ops = ops[:300]
		}
		if err := walk(data, ops, int(chunk%16)+1); err != nil {
			t.Fatalf("%q: %v", data, err)
		}
	})
}
