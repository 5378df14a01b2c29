package store

import (
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// mustPartition is m.Partition for tests whose spill file never fails.
func mustPartition(t testing.TB, m *Memory, p int, sc *Scratch) []SessionEvents {
	t.Helper()
	out, err := m.Partition(p, sc)
	if err != nil {
		t.Fatalf("partition %d: %v", p, err)
	}
	return out
}

// failFile is a spill file on a disk that fills up or fails: writes past
// writeLeft bytes fail with ENOSPC (the bytes up to it are written, as a
// short write leaves them), reads past readLeft bytes with EIO, and with
// zeroReads every read gives zeros (the file's bytes are not what was
// written). A negative left never fails.
type failFile struct {
	File
	name string

	mu                  sync.Mutex
	writeLeft, readLeft int64
	zeroReads           bool
}

func wrapFail(writeLeft, readLeft int64, zeroReads bool) func(File) File {
	return func(f File) File {
		return &failFile{File: f, name: f.(*os.File).Name(), writeLeft: writeLeft, readLeft: readLeft, zeroReads: zeroReads}
	}
}

// allow is how much of n bytes may go through, taking it from *left.
func allow(left *int64, n int) int {
	if *left < 0 {
		return n
	}
	k := int(min(*left, int64(n)))
	*left -= int64(k)
	return k
}

func (f *failFile) Write(b []byte) (int, error) {
	f.mu.Lock()
	k := allow(&f.writeLeft, len(b))
	f.mu.Unlock()
	n, err := f.File.Write(b[:k])
	if err == nil && k < len(b) {
		err = &os.PathError{Op: "write", Path: f.name, Err: syscall.ENOSPC}
	}
	return n, err
}

func (f *failFile) WriteAt(b []byte, off int64) (int, error) {
	f.mu.Lock()
	k := allow(&f.writeLeft, len(b))
	f.mu.Unlock()
	n, err := f.File.WriteAt(b[:k], off)
	if err == nil && k < len(b) {
		err = &os.PathError{Op: "write", Path: f.name, Err: syscall.ENOSPC}
	}
	return n, err
}

func (f *failFile) ReadAt(b []byte, off int64) (int, error) {
	f.mu.Lock()
	k := allow(&f.readLeft, len(b))
	zero := f.zeroReads
	f.mu.Unlock()
	if k < len(b) {
		return 0, &os.PathError{Op: "read", Path: f.name, Err: syscall.EIO}
	}
	n, err := f.File.ReadAt(b, off)
	if zero {
		clear(b[:n])
	}
	return n, err
}

// feedErr stores n records of ns sessions: record k is in session k mod
// ns, and every seventh carries an error text (kept per partition
// buffer, so a retired generation's metadata has texts too).
func feedErr(m *Memory, n, ns int) {
	sk := m.Sink(0)
	for k := range n {
		r := ingest.Record{SessionID: "s" + strconv.Itoa(k%ns), ID: "e" + strconv.Itoa(k), Line: int64(k + 1),
			Kind: ingest.KindLLM, OutputTokens: int64(k % 7)}
		if k%7 == 0 {
			r.Kind, r.Status, r.Tool, r.Error = ingest.KindTool, ingest.StatusError, "bash", "exit "+strconv.Itoa(k%13)
		}
		sk.Record(&r)
	}
	sk.Lines(int64(n))
}

// TestSpillWriteFailsKeepsRecords: when the disk fills up while records
// are spilled, spilling stops and the records not yet on disk stay in
// memory; every partition is then the in-memory store's (a second
// method: NewMemory never spills), and SpillErr says why. Before the fix
// a failed flush panicked ("flushing the spill file"): at the end of a
// spill smaller than the 1 MiB write buffer (limit 256 KiB: records get
// half, 128 KiB a spill), and when a larger spill (limit 3 MiB: 1.5 MiB
// a spill) failed inside the buffer's own flush, the blocks already
// buffered were recorded as written and their reading back panicked at
// EOF. The disk fills after 0 bytes (the first spill fails), after 300
// KB (a later spill fails part-way, a short write) and after 1.2 MB.
// 300,000 records (about 12 bytes each encoded: 3.7 MB, more than two
// 1.5 MiB spills) of 2,000 sessions; the session state budget is large,
// so no generation retires and only spillAll writes.
func TestSpillWriteFailsKeepsRecords(t *testing.T) {
	const n, ns = 300_000, 2000
	mem := NewMemory()
	feedErr(mem, n, ns)
	mem.Seal()
	var sw Scratch
	want := make([][]resolvedSession, partitions)
	total := 0
	for p := range partitions {
		want[p] = resolve(mustPartition(t, mem, p, &sw), sw.Strings)
		total += len(want[p])
	}
	if total != ns {
		t.Fatalf("%d sessions in memory, want %d", total, ns)
	}
	for _, c := range []struct {
		limit, writeLeft int64
	}{{256 << 10, -1}, {3 << 20, -1}, {256 << 10, 0}, {256 << 10, 300_000}, {3 << 20, 0}, {3 << 20, 1_200_000}} {
		dir := t.TempDir()
		sp := NewSpilling(SpillOptions{Limit: c.limit, SessionState: 1 << 40, Dir: dir, Wrap: wrapFail(c.writeLeft, -1, false)})
		feedErr(sp, n, ns)
		sp.Seal()
		err := sp.SpillErr()
		switch {
		case c.writeLeft < 0 && (err != nil || sp.Spilled() < 2*(c.limit/2)):
			// The control: the same spills on a disk that does not fill
			// up, at least two of them.
			t.Fatalf("limit %d, no failure: spilled %d bytes, error %v", c.limit, sp.Spilled(), err)
		case c.writeLeft >= 0 && err == nil:
			t.Errorf("limit %d, disk full after %d: no spill error", c.limit, c.writeLeft)
		case c.writeLeft >= 0 && sp.Spilled() > c.writeLeft:
			t.Errorf("limit %d, disk full after %d: %d bytes counted as spilled", c.limit, c.writeLeft, sp.Spilled())
		}
		if err != nil && !strings.Contains(err.Error(), "no space left on device") {
			t.Errorf("limit %d, disk full after %d: error %q does not say why", c.limit, c.writeLeft, err)
		}
		var sg Scratch
		for p := range partitions {
			got, err := sp.Partition(p, &sg)
			if err != nil {
				t.Fatalf("limit %d, disk full after %d: partition %d: %v", c.limit, c.writeLeft, p, err)
			}
			if !reflect.DeepEqual(resolve(got, sg.Strings), want[p]) {
				t.Fatalf("limit %d, disk full after %d: partition %d differs from the in-memory store", c.limit, c.writeLeft, p)
			}
		}
		sp.Release()
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("left in the temp dir: %v", left)
		}
	}
}

