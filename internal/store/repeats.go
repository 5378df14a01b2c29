package store

// repeatGeneration is how many id hashes a shard's repeat set holds before
// it starts a new generation. Dropping repeats on arrival only saves store
// space (Finish drops whatever the shard let through, and what a record is
// counted for does not depend on which of the two dropped it: doc.go), so
// the set need not remember many ids. Two generations of 4,096 hashes are
// two tables of 8,192 slots, 128 KiB a shard, which stay in the
// processor's cache and still catch a repeat within the last 4,096
// records: a decompression bomb's copies of one line, or a retrying
// writer's. Generations of 2^19 (16 MiB a shard) caught repeats further
// apart but cost a cache miss or two per record: 12-20% of a JSONL
// analysis's CPU (docs/performance.md, "Session 10"). Batch rows use the
// same size (batchRepeatGeneration). A variable so tests can make it
// small.
var repeatGeneration = 1 << 12

// Repeats far apart in one session are what the small set cannot drop
// and what costs memory that no --memory-limit bounds: the analysis
// decodes a session's stored events at once before it drops repeats. A
// block of 20,000 distinct events of one session repeated 500 times is a
// 102 KB `zstd -19` file (its 8 MiB window spans the block) that peaked at
// 2.0 GB of RSS under --memory-limit 64MiB with only the small set
// (TestRepeatedBlockBounded). So the events of a session that already
// holds bigSession of the shard's events also go through a second set
// of two generations of bigRepeatGeneration hashes, made when the first
// such session comes: up to 16 MiB a shard, as the one set was until
// session 10, and only for inputs with sessions that long (none in the
// bench fleet, whose longest session has 272 events). Variables
// so tests can change them.
var (
	bigSession          = 4096
	bigRepeatGeneration = 1 << 19
)

// genSet is a repeat set of two generations: past gen hashes the newer
// becomes the older and the older's table, already at full size, is
// emptied for the next (growing a new one again by doubling cost a table
// of allocations a generation). The shard's three sets are each one.
type genSet struct{ cur, old IDSet }

// seen adds h to the set and reports whether it was already there, in
// this generation or the one before.
func (g *genSet) seen(h uint64, gen int) bool {
	if g.old.has(h) || !g.cur.grow(h) {
		return true
	}
	if g.cur.n >= gen {
		g.old, g.cur = g.cur, g.old
		g.cur.empty()
	}
	return false
}

// has reports whether h is in either generation, without adding it.
func (g *genSet) has(h uint64) bool { return g.cur.has(h) || g.old.has(h) }

// seenID adds h to the shard's repeat set, and to the large sessions' set
// when big, and reports whether it was already in either.
func (s *shard) seenID(h uint64, big bool) bool {
	if s.ids.seen(h, repeatGeneration) {
		return true
	}
	return big && s.big.seen(h, bigRepeatGeneration)
}

// empty removes every hash and keeps the table.
func (t *IDSet) empty() {
	clear(t.slots)
	t.n = 0
}

// has reports whether h is in the set (an empty set has nothing).
func (t *IDSet) has(h uint64) bool {
	if len(t.slots) == 0 {
		return false
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}
