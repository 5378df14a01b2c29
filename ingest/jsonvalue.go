package ingest

import "github.com/valyala/fastjson"

// Helpers for readers that map fastjson values onto canonical fields (the
// canonical JSONL reader and the --map reader share them).

// JSONString reads a JSON string field.
func JSONString(v *fastjson.Value, field string) (string, *FieldError) { return str(v, field) }

// JSONStringOrNumber reads an id that may be written as a string or a number.
func JSONStringOrNumber(v *fastjson.Value, field string) (string, *FieldError) {
	return stringOrNumber(v, field)
}

// JSONScalarText renders a string, number or boolean as text.
func JSONScalarText(v *fastjson.Value) (string, bool) { return scalarText(v) }

// Shorten keeps messages readable when a line holds megabytes.
func Shorten(s string) string { return shorten(s) }

// TokenField points at the record field a canonical *_tokens name names
// (reasoning_tokens for any other name).
func TokenField(r *Record, name string) *int64 { return tokenField(r, name) }
