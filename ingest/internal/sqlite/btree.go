package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// maxDepth bounds a b-tree's depth. SQLite's own limit is 20; deeper is
// corruption (or a cycle the visited set has not met yet).
const maxDepth = 40

// ErrNoTable is returned by Scan for a table the schema does not hold.
var ErrNoTable = errors.New("no such table")

// Row is one row of a scan. Values (and their Bytes) are valid only
// during the callback. Err is set for a row that cannot be read on its
// own (ErrRecordTooLarge, a malformed record), and Values then holds only
// the leading columns that could be read (of a row too large, those in
// its page), so a caller can tell whose row it was: the scan goes on.
type Row struct {
	Rowid  int64
	Page   uint32 // the leaf page holding the row
	Values []Value
	Err    error
}

// Value returns the i-th column, NULL when the record has fewer columns
// (a column added by ALTER TABLE after the row was written).
func (r *Row) Value(i int) Value {
	if i < 0 || i >= len(r.Values) {
		return Value{}
	}
	return r.Values[i]
}

// Scan calls fn for each row of table, in rowid order. It stops at the
// first error fn returns (and returns it) or at the first malformed page.
func (db *DB) Scan(table string, fn func(*Row) error) error {
	t, ok := db.tables[table]
	if !ok {
		return fmt.Errorf("%s: %w: %s", db.name, ErrNoTable, table)
	}
	if t.WithoutRowid {
		return fmt.Errorf("%s: table %s is WITHOUT ROWID, which this reader does not read", db.name, table)
	}
	return db.scan(t.Root, t.RowidAlias, t.real, fn)
}

type level struct {
	buf      []byte
	pgno     uint32
	cells    int // offset of the cell pointer array
	n, i     int
	interior bool
	right    uint32
}

