package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SafeText makes text from a trace safe to print on a terminal: control
// characters (C0, DEL, C1), bidirectional overrides and bytes that are not
// UTF-8 are shown as escapes (\x1b, \n, \u202e) instead of being sent raw,
// as ls and gh do. Otherwise an ESC in a session id could retitle the
// terminal or clear the screen, and a newline could forge an output line
// such as "check: PASS". Clean text is returned as is, without copying.
func SafeText(s string) string {
	if !needsEscape(s, false) {
		return s
	}
	return escapeText(s, false)
}

// SafeLines is SafeText keeping line breaks: for messages of several
// lines the program itself composed (an error with a usage hint).
func SafeLines(s string) string {
	if !needsEscape(s, true) {
		return s
	}
	return escapeText(s, true)
}

func needsEscape(s string, keepNewlines bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			if !(keepNewlines && c == '\n') {
				return true
			}
		}
		if c >= 0x80 {
			return needsEscapeSlow(s[i:])
		}
	}
	return false
}

func needsEscapeSlow(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || unsafeRune(r) {
			return true
		}
		i += n
	}
	return false
}

// unsafeRune is a non-ASCII rune a terminal may act on: the C1 controls
// (U+009B is CSI on some terminals) and the bidirectional embeddings,
// overrides and isolates that can make text read differently than it is.
func unsafeRune(r rune) bool {
	return (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

func escapeText(s string, keepNewlines bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			switch {
			case c == '\n' && keepNewlines:
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20 || c == 0x7f:
				fmt.Fprintf(&b, `\x%02x`, c)
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, c)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
