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
// millisecond while f ran.
func PeakHeap(f func()) int64 {
	// Twice: objects freed by finalizers of the first go with the second.
	runtime.GC()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: sample[0].Name}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
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
	return int64(max(peak.Load(), sample[0].Value.Uint64())) - int64(base)
}
