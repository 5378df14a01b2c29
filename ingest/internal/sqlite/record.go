package sqlite

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Type is a value's storage class.
type Type uint8

const (
	Null Type = iota
	Integer
	Float
	Text
	Blob
)

// Value is one column of a row. Bytes holds TEXT (UTF-8, converted from a
// UTF-16 database) and BLOB values.
type Value struct {
	Type  Type
	Int   int64
	Float float64
	Bytes []byte
}

// String renders the value as text: TEXT as is, numbers in decimal, NULL
// as "".
func (v Value) String() string {
	switch v.Type {
	case Integer:
		return strconv.FormatInt(v.Int, 10)
	case Float:
		return strconv.FormatFloat(v.Float, 'g', -1, 64)
	case Text, Blob:
		return string(v.Bytes)
	}
	return ""
}

// ErrMalformedRecord is a row's error when its record cannot be decoded.
var ErrMalformedRecord = errors.New("malformed record")

// maxColumns bounds a record's columns (SQLite's default limit is 2000).
const maxColumns = 32767

// decodeRecord decodes a record (header of serial types, then the values)
// into vals, appending; on an error vals holds the values before the fault.
func (db *DB) decodeRecord(p []byte, vals []Value) ([]Value, error) {
	hsize, k := varint(p)
	if k == 0 || hsize < uint64(k) || hsize > uint64(len(p)) {
		return vals, ErrMalformedRecord
	}
	h, body := k, int(hsize)
	for h < int(hsize) {
		st, k := varint(p[h:hsize])
		if k == 0 {
			return vals, ErrMalformedRecord
		}
		h += k
		if len(vals) >= maxColumns {
			return vals, ErrMalformedRecord
		}
		var n uint64
		var v Value
		switch {
		case st == 0:
		case st <= 6:
			n = [...]uint64{0, 1, 2, 3, 4, 6, 8}[st]
			v.Type = Integer
		case st == 7:
			n, v.Type = 8, Float
		case st == 8 || st == 9:
			v.Type, v.Int = Integer, int64(st-8)
		case st == 10 || st == 11:
			return vals, ErrMalformedRecord
		default:
			n = (st - 12) / 2
			v.Type = Blob
			if st%2 == 1 {
				v.Type = Text
			}
		}
		if n > uint64(len(p)-body) {
			return vals, ErrMalformedRecord
		}
		b := p[body : body+int(n)]
		body += int(n)
		switch v.Type {
		case Integer:
			if n > 0 {
				v.Int = bigEndianInt(b)
			}
		case Float:
			v.Float = math.Float64frombits(binary.BigEndian.Uint64(b))
		case Text:
			v.Bytes = db.utf8(b)
		case Blob:
			v.Bytes = b
		}
		vals = append(vals, v)
	}
	return vals, nil
}

// bigEndianInt reads a big-endian two's-complement integer of 1 to 8 bytes.
func bigEndianInt(b []byte) int64 {
	v := int64(int8(b[0]))
	for _, c := range b[1:] {
		v = v<<8 | int64(c)
	}
	return v
}

// utf8 returns TEXT as UTF-8, converting from the database's UTF-16.
func (db *DB) utf8(b []byte) []byte {
	if db.enc != 2 && db.enc != 3 {
		return b
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if db.enc == 2 {
			u[i] = binary.LittleEndian.Uint16(b[2*i:])
		} else {
			u[i] = binary.BigEndian.Uint16(b[2*i:])
		}
	}
	out := make([]byte, 0, len(b))
	for _, r := range utf16.Decode(u) {
		out = utf8.AppendRune(out, r)
	}
	return out
}
