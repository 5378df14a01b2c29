package fjson

import "github.com/valyala/fastjson"

// Last is the value at path (a key per object level), nil when any level
// is missing or not an object. Of repeated keys the last one counts, as
// encoding/json, JSON.parse and Python's json read them (fastjson's Get
// takes the first).
func Last(v *fastjson.Value, path ...string) *fastjson.Value {
	for _, key := range path {
		if v == nil || v.Type() != fastjson.TypeObject {
			return nil
		}
		o, _ := v.Object()
		var last *fastjson.Value
		o.Visit(func(k []byte, x *fastjson.Value) {
			if string(k) == key {
				last = x
			}
		})
		v = last
	}
	return v
}

// LastKeys is ObjectKeys with Last's reading of repeated keys.
func LastKeys(u *fastjson.Value) func(path ...string) []string {
	return func(path ...string) []string {
		v := Last(u, path...)
		if v == nil || v.Type() != fastjson.TypeObject {
			return nil
		}
		o, _ := v.Object()
		keys := []string{} // not nil: an object, if empty (ingest.UsageKeys)
		o.Visit(func(k []byte, _ *fastjson.Value) { keys = append(keys, string(k)) })
		return keys
	}
}

// RawText is a scalar's text, as a reader takes a value that may be
// written either way: a string's content (invalid UTF-8 as U+FFFD), a
// number as written, true or false; "" for null, objects and arrays.
func RawText(v *fastjson.Value) string {
	if v == nil {
		return ""
	}
	switch v.Type() {
	case fastjson.TypeString:
		return Text(v.GetStringBytes())
	case fastjson.TypeNumber:
		return string(v.MarshalTo(nil))
	case fastjson.TypeTrue:
		return "true"
	case fastjson.TypeFalse:
		return "false"
	}
	return ""
}
