package analyze

// Precision and recall of DetectLoops against the generator's ground
// truth, an independent description of every session: gen writes what it
// simulated (class, loop start, repeats, wasted tokens and dollars priced
// with its own rate table), and the detector only sees the JSONL it wrote.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// evalSeeds × evalSessions is the default run: 20,000 sessions, a few
// seconds. TOKCOST_EVAL_SESSIONS=N runs N sessions per seed instead.
var evalSeeds = []uint64{1, 2, 3, 4}

const evalSessions = 5000

type genData struct {
	seed  uint64
	d     *Dataset
	truth map[string]gen.Truth
}

// generate runs gen → JSONL bytes → ingest → Finish, as the CLI would.
func generate(t testing.TB, seed uint64, n int) genData {
	return generateOpt(t, gen.Options{Sessions: n, Seed: seed})
}

func generateOpt(t testing.TB, opt gen.Options) genData {
	t.Helper()
	seed, n := opt.Seed, opt.Sessions
	var traces, truth bytes.Buffer
	if _, err := gen.Generate(&traces, &truth, opt); err != nil {
		t.Fatal(err)
	}
	col := NewCollector()
	_, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: &traces},
		func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) })
	if err != nil {
		t.Fatal(err)
	}
	d := col.Finish(Config{Prices: pricing.Embedded()})
	g := genData{seed: seed, d: d, truth: make(map[string]gen.Truth, n)}
	dec := json.NewDecoder(&truth)
	for {
		var tr gen.Truth
		if err := dec.Decode(&tr); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		g.truth[tr.SessionID] = tr
	}
	if len(g.truth) != n || len(d.Sessions) != n {
		t.Fatalf("seed %d: %d truths and %d sessions for %d generated", seed, len(g.truth), len(d.Sessions), n)
	}
	return g
}

// score compares one detection run with the truth.
type score struct {
	tp, fp, fn, tn int
	byClass        map[string]*[2]int // class → flagged, total
	// On true positives: exact agreement of evidence fields, and wasted
	// dollars detected vs true.
	start, repeats, tokens, ended, tool int
	wastedTrue, wastedGot, wastedAbs    float64
	sigs                                map[string]map[string]bool // truth mask → our signatures
}

func (s *score) precision() float64 { return ratio(s.tp, s.tp+s.fp) }
func (s *score) recall() float64    { return ratio(s.tp, s.tp+s.fn) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func (s *score) add(o *score) {
	s.tp += o.tp
	s.fp += o.fp
	s.fn += o.fn
	s.tn += o.tn
	s.start += o.start
	s.repeats += o.repeats
	s.tokens += o.tokens
	s.ended += o.ended
	s.tool += o.tool
	s.wastedTrue += o.wastedTrue
	s.wastedGot += o.wastedGot
	s.wastedAbs += o.wastedAbs
	for c, v := range o.byClass {
		if s.byClass[c] == nil {
			s.byClass[c] = &[2]int{}
		}
		s.byClass[c][0] += v[0]
		s.byClass[c][1] += v[1]
	}
	for m, set := range o.sigs {
		if s.sigs[m] == nil {
			s.sigs[m] = map[string]bool{}
		}
		for k := range set {
			s.sigs[m][k] = true
		}
	}
}

// fpByClass lists the hard-negative classes with flagged sessions.
func (s *score) fpByClass() string {
	var parts []string
	for c, v := range s.byClass {
		if !strings.HasPrefix(c, "loop_") && v[0] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c, v[0]))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func newScore() *score {
	return &score{byClass: map[string]*[2]int{}, sigs: map[string]map[string]bool{}}
}

func evaluate(g genData, r Runaway) *score {
	sc := newScore()
	found := make(map[string]*RunawaySession, len(r.Sessions))
	for i := range r.Sessions {
		found[r.Sessions[i].SessionID] = &r.Sessions[i]
	}
	for id, tr := range g.truth {
		got := found[id]
		c := sc.byClass[tr.Class]
		if c == nil {
			c = &[2]int{}
			sc.byClass[tr.Class] = c
		}
		c[1]++
		if got != nil {
			c[0]++
		}
		switch {
		case tr.Loop && got != nil:
			sc.tp++
			if got.LoopStartCall == tr.LoopStartCall {
				sc.start++
			}
			if got.Repeats == tr.LoopRepeats {
				sc.repeats++
			}
			if got.WastedTokens == tr.LoopWastedTokens {
				sc.tokens++
			}
			if got.Ended == tr.LoopEnded {
				sc.ended++
			}
			if got.Tool == tr.LoopTool {
				sc.tool++
			}
			sc.wastedTrue += tr.LoopWastedCostUSD
			sc.wastedGot += got.WastedCostUSD
			sc.wastedAbs += math.Abs(got.WastedCostUSD - tr.LoopWastedCostUSD)
			if tr.LoopErrorMasked != "" {
				if sc.sigs[tr.LoopErrorMasked] == nil {
					sc.sigs[tr.LoopErrorMasked] = map[string]bool{}
				}
				sc.sigs[tr.LoopErrorMasked][got.ErrorSignature] = true
			}
		case tr.Loop:
			sc.fn++
		case got != nil:
			sc.fp++
		default:
			sc.tn++
		}
	}
	return sc
}

func evalSize(t testing.TB) int {
	if v := os.Getenv("TOKCOST_EVAL_SESSIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("TOKCOST_EVAL_SESSIONS=%q: want a positive integer", v)
		}
		return n
	}
	return evalSessions
}

