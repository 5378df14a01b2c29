package analyze

import "strings"

// MaskError reduces an error message to its shape, so that two attempts
// failing the same way compare equal although ids, line numbers, paths and
// times differ. In order of precedence:
//
//   - RFC 3339 timestamps and dates (2026-01-05T09:00:00.123Z) become <ts>;
//   - UUIDs (8-4-4-4-12 hex digits) become <uuid>;
//   - durations (one or more groups of a number and ns, us, µs, ms, s, m
//     or h: 1m2.5s, 950ms) become <dur>;
//   - unquoted paths under a temporary directory (/tmp/, /var/folders/,
//     a Windows \Temp\ ...) become <tmp>;
//   - the content of a quoted span ("…", '…' or `…`, on one line, two or
//     more characters) becomes <str>, quotes kept: quoted text is almost
//     always a path, a key or a name;
//   - a word that is 0x followed by hex digits becomes 0x<hex>;
//   - a word of 16 or more letters and digits with both, or of 10 or more
//     with at least 3 of each, becomes <id>
//     (ULIDs, base62 request ids);
//   - a word of eight or more hex digits becomes <hex>, and so does one of
//     six or seven with at least one decimal digit (long numbers are ids
//     too; an id can happen to be all letters, an English word of eight
//     letters a-f hardly ever);
//   - every other run of decimal digits becomes <n>, also inside words
//     (9000ms → <n>ms).
//
// A word is a maximal run of ASCII letters and digits. A single quote
// preceded by a letter or digit is an apostrophe, not a quote.
func MaskError(s string) string {
	return string(maskAppend(nil, s))
}

// maskAppend appends the mask of s to dst.
func maskAppend(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		wordStart := i == 0 || !isAlnum(s[i-1])
		if wordStart && isDigit(c) {
			if n := timestampLen(s[i:]); n > 0 {
				dst = append(dst, "<ts>"...)
				i += n
				continue
			}
		}
		if wordStart && isHex(c) {
			if n := uuidLen(s[i:]); n > 0 {
				dst = append(dst, "<uuid>"...)
				i += n
				continue
			}
		}
		if wordStart && isDigit(c) {
			if n := durationLen(s[i:]); n > 0 {
				dst = append(dst, "<dur>"...)
				i += n
				continue
			}
		}
		if (c == '/' || c == '\\' || isAlnum(c)) && (i == 0 || !isPathByte(s[i-1])) {
			if n := tempPathLen(s[i:]); n > 0 {
				dst = append(dst, "<tmp>"...)
				i += n
				continue
			}
		}
		if c == '"' || c == '`' || (c == '\'' && wordStart) {
			if n := quotedLen(s[i:]); n > 0 {
				dst = append(dst, c)
				dst = append(dst, "<str>"...)
				dst = append(dst, c)
				i += n
				continue
			}
		}
		if !isAlnum(c) {
			dst = append(dst, c)
			i++
			continue
		}
		// A word: s[i:j].
		j := i
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		dst = maskWord(dst, s[i:j])
		i = j
	}
	return dst
}

func maskWord(dst []byte, w string) []byte {
	if len(w) >= 16 && hasDigit(w) && (hasUpper(w) || hasLower(w)) {
		return append(dst, "<id>"...) // a request id: ULID, base62, ...
	}
	if len(w) > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X') && allHex(w[2:]) {
		return append(dst, "0x<hex>"...)
	}
	if len(w) >= 6 && allHex(w) && (len(w) >= 8 || hasDigit(w)) {
		return append(dst, "<hex>"...)
	}
	if len(w) >= 10 && countDigits(w) >= 3 && len(w)-countDigits(w) >= 3 {
		// A shorter random id (Stripe's req_ ids are 14 letters and
		// digits); words rarely mix three of each in ten characters.
		return append(dst, "<id>"...)
	}
	for i := 0; i < len(w); {
		if !isDigit(w[i]) {
			dst = append(dst, w[i])
			i++
			continue
		}
		for i < len(w) && isDigit(w[i]) {
			i++
		}
		dst = append(dst, "<n>"...)
	}
	return dst
}

// durationLen returns the length of the duration that starts s, or 0:
// one or more groups of a decimal number and a unit (ns, us, µs, ms, s, m,
// h), as Go prints them (1m2.5s, 350ms, 1.234s).
func durationLen(s string) int {
	n := 0
	for {
		k := n
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k == n {
			break
		}
		if byteAt(s, k, '.') && k+1 < len(s) && isDigit(s[k+1]) {
			k++
			for k < len(s) && isDigit(s[k]) {
				k++
			}
		}
		u := unitLen(s[k:])
		if u == 0 {
			break
		}
		n = k + u
	}
	if n == 0 {
		return 0
	}
	return endOfWord(s, n)
}

func unitLen(s string) int {
	for _, u := range []string{"ns", "us", "µs", "ms", "s", "m", "h"} {
		if strings.HasPrefix(s, u) {
			// "ms" and "min" must not read as "m": the unit ends a word
			// or is followed by the next group's digit.
			if len(s) == len(u) || !isAlnum(s[len(u)]) || isDigit(s[len(u)]) {
				return len(u)
			}
		}
	}
	return 0
}

