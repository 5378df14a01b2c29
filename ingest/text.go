package ingest

import (
	"time"
	"unicode/utf8"
)

// TruncateUTF8 cuts s to at most n bytes without splitting a UTF-8
// sequence: readers keep bounded error texts, never megabytes.
func TruncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// ParseTimeOrZero returns the Unix nanoseconds of an RFC 3339 timestamp,
// or 0 when it is absent or unparsable: in session logs a bad time must
// not cost a line its tokens (the record just has no timestamp).
func ParseTimeOrZero(s string) int64 {
	if s == "" {
		return 0
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !nanosRepresentable(t) {
		return 0
	}
	return t.UnixNano()
}

// nanosRepresentable reports whether t fits in int64 Unix nanoseconds
// (years 1678 to 2261); UnixNano is undefined outside.
func nanosRepresentable(t time.Time) bool {
	return t.Year() >= 1678 && t.Year() <= 2261
}