// TestLoopEval checks precision and recall on generated sessions with the
// default config, and logs the sweep over MinRepeats and signals that
// docs/loops.md reports.
func TestLoopEval(t *testing.T) {
	n := evalSize(t)
	cfgDefault := DefaultLoopConfig()
	sweep := []int{2, 3, 4, 5, 6}
	totals := map[string]*score{}
	keys := []string{}
	addTotal := func(key string, sc *score) {
		if totals[key] == nil {
			totals[key] = newScore()
			keys = append(keys, key)
		}
		totals[key].add(sc)
	}
	began := time.Now()
	var detectTime time.Duration
	for _, seed := range evalSeeds {
		g := generate(t, seed, n)
		t0 := time.Now()
		def := evaluate(g, DetectLoops(g.d, cfgDefault))
		detectTime += time.Since(t0)
		t.Logf("seed %d: %d sessions, %d loops: precision %.4f recall %.4f (tp %d fp %d fn %d)",
			seed, n, def.tp+def.fn, def.precision(), def.recall(), def.tp, def.fp, def.fn)
		addTotal("default", def)
		for _, k := range sweep {
			cfg := cfgDefault
			cfg.MinRepeats = k
			addTotal(fmt.Sprintf("min_repeats=%d", k), evaluate(g, DetectLoops(g.d, cfg)))
		}
		cfg := cfgDefault
		cfg.noLLMOnly = true
		addTotal("tool signal only", evaluate(g, DetectLoops(g.d, cfg)))
	}
	t.Logf("%d sessions in %v (DetectLoops %v)", n*len(evalSeeds), time.Since(began).Round(time.Millisecond), detectTime.Round(time.Millisecond))

	t.Logf("%-18s %9s %7s %5s %5s  %s", "config", "precision", "recall", "fp", "fn", "fp by class")
	for _, k := range keys {
		s := totals[k]
		t.Logf("%-18s %9.4f %7.4f %5d %5d  %s", k, s.precision(), s.recall(), s.fp, s.fn, s.fpByClass())
	}

	all := totals["default"]
	classes := make([]string, 0, len(all.byClass))
	for c := range all.byClass {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		v := all.byClass[c]
		t.Logf("class %-16s flagged %5d of %5d (%.4f)", c, v[0], v[1], ratio(v[0], v[1]))
	}
	t.Logf("on %d true positives, exact: loop_start_call %.4f, repeats %.4f, wasted tokens %.4f, ended %.4f, tool %.4f",
		all.tp, ratio(all.start, all.tp), ratio(all.repeats, all.tp), ratio(all.tokens, all.tp), ratio(all.ended, all.tp), ratio(all.tool, all.tp))
	t.Logf("wasted dollars: detected %.2f, true %.2f (%+.2f%%), mean absolute error per loop %.2f%% of true",
		all.wastedGot, all.wastedTrue, 100*(all.wastedGot/all.wastedTrue-1), 100*all.wastedAbs/all.wastedTrue)

	if p := all.precision(); p < 0.97 {
		t.Errorf("precision %.4f < 0.97", p)
	}
	if r := all.recall(); r < 0.97 {
		t.Errorf("recall %.4f < 0.97", r)
	}
	// Each of the generator's error shapes must mask to one signature,
	// whatever its volatile parts were.
	for m, set := range all.sigs {
		if len(set) != 1 {
			sigs := make([]string, 0, len(set))
			for s := range set {
				sigs = append(sigs, s)
			}
			sort.Strings(sigs)
			t.Errorf("truth mask %q has %d signatures: %s", m, len(set), strings.Join(sigs, " | "))
		}
	}
	// The wasted-dollar definition is the generator's; only the price
	// tables differ, so the totals must agree closely.
	if e := math.Abs(all.wastedGot/all.wastedTrue - 1); e > 0.02 {
		t.Errorf("wasted dollars off by %.2f%%", 100*e)
	}
	if r := ratio(all.tokens, all.tp); r < 0.97 {
		t.Errorf("wasted tokens exact on %.4f of loops, want >= 0.97", r)
	}
	if r := ratio(all.start, all.tp); r < 0.97 {
		t.Errorf("loop_start_call exact on %.4f of loops, want >= 0.97", r)
	}
}

// BenchmarkDetectLoops measures the detector alone on 20,000 generated
// sessions (about 300k events).
func BenchmarkDetectLoops(b *testing.B) {
	g := generate(b, 1, 20000)
	events := 0
	for _, s := range g.d.Sessions {
		events += len(s.Events)
	}
	cfg := DefaultLoopConfig()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		DetectLoops(g.d, cfg)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(events), "ns/event")
}