// tempPrefixes start the paths of temporary files and directories, whose
// names are random.
var tempPrefixes = []string{"/tmp/", "/var/tmp/", "/private/tmp/", "/var/folders/", "/private/var/folders/", "/dev/shm/"}

// tempPathLen returns the length of the temporary-file path that starts s
// (up to a space, quote or bracket), or 0. Windows paths count when they
// hold \Temp\ or \AppData\Local\Temp\.
func tempPathLen(s string) int {
	end := 0
	for end < len(s) && isPathByte(s[end]) {
		end++
	}
	p := s[:end]
	for _, pre := range tempPrefixes {
		if strings.HasPrefix(p, pre) && len(p) > len(pre) {
			return trimPathEnd(p)
		}
	}
	if len(p) > 3 && isAlnum(p[0]) && p[1] == ':' && p[2] == '\\' && strings.Contains(strings.ToLower(p), `\temp\`) {
		return trimPathEnd(p)
	}
	return 0
}

// trimPathEnd drops a sentence's punctuation and a :line:col suffix
// from a path, so those stay visible (and masked on their own).
func trimPathEnd(p string) int {
	n := len(p)
	if i := strings.IndexByte(p[3:], ':'); i >= 0 {
		n = 3 + i
	}
	for n > 0 && (p[n-1] == '.' || p[n-1] == ',' || p[n-1] == ';') {
		n--
	}
	return n
}

// isPathByte: a byte that can be part of an unquoted path.
func isPathByte(c byte) bool {
	return isAlnum(c) || c == '/' || c == '\\' || c == '.' || c == '_' || c == '-' || c == ':' || c == '~' || c == '+' || c >= 0x80
}

// timestampLen returns the length of the RFC 3339 date or date-time that
// starts s, or 0: YYYY-MM-DD, optionally [T ]hh:mm[:ss[.frac]][Z|±hh[:]mm].
func timestampLen(s string) int {
	if !digitsAt(s, 0, 4) || !byteAt(s, 4, '-') || !digitsAt(s, 5, 2) || !byteAt(s, 7, '-') || !digitsAt(s, 8, 2) {
		return 0
	}
	n := 10
	if !(byteAt(s, n, 'T') || byteAt(s, n, ' ')) || !digitsAt(s, n+1, 2) || !byteAt(s, n+3, ':') || !digitsAt(s, n+4, 2) {
		return endOfWord(s, n)
	}
	n += 6
	if byteAt(s, n, ':') && digitsAt(s, n+1, 2) {
		n += 3
		if byteAt(s, n, '.') || byteAt(s, n, ',') {
			k := n + 1
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			if k > n+1 {
				n = k
			}
		}
	}
	switch {
	case byteAt(s, n, 'Z') || byteAt(s, n, 'z'):
		n++
	case (byteAt(s, n, '+') || byteAt(s, n, '-')) && digitsAt(s, n+1, 2):
		if byteAt(s, n+3, ':') && digitsAt(s, n+4, 2) {
			n += 6
		} else if digitsAt(s, n+3, 2) {
			n += 5
		}
	}
	return endOfWord(s, n)
}

// endOfWord accepts a match of length n only if it does not run on into
// a word (2026-01-05abc is not a date).
func endOfWord(s string, n int) int {
	if n < len(s) && isAlnum(s[n]) {
		return 0
	}
	return n
}

// uuidLen returns 36 if s starts with a UUID, else 0.
func uuidLen(s string) int {
	const n = 36
	if len(s) < n {
		return 0
	}
	for i := 0; i < n; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return 0
			}
		default:
			if !isHex(s[i]) {
				return 0
			}
		}
	}
	return endOfWord(s, n)
}

// maxQuoted bounds how far a closing quote is looked for, so a stray quote
// costs little and does not swallow the rest of a long message.
const maxQuoted = 256

// quotedLen returns the length of the quoted span at the start of s,
// quotes included, or 0 when the quote does not close on the same line or
// encloses fewer than two characters.
func quotedLen(s string) int {
	q := s[0]
	for k := 1; k < len(s) && k <= maxQuoted; k++ {
		switch s[k] {
		case q:
			if k < 3 {
				return 0
			}
			return k + 1
		case '\n':
			return 0
		}
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

func hasUpper(w string) bool {
	return strings.IndexFunc(w, func(r rune) bool { return r < 0x80 && isUpper(byte(r)) }) >= 0
}
func hasLower(w string) bool {
	return strings.IndexFunc(w, func(r rune) bool { return r < 0x80 && isLower(byte(r)) }) >= 0
}
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func isAlnum(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') }

func byteAt(s string, i int, c byte) bool { return i < len(s) && s[i] == c }

func digitsAt(s string, i, n int) bool {
	if i+n > len(s) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}

func allHex(w string) bool {
	for i := 0; i < len(w); i++ {
		if !isHex(w[i]) {
			return false
		}
	}
	return len(w) > 0
}

func countDigits(w string) int {
	n := 0
	for i := 0; i < len(w); i++ {
		if isDigit(w[i]) {
			n++
		}
	}
	return n
}

func hasDigit(w string) bool {
	for i := 0; i < len(w); i++ {
		if isDigit(w[i]) {
			return true
		}
	}
	return false
}
