package analyze

import (
	"fmt"
	"github.com/tokcost/tokcost/internal/store"
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
// except sim, which summaries that spill never have (Config.Whatif keeps
// them in memory), and so do the call costs kept for the cap sweep, to the
// bit (a third, a negative zero, the smallest subnormal, infinities). nil
// and empty
// lists and maps stay apart.
func TestSummaryRoundTrip(t *testing.T) {
	var full Summary
	fill(t, reflect.ValueOf(&full).Elem(), 3, map[string]bool{"capCosts": true, "sim": true})
	if full.Loop == nil || full.repeats == 0 || full.Tokens.ImageOutput == 0 {
		t.Fatalf("fill left fields zero: %+v", full)
	}
	full.capCosts = &capCosts{calls: []float64{1 / 3.0, math.Copysign(0, -1), 5e-324, math.Inf(1), 0.1 + 0.2},
		other: []otherCost{{0, 0.25}, {3, -1e-9}, {1 << 40, math.Inf(-1)}}}
	empty := Summary{ID: "e", Attrs: map[string]string{}, CallInputs: []uint32{}, CostUSD: math.Copysign(0, -1),
		Loop: &RunawaySession{WastedShareOfSession: math.Inf(1)}, capCosts: &capCosts{calls: []float64{}}}
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
		if s.capCosts != nil && len(s.capCosts.calls) > 1 && !math.Signbit(got.capCosts.calls[1]) {
			t.Errorf("%d: the sign of a call's zero cost is lost", i)
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
	rf, err := store.CreateTemp(SpillOptions{Create: func(string) (*os.File, error) { return os.Open(ro) }})
	if err != nil {
		t.Fatal(err)
	}
	orig := sf.f
	sf.f = rf
	res := partResult{sessions: []*Session{{Summary: Summary{ID: "b1", CostUSD: 2}}}}
	spillSummaries(sf, 1, &res, buf)
	sf.f = orig
	rf.Release()
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

// TestRunawayAndCapsFromDisk: the runaway list and the cap sweep made
// from summaries on disk (runawaySpilled, capSweepSpilled,
// recommendCapSpilled) equal the in-memory ones NewSummaries, CapSweep
// and RecommendCap make of the same sessions (a second method: the
// in-memory list is sorted by id strings, the sweep runs capResult per
// cap). 40 sessions in 4 partitions, one of which could not be written
// and stays in memory; every third session loops, and the wasted dollars
// repeat (0, 0.5 and 1 in turn), so ties are broken by id across the
// partitions (0, 9, 18, 27 and 36 waste 0, one in each partition);
// nine caps take three passes of capsPerPass.
func TestRunawayAndCapsFromDisk(t *testing.T) {
	mk := func(i int) *Session {
		s := &Session{Summary: Summary{ID: fmt.Sprintf("s%02d", i), LLMCalls: i % 11, CostUSD: float64(i%7) * 0.3}}
		s.TotalsOnly = i == 17
		cc := &capCosts{}
		for c := range s.LLMCalls {
			cc.calls = append(cc.calls, 0.1*float64(c+1)+float64(i)/1000)
		}
		if i%5 == 0 {
			cc.other = []otherCost{{afterCall: i % 4, cost: 0.07}}
		}
		s.capCosts = cc
		if i%3 == 0 {
			s.Loop = &RunawaySession{SessionID: s.ID, WastedCostUSD: float64(i/3%3) * 0.5, WastedTokens: int64(i), Evidence: "e" + s.ID,
				UnderTimeout: i%2 == 0}
		}
		return s
	}
	dir := t.TempDir()
	sf, err := openSumFile(SpillOptions{Dir: dir}, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.release()
	var mem []*Summary
	var buf []byte
	for p := range 4 {
		res := partResult{}
		for i := p; i < 40; i += 4 {
			res.sessions = append(res.sessions, mk(i))
			mem = append(mem, &mk(i).Summary)
		}
		if p == 1 { // a write that fails: this partition stays in memory
			ro := filepath.Join(t.TempDir(), "ro")
			if err := os.WriteFile(ro, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			rf, err := store.CreateTemp(SpillOptions{Create: func(string) (*os.File, error) { return os.Open(ro) }})
			if err != nil {
				t.Fatal(err)
			}
			orig := sf.f
			sf.f = rf
			buf = spillSummaries(sf, p, &res, buf)
			sf.f = orig
			rf.Release()
			sf.err = nil // later partitions are written again, for the test
			continue
		}
		buf = spillSummaries(sf, p, &res, buf)
	}
	if sf.parts[1].mem == nil || sf.parts[0].mem != nil {
		t.Fatal("partition 1 was to stay in memory, the others on disk")
	}
	lc := DefaultLoopConfig().normal()
	want := NewSummaries(mem, InputCounts{}, nil, Config{}, lc)
	d := &Summaries{file: sf, n: 40, capCosts: true, Loops: lc}
	d.Runaway = runawaySpilled(sf, 40, lc)

	if !d.Runaway.OnDisk() || d.Runaway.Sessions != nil || d.Runaway.Len() != 14 { // i%3 == 0 for i < 40: 0, 3, …, 39
		t.Fatalf("on disk %v, %d in memory, Len %d; want 14 on disk", d.Runaway.OnDisk(), len(d.Runaway.Sessions), d.Runaway.Len())
	}
	got := d.Runaway.Head(100)
	if !reflect.DeepEqual(got, want.Runaway.Sessions) {
		t.Errorf("the list from disk:\n%+v\nin memory:\n%+v", got, want.Runaway.Sessions)
	}
	if h := d.Runaway.Head(3); !reflect.DeepEqual(h, want.Runaway.Sessions[:3]) {
		t.Errorf("Head(3) = %+v", h)
	}
	totals, wantTotals := d.Runaway, want.Runaway
	totals.onDisk, wantTotals.Sessions = nil, nil
	if !reflect.DeepEqual(totals, wantTotals) {
		t.Errorf("totals from disk %+v, in memory %+v", totals, wantTotals)
	}
	caps := []int{9, 1, 2, 3, 4, 5, 6, 7, 8}
	gotCaps, err := CapSweep(d, caps)
	if err != nil {
		t.Fatal(err)
	}
	wantCaps, err := CapSweep(want, caps)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotCaps, wantCaps) {
		t.Errorf("caps from disk:\n%+v\nin memory:\n%+v", gotCaps, wantCaps)
	}
	if wantCaps[8].SessionsCut == 0 || wantCaps[0].RunawaySessionsCut == 0 {
		t.Errorf("the sweep cut nothing: %+v", wantCaps)
	}
	for _, share := range []float64{0, 0.1, 0.5} {
		gc, gok := RecommendCap(d, d.Runaway, share)
		wc, wok := RecommendCap(want, want.Runaway, share)
		if gc != wc || gok != wok {
			t.Errorf("share %v: recommended cap %d %v from disk, %d %v in memory", share, gc, gok, wc, wok)
		}
	}
}
