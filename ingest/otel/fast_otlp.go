package otel

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"unsafe"

	"github.com/tokcost/tokcost/ingest/internal/jsonutil"
)

// fastDecoder turns one OTLP/JSON value into span summaries with a strict
// scanner (jsonscan.go), without building fastjson values or the
// intermediate structs of the general decoder (reader_otlp.go). It
// declines (ok=false) every input where the two could differ: non-ASCII
// or \u escapes (the general decoder repairs invalid UTF-8), keys that
// are a known key in other case and repeated fields (both of which the
// general decoder rules on), and values of the wrong type (it reports
// those). The caller then decodes the value with the general decoder. It
// earns its keep: BenchmarkOTLP runs 1.44-1.60x faster than
// BenchmarkOTLPGeneral, the fastjson general decoder (three paired rounds,
// median 1.57x), with 2.1x fewer allocations (docs/performance.md, "JSON
// decoding"; 4.0x against the encoding/json decoder it replaced).
type fastDecoder struct {
	p      scanner
	num    []byte // the general decoder's number text, read at once
	intern map[string]string
	paths  map[[2]string]string // the general decoder's field paths
}

func newFastDecoder() *fastDecoder {
	return &fastDecoder{intern: make(map[string]string, 1024), paths: map[[2]string]string{}}
}

// str returns b as a string, shared with earlier equal strings: span
// summaries repeat names, scopes, models and session ids many times.
func (d *fastDecoder) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	if len(d.intern) >= 1<<16 {
		clear(d.intern)
	}
	s := string(b)
	d.intern[s] = s
	return s
}

// plainJSON reports whether val is printable ASCII (no byte < 0x20 or
// ≥ 0x80) without a \u escape: the text where the fast scanner and the
// general decoder agree on every string's value.
func plainJSON(val []byte) bool {
	const lo, hi = 0x2020202020202020, 0x8080808080808080
	i := 0
	for ; i+8 <= len(val); i += 8 {
		x := binary.LittleEndian.Uint64(val[i:])
		if ((x-lo)|x)&hi != 0 {
			return false
		}
	}
	for ; i < len(val); i++ {
		if val[i] < 0x20 || val[i] >= 0x80 {
			return false
		}
	}
	return !bytes.Contains(val, []byte(`\u`))
}

// decode appends the spans of val to out, numbered from sub 0, and reports
// whether it could decide; out is only valid when ok.
func (d *fastDecoder) decode(val []byte, file string, line int64, out []span) (_ []span, ok bool) {
	if benchNoFast || !plainJSON(val) {
		return out, false
	}
	root, ok := d.p.parse(val)
	if !ok {
		return out, false
	}
	v := d.node(root)
	start := len(out)
	switch v.kind {
	case jNull:
		return out, true
	case jObj:
	default:
		return out, false
	}
	lists, trace, ok := d.tracesLists(v, true)
	if !ok {
		return out, false
	}
	if trace != nil {
		// The general decoder reads both, then uses the inner document.
		if lists, _, ok = d.tracesLists(trace, false); !ok {
			return out, false
		}
		// Type errors in the outer lists still fail the general decoder.
		var scratch []span
		outer, _, _ := d.tracesLists(v, true)
		for _, l := range outer {
			for _, rs := range l {
				if scratch, ok = d.resourceSpans(d.node(rs), file, line, 0, scratch[:0]); !ok {
					return out, false
				}
			}
		}
	}
	sub := int32(0)
	for _, l := range lists {
		for _, rs := range l {
			if out, ok = d.resourceSpans(d.node(rs), file, line, sub, out); !ok {
				return out[:start], false
			}
			sub = int32(len(out) - start)
		}
	}
	return out, true
}

func (d *fastDecoder) node(i int32) *jnode { return &d.p.nodes[i] }

// fields walks an object's members. fn returns whether the value of the
// field the key names (its index in known) was acceptable. Unknown keys
// that fold to a known one, and known keys given twice, decline.
func (d *fastDecoder) fields(v *jnode, known []string, fn func(i int, v *jnode) bool) bool {
	if v.kind != jObj {
		return false
	}
	var seen uint32
	kids := d.p.kids[v.first:v.end]
	for m := 0; m < len(kids); m += 2 {
		k := d.p.text(d.node(kids[m]))
		fv := d.node(kids[m+1])
		i := slices.Index(known, string(k))
		if i < 0 {
			for _, name := range known {
				if strings.EqualFold(string(k), name) {
					return false
				}
			}
			continue
		}
		if seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
		if !fn(i, fv) {
			return false
		}
	}
	return true
}

