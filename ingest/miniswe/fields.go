package miniswe

import (
	"fmt"
	"strconv"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest/internal/fjson"
)

// gofields reads typed fields as encoding/json fills the reader's structs
// and keeps the first error in encoding/json's words ("json: cannot
// unmarshal number into Go struct field extra.cost of type float64"), the
// detail this reader has always given. A missing field or null is the
// zero value (nil for a pointer).
type gofields struct{ err error }

func (g *gofields) fail(v *fastjson.Value, literal bool, field, typ string) {
	if g.err != nil {
		return
	}
	what := fjson.Kind(v)
	if literal {
		what += " " + string(v.MarshalTo(nil))
	}
	g.err = fmt.Errorf("json: cannot unmarshal %s into Go struct field %s of type %s", what, field, typ)
}

func (g *gofields) str(v *fastjson.Value, field string) *string {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeString:
		s := fjson.Text(v.GetStringBytes())
		return &s
	}
	g.fail(v, false, field, "string")
	return nil
}

func (g *gofields) float(v *fastjson.Value, field string) *float64 {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeNumber:
		x, err := strconv.ParseFloat(string(v.MarshalTo(nil)), 64)
		if err != nil {
			g.fail(v, true, field, "float64")
			return nil
		}
		return &x
	}
	g.fail(v, false, field, "float64")
	return nil
}

func (g *gofields) int(v *fastjson.Value, field string) *int64 {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeNumber:
		x, err := strconv.ParseInt(string(v.MarshalTo(nil)), 10, 64)
		if err != nil {
			g.fail(v, true, field, "int64")
			return nil
		}
		return &x
	}
	g.fail(v, false, field, "int64")
	return nil
}

// set stores a string field; null and wrong types leave it.
func set(dst *string, p *string) {
	if p != nil {
		*dst = *p
	}
}

func decodeMessage(o *fastjson.Object) (m message, err error) {
	var g gofields
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "role":
			set(&m.Role, g.str(v, "message.role"))
		case "tool_call_id":
			set(&m.ToolCallID, g.str(v, "message.tool_call_id"))
		case "extra":
			m.Extra = v
		}
	})
	return m, g.err
}

func decodeExtra(v *fastjson.Value) (x extra, err error) {
	o, oerr := v.Object()
	if oerr != nil {
		return x, fmt.Errorf("json: cannot unmarshal %s into Go value of type miniswe.extra", fjson.Kind(v))
	}
	var g gofields
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "response":
			x.Response = v
		case "cost":
			x.Cost = g.float(v, "extra.cost")
		case "timestamp":
			x.Timestamp = g.float(v, "extra.timestamp")
		case "returncode":
			x.ReturnCode = g.int(v, "extra.returncode")
		case "exception_info":
			set(&x.Exception, g.str(v, "extra.exception_info"))
		case "raw_output":
			x.RawOutput = g.str(v, "extra.raw_output")
		case "actions":
			x.Actions = nil
			switch v.Type() {
			case fastjson.TypeNull:
				return
			case fastjson.TypeArray:
			default:
				g.fail(v, false, "extra.actions", "[]miniswe.action")
				return
			}
			arr := v.GetArray()
			x.Actions = make([]action, len(arr))
			for i, e := range arr {
				switch e.Type() {
				case fastjson.TypeNull:
					continue
				case fastjson.TypeObject:
				default:
					g.fail(e, false, "extra.actions", "miniswe.action")
					continue
				}
				a := &x.Actions[i]
				e.GetObject().Visit(func(k []byte, v *fastjson.Value) {
					switch string(k) {
					case "command":
						set(&a.Command, g.str(v, "action.actions.command"))
					case "tool_call_id":
						set(&a.ToolCallID, g.str(v, "action.actions.tool_call_id"))
					}
				})
			}
		}
	})
	return x, g.err
}

func decodeResponse(o *fastjson.Object) (r response, err error) {
	var g gofields
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "id":
			set(&r.ID, g.str(v, "response.id"))
		case "model":
			set(&r.Model, g.str(v, "response.model"))
		case "usage":
			r.Usage = v
		}
	})
	return r, g.err
}
