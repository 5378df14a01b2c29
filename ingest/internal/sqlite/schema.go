package sqlite

import (
	"fmt"
	"sort"
	"strings"
)

// Table is a table of the schema.
type Table struct {
	Name    string
	Root    uint32
	Columns []string // in declaration order, unquoted
	// RowidAlias is the INTEGER PRIMARY KEY column, whose value is the
	// rowid (-1: none).
	RowidAlias   int
	WithoutRowid bool
	// real marks the columns of REAL affinity, whose integral values
	// SQLite stores as integers and reads back as floats.
	real []bool
}

// Column returns the index of the named column (case-insensitive), -1 when
// the table has none.
func (t *Table) Column(name string) int {
	for i, c := range t.Columns {
		if strings.EqualFold(c, name) {
			return i
		}
	}
	return -1
}

// Table returns the named table of the schema.
func (db *DB) Table(name string) (*Table, bool) {
	t, ok := db.tables[name]
	return t, ok
}

// Tables lists the schema's tables, sorted.
func (db *DB) Tables() []string {
	out := make([]string, 0, len(db.tables))
	for n := range db.tables {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// readSchema reads sqlite_schema (the table b-tree rooted at page 1):
// type, name, tbl_name, rootpage, sql.
func (db *DB) readSchema() error {
	db.tables = map[string]*Table{}
	return db.scan(1, -1, nil, func(r *Row) error {
		if r.Err != nil {
			return &CorruptError{File: db.name, Page: r.Page, Msg: "sqlite_schema row: " + r.Err.Error()}
		}
		if r.Value(0).String() != "table" {
			return nil
		}
		name, root := r.Value(1).String(), r.Value(3)
		if root.Type != Integer || root.Int == 0 {
			return nil // a virtual table: no b-tree
		}
		if root.Int < 0 || root.Int > int64(db.nPages) {
			return &CorruptError{File: db.name, Page: r.Page, Msg: fmt.Sprintf("table %s: root page %d", name, root.Int)}
		}
		t := parseCreateTable(r.Value(4).String())
		t.Name, t.Root = name, uint32(root.Int)
		db.tables[name] = t
		return nil
	})
}

// parseCreateTable reads the column names of a CREATE TABLE statement
// (as sqlite_schema keeps it, ALTER TABLE ADD COLUMN included), its
// INTEGER PRIMARY KEY column and WITHOUT ROWID. Table constraints
// (CONSTRAINT, PRIMARY KEY(...), UNIQUE, CHECK, FOREIGN KEY) are not
// columns.
func parseCreateTable(sql string) *Table {
	t := &Table{RowidAlias: -1}
	open := strings.IndexByte(sql, '(')
	if open < 0 {
		return t
	}
	var defs []string
	depth, start, end := 0, open+1, -1
	for i := open; i < len(sql) && end < 0; i++ {
		switch c := sql[i]; c {
		case '\'', '"', '`', '[':
			closer := c
			if c == '[' {
				closer = ']'
			}
			j := strings.IndexByte(sql[i+1:], closer)
			if j < 0 {
				return t
			}
			i += j + 1
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				defs = append(defs, sql[start:i])
				end = i
			}
		case ',':
			if depth == 1 {
				defs = append(defs, sql[start:i])
				start = i + 1
			}
		}
	}
	if end < 0 {
		return t
	}
	t.WithoutRowid = strings.Contains(strings.ToUpper(strings.Join(strings.Fields(sql[end+1:]), " ")), "WITHOUT ROWID")
	types := map[string]string{}
	var tablePK []string
	for _, d := range defs {
		words := fields(d)
		if len(words) == 0 {
			continue
		}
		switch strings.ToUpper(words[0]) {
		case "CONSTRAINT", "UNIQUE", "CHECK", "FOREIGN":
			continue
		case "PRIMARY":
			if o, c := strings.IndexByte(d, '('), strings.LastIndexByte(d, ')'); o >= 0 && c > o {
				tablePK = strings.Split(d[o+1:c], ",")
			}
			continue
		}
		name := unquote(words[0])
		up := strings.ToUpper(strings.Join(words[1:], " "))
		typ := ""
		if len(words) > 1 {
			typ = strings.ToUpper(words[1])
		}
		types[strings.ToLower(name)] = typ
		if typ == "INTEGER" && strings.Contains(up, "PRIMARY KEY") && !strings.Contains(up, "PRIMARY KEY DESC") {
			t.RowidAlias = len(t.Columns)
		}
		t.Columns = append(t.Columns, name)
		t.real = append(t.real, realAffinity(typ))
	}
	if len(tablePK) == 1 {
		pk := fields(tablePK[0])
		if len(pk) > 0 && types[strings.ToLower(unquote(pk[0]))] == "INTEGER" {
			t.RowidAlias = t.Column(unquote(pk[0]))
		}
	}
	if t.WithoutRowid {
		t.RowidAlias = -1
	}
	return t
}

// realAffinity applies SQLite's affinity rules to a declared type: INT
// first (integer), then CHAR, CLOB, TEXT (text), BLOB or none, then REAL,
// FLOA, DOUB (real).
func realAffinity(typ string) bool {
	for _, s := range []string{"INT", "CHAR", "CLOB", "TEXT", "BLOB"} {
		if strings.Contains(typ, s) {
			return false
		}
	}
	return strings.Contains(typ, "REAL") || strings.Contains(typ, "FLOA") || strings.Contains(typ, "DOUB")
}

// fields splits a column definition into words, keeping quoted names whole.
func fields(s string) []string {
	var out []string
	s = strings.TrimSpace(s)
	for len(s) > 0 {
		var w string
		switch c := s[0]; c {
		case '"', '`', '\'', '[':
			closer := c
			if c == '[' {
				closer = ']'
			}
			j := strings.IndexByte(s[1:], closer)
			if j < 0 {
				w, s = s, ""
			} else {
				w, s = s[:j+2], s[j+2:]
			}
		default:
			j := strings.IndexAny(s, " \t\r\n(")
			if j == 0 {
				j = 1
			}
			if j < 0 {
				w, s = s, ""
			} else {
				w, s = s[:j], s[j:]
			}
		}
		out = append(out, w)
		s = strings.TrimLeft(s, " \t\r\n")
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 {
		switch s[0] {
		case '"', '`', '\'':
			if s[len(s)-1] == s[0] {
				return s[1 : len(s)-1]
			}
		case '[':
			if s[len(s)-1] == ']' {
				return s[1 : len(s)-1]
			}
		}
	}
	return s
}