// list returns the elements of an array (nil for null); ok=false for other types.
func (d *fastDecoder) list(v *jnode) ([]int32, bool) {
	switch v.kind {
	case jNull:
		return nil, true
	case jArr:
		return d.p.kids[v.first:v.end], true
	}
	return nil, false
}

// objOrNull reports whether v may decode into a struct.
func objOrNull(v *jnode) bool { return v.kind == jObj || v.kind == jNull }

// strField reads a Go string field: a string, or null (no change).
func (d *fastDecoder) strField(v *jnode, dst *[]byte) bool {
	switch v.kind {
	case jNull:
		return true
	case jStr:
		*dst = d.p.text(v)
		if *dst == nil {
			*dst = []byte{}
		}
		return true
	}
	return false
}

var tracesKeys = []string{"resourceSpans", "resource_spans", "batches", "trace"}

// tracesLists returns the three resourceSpans lists of a TracesData object
// and its "trace" member; allowTrace=false declines a nested one.
func (d *fastDecoder) tracesLists(v *jnode, allowTrace bool) (lists [3][]int32, trace *jnode, ok bool) {
	ok = d.fields(v, tracesKeys, func(i int, fv *jnode) bool {
		if i == 3 {
			switch fv.kind {
			case jNull:
				trace = nil
				return true
			case jObj:
				trace = fv
				return allowTrace
			}
			return false
		}
		var ok bool
		lists[i], ok = d.list(fv)
		return ok
	})
	return lists, trace, ok
}

var (
	rsKeys       = []string{"resource", "scopeSpans", "scope_spans", "instrumentationLibrarySpans", "instrumentation_library_spans"}
	resourceKeys = []string{"attributes"}
	ssKeys       = []string{"scope", "instrumentationLibrary", "spans"}
	spanKeys     = []string{"traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id", "name",
		"startTimeUnixNano", "start_time_unix_nano", "endTimeUnixNano", "end_time_unix_nano", "attributes", "status"}
	statusKeys = []string{"code", "message"}
	kvKeys     = []string{"key", "value"}
	valueKeys  = []string{"stringValue", "string_value", "intValue", "int_value", "doubleValue", "double_value", "boolValue", "bool_value"}
)

func (d *fastDecoder) resourceSpans(rs *jnode, file string, line int64, sub int32, out []span) ([]span, bool) {
	if !objOrNull(rs) {
		return out, false
	}
	if rs.kind == jNull {
		return out, true
	}
	var res span
	var ssLists [4][]int32
	var resAttrs []int32
	ok := d.fields(rs, rsKeys, func(i int, fv *jnode) bool {
		if i == 0 {
			if !objOrNull(fv) {
				return false
			}
			if fv.kind == jNull {
				return true
			}
			return d.fields(fv, resourceKeys, func(_ int, av *jnode) bool {
				var ok bool
				resAttrs, ok = d.list(av)
				return ok
			})
		}
		var ok bool
		ssLists[i-1], ok = d.list(fv)
		return ok
	})
	if !ok {
		return out, false
	}
	for _, kv := range resAttrs {
		key, val, ok := d.keyValue(d.node(kv))
		if !ok {
			return out, false
		}
		res.setResourceAttr(key, val)
	}
	for _, l := range ssLists {
		for _, ss := range l {
			if out, ok = d.scopeSpans(d.node(ss), &res, file, line, &sub, out); !ok {
				return out, false
			}
		}
	}
	return out, true
}

func (d *fastDecoder) scopeName(v *jnode, dst *[]byte) bool {
	if !objOrNull(v) {
		return false
	}
	if v.kind == jNull {
		return true
	}
	return d.fields(v, nameKeys, func(_ int, fv *jnode) bool { return d.strField(fv, dst) })
}

