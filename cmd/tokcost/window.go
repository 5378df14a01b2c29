package main

import (
	"time"

	"github.com/tokcost/tokcost/ingest"
)

// window reads --since and --until: RFC 3339 times or UTC dates
// (YYYY-MM-DD, midnight UTC). Until is exclusive, so --since 2026-12-03
// --until 2026-12-04 is one UTC day.
func (o *inputOptions) window() (ingest.Window, error) {
	var w ingest.Window
	var err error
	if w.Since, err = parseWindowTime("--since", o.Since); err != nil {
		return w, err
	}
	if w.Until, err = parseWindowTime("--until", o.Until); err != nil {
		return w, err
	}
	if !w.Since.IsZero() && !w.Until.IsZero() && !w.Since.Before(w.Until) {
		return w, usageErr("--since %s is not before --until %s: the window is empty", o.Since, o.Until)
	}
	return w, nil
}

func parseWindowTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil // midnight UTC
	}
	return time.Time{}, usageErr("%s %q: want an RFC 3339 time (2026-12-03T07:00:00Z) or a date (2026-12-03)", flag, s)
}
