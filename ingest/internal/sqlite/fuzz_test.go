package sqlite

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// FuzzOpen mutates whole databases and WALs (seeds written by SQLite:
// testdata/seeds, made by mkdb.py seeds) and reads every table: any
// malformed input must be an error naming the file (a CorruptError), never
// a panic, a read past the input or a scan that does not end. With fix
// set, the WAL's checksums are recomputed after mutation, so mutated
// frames are applied rather than rejected at the first checksum.
func FuzzOpen(f *testing.F) {
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	f.Add(read("testdata/seeds/seed.db"), []byte(nil), false)
	f.Add(read("testdata/seeds/seedwal.db"), read("testdata/seeds/seedwal.db-wal"), false)
	f.Add(read("testdata/seeds/seedwal.db"), read("testdata/seeds/seedwal.db-wal"), true)
	f.Fuzz(func(t *testing.T, dbb, walb []byte, fix bool) {
		if fix {
			fixWAL(walb)
		}
		var wr io.ReaderAt
		if len(walb) > 0 {
			wr = bytes.NewReader(walb)
		}
		db, err := open("fuzz.db", bytes.NewReader(dbb), int64(len(dbb)), wr, int64(len(walb)), Options{MaxRecord: 1 << 20})
		if err != nil {
			checkErr(t, err)
			return
		}
		rows := 0
		for _, name := range db.Tables() {
			err := db.Scan(name, func(r *Row) error {
				rows++
				if rows > 1<<20 {
					t.Fatalf("more rows than the input can hold")
				}
				for _, v := range r.Values {
					_ = v.String()
				}
				return nil
			})
			if err != nil {
				checkErr(t, err)
			}
		}
	})
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	var ce *CorruptError
	if errors.As(err, &ce) || strings.Contains(err.Error(), "WITHOUT ROWID") {
		if !strings.Contains(err.Error(), "fuzz.db") {
			t.Errorf("error does not name the file: %v", err)
		}
		return
	}
	t.Errorf("not a CorruptError: %v", err)
}

// fixWAL recomputes the header and frame checksums of a WAL in place.
func fixWAL(w []byte) {
	if len(w) < walHeaderSize {
		return
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if binary.BigEndian.Uint32(w) == walMagicBE {
		order = binary.BigEndian
	}
	s0, s1 := walChecksum(order, w[:24], 0, 0)
	binary.BigEndian.PutUint32(w[24:], s0)
	binary.BigEndian.PutUint32(w[28:], s1)
	ps := int(binary.BigEndian.Uint32(w[8:]))
	if ps < 512 || ps > 65536 {
		return
	}
	for off := walHeaderSize; off+walFrameHdr+ps <= len(w); off += walFrameHdr + ps {
		fr := w[off : off+walFrameHdr+ps]
		s0, s1 = walChecksum(order, fr[:8], s0, s1)
		s0, s1 = walChecksum(order, fr[walFrameHdr:], s0, s1)
		binary.BigEndian.PutUint32(fr[16:], s0)
		binary.BigEndian.PutUint32(fr[20:], s1)
	}
}
