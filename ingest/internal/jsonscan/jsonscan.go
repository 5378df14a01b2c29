// Package jsonscan is the scanner core the two fast JSON decoders share:
// the canonical JSONL line decoder (ingest/fast_jsonl.go) and the
// OTLP/JSON span decoder (ingest/otel/jsonscan.go). It finds the ends of
// strings and numbers in strict JSON (RFC 8259) and unescapes the escapes
// it accepted, so both decoders agree on what a value is and there is one
// unescape to get right. Stream walks a JSON document from a reader as
// json.Decoder's Token/More/Decode do, a value at a time, for the
// document readers (Gemini CLI, Cline, mini-SWE-agent, OpenHands,
// SWE-agent, LiteLLM logs).
//
// The scanners are conservative: they decline (return -1) what they do not
// handle — \u escapes, control characters, invalid escapes — and the
// caller hands the whole value to its general decoder, which owns every
// error message and every repair (invalid UTF-8, lone surrogates).
package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// SkipWS returns the index of the first byte at or after i that is not
// JSON whitespace.
func SkipWS(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// Plain returns the end of the string whose opening quote is at i (the
// index just past the closing quote), or -1 when the string holds an
// escape, a control character or a non-ASCII byte. It tests eight bytes
// at a time: most values are plain ASCII with nothing to stop for.
func Plain(b []byte, i int) int {
	j := i + 1
	for ; j+8 <= len(b); j += 8 {
		if m := Special(binary.LittleEndian.Uint64(b[j:])); m != 0 {
			j += bits.TrailingZeros64(m) / 8 // the first flagged byte is a real one
			if b[j] == '"' {
				return j + 1
			}
			return -1
		}
	}
	for ; j < len(b); j++ {
		c := b[j]
		if c == '"' {
			return j + 1
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return -1
		}
	}
	return -1
}

// Special has the high bit set in every byte of w that is a quote, a
// backslash, a control character or non-ASCII. Borrows can also flag a
// byte after a flagged one, never before: the lowest flag is exact.
func Special(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := w ^ (ones * '"')
	bslash := w ^ (ones * '\\')
	return ((quote-ones)&^quote | (bslash-ones)&^bslash | (w - ones*0x20) | w) & highs
}

// Escaped scans a string Plain declined, whose opening quote is at i. It
// accepts the escapes \" \\ \/ \b \f \n \r \t and non-ASCII bytes,
// reporting both; end is -1 for a \u escape, an invalid escape, a control
// character or a missing closing quote.
func Escaped(b []byte, i int) (end int, escaped, nonASCII bool) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, escaped, nonASCII
		case c == '\\':
			if j+1 == len(b) {
				return -1, false, false
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				escaped = true
				j++
			default:
				return -1, false, false // \u and invalid escapes: the general decoder's job
			}
		case c < 0x20:
			return -1, false, false
		case c >= 0x80:
			nonASCII = true
		}
	}
	return -1, false, false
}

// String returns the end of the string whose opening quote is at i and
// whether it holds escapes, or end -1 where Escaped declines.
func String(b []byte, i int) (end int, escaped, nonASCII bool) {
	if end = Plain(b, i); end >= 0 {
		return end, false, false
	}
	return Escaped(b, i)
}

// Unescape appends s, the text between the quotes of a string Escaped
// accepted, unescaped.
func Unescape(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		default: // " \ /
			c = s[i]
		}
		dst = append(dst, c)
	}
	return dst
}

// Number returns the end of the strict JSON number starting at i,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, or -1.
func Number(b []byte, i int) int {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	if j < len(b) && b[j] == '0' {
		j++
	} else if k := Digits(b, j); k > j {
		j = k
	} else {
		return -1
	}
	if j < len(b) && b[j] == '.' {
		k := Digits(b, j+1)
		if k == j+1 {
			return -1
		}
		j = k
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := Digits(b, j)
		if k == j {
			return -1
		}
		j = k
	}
	return j
}

// Digits returns the end of the run of decimal digits starting at j.
func Digits(b []byte, j int) int {
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return j
}

// HasWord reports whether b[i:] starts with w (a literal: true, false, null).
func HasWord(b []byte, i int, w string) bool {
	return len(b)-i >= len(w) && string(b[i:i+len(w)]) == w
}