func (db *DB) scan(root uint32, alias int, real []bool, fn func(*Row) error) error {
	db.resetVisited()
	var stack []level
	var bufs [][]byte
	var ovbuf []byte
	var row Row
	corrupt := func(pgno uint32, format string, a ...any) error {
		return &CorruptError{File: db.name, Page: pgno, Msg: fmt.Sprintf(format, a...)}
	}
	push := func(pgno uint32) error {
		d := len(stack)
		if d >= maxDepth {
			return corrupt(pgno, "b-tree deeper than %d levels", maxDepth)
		}
		if err := db.visit(pgno); err != nil {
			return err
		}
		if len(bufs) <= d {
			bufs = append(bufs, nil)
		}
		buf, err := db.page(pgno, bufs[d])
		if err != nil {
			return err
		}
		bufs[d] = buf
		h := 0
		if pgno == 1 {
			h = 100
		}
		lv := level{buf: buf, pgno: pgno}
		switch buf[h] {
		case 0x0d:
			lv.cells = h + 8
		case 0x05:
			lv.cells, lv.interior = h+12, true
			lv.right = binary.BigEndian.Uint32(buf[h+8:])
		default:
			return corrupt(pgno, "page type %#x where a table b-tree page was expected", buf[h])
		}
		lv.n = int(binary.BigEndian.Uint16(buf[h+3:]))
		if lv.cells+2*lv.n > db.usable {
			return corrupt(pgno, "%d cells do not fit in the page", lv.n)
		}
		stack = append(stack, lv)
		return nil
	}
	// cell returns the offset of cell i of lv, checked to lie in the
	// page's content area with room for need bytes.
	cell := func(lv *level, i, need int) (int, error) {
		p := int(binary.BigEndian.Uint16(lv.buf[lv.cells+2*i:]))
		if p < lv.cells+2*lv.n || p+need > db.usable {
			return 0, corrupt(lv.pgno, "cell %d at offset %d, outside the cell content area", i, p)
		}
		return p, nil
	}
	if err := push(root); err != nil {
		return err
	}
	for len(stack) > 0 {
		lv := &stack[len(stack)-1]
		if lv.interior {
			var child uint32
			switch {
			case lv.i < lv.n:
				p, err := cell(lv, lv.i, 4)
				if err != nil {
					return err
				}
				child = binary.BigEndian.Uint32(lv.buf[p:])
			case lv.i == lv.n:
				child = lv.right
			default:
				stack = stack[:len(stack)-1]
				continue
			}
			lv.i++
			if err := push(child); err != nil {
				return err
			}
			continue
		}
		for ; lv.i < lv.n; lv.i++ {
			p, err := cell(lv, lv.i, 2)
			if err != nil {
				return err
			}
			size, k := varint(lv.buf[p:db.usable])
			if k == 0 {
				return corrupt(lv.pgno, "cell %d: payload size unreadable", lv.i)
			}
			p += k
			rowid, k := varint(lv.buf[p:db.usable])
			if k == 0 {
				return corrupt(lv.pgno, "cell %d: rowid unreadable", lv.i)
			}
			p += k
			row = Row{Rowid: int64(rowid), Page: lv.pgno, Values: row.Values[:0]}
			local := db.localSize(size)
			if size > uint64(db.maxRecord) {
				// The row fails alone; its overflow pages are not read.
				row.Err = fmt.Errorf("%w: %d bytes, limit %d", ErrRecordTooLarge, size, db.maxRecord)
				if local < int(size) && p+local <= db.usable {
					row.Values, _ = db.decodeRecord(lv.buf[p:p+local], row.Values)
				}
				if err := fn(&row); err != nil {
					return err
				}
				continue
			}
			var payload []byte
			if uint64(local) == size {
				if p+local > db.usable {
					return corrupt(lv.pgno, "cell %d: payload of %d bytes runs past the page", lv.i, size)
				}
				payload = lv.buf[p : p+local]
			} else {
				if p+local+4 > db.usable {
					return corrupt(lv.pgno, "cell %d: payload of %d bytes runs past the page", lv.i, size)
				}
				if need := (size - uint64(local) + uint64(db.usable) - 5) / uint64(db.usable-4); need >= uint64(db.nPages) {
					return corrupt(lv.pgno, "cell %d: payload of %d bytes needs %d overflow pages, more than the database holds", lv.i, size, need)
				}
				if cap(db.payload) < int(size) {
					db.payload = make([]byte, size)
				}
				payload = db.payload[:size]
				copy(payload, lv.buf[p:p+local])
				next := binary.BigEndian.Uint32(lv.buf[p+local:])
				// The chain is exactly as long as the payload needs, so a
				// cycle cannot make this loop run on; visit catches a page
				// shared with another chain or the tree.
				for done := local; done < len(payload); {
					if next == 0 {
						return corrupt(lv.pgno, "cell %d: overflow chain ends after %d of %d bytes", lv.i, done, size)
					}
					if err := db.visit(next); err != nil {
						return err
					}
					ov, err := db.page(next, ovbuf)
					if err != nil {
						return err
					}
					ovbuf = ov
					done += copy(payload[done:], ov[4:db.usable])
					next = binary.BigEndian.Uint32(ov)
				}
			}
			vals, err := db.decodeRecord(payload, row.Values)
			row.Values = vals
			if err != nil {
				row.Err = err // Values: the columns before the fault
			} else {
				if alias >= 0 && alias < len(vals) && vals[alias].Type == Null {
					vals[alias] = Value{Type: Integer, Int: row.Rowid}
				}
				for i, r := range real {
					if r && i < len(vals) && vals[i].Type == Integer && i != alias {
						vals[i] = Value{Type: Float, Float: float64(vals[i].Int)}
					}
				}
			}
			if err := fn(&row); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
	}
	return nil
}

// localSize is how much of a table-leaf payload of size bytes is stored in
// the cell itself; the rest is in overflow pages (SQLite file format,
// "B-tree Cell Format").
func (db *DB) localSize(size uint64) int {
	u := uint64(db.usable)
	x := u - 35
	if size <= x {
		return int(size)
	}
	m := (u-12)*32/255 - 23
	k := m + (size-m)%(u-4)
	if k <= x {
		return int(k)
	}
	return int(m)
}

// varint decodes a SQLite variable-length integer (1 to 9 bytes, big
// endian, 7 bits per byte, all 8 bits of the ninth); k is 0 when b ends
// first.
func varint(b []byte) (v uint64, k int) {
	for i := 0; i < 8; i++ {
		if i >= len(b) {
			return 0, 0
		}
		c := b[i]
		v = v<<7 | uint64(c&0x7f)
		if c < 0x80 {
			return v, i + 1
		}
	}
	if len(b) < 9 {
		return 0, 0
	}
	return v<<8 | uint64(b[8]), 9
}