func (d *fastDecoder) scopeSpans(ss *jnode, res *span, file string, line int64, sub *int32, out []span) ([]span, bool) {
	if !objOrNull(ss) {
		return out, false
	}
	if ss.kind == jNull {
		return out, true
	}
	var scope, lib []byte
	var spans []int32
	ok := d.fields(ss, ssKeys, func(i int, fv *jnode) bool {
		switch i {
		case 0:
			return d.scopeName(fv, &scope)
		case 1:
			return d.scopeName(fv, &lib)
		}
		var ok bool
		spans, ok = d.list(fv)
		return ok
	})
	if !ok {
		return out, false
	}
	scopeName := d.str(scope)
	if scopeName == "" {
		scopeName = d.str(lib)
	}
	for _, si := range spans {
		sv := d.node(si)
		if !objOrNull(sv) {
			return out, false
		}
		var f [10][]byte // ids, name
		var raw [4]*jnode
		var attrs []int32
		var code *jnode
		var msg []byte
		if sv.kind == jObj {
			ok := d.fields(sv, spanKeys, func(i int, fv *jnode) bool {
				switch {
				case i <= 6:
					return d.strField(fv, &f[i])
				case i <= 10:
					raw[i-7] = fv
					return true
				case i == 11:
					var ok bool
					attrs, ok = d.list(fv)
					return ok
				}
				if !objOrNull(fv) {
					return false
				}
				if fv.kind == jNull {
					return true
				}
				return d.fields(fv, statusKeys, func(j int, sv *jnode) bool {
					if j == 0 {
						code = sv
						return true
					}
					return d.strField(sv, &msg)
				})
			})
			if !ok {
				return out, false
			}
		}
		out = append(out, span{
			traceID:        normID(d.str(orB(f[0], f[1]))),
			spanID:         normID(string(orB(f[2], f[3]))),
			parentID:       normID(d.str(orB(f[4], f[5]))),
			name:           d.str(f[6]),
			scope:          scopeName,
			resSession:     res.resSession,
			resSessionPrio: res.resSessionPrio,
			service:        res.service,
			file:           file,
			line:           line,
			sub:            *sub,
		})
		s := &out[len(out)-1]
		s.start, _ = jsonutil.ParseInt(d.tmpText(orV(raw[0], raw[1])))
		s.end, _ = jsonutil.ParseInt(d.tmpText(orV(raw[2], raw[3])))
		for _, kv := range attrs {
			key, val, ok := d.keyValue(d.node(kv))
			if !ok {
				return out, false
			}
			s.setAttr(key, val)
		}
		if code != nil {
			t := d.rawText(code)
			if t == "2" || t == "STATUS_CODE_ERROR" || strings.EqualFold(t, "error") {
				s.statusErr = true
			}
		}
		if len(msg) > 0 {
			s.statusMsg = d.str(msg)
		}
		*sub++
	}
	return out, true
}

func orB(a, b []byte) []byte {
	if len(a) > 0 {
		return a
	}
	return b
}

func orV(a, b *jnode) *jnode {
	if a != nil {
		return a
	}
	return b
}

// rawText is jsonutil.RawText for a parsed value: a string unquoted, a
// number or bool as written, "" for null, objects and arrays.
func (d *fastDecoder) rawText(v *jnode) string {
	if v == nil {
		return ""
	}
	switch v.kind {
	case jStr:
		b := d.p.text(v)
		return d.str(b)
	case jNum:
		return d.str(v.raw)
	case jTrue:
		return "true"
	case jFalse:
		return "false"
	}
	return ""
}

// tmpText is rawText for a value read at once and not kept.
func (d *fastDecoder) tmpText(v *jnode) string {
	if v == nil {
		return ""
	}
	switch v.kind {
	case jStr:
		b := d.p.text(v)
		return unsafe.String(unsafe.SliceData(b), len(b))
	case jNum:
		return unsafe.String(unsafe.SliceData(v.raw), len(v.raw))
	}
	return d.rawText(v)
}

// keyValue reads one attribute as anyValue.text does.
func (d *fastDecoder) keyValue(kv *jnode) (key, val string, ok bool) {
	if !objOrNull(kv) {
		return "", "", false
	}
	if kv.kind == jNull {
		return "", "", true
	}
	var k []byte
	var vals [8]*jnode
	ok = d.fields(kv, kvKeys, func(i int, fv *jnode) bool {
		if i == 0 {
			return d.strField(fv, &k)
		}
		if !objOrNull(fv) {
			return false
		}
		if fv.kind == jNull {
			return true
		}
		return d.fields(fv, valueKeys, func(j int, x *jnode) bool {
			vals[j] = x
			return true
		})
	})
	if !ok {
		return "", "", false
	}
	key = d.str(k)
	for _, x := range vals {
		if x != nil {
			return key, d.valueText(key, x), true
		}
	}
	return key, "", true
}

// valueText is rawText, without interning values that are parsed at once
// (token counts) or unique to a span (response ids).
func (d *fastDecoder) valueText(key string, x *jnode) string {
	if _, ok := tokenAttrs[key]; ok {
		return d.tmpText(x)
	}
	if key == "gen_ai.response.id" && x.kind == jStr {
		b := d.p.text(x)
		return string(b)
	}
	return d.rawText(x)
}
