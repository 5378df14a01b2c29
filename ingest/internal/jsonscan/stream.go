package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Stream walks a JSON document read from an io.Reader the way
// encoding/json's Decoder does with Token, More and Decode into a
// json.RawMessage, so a document reader keeps its structure code and its
// error texts, but hands each value's raw bytes to fastjson
// (ingest/internal/fjson) instead of decoding it by reflection.
//
// It differs from the Decoder in three decided ways:
//   - Value returns a slice of the Stream's buffer (valid until the next
//     call), not a copy, and does not decode: a number token is not parsed
//     (Decoder.Token fails on 1e999, which does not fit a float64).
//   - One value (a Value, or a string or number token) longer than max
//     bytes is an error, *TooLongError, where the Decoder buffers any size:
//     memory stays at most max plus one read buffer. The readers pass
//     --max-line-bytes (default 64 MiB), the bound of every line format.
//   - A read error other than io.EOF is returned as is, as the Decoder
//     does, but never turned into a syntax error.
//
// Validity is the standard library's: a value is accepted only when
// json.Valid accepts it, and the text of every syntax error is the one
// the Decoder gives at the same place (the invalid value is handed to a
// Decoder to word it). FuzzStream holds the two to the same tokens,
// values and errors.
type Stream struct {
	r     io.Reader
	buf   []byte
	pos   int   // next byte to scan in buf
	base  int64 // stream offset of buf[0]
	rerr  error // the reader's error, once it returned one
	max   int
	state int
	stack []int
	err   error // sticky syntax or read error, as the Decoder's
}

// The Decoder's token states, with the same meaning.
const (
	tokTop = iota
	tokArrayStart
	tokArrayValue
	tokArrayComma
	tokObjectStart
	tokObjectKey
	tokObjectColon
	tokObjectValue
	tokObjectComma
)

// TooLongError is a value longer than the Stream's bound.
type TooLongError struct{ Max int }

func (e *TooLongError) Error() string {
	return fmt.Sprintf("a JSON value longer than %d bytes (--max-line-bytes)", e.Max)
}

// NewStream reads r; limit bounds one value (at least 1 KiB is used).
func NewStream(r io.Reader, limit int) *Stream {
	return &Stream{r: r, max: max(limit, 1<<10), buf: make([]byte, 0, 8<<10)}
}

// Kind is a token's type: '{', '}', '[', ']', '"' (a string), '0' (a
// number), 't' (true or false) or 'n' (null).
type Kind byte

// Token is one token: a delimiter, or a scalar with its text.
type Token struct {
	Kind Kind
	Str  string // a string's text, unescaped as the Decoder does
}

// Delim reports whether t is the delimiter c.
func (t Token) Delim(c byte) bool { return t.Kind == Kind(c) }

// InputOffset is the stream offset of the next byte to read, as the
// Decoder's.
func (s *Stream) InputOffset() int64 { return s.base + int64(s.pos) }

