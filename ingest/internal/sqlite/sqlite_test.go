package sqlite

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// buildDBs runs testdata/mkdb.py once: python3's sqlite3 (the real SQLite
// library) writes the databases and dumps what it reads from them, the
// second method these tests compare against. Without python3 the tests
// skip, unless TOKCOST_REQUIRE_PYTHON=1 (set by .ci/run) makes that a
// failure.
var buildDBs = sync.OnceValues(func() (string, error) {
	py, err := exec.LookPath("python3")
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "tokcost-sqlite-")
	if err != nil {
		return "", err
	}
	out, err := exec.Command(py, "testdata/mkdb.py", dir).CombinedOutput()
	if err != nil {
		return "", errors.New(string(out))
	}
	return dir, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := buildDBs(); err == nil {
		_ = os.RemoveAll(dir) // a temp dir of this run
	}
	os.Exit(code)
}

func dbDir(t *testing.T) string {
	t.Helper()
	dir, err := buildDBs()
	if err != nil {
		if _, lookErr := exec.LookPath("python3"); lookErr != nil && os.Getenv("TOKCOST_REQUIRE_PYTHON") == "" {
			t.Skip("python3 not found: the cross-check against SQLite itself needs it (TOKCOST_REQUIRE_PYTHON=1 makes this a failure)")
		}
		t.Fatalf("building the test databases with python3: %v", err)
	}
	return dir
}

