package fjson

import "github.com/valyala/fastjson"

// ParseValid parses a value the standard library's validator has already
// accepted (jsonscan.Stream checks every value it returns with
// json.Valid), so a document reader does not validate each element twice:
// that took mini-SWE-agent's BenchmarkDecode from 140–170 to 100–110
// CPU-ms per 20 decodes (docs/performance.md, "JSON decoding"). Only
// nesting deeper than fastjson.MaxDepth (300) fails here; detail is then
// worded as Parse words it.
func ParseValid(p *fastjson.Parser, b []byte) (v *fastjson.Value, detail string, ok bool) {
	v, err := p.ParseBytes(b)
	if err != nil {
		return nil, parseError(b, err), false
	}
	return v, "", true
}
