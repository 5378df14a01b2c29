package parquet

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// class is what a column holds, independent of width and encoding: the
// reader accepts int8 as readily as uint64, and a dictionary of strings as
// a string.
type class uint8

const (
	clNull class = iota // absent (also the all-null NULL type)
	clString
	clInt
	clFloat
	clDecimal
	clBool
	clTime
	clStruct
	clMap
	clOther
)

var classNames = [...]string{"null", "string", "integer", "float", "decimal", "boolean", "timestamp", "struct", "map", "other"}

func (c class) String() string { return classNames[c] }

// classify maps an Arrow type (as pqarrow reads a Parquet column) to its class.
func classify(t arrow.DataType) class {
	switch t.ID() {
	case arrow.NULL:
		return clNull
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		return clString
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return clInt
	case arrow.FLOAT32, arrow.FLOAT64:
		return clFloat
	case arrow.DECIMAL32, arrow.DECIMAL64, arrow.DECIMAL128, arrow.DECIMAL256:
		return clDecimal
	case arrow.BOOL:
		return clBool
	case arrow.TIMESTAMP:
		return clTime
	case arrow.STRUCT:
		return clStruct
	case arrow.MAP:
		return clMap
	case arrow.DICTIONARY:
		return classify(t.(*arrow.DictionaryType).ValueType)
	}
	return clOther
}

// val is one cell. Numbers carry both an exact integer (ints) and a float
// (every numeric class), so callers validate in one place.
type val struct {
	s        string // clString; aliases Arrow memory unless owned
	i        int64  // clInt (signed), clTime (Unix ns)
	u        uint64
	f        float64 // every numeric class
	cl       class
	owned    bool
	badUTF8  bool
	unsigned bool
	b        bool
	overflow bool // clTime outside int64 nanoseconds
}

// text renders a scalar as a session attribute value; ok is false for
// values that are not string, number or boolean.
func (v val) text() (string, bool) {
	switch v.cl {
	case clString:
		if v.owned {
			return v.s, true
		}
		return string([]byte(v.s)), true
	case clInt:
		if v.unsigned {
			return strconv.FormatUint(v.u, 10), true
		}
		return strconv.FormatInt(v.i, 10), true
	case clFloat, clDecimal:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			return "", false
		}
		return strconv.FormatFloat(v.f, 'g', -1, 64), true
	case clBool:
		return strconv.FormatBool(v.b), true
	}
	return "", false
}

// owned returns the string safe to keep after the batch is released.
func (v val) ownedString() string {
	if v.owned {
		return v.s
	}
	return string([]byte(v.s))
}

// getter reads row i of one column of one batch.
type getter func(i int) val

var nullGetter getter = func(int) val { return val{} }

