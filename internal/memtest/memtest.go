package memtest

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// PeakHeap runs f and returns how far the heap (live and not yet swept
// objects, runtime/metrics) rose above where it was before, sampled every
// millisecond while f ran. It counts garbage the collector has not yet
// reached, so identical runs can differ by tens of MiB; PeakLive is the
// steadier measure where only the live data matters.
func PeakHeap(f func()) int64 {
	return peak("/memory/classes/heap/objects:bytes", f)
}

// PeakLive runs f and returns how far the live heap (the bytes the last
// collection found reachable, runtime/metrics /gc/heap/live:bytes) rose
// above where it was before, sampled every millisecond while f ran. It
// sees the heap only as each collection ends, so it leaves out garbage and
// the collector's timing: the measure for "does memory grow with the
// input", where PeakHeap's swings between identical runs would hide or
// fake a trend.
func PeakLive(f func()) int64 {
	return peak("/gc/heap/live:bytes", f)
}

func peak(metric string, f func()) int64 {
	// Twice: objects freed by finalizers of the first go with the second.
	runtime.GC()
	runtime.GC()
	sample := []metrics.Sample{{Name: metric}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var top atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: metric}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > top.Load() {
				top.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	metrics.Read(sample)
	return int64(max(top.Load(), sample[0].Value.Uint64())) - int64(base)
}
