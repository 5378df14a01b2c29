package main

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/tokcost/tokcost/ingest"
)

// progressDelay: reads shorter than this show nothing, so quick runs and
// their terminals stay clean.
const progressDelay = 2 * time.Second

// progress reports records and bytes per second on stderr while inputs are
// read, with an ETA when their size is known. It is nil (and every method
// a no-op) unless stderr is a terminal and --quiet is off, so stdout and
// redirected stderr stay byte-stable.
//
// ingest has no byte hook, so bytes advance a file at a time (when the
// next input starts); records are counted as they are decoded.
type progress struct {
	ios     *IOStreams
	sizes   []int64 // per expanded input; 0 for stdin
	total   int64   // -1 when unknown (stdin)
	records atomic.Int64
	bytes   atomic.Int64
	next    atomic.Int64 // inputs started so far
	stop    chan struct{}
	wg      sync.WaitGroup
}

func startProgress(ios *IOStreams, quiet bool, inputs []string) *progress {
	if quiet || !ios.StderrTTY {
		return nil
	}
	paths, err := ingest.ExpandInputs(inputs)
	if err != nil {
		return nil // ingest.Run reports it
	}
	p := &progress{ios: ios, sizes: make([]int64, len(paths)), stop: make(chan struct{})}
	for i, path := range paths {
		st, err := os.Stat(path)
		if path == "-" || err != nil || !st.Mode().IsRegular() {
			p.total = -1
			continue
		}
		p.sizes[i] = st.Size()
		if p.total >= 0 {
			p.total += st.Size()
		}
	}
	p.wg.Add(1)
	go p.run()
	return p
}

// wrap counts the records decoded from input index and marks the inputs
// before it as read (small inputs are read side by side, so this is an
// estimate; it never goes back).
func (p *progress) wrap(index int, f ingest.SinkFactory) ingest.SinkFactory {
	if p == nil {
		return f
	}
	for n := p.next.Load(); int64(index) >= n; n = p.next.Load() {
		if p.next.CompareAndSwap(n, int64(index)+1) {
			var done int64
			for i := 0; i < index && i < len(p.sizes); i++ {
				done += p.sizes[i]
			}
			// Another input may have raised it meanwhile: only raise.
			for old := p.bytes.Load(); done > old && !p.bytes.CompareAndSwap(old, done); old = p.bytes.Load() {
			}
			break
		}
	}
	return func() ingest.Sink { return &countingSink{Sink: f(), n: &p.records} }
}

// countingSink adds to a shared counter in batches: sinks run on several
// cores and one atomic add per record would contend.
type countingSink struct {
	ingest.Sink
	n     *atomic.Int64
	local int64
	rec   ingest.Record // RecordBatch's, for a sink that takes no batches
}

// BorrowsIDs passes on the wrapped sink's declaration: counting keeps
// nothing.
func (s *countingSink) BorrowsIDs() bool { return ingest.BorrowsIDs(s.Sink) }

func (s *countingSink) Record(r *ingest.Record) {
	s.Sink.Record(r)
	if s.local++; s.local == 4096 {
		s.n.Add(s.local)
		s.local = 0
	}
}

// RecordBatch passes a batch on whole (ingest.RecordRows), counted at once.
func (s *countingSink) RecordBatch(b *ingest.Batch) {
	ingest.RecordRows(s.Sink, b, &s.rec)
	if s.local += int64(b.N); s.local >= 4096 {
		s.n.Add(s.local)
		s.local = 0
	}
}

func (s *countingSink) Lines(n int64) {
	s.Sink.Lines(n)
	s.n.Add(s.local) // a decoder reports lines at least once per input
	s.local = 0
}

func (p *progress) run() {
	defer p.wg.Done()
	select {
	case <-p.stop:
		return
	case <-time.After(progressDelay):
	}
	bar := progressbar.NewOptions64(p.total,
		progressbar.OptionSetWriter(p.ios.ErrOut),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetPredictTime(p.total > 0),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(24),
	)
	start := time.Now().Add(-progressDelay)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		recs := p.records.Load()
		rate := float64(recs) / time.Since(start).Seconds()
		bar.Describe(fmt.Sprintf("reading: %s records (%s/s)", groupInt(recs), groupInt(int64(rate))))
		_ = bar.Set64(p.bytes.Load())
		select {
		case <-p.stop:
			_ = bar.Finish()
			_ = bar.Clear()
			return
		case <-tick.C:
		}
	}
}

// finish stops and erases the bar before anything else is printed.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
}

// groupInt groups thousands for the progress line.
func groupInt(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