// partitionsErr decodes every partition of m and returns the first
// error (nil: none failed).
func partitionsErr(m *Memory) error {
	var sc Scratch
	for p := range partitions {
		if _, err := m.Partition(p, &sc); err != nil {
			return err
		}
	}
	return nil
}

// TestSpillReadBackFails: spilled records that cannot be read back (EIO
// from the start, or after 100 KB) make Partition return an error naming
// the temp directory, where it panicked before. The same records read
// back without a failure are the control (no error), so the error comes
// from the failing reads. 100,000 records of 500 sessions, limit 64 KiB:
// about 800 KB spilled in 32 KiB spills.
func TestSpillReadBackFails(t *testing.T) {
	for _, readLeft := range []int64{-1, 0, 100_000} {
		dir := t.TempDir()
		sp := NewSpilling(SpillOptions{Limit: 64 << 10, SessionState: 1 << 40, Dir: dir, Wrap: wrapFail(-1, readLeft, false)})
		feedErr(sp, 100_000, 500)
		sp.Seal()
		if sp.Spilled() < 200_000 {
			t.Fatalf("only %d bytes spilled", sp.Spilled())
		}
		err := partitionsErr(sp)
		sp.Release()
		switch {
		case readLeft < 0 && err != nil:
			t.Errorf("no failure: %v", err)
		case readLeft >= 0 && err == nil:
			t.Errorf("reads fail after %d bytes: no error", readLeft)
		case readLeft >= 0 && (!strings.Contains(err.Error(), "reading spilled records back from a temp file in "+dir) ||
			!strings.Contains(err.Error(), "input/output error")):
			t.Errorf("reads fail after %d bytes: error %q does not name the temp dir and the cause", readLeft, err)
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("left in the temp dir: %v", left)
		}
	}
}

// TestSpilledMetadataCorrupt: a retired generation's session metadata
// that does not decode to its length (here read back as zeros: no
// sessions, no texts, 2 bytes of the segment's many) is an error naming
// the temp directory, where it panicked before. 4,000 records of 500
// sessions with a 2 KiB session-state budget retire generations (as in
// TestGenerationSpillWriteFails); read back intact they decode (the
// control).
func TestSpilledMetadataCorrupt(t *testing.T) {
	for _, zero := range []bool{false, true} {
		dir := t.TempDir()
		sp := NewSpilling(SpillOptions{Limit: 64 << 10, SessionState: 2 << 10, Dir: dir, Wrap: wrapFail(-1, -1, zero)})
		feedErr(sp, 4000, 500)
		sp.Seal()
		if sp.Generations() == 0 {
			t.Fatal("no generation retired: the metadata is not read back")
		}
		err := partitionsErr(sp)
		sp.Release()
		if !zero {
			if err != nil {
				t.Errorf("intact: %v", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "session metadata") || !strings.Contains(err.Error(), dir) {
			t.Errorf("zeros read back: error %v, want one about the session metadata naming %s", err, dir)
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("left in the temp dir: %v", left)
		}
	}
}
