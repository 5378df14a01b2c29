package runsort

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"sort"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/internal/memtest"
)

// gcPercent is the CLI's collector setting (cmd/tokcost/gc.go), under
// which the memory bound is measured.
const gcPercent = 30

// TestCodecRoundTrip fills every field of ingest.Record with a value
// of its own (by reflection, so a field added to Record later is filled
// too) and checks the codec gives it back: a field the codec forgets fails
// here. File, Line and Sub are the exception: the sort key carries the
// input's index, the line and the record in line, and the Parquet writer
// never writes File.
func TestCodecRoundTrip(t *testing.T) {
	var r ingest.Record
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch name := v.Type().Field(i).Name; name {
		case "File", "Line", "Sub":
			continue
		default:
			n := i + 1 // distinct per field, so two fields swapped are caught
			switch f.Kind() {
			case reflect.String:
				f.SetString(fmt.Sprintf("%s-%d", name, n))
			case reflect.Bool:
				f.SetBool(true)
			case reflect.Int64, reflect.Int32:
				f.SetInt(-int64(n) * 1e12)
			case reflect.Uint8:
				f.SetUint(uint64(n))
			case reflect.Uint64:
				f.SetUint(1<<63 + uint64(n))
			case reflect.Float64:
				f.SetFloat(float64(n) + 0.1)
			case reflect.Map:
				f.Set(reflect.ValueOf(map[string]string{"b": "2", "a": "", "": "empty key"}))
			default:
				t.Fatalf("field %s of kind %s: teach this test and the codec", name, f.Kind())
			}
		}
	}
	// Each bool alone too: the flags are bits of one number.
	for i := range v.NumField() {
		if v.Field(i).Kind() != reflect.Bool {
			continue
		}
		var one ingest.Record
		reflect.ValueOf(&one).Elem().Field(i).SetBool(true)
		var got ingest.Record
		if err := DecodeRecord(AppendRecord(nil, &one), &got); err != nil || !reflect.DeepEqual(got, one) {
			t.Errorf("%s alone: got %+v, %v", v.Type().Field(i).Name, got, err)
		}
	}
	var got ingest.Record
	p := AppendRecord(nil, &r)
	if err := DecodeRecord(p, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
	}
	// A cut record is an error, never a record with zeros.
	for n := range len(p) {
		if err := DecodeRecord(p[:n], &got); err == nil {
			t.Fatalf("%d of %d bytes decoded without error", n, len(p))
		}
	}
}

// TestRecordSorterOrder feeds records in a random order to the sorter
// with tiny runs (hundreds of runs, so runs are merged into one several
// times: maxFanIn) and with no spill at all, and checks every bucket comes
// out in position order: the expected order is sort.Slice over the same
// keys, a second method.
func TestRecordSorterOrder(t *testing.T) {
	type item struct {
		k      Key
		bucket int
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var items []item
	for file := range 3 {
		for line := int64(1); line <= 4000; line++ {
			for sub := range int32(1 + line%3) {
				items = append(items, item{Key{Line: line * 7, File: int32(file), Sub: sub}, rng.IntN(5)})
			}
		}
	}
	rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	want := make([][]Key, 5)
	for _, it := range items {
		want[it.bucket] = append(want[it.bucket], it.k)
	}
	for _, w := range want {
		sort.Slice(w, func(i, j int) bool {
			a, b := w[i], w[j]
			if a.File != b.File {
				return a.File < b.File
			}
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Sub < b.Sub
		})
	}
	for _, runBytes := range []int64{0, 2 << 10} {
		dir := t.TempDir()
		s := &Sorter{Buckets: 5, RunBytes: runBytes, Dir: dir,
			Create: func(dir string) (*os.File, error) { return os.CreateTemp(dir, ".tokcost-*") },
			Forget: func(string) {}}
		for _, it := range items {
			// The payload names its key, so a payload that travels with
			// the wrong key is caught.
			r := ingest.Record{SessionID: fmt.Sprint(it.k), Line: it.k.Line}
			if err := s.Add(it.k, it.bucket, AppendRecord(nil, &r)); err != nil {
				t.Fatal(err)
			}
		}
		if runBytes > 0 && s.pos == 0 {
			t.Fatalf("runBytes %d: nothing spilled", runBytes)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) > 0 {
			t.Errorf("the temp file has a name while in use (not unlinked): %v", left)
		}
		s.Finish()
		for b := range 5 {
			var got []Key
			err := s.MergeBucket(b, func(k Key, p []byte) error {
				var r ingest.Record
				if err := DecodeRecord(p, &r); err != nil {
					return err
				}
				if r.SessionID != fmt.Sprint(k) {
					return fmt.Errorf("key %v carries the payload of %s", k, r.SessionID)
				}
				got = append(got, k)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want[b]) {
				t.Fatalf("runBytes %d bucket %d: %d records out of order (want %d)", runBytes, b, len(got), len(want[b]))
			}
		}
		s.Release()
	}
}

// TestRecordSorterMemoryBounded puts 96 MiB of encoded records (300,000 of
// 320 bytes) through the sorter with 1 MiB runs, and reads them all back
// merged: the heap may hold the run buffer (1 MiB of records and their
// entries, in 1 MiB chunks), the temp file's 1 MiB write buffer and the
// merge's 64 KiB per run (at most maxFanIn runs: 4 MiB), never the
// records. The bound checked is 16 MiB over the heap before: about twice
// that sum, for the collector's headroom (GOGC 30) and the test's own.
func TestRecordSorterMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 96 MiB to a temp file, twice")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(gcPercent))
	const n, size = 300_000, 320
	payload := bytes.Repeat([]byte{'x'}, size)
	var emitted int
	peak := memtest.PeakHeap(func() {
		s := &Sorter{Buckets: 1, RunBytes: 1 << 20, Dir: t.TempDir(),
			Create: func(dir string) (*os.File, error) { return os.CreateTemp(dir, ".tokcost-*") },
			Forget: func(string) {}}
		defer s.Release()
		rng := rand.New(rand.NewPCG(1, 1))
		for range n {
			if err := s.Add(Key{Line: int64(rng.IntN(1 << 40))}, 0, payload); err != nil {
				t.Fatal(err)
			}
		}
		s.Finish()
		if err := s.MergeBucket(0, func(Key, []byte) error { emitted++; return nil }); err != nil {
			t.Fatal(err)
		}
	})
	if emitted != n {
		t.Fatalf("%d records back, want %d", emitted, n)
	}
	grew := peak
	t.Logf("heap grew by %.1f MiB for %d MiB of records", float64(grew)/(1<<20), n*size>>20)
	if grew > 16<<20 {
		t.Errorf("heap grew by %d bytes sorting %d bytes of records: not bounded by the runs", grew, n*size)
	}
}
