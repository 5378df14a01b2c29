package gen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// rec is a trace line decoded with encoding/json, independently of the
// hand-written encoder. Pointers tell absent fields from zero ones.
type rec struct {
	ID               string `json:"id"`
	SessionID        string `json:"session_id"`
	Seq              *int64 `json:"seq"`
	TS               string `json:"ts"`
	DurationMS       *int64 `json:"duration_ms"`
	Kind             string `json:"kind"`
	Model            string `json:"model"`
	Provider         string `json:"provider"`
	InputTokens      int64  `json:"input_tokens"`
	OutputTokens     int64  `json:"output_tokens"`
	CacheReadTokens  int64  `json:"cache_read_tokens"`
	CacheWriteTokens int64  `json:"cache_write_tokens"`
	ReasoningTokens  int64  `json:"reasoning_tokens"`
	Tool             string `json:"tool"`
	Status           string `json:"status"`
	Error            string `json:"error"`
	Role             string `json:"role"`
	Workflow         string `json:"workflow"`
	Team             string `json:"team"`

	line  string
	start int64 // parsed ts, Unix ms
}

// testRates are the brief's prices in $/MTok, typed in again here rather
// than read from rates.go: {in, out, cache read, cache write}. OpenAI has no
// cache-write charge, so that rate is irrelevant (their writes are 0).
var testRates = map[string][4]float64{
	"claude-sonnet-4-5": {3, 15, 0.30, 3.75},
	"claude-haiku-4-5":  {1, 5, 0.10, 1.25},
	"gpt-4o":            {2.50, 10, 1.25, 0},
	"gpt-4o-mini":       {0.15, 0.60, 0.075, 0},
	"gpt-5":             {1.25, 10, 0.125, 0},
}

var testProvider = map[string]string{
	"claude-sonnet-4-5": "anthropic", "claude-haiku-4-5": "anthropic",
	"gpt-4o": "openai", "gpt-4o-mini": "openai", "gpt-5": "openai",
}

func callCost(r *rec) float64 {
	p := testRates[r.Model]
	return (float64(r.InputTokens-r.CacheReadTokens-r.CacheWriteTokens)*p[0] +
		float64(r.OutputTokens)*p[1] + float64(r.CacheReadTokens)*p[2] +
		float64(r.CacheWriteTokens)*p[3]) / 1e6
}

// corpus is one generated data set parsed back.
type corpus struct {
	sum      Summary
	lines    int
	truth    []Truth
	sessions map[string][]*rec // unique records, in file order
	written  map[string]int    // lines per session, duplicates included
	dups     map[string]int
	starts   []int64 // every line's start, in file order
}

