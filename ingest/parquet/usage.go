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
			return val{cl: clString}
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
// rules (docs/format.md): Anthropic's, recognised by a non-null cache
// field, has an input count exclusive of the cache, so the cache counts are
// added; OpenAI's (Chat Completions or Responses) is already inclusive.
func fillUsage(r *ingest.Record, get func(path ...string) val) *ingest.FieldError {
	var ferr *ingest.FieldError
	pick := func(dst *int64, paths ...[]string) {
		for _, p := range paths {
			if ferr != nil {
				return
			}
			v := get(p...)
			if v.cl == clNull {
				continue
			}
			*dst, ferr = tokenVal("usage."+strings.Join(p, "."), v)
			return
		}
	}
	if get("cache_creation_input_tokens").cl != clNull || get("cache_read_input_tokens").cl != clNull {
		var in, cw, cr, cw1h int64
		pick(&in, []string{"input_tokens"})
		pick(&cw, []string{"cache_creation_input_tokens"})
		pick(&cr, []string{"cache_read_input_tokens"})
		pick(&cw1h, []string{"cache_creation", "ephemeral_1h_input_tokens"})
		pick(&r.OutputTokens, []string{"output_tokens"})
		r.InputTokens = in + cw + cr
		r.CacheWriteTokens, r.CacheReadTokens, r.CacheWrite1hTokens = cw, cr, cw1h
		return ferr
	}
	pick(&r.InputTokens, []string{"prompt_tokens"}, []string{"input_tokens"})
	pick(&r.OutputTokens, []string{"completion_tokens"}, []string{"output_tokens"})
	pick(&r.CacheReadTokens, []string{"prompt_tokens_details", "cached_tokens"}, []string{"input_tokens_details", "cached_tokens"})
	pick(&r.ReasoningTokens, []string{"completion_tokens_details", "reasoning_tokens"}, []string{"output_tokens_details", "reasoning_tokens"})
	return ferr
}
