package store

import (
	"cmp"
	"hash/maphash"
	"unsafe"
)

// interner maps strings to small integers, per shard; 0 is "". It holds
// no pointers the garbage collector must trace but its blocks: the bytes
// are copied into blocks, and the hash table and the entries are plain
// integers. A large fleet interns hundreds of thousands of session ids and
// error texts; as Go strings in a map they were hundreds of thousands of
// objects to mark in every collection while reading.
type interner struct {
	blocks [][]byte // string bytes; a block is never moved or reused
	ents   []strEnt // by id
	slots  []uint32 // open addressing, linear probing: id, 0 for empty
	recent *recentCache
	// keepEmpty makes "" an ordinary string with an id of its own (the
	// session table: a sink fed an unvalidated record must not break).
	keepEmpty bool
	// maxBlock caps the blocks (0: maxStrBlock): a table per partition
	// buffer (error texts) leaves its last block part empty 512 times
	// over, up to 64 KiB each (+20-23 MiB of peak RSS on the benchmark
	// fleet, 3.7 MiB with the cap: docs/performance.md).
	maxBlock int
}

// strEnt locates interned string id in the blocks.
type strEnt struct {
	block, off, n uint32
	hash          uint32 // the low bits of its hash: the slot, and a quick compare
}

// Blocks double from firstStrBlock to maxStrBlock bytes; a longer string
// gets a block of its own.
const (
	firstStrBlock = 128 // a small file's shard has a few ids and names, a partition buffer a text or two
	maxStrBlock   = 64 << 10
)

var strSeed = maphash.MakeSeed()

func newInterner() *interner {
	return &interner{ents: []strEnt{{}}, slots: make([]uint32, 16)}
}

// str returns string id. It aliases the interner's blocks, which it keeps
// alive.
func (in *interner) str(id uint32) string {
	e := &in.ents[id]
	if e.n == 0 {
		return ""
	}
	return unsafe.String(&in.blocks[e.block][e.off], e.n)
}

// len is the number of ids, "" included.
func (in *interner) len() int { return len(in.ents) }

func (in *interner) id(s string) uint32 {
	id, _ := in.add(s)
	return id
}

// add returns the id of s, and whether s was new.
func (in *interner) add(s string) (uint32, bool) {
	if len(s) == 0 && !in.keepEmpty {
		return 0, false
	}
	if id, ok := in.recent.lookup(s); ok {
		return id, false
	}
	h := uint32(maphash.String(strSeed, s))
	mask := uint32(len(in.slots) - 1)
	i := h & mask
	for {
		id := in.slots[i]
		if id == 0 {
			break
		}
		if e := &in.ents[id]; e.hash == h && int(e.n) == len(s) && in.str(id) == s {
			in.recent.remember(s, id)
			return id, false
		}
		i = (i + 1) & mask
	}
	id := uint32(len(in.ents))
	in.ents = append(in.ents, in.store(s, h))
	in.slots[i] = id
	if 2*len(in.ents) > len(in.slots) {
		in.grow()
	}
	in.recent.remember(s, id)
	return id, true
}

// store copies s into the blocks.
func (in *interner) store(s string, h uint32) strEnt {
	if len(s) == 0 {
		return strEnt{hash: h}
	}
	n := len(in.blocks)
	if n == 0 || cap(in.blocks[n-1])-len(in.blocks[n-1]) < len(s) {
		size := firstStrBlock
		if n > 0 {
			size = min(2*cap(in.blocks[n-1]), cmp.Or(in.maxBlock, maxStrBlock))
		}
		in.blocks = append(in.blocks, make([]byte, 0, max(size, len(s))))
		n++
	}
	b := &in.blocks[n-1]
	off := len(*b)
	*b = append(*b, s...)
	return strEnt{block: uint32(n - 1), off: uint32(off), n: uint32(len(s)), hash: h}
}

// grow doubles the table.
func (in *interner) grow() {
	slots := make([]uint32, 2*len(in.slots))
	mask := uint32(len(slots) - 1)
	for id := 1; id < len(in.ents); id++ {
		i := in.ents[id].hash & mask
		for slots[i] != 0 {
			i = (i + 1) & mask
		}
		slots[i] = uint32(id)
	}
	in.slots = slots
}
