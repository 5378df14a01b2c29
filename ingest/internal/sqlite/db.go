package sqlite

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Magic is the first 16 bytes of every SQLite 3 database file.
const Magic = "SQLite format 3\x00"

// DefaultMaxRecord bounds one record's payload when Options.MaxRecord is 0.
const DefaultMaxRecord = 64 << 20

// Options tune Open.
type Options struct {
	// MaxRecord is the largest record payload a scan reads, in bytes
	// (0: DefaultMaxRecord); a larger row fails alone with ErrRecordTooLarge.
	MaxRecord int64
}

// CorruptError is a malformed database structure: the file, the page (0
// when the fault is not in a page) and what is wrong.
type CorruptError struct {
	File string
	Page uint32
	Msg  string
}

func (e *CorruptError) Error() string {
	if e.Page == 0 {
		return fmt.Sprintf("%s: not a readable SQLite database: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s: page %d: malformed SQLite database: %s", e.File, e.Page, e.Msg)
}

// ErrChanged is returned when the database or its WAL changed while it was
// read (a writer checkpointed or restarted the WAL): the rows read may mix
// two versions, so the read must be repeated.
var ErrChanged = errors.New("the database changed while it was read (is the program that writes it running?); run again")

// ErrRecordTooLarge is a row's error when its payload passes MaxRecord.
var ErrRecordTooLarge = errors.New("record larger than the limit")

// DB is an open database. It is not safe for concurrent use.
type DB struct {
	name      string
	f         io.ReaderAt
	fileSize  int64
	pageSize  int
	usable    int
	nPages    uint32
	enc       byte // 1 UTF-8, 2 UTF-16le, 3 UTF-16be
	maxRecord int64

	wal     *wal
	walFile *os.File
	extra   io.Closer // the database file, when OpenFile opened it

	stat  func() (int64, time.Time, bool) // the db file's size and mtime now, for Changed
	size0 int64
	mod0  time.Time

	tables map[string]*Table
	// scratch
	payload []byte
	visited []uint64
}

// OpenFile opens the database at path and the WAL beside it, read-only.
func OpenFile(path string, opt Options) (*DB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	db, err := Open(f, path, opt)
	if err != nil {
		_ = f.Close() // read-only
		return nil, err
	}
	db.extra = f
	return db, nil
}

// Open reads the database in f (named name; its WAL is name+"-wal"). The
// caller keeps f open until Close and closes it itself.
func Open(f *os.File, name string, opt Options) (*DB, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &CorruptError{File: name, Msg: "not a regular file"}
	}
	if err := checkJournal(name); err != nil {
		return nil, err
	}
	var walR io.ReaderAt
	var walSize int64
	var walFile *os.File
	if wf, err := os.Open(name + "-wal"); err == nil {
		if ws, err := wf.Stat(); err == nil && ws.Mode().IsRegular() {
			walR, walSize, walFile = wf, ws.Size(), wf
		} else {
			_ = wf.Close() // read-only
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s-wal: %w", name, err)
	}
	db, err := open(name, f, st.Size(), walR, walSize, opt)
	if err != nil {
		if walFile != nil {
			_ = walFile.Close() // read-only
		}
		return nil, err
	}
	db.walFile = walFile
	db.size0, db.mod0 = st.Size(), st.ModTime()
	db.stat = func() (int64, time.Time, bool) {
		s, err := f.Stat()
		if err != nil {
			return 0, time.Time{}, false
		}
		return s.Size(), s.ModTime(), true
	}
	return db, nil
}

// checkJournal refuses a database with a hot rollback journal beside it:
// its file is mid-transaction, and only a writer may roll it back.
func checkJournal(name string) error {
	j, err := os.Open(name + "-journal")
	if err != nil {
		return nil // none (or unreadable: SQLite would fail, tokcost reads the file as it is)
	}
	defer func() { _ = j.Close() }() // read-only
	var b [8]byte
	if _, err := io.ReadFull(j, b[:]); err == nil && bytes.Equal(b[:], []byte{0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7}) {
		return fmt.Errorf("%s: a rollback journal (%s-journal) is beside it: the database is mid-transaction or was left by a crash; open it once with sqlite3 (or let its program finish) and run again", name, name)
	}
	return nil
}

// open reads the header and the WAL. walR may be nil.
func open(name string, f io.ReaderAt, fileSize int64, walR io.ReaderAt, walSize int64, opt Options) (*DB, error) {
	db := &DB{name: name, f: f, fileSize: fileSize, maxRecord: opt.MaxRecord}
	if db.maxRecord <= 0 {
		db.maxRecord = DefaultMaxRecord
	}
	bad := func(format string, a ...any) error {
		return &CorruptError{File: name, Msg: fmt.Sprintf(format, a...)}
	}
	var hdr [100]byte
	if fileSize < int64(len(hdr)) {
		return nil, bad("%d bytes, shorter than the 100-byte header", fileSize)
	}
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if string(hdr[:16]) != Magic {
		return nil, bad("no SQLite header")
	}
	ps := int(binary.BigEndian.Uint16(hdr[16:]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps > 65536 || ps&(ps-1) != 0 {
		return nil, bad("page size %d", ps)
	}
	if hdr[18] > 2 || hdr[19] > 2 || hdr[18] == 0 || hdr[19] == 0 {
		return nil, bad("file format %d/%d (this reader knows 1 and 2)", hdr[18], hdr[19])
	}
	if hdr[21] != 64 || hdr[22] != 32 || hdr[23] != 32 {
		return nil, bad("payload fractions %d/%d/%d, want 64/32/32", hdr[21], hdr[22], hdr[23])
	}
	db.pageSize, db.usable = ps, ps-int(hdr[20])
	if db.usable < 480 {
		return nil, bad("usable page size %d (reserved %d)", db.usable, hdr[20])
	}
	filePages := fileSize / int64(ps)
	n := int64(binary.BigEndian.Uint32(hdr[28:]))
	if n == 0 || binary.BigEndian.Uint32(hdr[24:]) != binary.BigEndian.Uint32(hdr[92:]) {
		n = filePages // a header written by an old version: the file's size counts
	}
	limit := filePages
	if walR != nil && walSize >= walHeaderSize {
		w, err := readWAL(name, walR, walSize, ps)
		if err != nil {
			return nil, err
		}
		if w != nil {
			db.wal = w
			if w.dbSize != 0 {
				n = int64(w.dbSize)
			}
			limit += int64(len(w.frames))
		}
	}
	if n > limit {
		return nil, bad("the header or WAL claims %d pages; the file and WAL hold at most %d", n, limit)
	}
	if n < 1 {
		return nil, bad("no pages")
	}
	db.nPages = uint32(n)
	// Page 1 may be in the WAL: the encoding is read from the current one.
	p1, err := db.page(1, nil)
	if err != nil {
		return nil, err
	}
	if string(p1[:16]) != Magic {
		return nil, &CorruptError{File: name, Page: 1, Msg: "no SQLite header"}
	}
	if e := binary.BigEndian.Uint32(p1[56:]); e >= 1 && e <= 3 {
		db.enc = byte(e)
	} else if e == 0 {
		db.enc = 1 // an empty database has no encoding yet
	} else {
		return nil, &CorruptError{File: name, Page: 1, Msg: fmt.Sprintf("text encoding %d", e)}
	}
	if err := db.readSchema(); err != nil {
		return nil, err
	}
	return db, nil
}

// Close releases the WAL file (and the database file, for OpenFile).
func (db *DB) Close() error {
	var err error
	if db.walFile != nil {
		err = db.walFile.Close()
	}
	if db.extra != nil {
		if e := db.extra.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Changed reports ErrChanged when the database file's size or
// modification time moved since Open: a checkpoint (or, without WAL, a
// writer) rewrote pages a scan may have read.
func (db *DB) Changed() error {
	if db.stat == nil {
		return nil
	}
	size, mod, ok := db.stat()
	if ok && (size != db.size0 || !mod.Equal(db.mod0)) {
		return fmt.Errorf("%s: %w", db.name, ErrChanged)
	}
	return nil
}

// PageSize is the database's page size in bytes.
func (db *DB) PageSize() int { return db.pageSize }

// Pages is the number of pages in the database (with the WAL applied).
func (db *DB) Pages() uint32 { return db.nPages }

// WALFrames is the number of committed WAL frames applied.
func (db *DB) WALFrames() int {
	if db.wal == nil {
		return 0
	}
	return db.wal.committed
}

// page reads page pgno into buf (allocated when too small) and returns it.
func (db *DB) page(pgno uint32, buf []byte) ([]byte, error) {
	if pgno == 0 || pgno > db.nPages {
		return nil, &CorruptError{File: db.name, Page: pgno, Msg: fmt.Sprintf("page number out of range 1…%d", db.nPages)}
	}
	if cap(buf) < db.pageSize {
		buf = make([]byte, db.pageSize)
	}
	buf = buf[:db.pageSize]
	if db.wal != nil {
		if off, ok := db.wal.frames[pgno]; ok {
			return buf, db.wal.readFrame(db.name, off, pgno, buf)
		}
	}
	off := int64(pgno-1) * int64(db.pageSize)
	if off+int64(db.pageSize) > db.fileSize {
		return nil, &CorruptError{File: db.name, Page: pgno, Msg: "beyond the end of the file and not in the WAL"}
	}
	if _, err := db.f.ReadAt(buf, off); err != nil {
		return nil, fmt.Errorf("%s: page %d: %w", db.name, pgno, err)
	}
	return buf, nil
}

// visit marks pgno reached in the current scan and fails on a second visit:
// a page in two places of a b-tree (or an overflow chain) is a cycle or
// corruption, and either would make a scan read rows twice or never end.
func (db *DB) visit(pgno uint32) error {
	i, bit := pgno/64, uint64(1)<<(pgno%64)
	if int(i) >= len(db.visited) {
		return &CorruptError{File: db.name, Page: pgno, Msg: "page number out of range"}
	}
	if db.visited[i]&bit != 0 {
		return &CorruptError{File: db.name, Page: pgno, Msg: "page reached twice (a cycle in the b-tree or an overflow chain)"}
	}
	db.visited[i] |= bit
	return nil
}

func (db *DB) resetVisited() {
	n := int(db.nPages/64) + 1
	if cap(db.visited) < n {
		db.visited = make([]uint64, n)
		return
	}
	db.visited = db.visited[:n]
	clear(db.visited)
}