// fill reads more, keeping buf[keep:]; it returns false once the reader
// has failed (s.rerr says how).
func (s *Stream) fill(keep int) bool {
	if keep > 0 {
		n := copy(s.buf, s.buf[keep:])
		s.buf = s.buf[:n]
		s.pos -= keep
		s.base += int64(keep)
	}
	if s.rerr != nil {
		return false
	}
	if cap(s.buf)-len(s.buf) < 2<<10 {
		// Grow by doubling, to at most one value's bound and a read.
		nb := make([]byte, len(s.buf), min(2*cap(s.buf), s.max+64<<10))
		copy(nb, s.buf)
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		if err != nil {
			s.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// peek skips whitespace and returns the next byte.
func (s *Stream) peek() (byte, error) {
	for {
		s.pos = SkipWS(s.buf, s.pos)
		if s.pos < len(s.buf) {
			return s.buf[s.pos], nil
		}
		if !s.fill(s.pos) {
			return 0, s.rerr
		}
	}
}

// More reports whether the current array or object has another element.
func (s *Stream) More() bool {
	c, err := s.peek()
	return err == nil && c != ']' && c != '}'
}

func (s *Stream) valueAllowed() bool {
	switch s.state {
	case tokTop, tokArrayStart, tokArrayValue, tokObjectValue:
		return true
	}
	return false
}

func (s *Stream) valueEnd() {
	switch s.state {
	case tokArrayStart, tokArrayValue:
		s.state = tokArrayComma
	case tokObjectValue:
		s.state = tokObjectComma
	}
}

func (s *Stream) syntax(msg string) error {
	return &SyntaxError{Msg: msg, Offset: s.InputOffset()}
}

// SyntaxError is a syntax error worded as the Decoder words it (a
// *json.SyntaxError cannot be built outside encoding/json).
type SyntaxError struct {
	Msg    string
	Offset int64
}

func (e *SyntaxError) Error() string { return e.Msg }

func (s *Stream) tokenError(c byte) error {
	var context string // none for tokObjectStart, as the Decoder's
	switch s.state {
	case tokTop, tokArrayStart, tokArrayValue, tokObjectValue:
		context = " looking for beginning of value"
	case tokArrayComma:
		context = " after array element"
	case tokObjectKey:
		context = " looking for beginning of object key string"
	case tokObjectColon:
		context = " after object key"
	case tokObjectComma:
		context = " after object key:value pair"
	}
	return s.syntax("invalid character " + quoteChar(c) + context)
}

// quoteChar formats c as the Decoder's error messages do.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	q := fmt.Sprintf("%q", string(rune(c)))
	return "'" + q[1:len(q)-1] + "'"
}

// Token returns the next token, as Decoder.Token: delimiters, object
// keys and scalars, with commas and colons checked and skipped.
func (s *Stream) Token() (Token, error) {
	for {
		c, err := s.peek()
		if err != nil {
			return Token{}, err
		}
		switch c {
		case '[', '{':
			if !s.valueAllowed() {
				return Token{}, s.tokenError(c)
			}
			s.pos++
			s.stack = append(s.stack, s.state)
			s.state = tokArrayStart
			if c == '{' {
				s.state = tokObjectStart
			}
			return Token{Kind: Kind(c)}, nil
		case ']', '}':
			if c == ']' && s.state != tokArrayStart && s.state != tokArrayComma ||
				c == '}' && s.state != tokObjectStart && s.state != tokObjectComma {
				return Token{}, s.tokenError(c)
			}
			s.pos++
			s.state = s.stack[len(s.stack)-1]
			s.stack = s.stack[:len(s.stack)-1]
			s.valueEnd()
			return Token{Kind: Kind(c)}, nil
		case ':':
			if s.state != tokObjectColon {
				return Token{}, s.tokenError(c)
			}
			s.pos++
			s.state = tokObjectValue
			continue
		case ',':
			switch s.state {
			case tokArrayComma:
				s.state = tokArrayValue
			case tokObjectComma:
				s.state = tokObjectKey
			default:
				return Token{}, s.tokenError(c)
			}
			s.pos++
			continue
		case '"':
			if s.state == tokObjectStart || s.state == tokObjectKey {
				old := s.state
				s.state = tokTop
				v, err := s.value()
				s.state = old
				if err != nil {
					return Token{}, err
				}
				s.state = tokObjectColon
				return Token{Kind: '"', Str: text(v)}, nil
			}
		}
		if !s.valueAllowed() {
			return Token{}, s.tokenError(c)
		}
		v, err := s.value()
		if err != nil {
			return Token{}, err
		}
		s.valueEnd()
		switch v[0] {
		case '"':
			return Token{Kind: '"', Str: text(v)}, nil
		case 't', 'f':
			return Token{Kind: 't', Str: string(v)}, nil
		case 'n':
			return Token{Kind: 'n'}, nil
		}
		return Token{Kind: '0', Str: string(v)}, nil
	}
}

// text unescapes a valid JSON string as encoding/json does (invalid
// UTF-8 and lone surrogates become U+FFFD).
func text(v []byte) string {
	if end, esc, nonASCII := String(v, 0); end == len(v) && !nonASCII {
		if !esc {
			return string(v[1 : len(v)-1])
		}
		return string(Unescape(nil, v[1:len(v)-1]))
	}
	var x string
	_ = json.Unmarshal(v, &x) // v is valid: Stream.value checked it
	return x
}

// Value returns the raw bytes of the next value, as Decode into a
// json.RawMessage (without the leading whitespace). The slice is valid
// until the next call.
func (s *Stream) Value() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	switch s.state {
	case tokArrayComma, tokObjectColon:
		c, err := s.peek()
		if err != nil {
			return nil, err
		}
		want, msg := byte(','), "expected comma after array element"
		if s.state == tokObjectColon {
			want, msg = ':', "expected colon after object key"
		}
		if c != want {
			return nil, s.syntax(msg)
		}
		s.pos++
		s.state = tokArrayValue
		if want == ':' {
			s.state = tokObjectValue
		}
	}
	if !s.valueAllowed() {
		return nil, s.syntax("not at beginning of value")
	}
	v, err := s.value()
	if err != nil {
		return nil, err
	}
	s.valueEnd()
	return v, nil
}

// value reads one whole value at s.pos (after whitespace) and checks it.
func (s *Stream) value() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	// Leading whitespace: an end of input here is io.EOF, as the
	// Decoder's (only whitespace since the value's start).
	if _, err := s.peek(); err != nil {
		if err == io.EOF {
			s.err = err
		}
		return nil, err
	}
	end, err := s.scan()
	if err != nil {
		return nil, err
	}
	v := s.buf[s.pos:end]
	if len(v) > s.max {
		return nil, s.explain(&TooLongError{Max: s.max})
	}
	if !json.Valid(v) {
		return nil, s.explain(io.EOF)
	}
	s.pos = end
	return v, nil
}

