package analyze

import (
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/internal/store"
)

// Event is the compact form of one record the analysis keeps, as the store
// decodes it (internal/store); Cost and the Unpriced and RecordedCost
// flags are set by Finish.
type Event = store.Event

// The event flags the analysis reads and sets.
const (
	flagHasSeq       = store.HasSeq
	flagHasTS        = store.HasTS
	flagHasCost      = store.HasCost
	flagReplica      = store.Replica
	flagSameUnit     = store.SameUnit
	flagUnpriced     = store.Unpriced
	flagRecordedCost = store.RecordedCost
)

// InputCounts accounts for every unit read (store.InputCounts).
type InputCounts = store.InputCounts

// Collector gathers records from any number of concurrent decoders into a
// store. Use Factory as the ingest sink factory, then Finish once every
// input is read.
type Collector struct {
	st store.Store
	// sumSpill, when set, lets FinishSummaries write the session
	// summaries to disk too (sumspill.go); sumErr is why it could not.
	sumSpill *SpillOptions
	sumErr   error
}

// NewCollector returns an empty collector, keeping records in memory.
func NewCollector() *Collector { return &Collector{st: store.NewMemory()} }

// NewSmallCollector returns an empty collector for the records of one
// session (or a few), for a caller that groups records by session itself
// (a distributed pipeline): FinishSummaries then runs on the calling
// goroutine and starts no garbage collection, which would cost far more
// than the records. The results are NewCollector's.
func NewSmallCollector() *Collector { return &Collector{st: store.NewSmall()} }

// small reports whether c was made by NewSmallCollector.
func (c *Collector) small() bool {
	m, ok := c.st.(*store.Memory)
	return ok && m.Small()
}

// SpillOptions bound the memory records take (store.SpillOptions).
type SpillOptions = store.SpillOptions

// NewSpillingCollector returns an empty collector whose records go to a
// temporary file past o.Limit bytes in memory; its results are the same
// as NewCollector's.
func NewSpillingCollector(o SpillOptions) *Collector {
	return &Collector{st: store.NewSpilling(o), sumSpill: &o}
}

// SummarySpillErr is the error that kept the session summaries in memory
// when they were to spill (the results are the same), if any.
func (c *Collector) SummarySpillErr() error { return c.sumErr }

// Release drops the records and removes any spill file; Finish does it
// too, so it is only needed on paths that do not finish.
func (c *Collector) Release() { c.st.Release() }

// Spilled is how many bytes of records went to disk, and the error that
// stopped spilling (the rest stayed in memory), if any.
func (c *Collector) Spilled() (int64, error) {
	if m, ok := c.st.(*store.Memory); ok {
		return m.Spilled(), m.SpillErr()
	}
	return 0, nil
}

// Generations is how many generations of per-session reading state the
// sinks retired to the spill file (store.Memory.Generations).
func (c *Collector) Generations() int64 {
	if m, ok := c.st.(*store.Memory); ok {
		return m.Generations()
	}
	return 0
}

// Factory hands out one sink per decoding goroutine for the input with
// the given index; records remember their input for ordering.
func (c *Collector) Factory(fileIndex int) ingest.SinkFactory {
	return func() ingest.Sink { return c.st.Sink(fileIndex) }
}
