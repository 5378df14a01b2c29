// Package toolhash hashes and labels a tool call's arguments and result,
// the same way for every reader: the hashes are the canonical format's
// tool_args_hash and tool_result_hash.
package toolhash

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// A tool call's arguments and result are kept as 64-bit hashes, never as
// text, so memory stays per record: loop detection only asks whether two
// calls had the same arguments, or got the same result. Two values are the
// same when their canonical JSON texts are equal: object keys sorted,
// whitespace dropped, numbers compared by value. The hash is FNV-1a over an
// unambiguous encoding of that canonical form, stable across runs and
// machines, so converted files carry it (tool_args_hash, tool_result_hash).
// 0 means "not recorded"; a hash that comes out 0 is stored as 1.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

type fnv64 uint64

func (h *fnv64) byte(c byte) { *h = (*h ^ fnv64(c)) * fnvPrime }

func (h *fnv64) str(s string) {
	h.uint(uint64(len(s)))
	for i := 0; i < len(s); i++ {
		*h = (*h ^ fnv64(s[i])) * fnvPrime
	}
}

func (h *fnv64) uint(n uint64) {
	for ; n >= 0x80; n >>= 7 {
		h.byte(byte(n) | 0x80)
	}
	h.byte(byte(n))
}

func (h fnv64) sum() uint64 {
	if h == 0 {
		return 1
	}
	return uint64(h)
}

// Text is the hash of a JSON string value s (a result given as text).
func Text(s string) uint64 {
	h := fnv64(fnvOffset)
	h.byte('s')
	h.str(s)
	return h.sum()
}

// JSON is the hash of any JSON value, in canonical form: JSON of
// a string value equals Text of its content.
func JSON(v *fastjson.Value) uint64 {
	h := fnv64(fnvOffset)
	hashValue(&h, v, 0)
	return h.sum()
}

// maxHashDepth bounds recursion on hostile nesting; deeper values hash by
// their raw text.
const maxHashDepth = 64

func hashValue(h *fnv64, v *fastjson.Value, depth int) {
	if depth > maxHashDepth {
		h.byte('r')
		h.str(string(v.MarshalTo(nil)))
		return
	}
	switch v.Type() {
	case fastjson.TypeString:
		h.byte('s')
		h.str(string(v.GetStringBytes()))
	case fastjson.TypeNumber:
		h.byte('n')
		f := v.GetFloat64()
		h.str(strconv.FormatFloat(f, 'g', -1, 64))
	case fastjson.TypeTrue:
		h.byte('t')
	case fastjson.TypeFalse:
		h.byte('f')
	case fastjson.TypeNull:
		h.byte('z')
	case fastjson.TypeArray:
		a, _ := v.Array()
		h.byte('a')
		h.uint(uint64(len(a)))
		for _, x := range a {
			hashValue(h, x, depth+1)
		}
	case fastjson.TypeObject:
		o, _ := v.Object()
		type kv struct {
			k string
			v *fastjson.Value
		}
		var kvs []kv
		o.Visit(func(k []byte, x *fastjson.Value) { kvs = append(kvs, kv{string(k), x}) })
		// Sorted keys: key order does not matter. A stable sort keeps
		// repeated keys in document order.
		slices.SortStableFunc(kvs, func(a, b kv) int {
			switch {
			case a.k < b.k:
				return -1
			case a.k > b.k:
				return 1
			}
			return 0
		})
		h.byte('o')
		h.uint(uint64(len(kvs)))
		for _, p := range kvs {
			h.str(p.k)
			hashValue(h, p.v, depth+1)
		}
	}
}

// MaxLabel bounds the excerpt of a call's arguments kept for
// evidence (ArgsLabel), in bytes.
const MaxLabel = 48

// labelKeys are the argument names that usually say what a call is about,
// in order of preference.
var labelKeys = []string{"file_path", "path", "filename", "file", "url", "command", "cmd", "query", "pattern", "name"}

// ArgsLabel returns a short, printable excerpt of a call's arguments for
// evidence: the value of the first of labelKeys present as a string, else
// the first string argument, else the value itself if it is a string.
// Control characters become spaces; at most MaxLabel bytes.
func ArgsLabel(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeString:
		return Label(string(v.GetStringBytes()))
	case fastjson.TypeObject:
		for _, k := range labelKeys {
			if x := v.Get(k); x != nil && x.Type() == fastjson.TypeString {
				return Label(string(x.GetStringBytes()))
			}
		}
		var first string
		found := false
		o, _ := v.Object()
		o.Visit(func(_ []byte, x *fastjson.Value) {
			if !found && x.Type() == fastjson.TypeString {
				first, found = string(x.GetStringBytes()), true
			}
		})
		return Label(first)
	}
	return ""
}

// Label makes s safe and short to show: control characters become spaces,
// invalid UTF-8 is dropped, and it is cut to MaxLabel bytes on a rune
// boundary, "…" marking the cut.
func Label(s string) string {
	b := make([]byte, 0, MaxLabel+4)
	cut := 0 // the length of b before the last rune that fits with "…" after it
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
			r = ' '
		}
		b = utf8.AppendRune(b, r)
		if len(b) <= MaxLabel-len("…") {
			cut = len(b)
		}
		if len(b) > MaxLabel {
			return string(append(b[:cut], "…"...))
		}
	}
	return string(b)
}

// Args is the hash and label of arguments given as a JSON value.
func Args(v *fastjson.Value) (hash uint64, label string) { return JSON(v), ArgsLabel(v) }

// Result is the hash and size of a result given as a JSON value: a
// string's size is its text's, any other value's its JSON text's.
func Result(v *fastjson.Value) (hash uint64, size int64) {
	if v.Type() == fastjson.TypeString {
		return JSON(v), int64(len(v.GetStringBytes()))
	}
	return JSON(v), int64(len(v.MarshalTo(nil)))
}

// ArgsJSON hashes and labels arguments given as raw JSON (a reader's
// tool_use input); ok is false when raw is empty or not JSON.
func ArgsJSON(p *fastjson.Parser, raw []byte) (hash uint64, label string, ok bool) {
	if len(raw) == 0 {
		return 0, "", false
	}
	v, err := p.ParseBytes(raw)
	if err != nil {
		return 0, "", false
	}
	return JSON(v), ArgsLabel(v), true
}

// ValueText hashes a tool argument or result that a format hands over
// as text (an OTel attribute): JSON when it parses as JSON, so key order
// and spacing do not matter, else the text itself. size is the text's.
func ValueText(p *fastjson.Parser, s string) (hash uint64, label string, size int64) {
	size = int64(len(s))
	if v, err := p.Parse(s); err == nil {
		return JSON(v), ArgsLabel(v), size
	}
	return Text(s), Label(s), size
}