// makeGetter builds a getter for a scalar Arrow array; structs and maps
// return nullGetter (they are read by their own code).
func makeGetter(a arrow.Array) getter {
	nulls := a.NullN() > 0
	wrap := func(g getter) getter {
		if !nulls {
			return g
		}
		return func(i int) val {
			if a.IsNull(i) {
				return val{}
			}
			return g(i)
		}
	}
	sint := func(f func(i int) int64) getter {
		return wrap(func(i int) val { n := f(i); return val{cl: clInt, i: n, f: float64(n)} })
	}
	uint := func(f func(i int) uint64) getter {
		return wrap(func(i int) val {
			n := f(i)
			return val{cl: clInt, u: n, i: int64(n), unsigned: true, f: float64(n), overflow: n > math.MaxInt64}
		})
	}
	switch a := a.(type) {
	case *array.String:
		return wrap(func(i int) val { return val{cl: clString, s: a.Value(i)} })
	case *array.LargeString:
		return wrap(func(i int) val { return val{cl: clString, s: a.Value(i)} })
	case *array.Binary:
		// Binary without a UTF8 annotation: accepted as text when valid.
		return wrap(func(i int) val { s := a.ValueString(i); return val{cl: clString, s: s, badUTF8: !utf8.ValidString(s)} })
	case *array.LargeBinary:
		return wrap(func(i int) val { s := a.ValueString(i); return val{cl: clString, s: s, badUTF8: !utf8.ValidString(s)} })
	case *array.Dictionary:
		return wrap(dictGetter(a))
	case *array.Int8:
		return sint(func(i int) int64 { return int64(a.Value(i)) })
	case *array.Int16:
		return sint(func(i int) int64 { return int64(a.Value(i)) })
	case *array.Int32:
		return sint(func(i int) int64 { return int64(a.Value(i)) })
	case *array.Int64:
		return sint(func(i int) int64 { return a.Value(i) })
	case *array.Uint8:
		return uint(func(i int) uint64 { return uint64(a.Value(i)) })
	case *array.Uint16:
		return uint(func(i int) uint64 { return uint64(a.Value(i)) })
	case *array.Uint32:
		return uint(func(i int) uint64 { return uint64(a.Value(i)) })
	case *array.Uint64:
		return uint(func(i int) uint64 { return a.Value(i) })
	case *array.Float32:
		return wrap(func(i int) val { return val{cl: clFloat, f: float64(a.Value(i))} })
	case *array.Float64:
		return wrap(func(i int) val { return val{cl: clFloat, f: a.Value(i)} })
	case *array.Boolean:
		return wrap(func(i int) val { return val{cl: clBool, b: a.Value(i)} })
	case *array.Timestamp:
		mult := int64(1)
		switch a.DataType().(*arrow.TimestampType).Unit {
		case arrow.Second:
			mult = 1e9
		case arrow.Millisecond:
			mult = 1e6
		case arrow.Microsecond:
			mult = 1e3
		}
		return wrap(func(i int) val {
			n := int64(a.Value(i))
			if n > math.MaxInt64/mult || n < math.MinInt64/mult {
				return val{cl: clTime, overflow: true}
			}
			return val{cl: clTime, i: n * mult}
		})
	}
	if classify(a.DataType()) == clDecimal {
		// Rare in traces (DuckDB writes DECIMAL for literals); the text
		// round trip keeps this independent of the decimal width.
		return wrap(func(i int) val {
			f, err := strconv.ParseFloat(a.ValueStr(i), 64)
			if err != nil {
				return val{cl: clDecimal, f: math.NaN()}
			}
			return val{cl: clDecimal, f: f}
		})
	}
	return nullGetter
}

// dictGetter converts each dictionary entry to a Go string once per batch,
// so a column of a few models costs a few allocations, not one per row.
func dictGetter(a *array.Dictionary) getter {
	dict := a.Dictionary()
	if classify(dict.DataType()) != clString {
		inner := makeGetter(dict) // a dictionary of numbers: no text to cache
		return func(i int) val {
			j := a.GetValueIndex(i)
			if j < 0 || j >= dict.Len() {
				return val{}
			}
			return inner(j)
		}
	}
	cache := make([]string, dict.Len())
	state := make([]uint8, dict.Len()) // 0 unread, 1 valid utf-8, 2 invalid
	text := func(j int) string {
		switch d := dict.(type) {
		case *array.String:
			return d.Value(j)
		case *array.LargeString:
			return d.Value(j)
		case *array.Binary:
			return d.ValueString(j)
		case *array.LargeBinary:
			return d.ValueString(j)
		}
		return ""
	}
	return func(i int) val {
		j := a.GetValueIndex(i)
		if j < 0 || j >= len(cache) || dict.IsNull(j) {
			return val{}
		}
		if state[j] == 0 {
			cache[j] = string([]byte(text(j)))
			state[j] = 1
			if !utf8.ValidString(cache[j]) {
				state[j] = 2
			}
		}
		return val{cl: clString, s: cache[j], owned: true, badUTF8: state[j] == 2}
	}
}
