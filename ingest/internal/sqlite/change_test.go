package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// copySeed copies testdata/seeds/name (and its -wal) into a temp dir.
func copySeed(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, suffix := range []string{"", "-wal"} {
		data, err := os.ReadFile(filepath.Join("testdata/seeds", name+suffix))
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+suffix), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, name)
}

func scanAll(db *DB) (rows int, err error) {
	for _, n := range db.Tables() {
		if err := db.Scan(n, func(*Row) error { rows++; return nil }); err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// A checkpoint rewrites the database file under a reader: Changed says so.
func TestChangedFile(t *testing.T) {
	p := copySeed(t, "seed.db")
	db, err := OpenFile(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Changed(); err != nil {
		t.Fatalf("unchanged file reported: %v", err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	if err := db.Changed(); !errors.Is(err, ErrChanged) {
		t.Errorf("changed file: %v", err)
	}
}

// A writer that restarts the WAL (new salts) overwrites the frames a
// reader mapped: reading one is ErrChanged, never another version's page.
func TestWALRestarted(t *testing.T) {
	p := copySeed(t, "seedwal.db")
	db, err := OpenFile(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.WALFrames() == 0 {
		t.Fatal("seed WAL has no committed frames")
	}
	wal, err := os.ReadFile(p + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	for off := walHeaderSize; off+walFrameHdr <= len(wal); off += walFrameHdr + db.PageSize() {
		wal[off+8]++ // salt-1 of every frame
	}
	if err := os.WriteFile(p+"-wal", wal, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := scanAll(db); !errors.Is(err, ErrChanged) {
		t.Errorf("scan after the WAL restarted: %v", err)
	}
}

// A hot rollback journal: the file is mid-transaction.
func TestHotJournal(t *testing.T) {
	p := copySeed(t, "seed.db")
	j := append([]byte{0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7}, make([]byte, 504)...)
	if err := os.WriteFile(p+"-journal", j, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(p, Options{}); err == nil || !strings.Contains(err.Error(), "rollback journal") {
		t.Errorf("hot journal: %v", err)
	}
}

// Corruption is an error naming the file and page: a b-tree page pointing
// back at itself, and a page of an unknown type.
func TestCorruptPages(t *testing.T) {
	p := copySeed(t, "seed.db")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	db, err := OpenFile(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tab, _ := db.Table("t")
	ps := db.PageSize()
	_ = db.Close()
	root := int(tab.Root-1) * ps
	if data[root] != 0x05 {
		t.Fatalf("seed table t: root page type %#x, want an interior page (0x05)", data[root])
	}
	// The right-most child pointer (bytes 8–11 of an interior page's
	// header) made the root itself: a cycle.
	cyc := append([]byte(nil), data...)
	cyc[root+8], cyc[root+9], cyc[root+10], cyc[root+11] = byte(tab.Root>>24), byte(tab.Root>>16), byte(tab.Root>>8), byte(tab.Root)
	bad := append([]byte(nil), data...)
	bad[root] = 0x07
	for name, b := range map[string][]byte{"cycle": cyc, "type": bad} {
		q := filepath.Join(t.TempDir(), "x.db")
		if err := os.WriteFile(q, b, 0o644); err != nil {
			t.Fatal(err)
		}
		db, err := OpenFile(q, Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = scanAll(db)
		_ = db.Close()
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Page != tab.Root || !strings.Contains(err.Error(), q) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
