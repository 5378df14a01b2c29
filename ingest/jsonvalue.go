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
