package analyze

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"unsafe"
)

// fill sets every field of the struct v points to (exported or not) to a
// value that is not its zero, different for each seed, by reflection: a
// field added to Summary or RunawaySession is filled too, so the round
// trip below fails until the encoding carries it. skip names the fields
// left as they are.
func fill(t *testing.T, v reflect.Value, seed int, skip map[string]bool) {
	t.Helper()
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		if skip[sf.Name] {
			continue
		}
		f := v.Field(i)
		f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem() // unexported fields too
		n := seed*100 + i + 1
		switch f.Kind() {
		case reflect.String:
			f.SetString(sf.Name + "é\x00" + strconv.Itoa(seed))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(-n) * 1e9) // negative and past 32 bits
		case reflect.Float64:
			f.SetFloat(1/3.0 + float64(n))
		case reflect.Map:
			f.Set(reflect.ValueOf(map[string]string{"k" + strconv.Itoa(seed): "v", "": "empty key", "z": ""}))
		case reflect.Slice: // CallInputs
			f.Set(reflect.ValueOf([]uint32{0, 1, math.MaxUint32, uint32(n)}))
		case reflect.Struct: // Tokens
			fill(t, f, seed, nil)
		case reflect.Pointer: // Loop
			p := reflect.New(f.Type().Elem())
			fill(t, p.Elem(), seed, nil)
			f.Set(p)
		default:
			t.Fatalf("fill: no value for field %s (%s): give it one, and encode it", sf.Name, f.Kind())
		}
	}
}

// TestSummaryRoundTrip: every field of a summary and of its loop (set by
// reflection, so new fields are included) survives the spill encoding,
// except capCosts and sim, which summaries that spill never have
// (KeepCapCosts and Config.Whatif keep them in memory). nil and empty
// lists and maps stay apart.
func TestSummaryRoundTrip(t *testing.T) {
	var full Summary
	fill(t, reflect.ValueOf(&full).Elem(), 3, map[string]bool{"capCosts": true, "sim": true})
	if full.Loop == nil || full.repeats == 0 || full.Tokens.ImageOutput == 0 {
		t.Fatalf("fill left fields zero: %+v", full)
	}
	empty := Summary{ID: "e", Attrs: map[string]string{}, CallInputs: []uint32{}, CostUSD: math.Copysign(0, -1),
		Loop: &RunawaySession{WastedShareOfSession: math.Inf(1)}}
	for i, s := range []Summary{{}, full, empty} {
		b := appendSummaryFrame([]byte("prefix"), &s)
		frame := b[len("prefix"):]
		n, w := uvarintOf(frame)
		if w <= 0 || int(n) != len(frame)-w {
			t.Fatalf("%d: frame length %d (%d bytes), want %d", i, n, w, len(frame)-w)
		}
		var got Summary
		got.Model = "stale" // decode must reset every field
		d := &sumDecoder{names: map[string]string{}}
		if err := d.decode(frame[w:], &got); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("%d: round trip\n got %+v\nwant %+v", i, got, s)
		}
		if math.Signbit(got.CostUSD) != math.Signbit(s.CostUSD) {
			t.Errorf("%d: the sign of zero is lost", i)
		}
		// A frame cut short is an error, never a summary with zeros.
		for cut := range len(frame) - w {
			if err := d.decode(frame[w:w+cut], &got); err == nil {
				t.Fatalf("%d: a summary cut to %d of %d bytes decoded without error", i, cut, len(frame)-w)
			}
		}
	}
}

func uvarintOf(b []byte) (uint64, int) {
	var x uint64
	for i, c := range b {
		x |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return x, i + 1
		}
	}
	return 0, 0
}

// TestSumFileMerges: partitions written in any order, each sorted by id,
// come back as one list in id order, with their fields; a partition that
// could not be written stays in memory and is merged the same; the file
// is gone after release.
func TestSumFileMerges(t *testing.T) {
	dir := t.TempDir()
	sf, err := openSumFile(SpillOptions{Dir: dir}, 4)
	if err != nil {
		t.Fatal(err)
	}
	// Ids of partition p end in p; within a partition they are sorted.
	parts := [][]string{{"a0", "c0", "e0"}, {"b1"}, {}, {"a3", "d3", "f3", "g3"}}
	var want []string
	var buf []byte
	for _, p := range []int{3, 0, 2} { // finished in any order
		res := partResult{}
		for _, id := range slices.Backward(parts[p]) { // unsorted: spillSummaries sorts
			res.sessions = append(res.sessions, &Session{Summary: Summary{ID: id, CostUSD: float64(len(id))}})
		}
		buf = spillSummaries(sf, p, &res, buf)
		want = append(want, parts[p]...)
	}
	// Partition 1 when the file cannot be written (a read-only handle in
	// its place): it stays in memory.
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.WriteFile(ro, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rf, err := os.Open(ro)
	if err != nil {
		t.Fatal(err)
	}
	orig := sf.f
	sf.f = rf
	res := partResult{sessions: []*Session{{Summary: Summary{ID: "b1", CostUSD: 2}}}}
	spillSummaries(sf, 1, &res, buf)
	sf.f = orig
	_ = rf.Close()
	want = append(want, "b1")
	slices.Sort(want) // a0 a3 b1 c0 d3 e0 f3 g3, by hand
	if sf.err == nil || sf.parts[1].mem == nil {
		t.Fatalf("a failed write did not fall back to memory: err %v", sf.err)
	}
	var got []string
	for s := range sf.all() {
		got = append(got, s.ID)
		if s.CostUSD != 2 {
			t.Errorf("%s: cost %v, want 2 (the id's length)", s.ID, s.CostUSD)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("merged %v, want %v", got, want)
	}
	// Stopping early is allowed.
	for range sf.all() {
		break
	}
	sf.release()
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