// scan finds the end of the value starting at s.pos, reading more as
// needed and keeping the value in buf. An invalid value ends at or after
// its fault, where json.Valid finds it; at the end of input the error is
// the Decoder's (unexpected EOF).
func (s *Stream) scan() (end int, err error) {
	if c := s.buf[s.pos]; c != '"' && c != '{' && c != '[' {
		return s.scanScalar()
	}
	depth, inStr := 0, false
	j := s.pos // resume point across fills
	for {
		b := s.buf
	scan:
		for ; j < len(b); j++ {
			c := b[j]
			if inStr {
				switch c {
				case '\\':
					if j+1 == len(b) {
						break scan // the escaped byte is not read yet
					}
					j++
				case '"':
					inStr = false
					if depth == 0 {
						return j + 1, nil
					}
				}
				continue
			}
			switch c {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		if j, err = s.more(j); err != nil {
			return 0, err
		}
	}
}

// more reads more of the value at s.pos, whose scan stopped at j, and
// returns j moved with the buffer. When the value cannot be read further
// (its bound, the end of input, a read error) the error is what the
// Decoder says about the bytes read, a syntax error if they hold one.
func (s *Stream) more(j int) (int, error) {
	if len(s.buf)-s.pos > s.max {
		return 0, s.explain(&TooLongError{Max: s.max})
	}
	off := s.pos
	ok := s.fill(off)
	j -= off
	if !ok {
		return 0, s.explain(s.rerr)
	}
	return j, nil
}

// scanScalar ends a number or a word (true, false, null) where the
// Decoder ends it: a number at its grammar's end, a word after its
// letters. Any other byte is a value of one byte, which json.Valid rejects.
func (s *Stream) scanScalar() (int, error) {
	j := s.pos
	for {
		for j < len(s.buf) && isScalarByte(s.buf[j]) {
			j++
		}
		if j < len(s.buf) {
			break
		}
		if len(s.buf)-s.pos > s.max {
			return 0, s.explain(&TooLongError{Max: s.max})
		}
		off := s.pos
		ok := s.fill(off)
		j -= off
		if !ok {
			if s.rerr != io.EOF {
				return 0, s.explain(s.rerr)
			}
			break // the end of input ends a number; explain words the rest
		}
	}
	if j == s.pos {
		return j + 1, nil
	}
	return scalarEnd(s.buf, s.pos, j), nil
}

func isScalarByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c >= 'A' && c <= 'Z'
}

// scalarEnd is where the Decoder ends the number or word in b[i:k]: a
// number at its grammar's end, a word after its letters. What json.Valid
// rejects is worded by explain.
func scalarEnd(b []byte, i, k int) int {
	if c := b[i]; c == '-' || c >= '0' && c <= '9' {
		if e := Number(b[:k], i); e > i {
			return e
		}
		return k
	}
	for _, w := range [...]string{"true", "false", "null"} {
		if HasWord(b[:k], i, w) {
			return i + len(w)
		}
	}
	return k
}

// explain returns the Decoder's error for the value at s.pos: the bytes
// read so far, then stop (io.EOF, a read error or *TooLongError). The
// same scanner over the same bytes fails at the same byte with the same
// message; bytes that are only an unfinished value give stop (io.EOF
// becomes io.ErrUnexpectedEOF, as in the Decoder). Every invalid value
// is scanned past its fault before explain is called.
func (s *Stream) explain(stop error) error {
	dec := json.NewDecoder(io.MultiReader(bytes.NewReader(s.buf[s.pos:]), &failing{stop}))
	var raw json.RawMessage
	err := dec.Decode(&raw)
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		s.err = &SyntaxError{Msg: syn.Error(), Offset: s.InputOffset() + syn.Offset}
	case err == nil && stop == io.EOF:
		// Not expected: json.Valid rejected what the Decoder accepts.
		s.err = s.syntax("invalid JSON value")
	case err == nil:
		s.err = stop // a whole value longer than the bound
	default:
		s.err = err // io.ErrUnexpectedEOF, the read error, *TooLongError
	}
	return s.err
}

// failing is a reader that only fails.
type failing struct{ err error }

func (f *failing) Read([]byte) (int, error) { return 0, f.err }

// Broken reports whether err says the document itself breaks off or is
// not JSON (a syntax error, the end of input inside it, a value past the
// bound) rather than that reading failed: the readers count a break as
// one invalid unit and keep what came before it.
func Broken(err error) bool {
	var syn *SyntaxError
	var long *TooLongError
	return err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &syn) || errors.As(err, &long)
}

// Reason is the Note reason of a break: "line too long" for a value past
// the bound (as the line readers say), else "malformed json".
func Reason(err error) string {
	var long *TooLongError
	if errors.As(err, &long) {
		return "line too long"
	}
	return "malformed json"
}

// Limit is the value bound a reader passes to NewStream: the source's
// --max-line-bytes, or def when unset.
func Limit(maxLine, def int) int {
	if maxLine > 0 {
		return maxLine
	}
	return def
}
