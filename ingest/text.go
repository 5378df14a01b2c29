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

// ParseTimeOrZero returns the Unix nanoseconds of a timestamp (see
// ParseTimeLoose), or 0 when it is absent or unparsable: in session logs a
// bad time must not cost a line its tokens (the record just has no
// timestamp).
func ParseTimeOrZero(s string) int64 {
	n, _, _ := ParseTimeLoose(s)
	return n
}

// zonelessLayouts are the shapes of a timestamp without a zone: Python's
// datetime.isoformat() default ("2025-01-20T20:29:35.040676") and the same
// with a space, as SQL exports write it.
var zonelessLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}

// ParseTimeLoose reads an RFC 3339 timestamp, or one without a zone as
// UTC (assumedUTC says so). ok is false when s is not a timestamp or lies
// outside int64 nanoseconds; nanos is then 0.
func ParseTimeLoose(s string) (nanos int64, assumedUTC, ok bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		if !nanosRepresentable(t) {
			return 0, false, false
		}
		return t.UnixNano(), false, true
	}
	for _, l := range zonelessLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if !nanosRepresentable(t) {
				return 0, false, false
			}
			return t.UnixNano(), true, true
		}
	}
	return 0, false, false
}

// SetTimeText sets r's timestamp from text (ParseTimeLoose), noting an
// assumed zone; an unreadable one leaves r without a time and notes it,
// since a bad time makes a record unordered, not invalid. "" is no time.
func SetTimeText(r *Record, s string) {
	if s == "" {
		return
	}
	n, assumed, ok := ParseTimeLoose(s)
	r.TSNano, r.TSAssumedUTC, r.TSUnreadable = n, assumed, !ok
}

// TimeFlags says how ParseTimeLoose read s: with an assumed UTC zone, or
// not at all ("" is no time, not an unreadable one). Readers that parse a
// line's time once and share it among records set the flags with it.
func TimeFlags(s string) (assumedUTC, unreadable bool) {
	if s == "" {
		return false, false
	}
	_, assumed, ok := ParseTimeLoose(s)
	return assumed, !ok
}

// SetTime sets r's timestamp from a parse result: on error r keeps no
// time and notes it as unreadable rather than becoming invalid.
func SetTime(r *Record, nanos int64, err *FieldError) {
	if err != nil {
		r.TSNano, r.TSUnreadable = 0, true
		return
	}
	r.TSNano = nanos
}

// nanosRepresentable reports whether t fits in int64 Unix nanoseconds
// (years 1678 to 2261); UnixNano is undefined outside.
func nanosRepresentable(t time.Time) bool {
	return t.Year() >= 1678 && t.Year() <= 2261
}
