package fjson

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// Parse parses one JSON text with p. The standard library's validator
// judges validity (fastjson alone accepts leading zeros, "+5", raw control
// characters and unknown escapes), so a reader rejects exactly the texts
// RFC 8259 rejects; detail is then the standard library's message.
// Nesting deeper than fastjson.MaxDepth (300) is rejected too.
func Parse(p *fastjson.Parser, b []byte) (v *fastjson.Value, detail string, ok bool) {
	if !json.Valid(b) {
		var x any
		detail = "not RFC 8259 JSON"
		if err := json.Unmarshal(b, &x); err != nil {
			detail = err.Error()
		}
		return nil, detail, false
	}
	return ParseValid(p, b)
}

// parseError words an error of fastjson on b, JSON that json.Valid
// accepted: that is only nesting past fastjson.MaxDepth, whose message
// repeats a phrase per level (kilobytes), so it is shortened. The depth is
// measured on b, not recognised in the message's text.
func parseError(b []byte, err error) string {
	if nesting(b, fastjson.MaxDepth) >= fastjson.MaxDepth {
		return "too big depth: nested more than " + strconv.Itoa(fastjson.MaxDepth) + " levels"
	}
	return err.Error()
}

// nesting returns how many arrays and objects of b are open at once at
// most, counting up to limit. fastjson counts each value one level below
// its container, so valid JSON fails it only from limit open containers
// on (the innermost holding a value).
func nesting(b []byte, limit int) int {
	open, most, inString := 0, 0, false
	for i := 0; i < len(b) && most < limit; i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++ // the escaped byte cannot end the string
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			open++
			most = max(most, open)
		case c == ']' || c == '}':
			open--
		}
	}
	return most
}

// Fields reads typed fields the way encoding/json fills a struct, so a
// reader keeps the rules its users know: a missing field or null is the
// zero value; a value of another type is an error named like
// encoding/json's ("usage.input_tokens: number 5.0"); the first error in
// the order the reader asks is kept and later reads go on.
type Fields struct {
	Err string // "" or the first "path: value" type error
}

func (f *Fields) fail(path string, v *fastjson.Value, literal bool) {
	if f.Err != "" {
		return
	}
	what := Kind(v)
	if literal {
		what += " " + string(v.MarshalTo(nil))
	}
	f.Err = path + ": " + what
}

// Kind names a JSON value's type as encoding/json's UnmarshalTypeError
// does ("string", "number", "bool", "array", "object", "null").
func Kind(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeString:
		return "string"
	case fastjson.TypeNumber:
		return "number"
	case fastjson.TypeTrue, fastjson.TypeFalse:
		return "bool"
	case fastjson.TypeArray:
		return "array"
	case fastjson.TypeObject:
		return "object"
	}
	return "null"
}

// String reads a string field. Invalid UTF-8 is repaired as encoding/json
// repairs it, each bad byte becoming U+FFFD.
func (f *Fields) String(path string, v *fastjson.Value) string {
	if v == nil || v.Type() == fastjson.TypeNull {
		return ""
	}
	if v.Type() != fastjson.TypeString {
		f.fail(path, v, false)
		return ""
	}
	return Text(v.GetStringBytes())
}

// Text is b as a string, each byte of invalid UTF-8 replaced by U+FFFD.
func Text(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return string(out)
}

// Int64 reads an integer field: a number written without fraction or
// exponent that fits in int64.
func (f *Fields) Int64(path string, v *fastjson.Value) int64 {
	if v == nil || v.Type() == fastjson.TypeNull {
		return 0
	}
	if v.Type() != fastjson.TypeNumber {
		f.fail(path, v, false)
		return 0
	}
	n, err := strconv.ParseInt(string(v.MarshalTo(nil)), 10, 64)
	if err != nil {
		f.fail(path, v, true)
		return 0
	}
	return n
}

// Bool reads a boolean field.
func (f *Fields) Bool(path string, v *fastjson.Value) bool {
	if v == nil || v.Type() == fastjson.TypeNull {
		return false
	}
	switch v.Type() {
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	}
	f.fail(path, v, false)
	return false
}

// Object reads an object field; nil when missing or null.
func (f *Fields) Object(path string, v *fastjson.Value) *fastjson.Object {
	if v == nil || v.Type() == fastjson.TypeNull {
		return nil
	}
	o, err := v.Object()
	if err != nil {
		f.fail(path, v, false)
		return nil
	}
	return o
}

// Array reads an array field; ok is false when it is missing or null.
func (f *Fields) Array(path string, v *fastjson.Value) (a []*fastjson.Value, ok bool) {
	if v == nil || v.Type() == fastjson.TypeNull {
		return nil, false
	}
	a, err := v.Array()
	if err != nil {
		f.fail(path, v, false)
		return nil, false
	}
	return a, true
}

// Float64 reads a number field; one beyond float64's range is a wrong type.
func (f *Fields) Float64(path string, v *fastjson.Value) float64 {
	if v == nil || v.Type() == fastjson.TypeNull {
		return 0
	}
	if v.Type() != fastjson.TypeNumber {
		f.fail(path, v, false)
		return 0
	}
	x, err := strconv.ParseFloat(string(v.MarshalTo(nil)), 64)
	if err != nil {
		f.fail(path, v, true)
		return 0
	}
	return x
}
