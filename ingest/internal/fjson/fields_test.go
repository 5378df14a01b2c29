package fjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// ref is what the reference decoder, encoding/json, fills.
type ref struct {
	A string  `json:"a"`
	N int64   `json:"n"`
	B bool    `json:"b"`
	F float64 `json:"f"`
	O *struct {
		X int64 `json:"x"`
	} `json:"o"`
}

// decodeFields reads the same fields with Fields, as a reader does.
func decodeFields(o *fastjson.Object) (r ref, err string) {
	var f Fields
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "a":
			r.A = f.String("a", v)
		case "n":
			r.N = f.Int64("n", v)
		case "b":
			r.B = f.Bool("b", v)
		case "f":
			r.F = f.Float64("f", v)
		case "o":
			r.O = nil
			if oo := f.Object("o", v); oo != nil {
				r.O = &struct {
					X int64 `json:"x"`
				}{}
				oo.Visit(func(k []byte, v *fastjson.Value) {
					if string(k) == "x" {
						r.O.X = f.Int64("o.x", v)
					}
				})
			}
		}
	})
	return r, f.Err
}

// compare holds Parse and Fields to encoding/json on one input, except
// where the readers decided otherwise: keys match exactly (encoding/json
// also takes "A" for "a") and a lone surrogate escape stays text.
func compare(t *testing.T, in string) {
	var want ref
	werr := json.Unmarshal([]byte(in), &want)
	var p fastjson.Parser
	v, detail, ok := Parse(&p, []byte(in))
	var se *json.SyntaxError
	if errors.As(werr, &se) {
		if ok || detail != werr.Error() {
			t.Fatalf("%q: Parse = %v %q, encoding/json: %v", in, ok, detail, werr)
		}
		return
	}
	if !ok && strings.Contains(detail, "too big depth") {
		return // deeper than fastjson.MaxDepth: TestParseDepth
	}
	if !ok {
		t.Fatalf("%q: Parse rejected what encoding/json read (%v): %s", in, werr, detail)
	}
	o, oerr := v.Object()
	if oerr != nil || foldedKey(o) || strings.Contains(strings.ToLower(in), `\ud`) {
		return // not a struct's input, or a decided difference
	}
	got, gerr := decodeFields(o)
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(werr, &te):
		if w := te.Field + ": " + te.Value; gerr != w {
			t.Fatalf("%q: error %q, encoding/json %q", in, gerr, w)
		}
	case werr != nil:
		t.Fatalf("%q: encoding/json: %v", in, werr)
	case gerr != "":
		t.Fatalf("%q: error %q, encoding/json none", in, gerr)
	case got.A != want.A || got.N != want.N || got.B != want.B || got.F != want.F || (got.O == nil) != (want.O == nil) || (got.O != nil && got.O.X != want.O.X):
		t.Fatalf("%q: got %+v, encoding/json %+v", in, got, want)
	}
}

// foldedKey reports a key that encoding/json would match case-insensitively.
func foldedKey(o *fastjson.Object) bool {
	folded := false
	var walk func(o *fastjson.Object)
	walk = func(o *fastjson.Object) {
		o.Visit(func(k []byte, v *fastjson.Value) {
			for _, name := range []string{"a", "n", "b", "f", "o", "x"} {
				if string(k) != name && strings.EqualFold(string(k), name) || !utf8.Valid(k) {
					folded = true
				}
			}
			if v.Type() == fastjson.TypeObject {
				walk(v.GetObject())
			}
		})
	}
	walk(o)
	return folded
}

