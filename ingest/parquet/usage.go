package parquet

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
)

// structNode reads a struct column (usage, and its nested details) by
// field path, row by row.
type structNode struct {
	arr  *array.Struct
	idx  map[string]int
	get  []getter
	kids []*structNode
}

func newStructNode(a *array.Struct) *structNode {
	st := a.DataType().(*arrow.StructType)
	n := &structNode{arr: a, idx: map[string]int{}, get: make([]getter, a.NumField()), kids: make([]*structNode, a.NumField())}
	for i := 0; i < a.NumField(); i++ {
		n.idx[st.Field(i).Name] = i
		if s, ok := a.Field(i).(*array.Struct); ok {
			n.kids[i] = newStructNode(s)
		} else {
			n.get[i] = makeGetter(a.Field(i))
		}
	}
	return n
}

// lookup returns the cell at path in row i; clNull when any level is
// missing or null.
func (n *structNode) lookup(i int, path ...string) val {
	for {
		if n.arr.IsNull(i) {
			return val{}
		}
		j, ok := n.idx[path[0]]
		if !ok {
			return val{}
		}
		if len(path) == 1 {
			if n.get[j] == nil {
				if n.kids[j].arr.IsNull(i) {
					return val{} // a null struct is an absent key
				}
				return val{cl: clStruct} // a struct where a number belongs
			}
			return n.get[j](i)
		}
		if n.kids[j] == nil {
			return val{}
		}
		n, path = n.kids[j], path[1:]
	}
}

// keys lists the fields of the struct at path (none: n itself) that are
// not null in row i, as ingest.UsageKeys lists an object's keys: a null
// cell is an absent key. nil when the path is not a struct or is null,
// empty but not nil for a struct whose fields are all null.
func (n *structNode) keys(i int, path ...string) []string {
	for _, p := range path {
		j, ok := n.idx[p]
		if n.arr.IsNull(i) || !ok || n.kids[j] == nil {
			return nil
		}
		n = n.kids[j]
	}
	if n.arr.IsNull(i) {
		return nil
	}
	st := n.arr.DataType().(*arrow.StructType)
	out := []string{} // not nil: a struct, if all null (ingest.UsageKeys)
	for j := range n.arr.NumField() {
		if !n.arr.Field(j).IsNull(i) { // any type: a list is a key too
			out = append(out, st.Field(j).Name)
		}
	}
	return out
}

// jsonLookup adapts a usage object stored as JSON text.
func jsonLookup(o *fastjson.Value) func(path ...string) val {
	return func(path ...string) val {
		v := o.Get(path...)
		if v == nil {
			return val{}
		}
		switch v.Type() {
		case fastjson.TypeNull:
			return val{}
		case fastjson.TypeNumber:
			f, err := v.Float64()
			if err != nil {
				return val{cl: clOther}
			}
			return val{cl: clFloat, f: f}
		case fastjson.TypeString:
			return val{cl: clString, s: string(v.GetStringBytes())}
		}
		return val{cl: clOther}
	}
}

// tokenVal validates a token count from any numeric cell.
func tokenVal(field string, v val) (int64, *ingest.FieldError) {
	switch v.cl {
	case clInt:
		if v.overflow || (!v.unsigned && v.i < 0) {
			if v.i < 0 && !v.unsigned {
				return 0, &ingest.FieldError{Reason: "negative token count", Field: field}
			}
			return 0, &ingest.FieldError{Reason: "token count too large", Field: field}
		}
		return ingest.TokenCount(field, v.f)
	case clFloat, clDecimal:
		return ingest.TokenCount(field, v.f)
	}
	return 0, &ingest.FieldError{Reason: "wrong type (want number)", Field: field}
}

// fillUsage reads a nested provider usage object with the JSONL reader's
// rules (ingest.FillUsageObject), naming as it does the token fields no
// rule reads (a foo_tokens, a mis-cased Prompt_Tokens): before, their
// counts were left out without a word.
func fillUsage(r *ingest.Record, get func(path ...string) val, keys ingest.UsageKeys) *ingest.FieldError {
	return ingest.FillUsageObject(r, func(path ...string) (int64, bool, *ingest.FieldError) {
		v := get(path...)
		if v.cl == clNull {
			return 0, false, nil
		}
		t, err := tokenVal("usage."+strings.Join(path, "."), v)
		return t, err == nil, err
	}, keys)
}

// fillUsageBilling reads the usage object's billing fields (service tier,
// speed, inference geography, web searches) with the JSONL reader's rules
// (ingest.FillUsageBilling); keys lists the usage object's keys, so that
// those it does not read are named as the JSONL reader names them.
func fillUsageBilling(r *ingest.Record, get func(path ...string) val, keys ingest.UsageKeys) *ingest.FieldError {
	return ingest.FillUsageBilling(r, func(path ...string) (string, bool, bool) {
		switch v := get(path...); {
		case v.cl == clNull:
			return "", false, false
		case v.cl != clString || v.badUTF8:
			return "", true, false
		default:
			return v.s, true, true
		}
	}, func(path ...string) (int64, bool, *ingest.FieldError) {
		v := get(path...)
		if v.cl == clNull {
			return 0, false, nil
		}
		t, err := tokenVal("usage."+strings.Join(path, "."), v)
		return t, err == nil, err
	}, keys)
}