// dumpGo renders every table as mkdb.py's dump does.
func dumpGo(t *testing.T, db *DB) map[string][][2]any {
	t.Helper()
	out := map[string][][2]any{}
	for _, name := range db.Tables() {
		rows := [][2]any{}
		err := db.Scan(name, func(r *Row) error {
			if r.Err != nil {
				t.Errorf("%s rowid %d: %v", name, r.Rowid, r.Err)
				return nil
			}
			vals := [][2]string{}
			for _, v := range r.Values {
				var e [2]string
				switch v.Type {
				case Null:
					e = [2]string{"null", ""}
				case Integer:
					e = [2]string{"int", strconv.FormatInt(v.Int, 10)}
				case Float:
					var b [8]byte
					binary.BigEndian.PutUint64(b[:], math.Float64bits(v.Float))
					e = [2]string{"float", hex.EncodeToString(b[:])}
				case Text:
					e = [2]string{"text", string(v.Bytes)}
				case Blob:
					e = [2]string{"blob", hex.EncodeToString(v.Bytes)}
				}
				vals = append(vals, e)
			}
			// SELECT * lists every column of the schema: a row written
			// before ALTER TABLE ADD COLUMN has the new one as NULL.
			tab, _ := db.Table(name)
			for len(vals) < len(tab.Columns) {
				vals = append(vals, [2]string{"null", ""})
			}
			rows = append(rows, [2]any{r.Rowid, vals})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		out[name] = rows
	}
	return out
}

// TestAgainstSQLite compares every row of every table with what SQLite
// itself (python3's sqlite3) reads from the same files: many 1 KiB pages,
// overflow chains up to 150 KB, deleted rows, a column added by ALTER
// TABLE, a UTF-16 database, and a WAL holding committed transactions and
// an uncommitted tail.
func TestAgainstSQLite(t *testing.T) {
	dir := dbDir(t)
	for _, name := range []string{"plain", "utf16", "wal"} {
		t.Run(name, func(t *testing.T) {
			db, err := OpenFile(filepath.Join(dir, name+".db"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			got, err := json.Marshal(dumpGo(t, db))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			gm, wm := g.(map[string]any), w.(map[string]any)
			if len(gm) != len(wm) {
				t.Errorf("tables: got %d, want %d", len(gm), len(wm))
			}
			for tab, wrows := range wm {
				grows, _ := gm[tab].([]any)
				wr := wrows.([]any)
				if len(grows) != len(wr) {
					t.Errorf("%s: %d rows, SQLite reads %d", tab, len(grows), len(wr))
					continue
				}
				for i := range wr {
					gj, _ := json.Marshal(grows[i])
					wj, _ := json.Marshal(wr[i])
					if string(gj) != string(wj) {
						t.Errorf("%s row %d:\n got %.300s\nwant %.300s", tab, i, gj, wj)
						break
					}
				}
			}
			if name == "wal" {
				// The WAL must hold frames past the last commit (the open
				// transaction's spill), or the test proves nothing about
				// ignoring them.
				st, err := os.Stat(filepath.Join(dir, "wal.db-wal"))
				if err != nil {
					t.Fatal(err)
				}
				total := int((st.Size() - walHeaderSize) / int64(walFrameHdr+db.PageSize()))
				if db.WALFrames() == 0 || db.WALFrames() >= total {
					t.Errorf("WAL: %d committed of %d frames; want some committed and an uncommitted tail", db.WALFrames(), total)
				}
			}
		})
	}
}

// Without its WAL the database is the state before the WAL's
// transactions: the rows differ from SQLite's read with the WAL.
func TestWALApplied(t *testing.T) {
	dir := dbDir(t)
	src := filepath.Join(dir, "wal.db")
	alone := filepath.Join(t.TempDir(), "alone.db")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, data, 0o644); err != nil {
		t.Fatal(err)
	}
	count := func(p string) int {
		db, err := OpenFile(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		n := 0
		if err := db.Scan("t", func(*Row) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// mkdb.py: 400 rows checkpointed into the file, then 5 committed
	// transactions in the WAL each inserting one row.
	if a, w := count(alone), count(src); a != 400 || w != 405 {
		t.Errorf("rows without the WAL %d (want 400), with it %d (want 405)", a, w)
	}
}

func TestRecordTooLarge(t *testing.T) {
	dir := dbDir(t)
	db, err := OpenFile(filepath.Join(dir, "plain.db"), Options{MaxRecord: 10000})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var big, ok int
	err = db.Scan("t", func(r *Row) error {
		if errors.Is(r.Err, ErrRecordTooLarge) {
			big++
		} else if r.Err == nil {
			ok++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// mkdb.py writes about 3% of rows with 20,000 or 150,000 characters
	// (over 10,000 bytes); the rest are under 200 characters.
	if big == 0 || ok == 0 {
		t.Errorf("too large %d, read %d", big, ok)
	}
}

func TestParseCreateTable(t *testing.T) {
	for _, c := range []struct {
		sql   string
		cols  []string
		alias int
		wr    bool
	}{
		{"CREATE TABLE `part` (\n\t`id` text PRIMARY KEY,\n\t`message_id` text NOT NULL,\n\t`data` text NOT NULL,\n\tCONSTRAINT `fk_part_message_id_message_id_fk` FOREIGN KEY (`message_id`) REFERENCES `message`(`id`) ON DELETE CASCADE\n)", []string{"id", "message_id", "data"}, -1, false},
		{`CREATE TABLE t (id INTEGER PRIMARY KEY, "a b" TEXT DEFAULT 'x,y', c DECIMAL(10,2))`, []string{"id", "a b", "c"}, 0, false},
		{`CREATE TABLE t (a, b INTEGER, PRIMARY KEY(b))`, []string{"a", "b"}, 1, false},
		{`CREATE TABLE t (a INTEGER PRIMARY KEY, b) WITHOUT ROWID`, []string{"a", "b"}, -1, true},
		{`CREATE TABLE [t] ([x] int, todo_pk text, CONSTRAINT todo_pk PRIMARY KEY(x, todo_pk))`, []string{"x", "todo_pk"}, -1, false},
	} {
		tab := parseCreateTable(c.sql)
		if len(tab.Columns) != len(c.cols) || tab.RowidAlias != c.alias || tab.WithoutRowid != c.wr {
			t.Errorf("%s: %+v", c.sql, tab)
			continue
		}
		for i := range c.cols {
			if tab.Columns[i] != c.cols[i] {
				t.Errorf("%s: columns %q", c.sql, tab.Columns)
			}
		}
	}
}

func TestVarint(t *testing.T) {
	for _, c := range []struct {
		b []byte
		v uint64
		k int
	}{
		{[]byte{0x05}, 5, 1},
		{[]byte{0x81, 0x00}, 128, 2}, // 1<<7
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, math.MaxUint64, 9}, // 8×7 + 8 bits, all set
		{[]byte{0x81}, 0, 0}, // cut short
	} {
		if v, k := varint(c.b); v != c.v || k != c.k {
			t.Errorf("%x: %d,%d want %d,%d", c.b, v, k, c.v, c.k)
		}
	}
}
