package pipeline

import (
	"math"
	"reflect"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// fillRecord sets every field of r to a value that is not its zero,
// different for each seed, by reflection: a field added to ingest.Record
// is filled too, so the round trip below fails until the coder carries it.
func fillRecord(r *ingest.Record, seed int) {
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		n := seed*100 + i + 1
		switch f.Kind() {
		case reflect.String:
			f.SetString(string(rune('a'+i%26)) + "é\x00" + string(rune('0'+seed%10)))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f.SetInt(int64(-n))
		case reflect.Uint8:
			f.SetUint(uint64(n % 3))
		case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.SetUint(math.MaxUint64 - uint64(n))
		case reflect.Float64:
			f.SetFloat(1/3.0 + float64(n))
		case reflect.Map:
			f.Set(reflect.ValueOf(map[string]string{"k": "v", "": "empty key", "z": ""}))
		default:
			panic("fillRecord: no value for field " + v.Type().Field(i).Name)
		}
	}
}

// TestRecordRoundTrip: every field of a record (set by reflection, so new
// fields are included) survives the coder, except the two it leaves to
// the element (SessionID, the key) and the input index (File).
func TestRecordRoundTrip(t *testing.T) {
	if err := checkRecordFields(); err != nil {
		t.Fatal(err)
	}
	var zero ingest.Record
	for seed, r := range []ingest.Record{zero, {}, {}} {
		if seed > 0 {
			fillRecord(&r, seed)
		}
		if seed == 2 { // the other value of every bool; negative zero
			r.HasSeq, r.HasCost, r.USOnly, r.Fast, r.SameUnit = false, false, false, false, false
			r.DurationMS, r.CostUSD = math.Copysign(0, -1), math.Inf(1)
		}
		b := appendRecord(nil, 7+seed, &r)
		var got ingest.Record
		file, err := decodeRecord(b, &got)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if file != 7+seed {
			t.Errorf("seed %d: file %d, want %d", seed, file, 7+seed)
		}
		want := r
		want.SessionID, want.File = "", ""
		if len(want.Attrs) == 0 {
			want.Attrs = nil
		}
		// Bit for bit, so that -0 and NaN payloads are checked too.
		if math.Float64bits(got.DurationMS) != math.Float64bits(want.DurationMS) || math.Float64bits(got.CostUSD) != math.Float64bits(want.CostUSD) {
			t.Errorf("seed %d: floats %v %v, want %v %v", seed, got.DurationMS, got.CostUSD, want.DurationMS, want.CostUSD)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("seed %d: round trip\n got %+v\nwant %+v", seed, got, want)
		}
		// Every truncation is refused, never decoded into another record.
		for n := range len(b) {
			if _, err := decodeRecord(b[:n], &got); err == nil {
				t.Errorf("seed %d: %d of %d bytes decoded without error", seed, n, len(b))
			}
		}
		if _, err := decodeRecord(append(b, 0), &got); err == nil {
			t.Errorf("seed %d: a trailing byte decoded without error", seed)
		}
	}
}

// BenchmarkRecordCoder is the coder's cost per record, encode and decode,
// on a typical model call.
func BenchmarkRecordCoder(b *testing.B) {
	r := ingest.Record{ID: "chatcmpl-8x1", SessionID: "sess-000123", Seq: 4, HasSeq: true, TSNano: 1767607200123000000,
		DurationMS: 812, Kind: ingest.KindLLM, Model: "claude-sonnet-4-5", Provider: "anthropic", InputTokens: 12034,
		OutputTokens: 311, CacheReadTokens: 9000, Line: 10234}
	var buf []byte
	var got ingest.Record
	b.ReportAllocs()
	for b.Loop() {
		buf = appendRecord(buf[:0], 3, &r)
		if _, err := decodeRecord(buf, &got); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(buf)), "bytes/record")
}