func generate(t testing.TB, seed uint64, n int) (traces, truth []byte, sum Summary) {
	t.Helper()
	var tr, tu bytes.Buffer
	sum, err := Generate(&tr, &tu, Options{Sessions: n, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Bytes(), tu.Bytes(), sum
}

func parse(t testing.TB, traces, truth []byte) *corpus {
	t.Helper()
	c := &corpus{sessions: map[string][]*rec{}, written: map[string]int{}, dups: map[string]int{}}
	seen := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(traces))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		c.lines++
		line := sc.Text()
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields() // catches misspelt field names
		r := &rec{line: line}
		if err := dec.Decode(r); err != nil {
			t.Fatalf("line %d: %v: %s", c.lines, err, line)
		}
		ts, err := time.Parse("2006-01-02T15:04:05.000Z", r.TS)
		if err != nil {
			t.Fatalf("line %d: ts: %v", c.lines, err)
		}
		r.start = ts.UnixMilli()
		c.starts = append(c.starts, r.start)
		c.written[r.SessionID]++
		if prev, ok := seen[r.ID]; ok {
			if prev != line {
				t.Fatalf("id %s written twice with different content", r.ID)
			}
			c.dups[r.SessionID]++
			continue
		}
		seen[r.ID] = line
		c.sessions[r.SessionID] = append(c.sessions[r.SessionID], r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(truth))
	for {
		var tr Truth
		if err := dec.Decode(&tr); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		c.truth = append(c.truth, tr)
	}
	return c
}

var (
	fixtureOnce sync.Once
	fixture     []*corpus
)

// corpora generates and parses 3 seeds × 4,000 sessions once per run.
func corpora(t *testing.T) []*corpus {
	t.Helper()
	fixtureOnce.Do(func() {
		for _, seed := range []uint64{1, 2, 3} {
			tr, tu, sum := generate(t, seed, 4000)
			c := parse(t, tr, tu)
			c.sum = sum
			fixture = append(fixture, c)
		}
	})
	if fixture == nil {
		t.Fatal("fixture failed")
	}
	return fixture
}

func TestDeterministic(t *testing.T) {
	a1, t1, _ := generate(t, 42, 300)
	a2, t2, _ := generate(t, 42, 300)
	if !bytes.Equal(a1, a2) || !bytes.Equal(t1, t2) {
		t.Fatal("same seed gave different output")
	}
	b1, u1, _ := generate(t, 43, 300)
	if bytes.Equal(a1, b1) || bytes.Equal(t1, u1) {
		t.Fatal("different seeds gave identical output")
	}
}

func TestRecordsWellFormed(t *testing.T) {
	workflows := map[string]bool{"support-bot": true, "code-review": true, "research-agent": true, "data-pipeline": true}
	for _, c := range corpora(t) {
		for _, recs := range c.sessions {
			var lastSeq int64
			for i, r := range recs {
				if r.ID == "" || r.SessionID == "" || r.DurationMS == nil || *r.DurationMS <= 0 || !workflows[r.Workflow] {
					t.Fatalf("missing required field: %s", r.line)
				}
				if r.Seq != nil {
					// seq is 1-based and follows file order within a session.
					if *r.Seq != int64(i+1) || *r.Seq <= lastSeq {
						t.Fatalf("seq %d at position %d: %s", *r.Seq, i+1, r.line)
					}
					lastSeq = *r.Seq
				}
				if i > 0 && r.start < recs[i-1].start {
					t.Fatalf("session not in time order: %s", r.line)
				}
				switch r.Status {
				case "", "timeout":
				case "error":
					if r.Error == "" {
						t.Fatalf("error without message: %s", r.line)
					}
				default:
					t.Fatalf("bad status: %s", r.line)
				}
				switch r.Kind {
				case "llm":
					if testProvider[r.Model] == "" || testProvider[r.Model] != r.Provider || r.Tool != "" {
						t.Fatalf("bad llm record: %s", r.line)
					}
					// Inclusive semantics: sub-counts never exceed their totals.
					if r.InputTokens <= 0 || r.OutputTokens <= 0 ||
						r.CacheReadTokens+r.CacheWriteTokens > r.InputTokens || r.ReasoningTokens > r.OutputTokens {
						t.Fatalf("bad tokens: %s", r.line)
					}
					if r.ReasoningTokens > 0 && r.Model != "gpt-5" {
						t.Fatalf("reasoning on a non-reasoning model: %s", r.line)
					}
				case "tool":
					if r.Tool == "" || r.Model != "" || r.InputTokens != 0 {
						t.Fatalf("bad tool record: %s", r.line)
					}
				default:
					t.Fatalf("bad kind: %s", r.line)
				}
			}
		}
		// Across sessions the file is ordered like a collector's output:
		// start times never go back from one line to the next.
		for i := 1; i < len(c.starts); i++ {
			if c.starts[i] < c.starts[i-1] {
				t.Fatalf("line %d starts before line %d", i+1, i)
			}
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestTruthMatchesRecords re-aggregates every session from the parsed
// records (unique ids only) with the test's own rate table and compares
// with the generator's ground truth.
func TestTruthMatchesRecords(t *testing.T) {
	const timeoutMS = 10 * 60 * 1000 // the default Options.Timeout
	for _, c := range corpora(t) {
		if len(c.truth) != 4000 || len(c.sessions) != 4000 {
			t.Fatalf("truth %d, sessions %d, want 4000", len(c.truth), len(c.sessions))
		}
		totalDups, totalLines := 0, 0
		for _, tr := range c.truth {
			recs := c.sessions[tr.SessionID]
			var llm, tools, terrs int
			var in, out, cr, cw, reas int64
			var cost float64
			first, end := recs[0].start, int64(0)
			for _, r := range recs {
				end = max(end, r.start+*r.DurationMS)
				if r.Workflow != tr.Workflow || r.Team != tr.Team || (r.Seq != nil) != tr.HasSeq {
					t.Fatalf("%s: session attributes differ: %s", tr.SessionID, r.line)
				}
				if r.Kind == "tool" {
					tools++
					if r.Status != "" {
						terrs++
					}
					continue
				}
				llm++
				in += r.InputTokens
				out += r.OutputTokens
				cr += r.CacheReadTokens
				cw += r.CacheWriteTokens
				reas += r.ReasoningTokens
				cost += callCost(r)
			}
			got := [...]int64{int64(tr.LLMCalls), int64(tr.ToolCalls), int64(tr.ToolErrors), tr.InputTokens, tr.OutputTokens,
				tr.CacheReadTokens, tr.CacheWriteTokens, tr.ReasoningTokens, int64(tr.DuplicatesWritten), int64(tr.RecordsWritten)}
			want := [...]int64{int64(llm), int64(tools), int64(terrs), in, out, cr, cw, reas, int64(c.dups[tr.SessionID]), int64(c.written[tr.SessionID])}
			if got != want {
				t.Fatalf("%s: truth %v, records give %v", tr.SessionID, got, want)
			}
			if !near(tr.CostUSD, cost) {
				t.Fatalf("%s: cost %v, records give %v", tr.SessionID, tr.CostUSD, cost)
			}
			dur := end - first
			if !near(tr.DurationS, float64(dur)/1000) {
				t.Fatalf("%s: duration %v, records give %v ms", tr.SessionID, tr.DurationS, dur)
			}
			timedOut := dur > timeoutMS || recs[len(recs)-1].Status == "timeout"
			if tr.TimedOut != timedOut {
				t.Fatalf("%s: timed_out %v, records give %v", tr.SessionID, tr.TimedOut, timedOut)
			}
			if tr.TimedOut != (tr.Class == ClassLoopTimeout && tr.LoopEnded == "timed_out") {
				t.Fatalf("%s: class %s timed_out %v", tr.SessionID, tr.Class, tr.TimedOut)
			}
			totalDups += c.dups[tr.SessionID]
			totalLines += c.written[tr.SessionID]
		}
		// Duplicates: lines minus distinct ids, counted by the parser.
		if totalDups != c.sum.Duplicates || totalLines != c.lines || c.sum.Records != c.lines {
			t.Fatalf("dups %d (summary %d), lines %d (summary %d, parsed %d)", totalDups, c.sum.Duplicates, totalLines, c.sum.Records, c.lines)
		}
		// About 1% of records are duplicated: 4,000 sessions × ~23 records
		// give ~920 expected; accept 0.5%-1.5% of lines.
		if f := float64(totalDups) / float64(c.lines); f < 0.005 || f > 0.015 {
			t.Fatalf("duplicate share %.4f", f)
		}
	}
}

// TestClassMix checks the class shares on 20,000 sessions from 4 seeds.
// Tolerance is 4 binomial standard deviations, sqrt(p(1-p)/n): for
// healthy (p=0.57) that is 4·0.0035 = 0.014, for p=0.02 it is 0.004.
func TestClassMix(t *testing.T) {
	want := map[string]float64{ // doc.go's table, typed in again
		"healthy": 0.57, "transient_retry": 0.12, "long_healthy": 0.02, "expensive_doc": 0.03,
		"sibling_cascade": 0.05, "user_rejection": 0.05, "loop_tool": 0.10, "loop_timeout": 0.04, "loop_llm_only": 0.02,
	}
	count := map[string]int{}
	n := 0
	for _, seed := range []uint64{11, 12, 13, 14} {
		var tu bytes.Buffer
		if _, err := Generate(io.Discard, &tu, Options{Sessions: 5000, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(&tu)
		for dec.More() {
			var tr Truth
			if err := dec.Decode(&tr); err != nil {
				t.Fatal(err)
			}
			n++
			count[tr.Class]++
			loop := strings.HasPrefix(tr.Class, "loop_")
			hard := tr.Class != "healthy" && !loop
			if tr.Loop != loop || (tr.HardNegative != "") != hard || (hard && tr.HardNegative != tr.Class) {
				t.Fatalf("%s: class %s loop %v hard_negative %q", tr.SessionID, tr.Class, tr.Loop, tr.HardNegative)
			}
		}
	}
	if n != 20000 {
		t.Fatalf("got %d sessions", n)
	}
	for class, p := range want {
		got := float64(count[class]) / float64(n)
		if tol := 4 * math.Sqrt(p*(1-p)/float64(n)); math.Abs(got-p) > tol {
			t.Errorf("%s: share %.4f, want %.2f ± %.4f", class, got, p, tol)
		}
	}
	if len(count) != len(want) {
		t.Errorf("classes %v", count)
	}
}

// The test's own masking of volatile parts: quoted strings, then hex runs
// of six or more, then any digits.
var (
	reQuoted = regexp.MustCompile(`"[^"]*"|'[^']*'`)
	reHex    = regexp.MustCompile(`[0-9a-f]{6,}`)
	reDigits = regexp.MustCompile(`[0-9]+`)
)

func mask(s string) string {
	return reDigits.ReplaceAllString(reHex.ReplaceAllString(reQuoted.ReplaceAllString(s, "Q"), "H"), "N")
}

// failRun is a maximal run of failing tool records with one tool and one
// masked error and no other tool record in between (LLM calls may be).
type failRun struct {
	tool, masked string
	n            int
	firstRec     int // index in the session of the first attempt
	lastRec      int
}

// failRuns ignores sibling-cancel and rejection records, which the ingest
// layer tags as not being model retries.
func failRuns(recs []*rec) []failRun {
	var runs []failRun
	var cur *failRun
	for i, r := range recs {
		if r.Kind != "tool" || r.Error == siblingErrorText || r.Error == rejectedErrorText {
			continue
		}
		if r.Status != "error" {
			cur = nil
			continue
		}
		m := mask(r.Error)
		if cur != nil && cur.tool == r.Tool && cur.masked == m {
			cur.n++
			cur.lastRec = i
			continue
		}
		runs = append(runs, failRun{tool: r.Tool, masked: m, n: 1, firstRec: i, lastRec: i})
		cur = &runs[len(runs)-1]
	}
	return runs
}

// Typed in from docs/formats/claude-code.md, not taken from errors.go.
const (
	siblingErrorText  = "<tool_use_error>Sibling tool call errored</tool_use_error>"
	rejectedErrorText = "The user doesn't want to proceed with this tool use. The tool use was rejected."
)

// llmIndex returns the 1-based LLM call number of each record (the number
// of LLM calls up to and including it).
func llmIndex(recs []*rec) []int {
	idx := make([]int, len(recs))
	n := 0
	for i, r := range recs {
		if r.Kind == "llm" {
			n++
		}
		idx[i] = n
	}
	return idx
}

func TestLoops(t *testing.T) {
	loops := 0
	for _, c := range corpora(t) {
		for _, tr := range c.truth {
			recs := c.sessions[tr.SessionID]
			idx := llmIndex(recs)
			var calls []*rec
			for _, r := range recs {
				if r.Kind == "llm" {
					calls = append(calls, r)
				}
			}
			if !tr.Loop {
				for _, run := range failRuns(recs) {
					if run.n >= 3 {
						t.Fatalf("%s (%s): %d consecutive %s failures", tr.SessionID, tr.Class, run.n, run.tool)
					}
				}
				continue
			}
			loops++
			if tr.LoopRepeats < 4 || tr.LoopRepeats > 30 {
				t.Fatalf("%s: loop_repeats %d", tr.SessionID, tr.LoopRepeats)
			}
			var start, end int // LLM call range of the loop's wasted calls
			switch tr.LoopSignal {
			case "tool_error":
				var run *failRun
				for _, r := range failRuns(recs) {
					if r.tool == tr.LoopTool && r.n >= tr.LoopRepeats {
						run = &r
						break
					}
				}
				if run == nil {
					t.Fatalf("%s: no run of %d %s failures", tr.SessionID, tr.LoopRepeats, tr.LoopTool)
				}
				// Volatile parts really vary: the raw texts are not all equal.
				if recs[run.firstRec].Error == recs[run.lastRec].Error {
					t.Fatalf("%s: loop error has no volatile part: %q", tr.SessionID, recs[run.firstRec].Error)
				}
				// The first LLM call after the first failing attempt.
				start = idx[run.firstRec] + 1
				switch tr.LoopEnded {
				case "recovered":
					end = idx[run.lastRec] + 1
					next := recs[run.lastRec+2] // the call after the last failure, then the retry
					if next.Kind != "tool" || next.Tool != tr.LoopTool || next.Status != "" {
						t.Fatalf("%s: recovered but next tool is %s", tr.SessionID, next.line)
					}
				case "gave_up", "timed_out":
					end = len(calls)
				default:
					t.Fatalf("%s: loop_ended %q", tr.SessionID, tr.LoopEnded)
				}
			case "llm_only":
				// The longest run of LLM calls with no tool record between.
				best, bestFirst, n, first := 0, 0, 0, 0
				for i, r := range recs {
					if r.Kind == "tool" {
						n = 0
						continue
					}
					if n == 0 {
						first = idx[i]
					}
					if n++; n > best {
						best, bestFirst = n, first
					}
				}
				if best < tr.LoopRepeats {
					t.Fatalf("%s: longest LLM-only run %d < %d", tr.SessionID, best, tr.LoopRepeats)
				}
				// Near-identical: outputs are base·[0.96, 1.04], so any two
				// differ by at most 1.04/0.96 < 1.09; one model throughout.
				lo, hi := int64(math.MaxInt64), int64(0)
				for _, r := range calls[bestFirst-1 : bestFirst-1+best] {
					lo, hi = min(lo, r.OutputTokens), max(hi, r.OutputTokens)
					if r.Model != calls[bestFirst-1].Model {
						t.Fatalf("%s: model changes inside the run", tr.SessionID)
					}
				}
				if float64(hi) > 1.09*float64(lo) {
					t.Fatalf("%s: outputs %d..%d not near-identical", tr.SessionID, lo, hi)
				}
				start, end = bestFirst+1, len(calls)
			default:
				t.Fatalf("%s: loop_signal %q", tr.SessionID, tr.LoopSignal)
			}
			if tr.LoopStartCall != start {
				t.Fatalf("%s: loop_start_call %d, records give %d", tr.SessionID, tr.LoopStartCall, start)
			}
			var wasted int64
			var wastedCost float64
			for k := start - 1; k < end; k++ {
				wasted += calls[k].InputTokens + calls[k].OutputTokens
				wastedCost += callCost(calls[k])
			}
			if wasted != tr.LoopWastedTokens || !near(tr.LoopWastedCostUSD, wastedCost) {
				t.Fatalf("%s: wasted %d $%v, records give %d $%v", tr.SessionID, tr.LoopWastedTokens, tr.LoopWastedCostUSD, wasted, wastedCost)
			}
			// Context grows inside the loop: the call before the loop, then
			// every wasted call, each re-sends more than the previous one.
			for k := start - 1; k < end; k++ {
				if calls[k].InputTokens <= calls[k-1].InputTokens {
					t.Fatalf("%s: input shrinks at call %d", tr.SessionID, k+1)
				}
			}
		}
	}
	// 12,000 sessions × 16% loops ≈ 1,920; a gross miss means broken classes.
	if loops < 1700 || loops > 2150 {
		t.Fatalf("%d loop sessions", loops)
	}
}

// TestHardNegatives checks each hard-negative class has its signature.
func TestHardNegatives(t *testing.T) {
	for _, c := range corpora(t) {
		for _, tr := range c.truth {
			recs := c.sessions[tr.SessionID]
			var sib, real, rej, huge int
			for _, r := range recs {
				switch {
				case r.Error == siblingErrorText:
					sib++
				case r.Error == rejectedErrorText:
					rej++
				case r.Status == "error":
					real++
				}
				if r.Kind == "llm" && r.InputTokens >= 100_000 {
					huge++
					if r.InputTokens > 190_000 {
						t.Fatalf("%s: input %d above 190k", tr.SessionID, r.InputTokens)
					}
				}
			}
			switch tr.Class {
			case ClassSiblingCascade:
				// One real error and 2-5 siblings from a batch of 3-6.
				if real != 1 || sib < 2 || sib > 5 {
					t.Fatalf("%s: %d real errors, %d siblings", tr.SessionID, real, sib)
				}
			case ClassUserRejection:
				if rej < 1 || rej > 2 || real != 0 {
					t.Fatalf("%s: %d rejections, %d errors", tr.SessionID, rej, real)
				}
			case ClassExpensiveDoc:
				if huge != 1 {
					t.Fatalf("%s: %d calls of 100k+ input", tr.SessionID, huge)
				}
			case ClassTransientRetry:
				if tr.ToolErrors < 1 || tr.ToolErrors > 2 {
					t.Fatalf("%s: %d tool errors", tr.SessionID, tr.ToolErrors)
				}
			case ClassLongHealthy:
				if tr.LLMCalls < 40 || tr.LLMCalls > 120 {
					t.Fatalf("%s: %d calls", tr.SessionID, tr.LLMCalls)
				}
			}
			if tr.Class != ClassExpensiveDoc && huge > 0 {
				t.Fatalf("%s (%s): %d calls of 100k+ input", tr.SessionID, tr.Class, huge)
			}
		}
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uo\te`, "nl\n tab\t cr\r nul\x00 bell\x07 \x1f", "ünïcødé → ✓", "<tool_use_error>"} {
		var got string
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil || got != s {
			t.Errorf("%q: round trip gave %q, %v", s, got, err)
		}
	}
	// A lone invalid byte becomes U+FFFD, so the line stays valid JSON.
	var got string
	if err := json.Unmarshal(appendString(nil, "a\xffb"), &got); err != nil || got != "a\uFFFDb" {
		t.Errorf("invalid UTF-8: %q, %v", got, err)
	}
}

func TestTimestamp(t *testing.T) {
	var f tsFormatter
	for _, ms := range []int64{0, 1, 86_399_999, 86_400_000, 1_767_603_600_123, 1_767_657_599_999, -1, -86_400_001} {
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
		if got := string(f.append(nil, ms)); got != want {
			t.Errorf("%d: %s, want %s", ms, got, want)
		}
	}
}

func TestOptions(t *testing.T) {
	if _, err := Generate(io.Discard, nil, Options{Sessions: -1}); err == nil {
		t.Error("negative sessions accepted")
	}
	s, err := Generate(io.Discard, nil, Options{})
	if err != nil || s.Records != 0 || s.Bytes != 0 {
		t.Errorf("zero sessions: %+v, %v", s, err)
	}
	// A one-minute timeout: no non-loop session may exceed it, and the
	// timeout loops must still cross it (checked through the truth).
	var tu bytes.Buffer
	if _, err := Generate(io.Discard, &tu, Options{Sessions: 500, Seed: 5, Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&tu)
	for dec.More() {
		var tr Truth
		if err := dec.Decode(&tr); err != nil {
			t.Fatal(err)
		}
		if tr.Class != ClassLoopTimeout && tr.DurationS > 60 {
			t.Fatalf("%s (%s): %.1fs over a 60s timeout", tr.SessionID, tr.Class, tr.DurationS)
		}
		if tr.Class == ClassLoopTimeout && !tr.TimedOut {
			t.Fatalf("%s: timeout loop did not time out", tr.SessionID)
		}
	}
}

// TestBoundedMemory: sessions are held only while active. With a 3 s mean
// gap and sessions of ~80 s on average, about 27 are active at once; 200 is a
// loose bound that still fails if sessions are buffered wholesale.
func TestBoundedMemory(t *testing.T) {
	for _, c := range corpora(t) {
		if c.sum.MaxActive > 200 {
			t.Fatalf("max active %d", c.sum.MaxActive)
		}
	}
}
