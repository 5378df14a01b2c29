package objstore

import (
	"strconv"
	"strings"
	"time"

	"github.com/tokcost/tokcost/ingest"
)

// Zones beyond UTC: a producer may cut its partitions at local midnight
// or hour. Widening a partition by the extreme offsets (UTC-12 to
// UTC+14) before comparing keeps pruning exact whatever zone it used, at
// the cost of reading up to one more partition at each end.
const (
	earliestZone = 14 * time.Hour
	latestZone   = 12 * time.Hour
)

// partitionSpan reads the Hive-style time partitions in a key's folders
// (year=2026/month=12/day=03, dt=2026-12-03, hour=07) as the span
// [start, end) they cover, in UTC. ok is false when the key has none, or
// they do not make a span (month= without year=, a value out of range,
// a name given twice): such an object is never pruned.
func partitionSpan(key string) (start, end time.Time, ok bool) {
	parts := strings.Split(key, "/")
	vals := map[string]string{}
	for _, p := range parts[:len(parts)-1] {
		name, val, found := strings.Cut(p, "=")
		if !found {
			continue
		}
		name = strings.ToLower(name)
		switch name {
		case "year", "month", "day", "hour", "dt":
			if _, dup := vals[name]; dup {
				return start, end, false
			}
			vals[name] = val
		}
	}
	if len(vals) == 0 {
		return start, end, false
	}
	num := func(name string, lo, hi int) (int, bool) {
		n, err := strconv.Atoi(vals[name])
		return n, err == nil && n >= lo && n <= hi
	}
	var y, m, d int
	step := 0 // 1 year, 2 month, 3 day
	if dt, has := vals["dt"]; has {
		if vals["year"] != "" || vals["month"] != "" || vals["day"] != "" {
			return start, end, false
		}
		t, err := time.Parse("2006-01-02", dt)
		if err != nil {
			return start, end, false
		}
		y, m, d, step = t.Year(), int(t.Month()), t.Day(), 3
	} else {
		var good bool
		if y, good = num("year", 1, 9999); !good {
			return start, end, false
		}
		step, m, d = 1, 1, 1
		if _, has := vals["month"]; has {
			if m, good = num("month", 1, 12); !good {
				return start, end, false
			}
			step = 2
			if _, has := vals["day"]; has {
				if d, good = num("day", 1, 31); !good {
					return start, end, false
				}
				step = 3
			}
		} else if _, has := vals["day"]; has {
			return start, end, false
		}
	}
	start = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if start.Day() != d {
		return start, end, false // day=31 in a 30-day month
	}
	switch step {
	case 1:
		end = start.AddDate(1, 0, 0)
	case 2:
		end = start.AddDate(0, 1, 0)
	case 3:
		end = start.AddDate(0, 0, 1)
	}
	if _, has := vals["hour"]; has {
		h, good := num("hour", 0, 23)
		if !good || step != 3 {
			return start, end, false
		}
		start = start.Add(time.Duration(h) * time.Hour)
		end = start.Add(time.Hour)
	}
	return start, end, true
}

// prunedBy reports whether every record of the object at key lies
// outside w by its partitions: the partition span, widened by the zone
// offsets, ends at or before Since or starts at or after Until.
func prunedBy(key string, w ingest.Window) bool {
	if w.Since.IsZero() && w.Until.IsZero() {
		return false
	}
	start, end, ok := partitionSpan(key)
	if !ok {
		return false
	}
	start, end = start.Add(-earliestZone), end.Add(latestZone)
	return (!w.Since.IsZero() && !end.After(w.Since)) || (!w.Until.IsZero() && !start.Before(w.Until))
}
