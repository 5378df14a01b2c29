package otel

import (
	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest/internal/jsonscan"
)

// A strict JSON parser for the lines plainJSON admits (printable ASCII,
// no \u escapes). It accepts exactly what the general decoder's
// fjson.Parse accepts on such text (json.Valid, nested at most
// fastjson.MaxDepth levels; FuzzScanner), so a line it parses needs no
// second validating pass, and it builds a flat tree the fast decoder walks. Strings, numbers and
// unescaping are the scanner core it shares with the canonical JSONL
// decoder (ingest/internal/jsonscan).

type jkind uint8

const (
	jNull jkind = iota
	jTrue
	jFalse
	jNum
	jStr
	jObj
	jArr
)

// jnode is one value. Strings keep their raw text between the quotes
// (esc says whether it holds escapes); objects and arrays index their
// children in scanner.kids (objects as key, value pairs).
type jnode struct {
	kind       jkind
	esc        bool
	raw        []byte
	first, end int32
}

// maxScanDepth is fastjson's bound, counted as fastjson counts it (every
// value, scalars too, is one level below its container), so the fast path
// and the general decoder agree on the deep input both refuse.
const maxScanDepth = fastjson.MaxDepth

type scanner struct {
	nodes []jnode
	kids  []int32
	stack []int32
	arena []byte // unescaped strings of the current value
	s     []byte
	pos   int
	depth int
}

// parse parses s, which must be one JSON value with optional white space
// around it, and returns the root's index, or ok=false. s must pass
// plainJSON: strings are not checked for control characters.
func (p *scanner) parse(s []byte) (root int32, ok bool) {
	p.nodes, p.kids, p.stack, p.arena = p.nodes[:0], p.kids[:0], p.stack[:0], p.arena[:0]
	p.s, p.pos, p.depth = s, 0, 0
	p.ws()
	root, ok = p.value()
	if !ok {
		return 0, false
	}
	p.ws()
	return root, p.pos == len(p.s)
}

func (p *scanner) ws() { p.pos = jsonscan.SkipWS(p.s, p.pos) }

func (p *scanner) add(n jnode) int32 {
	p.nodes = append(p.nodes, n)
	return int32(len(p.nodes) - 1)
}

func (p *scanner) value() (int32, bool) {
	if p.pos >= len(p.s) || p.depth >= maxScanDepth {
		return 0, false
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		raw, esc, ok := p.str()
		if !ok {
			return 0, false
		}
		return p.add(jnode{kind: jStr, raw: raw, esc: esc}), true
	case c == 't':
		return p.lit("true", jTrue)
	case c == 'f':
		return p.lit("false", jFalse)
	case c == 'n':
		return p.lit("null", jNull)
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return 0, false
}

func (p *scanner) lit(word string, k jkind) (int32, bool) {
	if !jsonscan.HasWord(p.s, p.pos, word) {
		return 0, false
	}
	p.pos += len(word)
	return p.add(jnode{kind: k}), true
}

func (p *scanner) number() (int32, bool) {
	end := jsonscan.Number(p.s, p.pos)
	if end < 0 {
		return 0, false
	}
	raw := p.s[p.pos:end]
	p.pos = end
	return p.add(jnode{kind: jNum, raw: raw}), true
}

// str scans a string at p.pos (on its opening quote) and returns the text
// between the quotes. Control characters and \u escapes decline.
func (p *scanner) str() (raw []byte, esc, ok bool) {
	end, esc, _ := jsonscan.String(p.s, p.pos)
	if end < 0 {
		return nil, false, false
	}
	raw = p.s[p.pos+1 : end-1]
	p.pos = end
	return raw, esc, true
}

func (p *scanner) object() (int32, bool) {
	if p.depth++; p.depth > maxScanDepth {
		return 0, false
	}
	p.pos++ // {
	mark := len(p.stack)
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
	} else {
		for {
			if p.pos >= len(p.s) || p.s[p.pos] != '"' {
				return 0, false
			}
			raw, esc, ok := p.str()
			if !ok {
				return 0, false
			}
			p.stack = append(p.stack, p.add(jnode{kind: jStr, raw: raw, esc: esc}))
			p.ws()
			if p.pos >= len(p.s) || p.s[p.pos] != ':' {
				return 0, false
			}
			p.pos++
			p.ws()
			v, ok := p.value()
			if !ok {
				return 0, false
			}
			p.stack = append(p.stack, v)
			p.ws()
			if p.pos >= len(p.s) {
				return 0, false
			}
			if p.s[p.pos] == ',' {
				p.pos++
				p.ws()
				continue
			}
			if p.s[p.pos] == '}' {
				p.pos++
				break
			}
			return 0, false
		}
	}
	p.depth--
	first := int32(len(p.kids))
	p.kids = append(p.kids, p.stack[mark:]...)
	p.stack = p.stack[:mark]
	return p.add(jnode{kind: jObj, first: first, end: int32(len(p.kids))}), true
}

func (p *scanner) array() (int32, bool) {
	if p.depth++; p.depth > maxScanDepth {
		return 0, false
	}
	p.pos++ // [
	mark := len(p.stack)
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == ']' {
		p.pos++
	} else {
		for {
			v, ok := p.value()
			if !ok {
				return 0, false
			}
			p.stack = append(p.stack, v)
			p.ws()
			if p.pos >= len(p.s) {
				return 0, false
			}
			if p.s[p.pos] == ',' {
				p.pos++
				p.ws()
				continue
			}
			if p.s[p.pos] == ']' {
				p.pos++
				break
			}
			return 0, false
		}
	}
	p.depth--
	first := int32(len(p.kids))
	p.kids = append(p.kids, p.stack[mark:]...)
	p.stack = p.stack[:mark]
	return p.add(jnode{kind: jArr, first: first, end: int32(len(p.kids))}), true
}

// text returns a string node's value, unescaped.
func (p *scanner) text(n *jnode) []byte {
	if !n.esc {
		return n.raw
	}
	start := len(p.arena)
	p.arena = jsonscan.Unescape(p.arena, n.raw)
	return p.arena[start:len(p.arena):len(p.arena)]
}
