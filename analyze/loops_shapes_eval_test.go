package analyze

// Precision and recall per loop shape on gen's LoopShapes fleet: every
// shape of issue 15 and its hard negatives (batch reads, polling that
// ends, flaky calls that recover), read back through ingest as the CLI
// would, against the generator's truth labels.

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/gen"
)

// shapeSessions per seed, 4 seeds: 8,000 sessions, about 2,400 loops.
const shapeSessions = 2000

type shapeScore struct {
	tp, fp, fn    int
	start, tokens int                // on true positives: exact loop_start_call, wasted tokens
	flagged       map[string]int     // detected shape → sessions
	truthN        map[string]int     // truth shape → loops
	agree         map[string]int     // shape detected == truth shape
	byClass       map[string]*[2]int // class → flagged, total
	confusion     map[[2]string]int  // truth shape, detected shape
}

func newShapeScore() *shapeScore {
	return &shapeScore{flagged: map[string]int{}, truthN: map[string]int{}, agree: map[string]int{},
		byClass: map[string]*[2]int{}, confusion: map[[2]string]int{}}
}

func (s *shapeScore) eval(g genData, r Runaway) {
	found := map[string]*RunawaySession{}
	for i := range r.Sessions {
		found[r.Sessions[i].SessionID] = &r.Sessions[i]
	}
	for id, tr := range g.truth {
		got := found[id]
		c := s.byClass[tr.Class]
		if c == nil {
			c = &[2]int{}
			s.byClass[tr.Class] = c
		}
		c[1]++
		if got != nil {
			c[0]++
			s.flagged[got.Shape]++
		}
		if tr.Loop {
			s.truthN[tr.LoopShape]++
		}
		switch {
		case tr.Loop && got != nil:
			s.tp++
			if got.LoopStartCall == tr.LoopStartCall {
				s.start++
			}
			if got.WastedTokens == tr.LoopWastedTokens {
				s.tokens++
			}
			s.confusion[[2]string{tr.LoopShape, got.Shape}]++
			if got.Shape == tr.LoopShape {
				s.agree[tr.LoopShape]++
			}
		case tr.Loop:
			s.fn++
			s.confusion[[2]string{tr.LoopShape, "-"}]++
		case got != nil:
			s.fp++
			s.confusion[[2]string{"-", got.Shape}]++
		}
	}
}

func shapeSize(t testing.TB) int {
	if v := os.Getenv("TOKCOST_EVAL_SESSIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("TOKCOST_EVAL_SESSIONS=%q: want a positive integer", v)
		}
		return n
	}
	return shapeSessions
}

// TestLoopShapesEval holds the detector to issue 15's bar: precision and
// recall ≥ 0.95 overall and ≥ 0.90 per shape (a loop counts for its shape
// only when the detector names that shape), no hard-negative class over
// 2% flagged. It logs the MinRepeats sweep that docs/loops.md reports.
func TestLoopShapesEval(t *testing.T) {
	n := shapeSize(t)
	sweep := []int{2, 3, 4, 5}
	scores := map[int]*shapeScore{}
	for _, k := range sweep {
		scores[k] = newShapeScore()
	}
	for _, seed := range evalSeeds {
		g := generateOpt(t, gen.Options{Sessions: n, Seed: seed, LoopShapes: true})
		for _, k := range sweep {
			cfg := DefaultLoopConfig()
			cfg.MinRepeats = k
			scores[k].eval(g, DetectLoops(g.d, cfg))
		}
	}
	for _, k := range sweep {
		s := scores[k]
		line := fmt.Sprintf("min_repeats=%d: precision %.4f recall %.4f (tp %d fp %d fn %d);", k,
			ratio(s.tp, s.tp+s.fp), ratio(s.tp, s.tp+s.fn), s.tp, s.fp, s.fn)
		for _, sh := range Shapes {
			line += fmt.Sprintf(" %s %.3f/%.3f", sh, ratio(s.agree[sh], s.flagged[sh]), ratio(s.agree[sh], s.truthN[sh]))
		}
		var fpc []string
		for c, v := range s.byClass {
			if !strings.HasPrefix(c, "loop_") && v[0] > 0 {
				fpc = append(fpc, fmt.Sprintf("%s %d", c, v[0]))
			}
		}
		sort.Strings(fpc)
		t.Logf("%s; flagged negatives: %s", line, strings.Join(fpc, ", "))
	}
	s := scores[DefaultMinRepeats]
	t.Logf("%d sessions, default min repeats %d", n*len(evalSeeds), DefaultMinRepeats)
	t.Logf("%-16s %6s %8s %9s %7s", "shape", "loops", "flagged", "precision", "recall")
	for _, sh := range Shapes {
		p, r := ratio(s.agree[sh], s.flagged[sh]), ratio(s.agree[sh], s.truthN[sh])
		t.Logf("%-16s %6d %8d %9.4f %7.4f", sh, s.truthN[sh], s.flagged[sh], p, r)
		if p < 0.90 || r < 0.90 {
			t.Errorf("shape %s: precision %.4f recall %.4f, want ≥ 0.90", sh, p, r)
		}
		if s.truthN[sh] == 0 {
			t.Errorf("shape %s: no loops generated", sh)
		}
	}
	t.Logf("on %d true positives, exact: loop_start_call %.4f, wasted tokens %.4f", s.tp, ratio(s.start, s.tp), ratio(s.tokens, s.tp))
	if ratio(s.start, s.tp) < 0.97 || ratio(s.tokens, s.tp) < 0.97 {
		t.Error("loop start or wasted tokens disagree with the truth on more than 3% of loops")
	}
	var conf []string
	for k, v := range s.confusion {
		if k[0] != k[1] {
			conf = append(conf, fmt.Sprintf("%s→%s %d", k[0], k[1], v))
		}
	}
	sort.Strings(conf)
	t.Logf("misclassified (truth→detected, - for none): %s", strings.Join(conf, ", "))
	if p, r := ratio(s.tp, s.tp+s.fp), ratio(s.tp, s.tp+s.fn); p < 0.95 || r < 0.95 {
		t.Errorf("overall precision %.4f recall %.4f, want ≥ 0.95", p, r)
	}
	classes := make([]string, 0, len(s.byClass))
	for c := range s.byClass {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		v := s.byClass[c]
		t.Logf("class %-18s flagged %5d of %5d (%.4f)", c, v[0], v[1], ratio(v[0], v[1]))
		if !strings.HasPrefix(c, "loop_") && ratio(v[0], v[1]) > 0.02 {
			t.Errorf("hard negative %s: %.4f flagged, want ≤ 0.02", c, ratio(v[0], v[1]))
		}
	}
}
