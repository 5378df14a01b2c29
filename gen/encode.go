package gen

import (
	"strconv"
	"time"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Only '"', '\\' and control
// characters need escaping; valid UTF-8 passes through, invalid bytes become
// U+FFFD so every line stays valid JSON.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// tsFormatter writes Unix milliseconds as RFC 3339 UTC with milliseconds,
// caching the date part because records arrive in time order.
type tsFormatter struct {
	day  int64
	date []byte // "2006-01-02T"
}

func (f *tsFormatter) append(b []byte, ms int64) []byte {
	const msPerDay = 86400000
	day := ms / msPerDay
	rem := ms % msPerDay
	if rem < 0 { // floor division for times before 1970
		day--
		rem += msPerDay
	}
	if f.date == nil || day != f.day {
		f.day = day
		f.date = time.UnixMilli(day*msPerDay).UTC().AppendFormat(f.date[:0], "2006-01-02T")
	}
	b = append(b, f.date...)
	sec := rem / 1000
	b = append2(b, sec/3600)
	b = append(b, ':')
	b = append2(b, sec/60%60)
	b = append(b, ':')
	b = append2(b, sec%60)
	m := rem % 1000
	return append(b, '.', byte('0'+m/100), byte('0'+m/10%10), byte('0'+m%10), 'Z')
}

func append2(b []byte, v int64) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10))
}

// appendRecord appends one canonical JSON line for e, omitting zero and
// empty optional fields.
func appendRecord(b []byte, s *session, e *event, seq int, tf *tsFormatter) []byte {
	b = append(b, `{"id":`...)
	b = append(b, '"')
	b = append(b, s.id...)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, `","session_id":"`...)
	b = append(b, s.id...)
	b = append(b, '"')
	if !s.noSeq {
		b = append(b, `,"seq":`...)
		b = strconv.AppendInt(b, int64(seq), 10)
	}
	b = append(b, `,"ts":"`...)
	b = tf.append(b, e.ts)
	b = append(b, `","duration_ms":`...)
	b = strconv.AppendInt(b, e.dur, 10)
	if e.kind == kindLLM {
		m := &models[e.model]
		b = append(b, `,"kind":"llm","model":"`...)
		b = append(b, m.name...)
		b = append(b, `","provider":"`...)
		b = append(b, m.provider...)
		b = append(b, `","input_tokens":`...)
		b = strconv.AppendInt(b, e.in, 10)
		b = append(b, `,"output_tokens":`...)
		b = strconv.AppendInt(b, e.out, 10)
		if e.cr != 0 {
			b = append(b, `,"cache_read_tokens":`...)
			b = strconv.AppendInt(b, e.cr, 10)
		}
		if e.cw != 0 {
			b = append(b, `,"cache_write_tokens":`...)
			b = strconv.AppendInt(b, e.cw, 10)
		}
		if e.reas != 0 {
			b = append(b, `,"reasoning_tokens":`...)
			b = strconv.AppendInt(b, e.reas, 10)
		}
	} else {
		b = append(b, `,"kind":"tool","tool":`...)
		b = appendString(b, e.tool)
	}
	if e.status != statusOK { // "ok" is the default, like every zero field
		b = append(b, `,"status":"`...)
		b = append(b, statusNames[e.status]...)
		b = append(b, '"')
	}
	if e.err != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, e.err)
	}
	if e.args != "" {
		b = append(b, `,"tool_args":`...)
		b = append(b, e.args...) // JSON text already
	}
	if e.result != "" {
		b = append(b, `,"tool_result":`...)
		b = appendString(b, e.result)
	}
	if e.role != roleNone {
		b = append(b, `,"role":"`...)
		b = append(b, roleNames[e.role]...)
		b = append(b, '"')
	}
	b = append(b, `,"workflow":"`...)
	b = append(b, s.wf.name...)
	b = append(b, '"')
	if s.team != "" {
		b = append(b, `,"team":"`...)
		b = append(b, s.team...)
		b = append(b, '"')
	}
	return append(b, '}', '\n')
}
