package objstore

import (
	"testing"
	"time"

	"github.com/tokcost/tokcost/ingest"
)

func TestPartitionSpan(t *testing.T) {
	d := func(y, m, day, h int) time.Time { return time.Date(y, time.Month(m), day, h, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		key        string
		start, end time.Time
		ok         bool
	}{
		// Each span is the calendar unit the deepest key names, in UTC.
		{"p/year=2026/month=12/day=03/x.jsonl", d(2026, 12, 3, 0), d(2026, 12, 4, 0), true},
		{"year=2026/month=12/day=03/hour=07/x.jsonl", d(2026, 12, 3, 7), d(2026, 12, 3, 8), true},
		{"dt=2026-12-03/x.jsonl", d(2026, 12, 3, 0), d(2026, 12, 4, 0), true},
		{"dt=2026-12-03/hour=23/x.jsonl", d(2026, 12, 3, 23), d(2026, 12, 4, 0), true},
		{"year=2026/x.jsonl", d(2026, 1, 1, 0), d(2027, 1, 1, 0), true},
		{"year=2026/month=02/x.jsonl", d(2026, 2, 1, 0), d(2026, 3, 1, 0), true},
		// Not a span: never pruned.
		{"x.jsonl", time.Time{}, time.Time{}, false},
		{"year=2026/x=1/day=03/x.jsonl", time.Time{}, time.Time{}, false}, // day without month
		{"year=2026/month=13/x.jsonl", time.Time{}, time.Time{}, false},
		{"year=2026/month=11/day=31/x.jsonl", time.Time{}, time.Time{}, false}, // November has 30 days
		{"year=2026/hour=07/x.jsonl", time.Time{}, time.Time{}, false},
		{"dt=2026-12-03/year=2026/x.jsonl", time.Time{}, time.Time{}, false},
		{"year=2026/a/year=2025/x.jsonl", time.Time{}, time.Time{}, false},
		{"p/year=2026.jsonl", time.Time{}, time.Time{}, false}, // the file name is no partition
	} {
		s, e, ok := partitionSpan(tc.key)
		if ok != tc.ok || (ok && (!s.Equal(tc.start) || !e.Equal(tc.end))) {
			t.Errorf("%s: %v %v %v, want %v %v %v", tc.key, s, e, ok, tc.start, tc.end, tc.ok)
		}
	}
}

func TestPrunedBy(t *testing.T) {
	key := "year=2026/month=12/day=03/x.jsonl" // [12-03, 12-04) UTC, widened to [12-02 10:00, 12-04 12:00)
	at := func(day, h int) time.Time { return time.Date(2026, 12, day, h, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		w    ingest.Window
		want bool
	}{
		{ingest.Window{}, false},
		{ingest.Window{Since: at(4, 12)}, true},                 // widened end 12-04 12:00 is not after Since
		{ingest.Window{Since: at(4, 11)}, false},                // a UTC-12 producer's day=03 runs to 12-04 12:00
		{ingest.Window{Until: at(2, 10)}, true},                 // widened start 12-02 10:00 is not before Until
		{ingest.Window{Until: at(2, 11)}, false},                // a UTC+14 producer's day=03 starts 12-02 10:00
		{ingest.Window{Since: at(1, 0), Until: at(2, 0)}, true}, // wholly before
		{ingest.Window{Since: at(3, 5), Until: at(3, 6)}, false},
	} {
		if got := prunedBy(key, tc.w); got != tc.want {
			t.Errorf("%+v: pruned %v, want %v", tc.w, got, tc.want)
		}
	}
	if prunedBy("x/y.jsonl", ingest.Window{Since: at(4, 0)}) {
		t.Error("a key without partitions was pruned")
	}
}
