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
}

// NewCollector returns an empty collector, keeping records in memory.
func NewCollector() *Collector { return &Collector{st: store.NewMemory()} }

// Factory hands out one sink per decoding goroutine for the input with
// the given index; records remember their input for ordering.
func (c *Collector) Factory(fileIndex int) ingest.SinkFactory {
	return func() ingest.Sink { return c.st.Sink(fileIndex) }
}