// TestFieldsMatchEncodingJSON: each case is a rule of encoding/json's
// struct decoding that the readers keep.
func TestFieldsMatchEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"a":"x","n":5,"b":true,"o":{"x":2}}`,
		`{"a":"x","a":"y"}`,                  // the last duplicate wins
		`{"n":"5"}`,                          // number as string: "n: string"
		`{"n":5.0}`, `{"n":1e3}`, `{"n":-0}`, // not an integer literal: "n: number 5.0"
		`{"n":9223372036854775807}`, `{"n":9223372036854775808}`,
		`{"a":null,"n":null,"b":null,"o":null}`, // null is the zero value
		`{"a":5,"n":"x"}`,                       // the first error in the document is named
		`{"o":{"x":"1"}}`, `{"o":[1]}`, `{"b":"true"}`, `{"a":{}}`, `{"a":[]}`,
		`{"f":1.5e3,"f":-0}`, `{"f":1e400}`, `{"f":"1"}`, // floats: 1e400 is "f: number 1e400"
		"{\"a\":\"x\xffy\"}", // invalid UTF-8: U+FFFD per bad byte
		"{\"a\":\"\xe2\x82\"}",
		`{"a":"\u00e9\n"}`, `{"a":1,}`, `{"n":01}`, `{"a":"\x"}`, `{} x`, "{\"a\":\"\x01\"}",
	} {
		compare(t, in)
	}
}

func FuzzFields(f *testing.F) {
	for _, s := range []string{`{"a":"x","n":5,"b":true,"o":{"x":2}}`, `{"n":5.0,"a":1}`, `{"o":{"x":"1"},"o":null}`, "{\"a\":\"\xff\"}"} {
		f.Add(s)
	}
	f.Fuzz(compare)
}

// TestParseDepth: fastjson parses at most 300 levels of nesting
// (fastjson.MaxDepth); deeper valid JSON, which encoding/json reads up to
// 10,000 levels, is rejected with a short message (fastjson's own repeats
// a phrase per level), never half read.
func TestParseDepth(t *testing.T) {
	nest := func(n int) []byte {
		return []byte(`{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`)
	}
	var p fastjson.Parser
	if _, _, ok := Parse(&p, nest(fastjson.MaxDepth)); !ok {
		t.Errorf("depth %d rejected", fastjson.MaxDepth)
	}
	_, detail, ok := Parse(&p, nest(fastjson.MaxDepth+1))
	if ok || detail != "too big depth: nested more than 300 levels" {
		t.Errorf("depth %d: ok %v detail %q, want rejected for its depth", fastjson.MaxDepth+1, ok, detail)
	}
	// ParseValid (the document readers' path) words it the same: its
	// detail is a Note's, and fastjson's own text was 14 KB at 400 levels.
	if _, detail, ok := ParseValid(&p, nest(400)); ok || detail != "too big depth: nested more than 300 levels" {
		t.Errorf("ParseValid depth 400: ok %v detail of %d bytes %.80q, want rejected for its depth", ok, len(detail), detail)
	}
}

// TestLast: of repeated keys the last counts at every level, as
// encoding/json reads them into a map.
func TestLast(t *testing.T) {
	doc := `{"a":{"b":1},"a":{"b":2,"b":3,"c":4},"s":"x"}`
	var p fastjson.Parser
	v, _, ok := Parse(&p, []byte(doc))
	if !ok {
		t.Fatal("not parsed")
	}
	var m map[string]map[string]any
	_ = json.Unmarshal([]byte(`{"a":{"b":1},"a":{"b":2,"b":3,"c":4}}`), &m)
	if got := Last(v, "a", "b"); got == nil || got.GetInt() != 3 || m["a"]["b"].(float64) != 3 {
		t.Errorf("a.b = %v (encoding/json %v), want 3", got, m["a"]["b"])
	}
	if Last(v, "s", "b") != nil || Last(v, "x") != nil {
		t.Error("a missing or non-object level must give nil")
	}
	if k := LastKeys(v)("a"); strings.Join(k, ",") != "b,b,c" {
		t.Errorf("keys of a = %v, want b,b,c (the last a)", k)
	}
}

// TestParseDepthMeasured: the depth message comes from b's nesting, not
// from fastjson's wording (issue 12.9). Counted by hand from fastjson's
// rule (parseValue adds a level per value, the top value is level 1, more
// than MaxDepth = 300 fails): 300 open arrays around 1 put the 1 at level
// 301 and fail; 300 empty arrays are 300 levels and parse; brackets inside
// a string, escaped quotes included, open nothing.
func TestParseDepthMeasured(t *testing.T) {
	var p fastjson.Parser
	at300 := []byte(strings.Repeat("[", 300) + "1" + strings.Repeat("]", 300))
	if _, detail, ok := Parse(&p, at300); ok || detail != "too big depth: nested more than 300 levels" {
		t.Errorf("300 arrays around a value: ok %v detail %.80q", ok, detail)
	}
	empty300 := []byte(strings.Repeat("[", 300) + strings.Repeat("]", 300))
	if _, _, ok := Parse(&p, empty300); !ok {
		t.Error("300 empty arrays rejected")
	}
	inString := []byte(`["\"` + strings.Repeat("[", 400) + `"]`)
	if got := nesting(inString, 1000); got != 1 {
		t.Errorf("nesting of brackets in a string %d, want 1", got)
	}
	if got := nesting(at300, 1000); got != 300 {
		t.Errorf("nesting %d, want 300", got)
	}
	if got := parseError(inString, errors.New("other")); got != "other" {
		t.Errorf("parseError of a shallow text %q, want fastjson's message", got)
	}
}
