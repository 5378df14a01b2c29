package gen

import (
	"bufio"
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Options controls a run. The zero value of every field but Sessions has a
// usable default.
type Options struct {
	Sessions int       // number of sessions to generate
	Seed     uint64    // same seed, same options: byte-identical output
	Start    time.Time // first session's start (default 2026-01-05T09:00:00Z)
	// Timeout is the agent harness's wall-clock limit; only loop_timeout
	// sessions exceed it (default 10m).
	Timeout time.Duration
	// MeanGap is the mean time between session starts (exponential,
	// default 3s). Sessions last about 70 s on average, so the default
	// keeps about 25 active at once (peak 54 over 200,000 sessions); only
	// those are held in memory.
	MeanGap time.Duration
	// LoopShapes adds the runaway-loop shapes of real traces and their
	// hard negatives as classes of their own (shapes.go), and writes every
	// tool call's tool_args and tool_result. Off, the output is what it
	// always was for a seed.
	LoopShapes bool
}

// Summary describes what Generate wrote.
type Summary struct {
	Sessions   int
	Records    int // lines written, duplicates included
	Duplicates int
	Bytes      int64 // trace bytes
	LLMCalls   int
	ToolCalls  int
	Loops      int
	CostUSD    float64
	Classes    map[string]int
	MaxActive  int // peak number of sessions held in memory at once
}

// DefaultStart is the first session's start when Options.Start is zero.
var DefaultStart = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Generate writes opt.Sessions sessions of canonical JSONL records to
// traces, ordered by start time across sessions, and one ground-truth JSON
// object per session to truth (in session start order) unless truth is nil.
func Generate(traces io.Writer, truth io.Writer, opt Options) (Summary, error) {
	if opt.Sessions < 0 {
		return Summary{}, fmt.Errorf("sessions must be >= 0, got %d", opt.Sessions)
	}
	if opt.Start.IsZero() {
		opt.Start = DefaultStart
	}
	if opt.Timeout == 0 {
		opt.Timeout = 10 * time.Minute
	}
	if opt.MeanGap == 0 {
		opt.MeanGap = 3 * time.Second
	}
	if opt.Timeout < 0 || opt.MeanGap < 0 {
		return Summary{}, errors.New("timeout and mean gap must not be negative")
	}
	g := &generator{
		opt:     opt,
		w:       bufio.NewWriterSize(traces, 256<<10),
		arrival: rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15)),
		pcg:     rand.NewPCG(0, 0),
		sum:     Summary{Classes: make(map[string]int)},
		timeout: opt.Timeout.Milliseconds(),
		prefix:  fmt.Sprintf("s%08x-", uint32(mix64(opt.Seed))),
	}
	g.rng = rand.New(g.pcg)
	if truth != nil {
		g.tw = bufio.NewWriterSize(truth, 64<<10)
		g.enc = json.NewEncoder(g.tw)
	}
	if err := g.run(); err != nil {
		return g.sum, err
	}
	if err := g.w.Flush(); err != nil {
		return g.sum, fmt.Errorf("write traces: %w", err)
	}
	if g.tw != nil {
		if err := g.tw.Flush(); err != nil {
			return g.sum, fmt.Errorf("write truth: %w", err)
		}
	}
	return g.sum, nil
}

type generator struct {
	opt     Options
	w       *bufio.Writer
	tw      *bufio.Writer
	enc     *json.Encoder
	arrival *rand.Rand
	pcg     *rand.PCG
	rng     *rand.Rand
	b       builder
	active  activeHeap
	free    []*session
	buf     []byte
	tf      tsFormatter
	sum     Summary
	timeout int64
	prefix  string
}

// run merges sessions by the start time of their next record. A session is
// built when the clock reaches its start, and dropped after its last record,
// so memory holds only the sessions active at one moment.
func (g *generator) run() error {
	next := g.opt.Start.UnixMilli()
	gap := float64(g.opt.MeanGap.Milliseconds())
	for i := 0; ; {
		if i < g.opt.Sessions && (len(g.active) == 0 || next <= g.active[0].events[g.active[0].next].ts) {
			s, err := g.start(i, next)
			if err != nil {
				return err
			}
			heap.Push(&g.active, s)
			g.sum.MaxActive = max(g.sum.MaxActive, len(g.active))
			i++
			next += int64(g.arrival.ExpFloat64() * gap)
			continue
		}
		if len(g.active) == 0 {
			return nil
		}
		s := g.active[0]
		if err := g.emit(s); err != nil {
			return err
		}
		if s.next++; s.next < len(s.events) {
			heap.Fix(&g.active, 0)
		} else {
			heap.Pop(&g.active)
			g.free = append(g.free, s)
		}
	}
}

func (g *generator) start(i int, at int64) (*session, error) {
	var s *session
	if n := len(g.free); n > 0 {
		s, g.free = g.free[n-1], g.free[:n-1]
	} else {
		s = new(session)
	}
	s.idx = i
	// Each session has its own stream, so its content does not depend on
	// how it interleaves with others.
	g.pcg.Seed(g.opt.Seed, uint64(i)+1)
	g.b.r = g.rng
	tr := build(s, &g.b, at, g.timeout, g.prefix, g.opt.LoopShapes)
	g.sum.Sessions++
	g.sum.LLMCalls += tr.LLMCalls
	g.sum.ToolCalls += tr.ToolCalls
	g.sum.Duplicates += tr.DuplicatesWritten
	g.sum.CostUSD += tr.CostUSD
	g.sum.Classes[tr.Class]++
	if tr.Loop {
		g.sum.Loops++
	}
	if g.enc != nil {
		if err := g.enc.Encode(&tr); err != nil {
			return nil, fmt.Errorf("write truth: %w", err)
		}
	}
	return s, nil
}

func (g *generator) emit(s *session) error {
	e := &s.events[s.next]
	g.buf = appendRecord(g.buf[:0], s, e, s.next+1, &g.tf)
	n := 1
	if e.dup {
		n = 2
	}
	for range n {
		if _, err := g.w.Write(g.buf); err != nil {
			return fmt.Errorf("write traces: %w", err)
		}
		g.sum.Records++
		g.sum.Bytes += int64(len(g.buf))
	}
	return nil
}

// mix64 is SplitMix64's finaliser: it spreads a seed into a session-id
// prefix so that files from different seeds can be combined.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// activeHeap orders sessions by their next record's start, then by index so
// ties break the same way on every run.
type activeHeap []*session

func (h activeHeap) Len() int { return len(h) }
func (h activeHeap) Less(i, j int) bool {
	a, b := h[i].events[h[i].next].ts, h[j].events[h[j].next].ts
	if a != b {
		return a < b
	}
	return h[i].idx < h[j].idx
}
func (h activeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *activeHeap) Push(x any)   { *h = append(*h, x.(*session)) }
func (h *activeHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return s
}
