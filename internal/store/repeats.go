package store

// repeatGeneration is how many id hashes a shard's repeat set holds before
// it starts a new generation. Dropping repeats on arrival only saves store
// space (Finish drops whatever the shard let through, and counts it the
// same way), so the set need not remember every id: kept whole, it cost
// 16 to 32 bytes a record that never spilled (1.5 GiB of a 10 GB input's
// run under --memory-limit 512MiB, docs/performance.md). Two generations
// of 2^19 hashes cost at most 16 MiB a shard and still catch a repeat
// within the last half-million records, which is where a decompression
// bomb's or a retrying writer's copies are. A variable so tests can make
// it small.
var repeatGeneration = 1 << 19

// seenID adds h to the shard's repeat set and reports whether it was
// already there, in this generation or the one before.
func (s *shard) seenID(h uint64) bool {
	if s.idsOld.has(h) {
		return true
	}
	if !s.ids.grow(h) {
		return true
	}
	if s.ids.n >= repeatGeneration {
		// The next generation takes the dropped one's table, already at
		// full size: growing a new one again by doubling allocated 16 MiB
		// and rehashed half a million ids each generation.
		s.idsOld, s.ids = s.ids, s.idsOld
		s.ids.empty()
	}
	return false
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
