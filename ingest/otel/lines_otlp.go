package otel

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/tokcost/tokcost/ingest"
)

// lineBatch is a run of consecutive input lines and, once a worker has
// decoded them, what each yielded.
type lineBatch struct {
	buf   []byte // the lines, concatenated
	ends  []int  // end offset of each line in buf
	first int64  // number of the first line
	long  []int  // indexes of lines over the length limit (left empty in buf)
	res   []lineResult
	spans []span
	done  chan struct{}
}

// lineResult is what one line yielded: spans[lo:hi] or a note.
type lineResult struct {
	lo, hi  int32
	hasNote bool
	note    ingest.Note
}

const batchBytes = 1 << 20

// decodeOTLPLines decodes JSON Lines on parallel workers: a line is
// independent of the others until the traces are resolved, so workers
// turn lines into span summaries and the calling goroutine hands them to
// the collector in input order, exactly as a sequential read would.
func decodeOTLPLines(src *ingest.Source, c *collector) error {
	workers := max(runtime.GOMAXPROCS(0), 1)
	work := make(chan *lineBatch, workers)
	order := make(chan *lineBatch, 2*workers+2)
	free := make(chan *lineBatch, 2*workers+4)
	for range workers {
		go func() {
			d := newFastDecoder()
			for b := range work {
				b.decode(d, src.Name)
				close(b.done)
			}
		}()
	}
	var readErr error
	go func() {
		defer close(order)
		defer close(work)
		var b *lineBatch
		send := func() {
			work <- b
			order <- b
			b = nil
		}
		add := func(line []byte, n int64, tooLong bool) {
			if b == nil {
				select {
				case b = <-free:
					b.buf, b.ends = b.buf[:0], b.ends[:0]
				default:
					b = &lineBatch{buf: make([]byte, 0, 64<<10)} // grows to a batch; small inputs stay cheap
				}
				b.first, b.done, b.long = n, make(chan struct{}), b.long[:0]
			}
			if tooLong {
				b.long = append(b.long, len(b.ends))
			}
			b.buf = append(b.buf, line...)
			b.ends = append(b.ends, len(b.buf))
			if len(b.buf) >= batchBytes {
				send()
			}
		}
		_, err := src.EachLine(func(line []byte, n int64) error {
			add(line, n, false)
			return nil
		}, func(n int64) { add(nil, n, true) })
		if b != nil {
			send()
		}
		if err != nil {
			readErr = fmt.Errorf("read %s: %w", src.Name, err)
		}
	}()
	for b := range order {
		<-b.done
		for _, r := range b.res {
			if r.hasNote {
				c.addLine(nil, &r.note)
			} else {
				c.addLine(b.spans[r.lo:r.hi], nil)
			}
		}
		select {
		case free <- b:
		default:
		}
	}
	return readErr
}

// decode fills b.res and b.spans; it is jsonutil.EachValue's line path.
func (b *lineBatch) decode(d *fastDecoder, file string) {
	b.res, b.spans = b.res[:0], b.spans[:0]
	start := 0
	for i, end := range b.ends {
		line := b.buf[start:end]
		start = end
		n := b.first + int64(i)
		r := lineResult{lo: int32(len(b.spans))}
		if len(b.long) > 0 && b.long[0] == i {
			b.long = b.long[1:]
			r.hasNote, r.note = true, ingest.Note{Kind: ingest.NoteInvalid, File: file, Line: n, Reason: ingest.ReasonLineTooLong}
			b.res = append(b.res, r)
			continue
		}
		if !benchNoFast && plainJSON(line) {
			// The scanner is strict: what it parses, json.Valid accepts.
			var ok bool
			if b.spans, ok = d.decode(line, file, n, b.spans); ok {
				if int(r.lo) == len(b.spans) {
					r.hasNote, r.note = true, ingest.Note{Kind: ingest.NoteSkipped, File: file, Line: n, Reason: "no spans"}
				}
				r.hi = int32(len(b.spans))
				b.res = append(b.res, r)
				continue
			}
			b.spans = b.spans[:r.lo]
		}
		switch {
		case ingest.IsBlank(line):
			r.hasNote, r.note = true, ingest.Note{Kind: ingest.NoteBlank, File: file, Line: n}
		case !json.Valid(line):
			r.hasNote, r.note = true, ingest.Note{Kind: ingest.NoteInvalid, File: file, Line: n, Reason: "malformed json"}
		default:
			var note *ingest.Note
			b.spans, note = d.value(line, file, n, b.spans)
			if note != nil {
				r.hasNote, r.note = true, *note
			}
		}
		r.hi = int32(len(b.spans))
		b.res = append(b.res, r)
	}
}

// benchNoFast sends every line to the general decoder, so BenchmarkOTLPGeneral
// can measure what the fast decoder earns. Only benchmarks set it.
var benchNoFast bool
