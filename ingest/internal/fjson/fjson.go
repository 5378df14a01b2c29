// Package fjson holds the fastjson helpers readers share that need nothing
// of package ingest, so that fastjson stays out of ingest's exported API.
package fjson

import "github.com/valyala/fastjson"

// ScalarText renders a string, number or boolean as text.
func ScalarText(v *fastjson.Value) (string, bool) {
	switch v.Type() {
	case fastjson.TypeString:
		return string(v.GetStringBytes()), true
	case fastjson.TypeNumber:
		return string(v.MarshalTo(nil)), true
	case fastjson.TypeTrue:
		return "true", true
	case fastjson.TypeFalse:
		return "false", true
	}
	return "", false
}

// ObjectKeys lists the keys of the objects inside a JSON usage object
// (an ingest.UsageKeys).
func ObjectKeys(u *fastjson.Value) func(path ...string) []string {
	return func(path ...string) []string {
		v := u.Get(path...)
		if v == nil {
			return nil
		}
		o, err := v.Object()
		if err != nil {
			return nil
		}
		keys := []string{} // not nil: an object, if empty (ingest.UsageKeys)
		o.Visit(func(k []byte, _ *fastjson.Value) { keys = append(keys, string(k)) })
		return keys
	}
}

// String returns the text of a JSON string; false for any other type.
func String(v *fastjson.Value) (string, bool) {
	if v.Type() != fastjson.TypeString {
		return "", false
	}
	return string(v.GetStringBytes()), true
}

// StringOrNumber returns the text of an id that may be written as a string
// or a number (a number as written, so 1e3 stays "1e3"); false otherwise.
func StringOrNumber(v *fastjson.Value) (string, bool) {
	switch v.Type() {
	case fastjson.TypeString:
		return string(v.GetStringBytes()), true
	case fastjson.TypeNumber:
		return string(v.MarshalTo(nil)), true
	}
	return "", false
}
