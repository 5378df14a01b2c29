package ingest

import (
	"encoding/binary"
	"unicode/utf8"
	"unsafe"

	"github.com/tokcost/tokcost/ingest/internal/jsonscan"
	"github.com/valyala/fastjson/fastfloat"

	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

// fastDecoder decodes the common shape of a canonical line — one flat
// object of plain ASCII keys and scalar values, with simple escapes and
// UTF-8 in values — in one pass, without building a parse tree and without
// allocating for strings it has seen recently. It vouches only for lines it
// fully understands that are valid records: anything else (\u escapes,
// nested values such as usage, a non-strict number, any field error) makes
// it return false, and the general decoder, which owns every error
// message, decodes the line again. The differential fuzz test holds the
// two to the same records. It earns its keep: 283 M instructions for the
// 2,000-session bench input against 1,072 M for the general decoder
// (BenchmarkDecoderFast, BenchmarkDecoderGeneral; docs/performance.md).
type fastDecoder struct {
	strs    [1024]string // direct-mapped cache of recent string values
	scratch []byte       // an unescaped value
	// nullKeys are the line's unknown keys with a null value (no
	// attribute), kept to notice a duplicate key.
	nullKeys [][]byte
	dates    dateCache // the last date a timestamp had
	// borrowIDs lets Record.ID alias the line: the sink keeps only a hash
	// (BorrowsIDs), and ids are unique, so copying each is pure waste.
	borrowIDs bool
	// num is the value of the number being decoded when numExact: an
	// integer of at most 15 digits, parsed as it was scanned.
	num      float64
	numExact bool
	// next predicts a line's keys: next[f] is the key that followed a key
	// naming field f last time (next[fLineStart] the first key).
	// Producers write the same keys in the same order, so most keys are
	// matched with three word compares instead of scanned and looked up:
	// 283 M instructions against 392 M without (BenchmarkDecoderFastNoPredict).
	next [fLineStart + 1]keyToken
	// noPredict turns key prediction off, so BenchmarkDecoderFastNoPredict
	// can measure what it earns.
	noPredict bool
}

// keyToken is one key as it appeared, quotes and colon included
// (`"model":`), with the field it names.
type keyToken struct {
	w, m [3]uint64 // its first 24 bytes, zero-padded, and masks of the bytes it has
	n    int       // its length; 0 for none, or longer than 24 bytes
	name int
}

// learn remembers tok, a key jsonscan.Plain accepted followed by its colon.
func (t *keyToken) learn(tok []byte, name int) {
	if len(tok) > len(t.w)*8 {
		t.n = 0 // rare: not predicted
		return
	}
	var pad [24]byte
	copy(pad[:], tok)
	for j := range t.w {
		t.w[j] = binary.LittleEndian.Uint64(pad[8*j:])
		t.m[j] = byteMask(len(tok) - 8*j)
	}
	t.n, t.name = len(tok), name
}

// byteMask has the low n bytes set (none for n ≤ 0, all for n ≥ 8).
func byteMask(n int) uint64 {
	switch {
	case n <= 0:
		return 0
	case n >= 8:
		return ^uint64(0)
	}
	return 1<<(8*n) - 1
}

// match reports whether line[i:] starts with the token. The bytes are the
// ones jsonscan.Plain accepted before, so they need no new check; the 24-byte
// window must lie within the line.
func (t *keyToken) match(line []byte, i int) bool {
	if t.n == 0 || len(line)-i < 24 {
		return false
	}
	b := line[i : i+24]
	return binary.LittleEndian.Uint64(b)&t.m[0] == t.w[0] &&
		binary.LittleEndian.Uint64(b[8:])&t.m[1] == t.w[1] &&
		binary.LittleEndian.Uint64(b[16:])&t.m[2] == t.w[2]
}

// cacheHash mixes the length and the first and last eight bytes: enough to
// spread the values of one field over the cache, at a fraction of the cost
// of hashing every byte. Values that share both ends only share a slot.
func cacheHash(b []byte) uint64 {
	const k = 0x9E3779B97F4A7C15
	h := uint64(len(b)) * k
	if len(b) >= 8 {
		h ^= binary.LittleEndian.Uint64(b)
		h = (h ^ h>>29) * k
		h ^= binary.LittleEndian.Uint64(b[len(b)-8:])
	} else {
		for _, c := range b {
			h = h<<8 | uint64(c)
		}
	}
	h = (h ^ h>>32) * k
	return h ^ h>>29
}

// str returns b as a string, reusing a recent identical one: session ids,
// models, tools and errors repeat, so most values cost no allocation.
func (f *fastDecoder) str(b []byte) string {
	slot := &f.strs[cacheHash(b)&uint64(len(f.strs)-1)]
	if *slot != string(b) {
		*slot = string(b)
	}
	return *slot
}

// isScratch reports whether val is the unescape buffer, which the next
// escaped value overwrites.
func (f *fastDecoder) isScratch(val []byte) bool {
	return len(val) > 0 && len(f.scratch) > 0 && unsafe.SliceData(val) == unsafe.SliceData(f.scratch)
}

// transient views b as a string for a call that does not keep it.
func transient(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// Value kinds the fast scanner recognises.
const (
	fvString = iota
	fvNumber
	fvTrue
	fvFalse
	fvNull
)

// Canonical fields, resolved from a key or alias by fieldOf.
const (
	fUnknown = iota
	fID
	fSession
	fSeq
	fTS
	fDuration
	fKind
	fModel
	fProvider
	fInput
	fOutput
	fCacheRead
	fCacheWrite
	fCacheWrite1h
	fReasoning
	fUsage
	fTool
	fStatus
	fError
	fErrorClass
	fRole
	fWorkflow
	fCost
	fToolArgs
	fToolResult
	fServiceTier
	fRare      // audio/image token counts, fast_mode, us_only: the general decoder's
	fLineStart // not a field: where next predicts a line's first key
)

// fieldOf mirrors canonicalAliases (TestFastFieldsMatchAliases checks it);
// a switch avoids hashing every key.
func fieldOf(key string) int {
	switch key {
	case "id", "event_id":
		return fID
	case "session_id", "sessionId", "conversation_id", "conversationId":
		return fSession
	case "seq":
		return fSeq
	case "ts", "timestamp":
		return fTS
	case "duration_ms":
		return fDuration
	case "kind":
		return fKind
	case "model":
		return fModel
	case "provider":
		return fProvider
	case "input_tokens", "prompt_tokens":
		return fInput
	case "output_tokens", "completion_tokens":
		return fOutput
	case "cache_read_tokens":
		return fCacheRead
	case "cache_write_tokens":
		return fCacheWrite
	case "cache_write_1h_tokens":
		return fCacheWrite1h
	case "reasoning_tokens":
		return fReasoning
	case "usage":
		return fUsage
	case "tool", "tool_name":
		return fTool
	case "status":
		return fStatus
	case "error":
		return fError
	case "error_class":
		return fErrorClass
	case "role":
		return fRole
	case "workflow":
		return fWorkflow
	case "cost_usd":
		return fCost
	case "tool_args", "tool_input":
		return fToolArgs
	case "tool_result", "tool_output":
		return fToolResult
	case "service_tier":
		return fServiceTier
	case "audio_input_tokens", "image_input_tokens", "audio_output_tokens", "image_output_tokens", "fast_mode", "us_only":
		return fRare
	}
	return fUnknown
}

// fastNumber parses a number value as the general decoder does.
func fastNumber(kind int, val []byte) (float64, bool) {
	if kind != fvNumber {
		return 0, false
	}
	if v, ok := smallInt(val); ok {
		return v, true
	}
	v, err := fastfloat.Parse(transient(val))
	return v, err == nil
}

// smallInt parses an integer of at most 15 digits, which float64 holds
// exactly, as fastfloat.Parse would; token counts and seqs always are.
func smallInt(b []byte) (float64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -float64(n), true
	}
	return float64(n), true
}

// scanInteger is jsonscan.Number that also parses the number when it is an
// integer of at most 15 digits (token counts, seqs, durations), as
// fastNumber would: one pass instead of two.
func scanInteger(line []byte, i int) (end int, v float64, exact bool) {
	j := i
	neg := j < len(line) && line[j] == '-'
	if neg {
		j++
	}
	start := j
	var n int64
	if j < len(line) && line[j] == '0' {
		j++
	} else {
		for j < len(line) && line[j] >= '0' && line[j] <= '9' {
			n = n*10 + int64(line[j]-'0') // wraps past 18 digits: not exact then
			j++
		}
		if j == start {
			return -1, 0, false
		}
	}
	if j < len(line) && (line[j] == '.' || line[j] == 'e' || line[j] == 'E') {
		return jsonscan.Number(line, i), 0, false
	}
	if j-start > 15 {
		return j, 0, false
	}
	v = float64(n)
	if neg {
		v = -v // -0 too, as fastfloat gives
	}
	return j, v, true
}

// decode fills r from line and reports whether it did; on false r is
// garbage and the caller must decode the line with the general decoder.
func (f *fastDecoder) decode(line []byte, r *Record) bool {
	n := len(line)
	i := jsonscan.SkipWS(line, 0)
	if i == n || line[i] != '{' {
		return false
	}
	i = jsonscan.SkipWS(line, i+1)
	statusExplicit := false
	checkUTF8 := false // a value has non-ASCII bytes: the line must be UTF-8
	var seen uint32    // canonical fields met: a second one is the general decoder's to judge
	f.nullKeys = f.nullKeys[:0]
	if i < n && line[i] == '}' {
		i++
	} else {
		for prev := fLineStart; ; {
			var key []byte
			var name, end int
			if t := &f.next[prev]; !f.noPredict && t.match(line, i) {
				key, name = line[i+1:i+t.n-2], t.name
				i += t.n - 1 // at the colon
			} else {
				if i == n || line[i] != '"' {
					return false
				}
				if end = jsonscan.Plain(line, i); end < 0 {
					return false
				}
				key = line[i+1 : end-1]
				name = fieldOf(transient(key))
				// Compact JSON has no whitespace: test for that before skipping.
				if i = end; i == n || line[i] != ':' {
					if i = jsonscan.SkipWS(line, i); i == n || line[i] != ':' {
						return false
					}
				} else {
					t.learn(line[end-len(key)-2:end+1], name)
				}
			}
			prev = name
			if name != fUnknown {
				if seen&(1<<name) != 0 {
					return false
				}
				seen |= 1 << name
			}
			if i++; i < n && line[i] <= ' ' {
				i = jsonscan.SkipWS(line, i)
			}
			if i == n {
				return false
			}
			var kind int
			var val []byte
			switch c := line[i]; {
			case c == '"':
				kind = fvString
				if end = jsonscan.Plain(line, i); end >= 0 {
					val = line[i+1 : end-1]
					break
				}
				var escaped, nonASCII bool
				if end, escaped, nonASCII = jsonscan.Escaped(line, i); end < 0 {
					return false
				}
				val = line[i+1 : end-1]
				if escaped {
					f.scratch = jsonscan.Unescape(f.scratch[:0], val)
					val = f.scratch
				}
				checkUTF8 = checkUTF8 || nonASCII
			case c == '-' || c >= '0' && c <= '9':
				end, f.num, f.numExact = scanInteger(line, i)
				if end < 0 {
					return false
				}
				kind, val = fvNumber, line[i:end]
			case jsonscan.HasWord(line, i, "true"):
				kind, end = fvTrue, i+4
			case jsonscan.HasWord(line, i, "false"):
				kind, end = fvFalse, i+5
			case jsonscan.HasWord(line, i, "null"):
				kind, end = fvNull, i+4
			default:
				return false // nested object or array, or not JSON
			}
			if !f.field(r, name, key, kind, val, &statusExplicit) {
				return false
			}
			if i = end; i < n && line[i] <= ' ' {
				i = jsonscan.SkipWS(line, i)
			}
			if i == n {
				return false
			}
			if line[i] == '}' {
				i++
				break
			}
			if line[i] != ',' {
				return false
			}
			if i++; i < n && line[i] <= ' ' {
				i = jsonscan.SkipWS(line, i)
			}
		}
	}
	if jsonscan.SkipWS(line, i) != n || checkUTF8 && !utf8.Valid(line) {
		return false
	}
	return Finish(r, statusExplicit) == nil
}

// field applies one key and value as fillRecord does.
func (f *fastDecoder) field(r *Record, name int, key []byte, kind int, val []byte, statusExplicit *bool) bool {
	if name == fUnknown {
		var s string
		switch kind {
		case fvString:
			s = f.str(val)
		case fvNumber:
			s = string(val)
		case fvTrue:
			s = "true"
		case fvFalse:
			s = "false"
		}
		if _, dup := r.Attrs[transient(key)]; dup {
			return false // a duplicate key: the general decoder rejects the line
		}
		for _, k := range f.nullKeys {
			if string(k) == transient(key) {
				return false
			}
		}
		if kind == fvNull {
			f.nullKeys = append(f.nullKeys, key) // null is no attribute
			return true
		}
		r.Attrs[string(key)] = s
		return true
	}
	if kind == fvNull {
		return true // null means absent
	}
	num := func() (float64, bool) {
		if kind == fvNumber && f.numExact {
			return f.num, true
		}
		return fastNumber(kind, val)
	}
	text := func() (string, bool) {
		if kind != fvString {
			return "", false
		}
		return f.str(val), true
	}
	var ok bool
	var ferr *FieldError
	switch name {
	case fID, fSession:
		var s string
		switch {
		case kind == fvString && name == fSession:
			s, ok = f.str(val), true
		case (kind == fvString || kind == fvNumber) && name == fID && f.borrowIDs && !f.isScratch(val):
			s, ok = transient(val), true // valid until the sink's Record returns
		case kind == fvString || kind == fvNumber:
			s, ok = string(val), true // ids are unique: caching them is waste
		}
		if name == fID {
			r.ID = s
		} else {
			r.SessionID = s
		}
	case fSeq:
		var v float64
		if v, ok = num(); ok && v == float64(int64(v)) {
			r.Seq, r.HasSeq = int64(v), true
		} else {
			ok = false
		}
	case fTS:
		switch kind {
		case fvString:
			var fast bool
			if r.TSNano, fast = f.dates.fastTime(val); !fast {
				SetTimeText(r, transient(val))
				r.TSUnreadable = r.TSUnreadable || len(val) == 0
			}
			ok = true
		case fvNumber:
			var v float64
			if v, ok = num(); ok {
				n, terr := EpochMillis(v)
				SetTime(r, n, terr)
			}
		}
	case fDuration:
		r.DurationMS, ok = num()
	case fKind:
		if kind == fvString {
			r.Kind, ferr = ParseKind(transient(val))
			ok = true
		}
	case fModel:
		r.Model, ok = text()
	case fProvider:
		r.Provider, ok = text()
	case fInput, fOutput, fCacheRead, fCacheWrite, fCacheWrite1h, fReasoning:
		var v float64
		if v, ok = num(); ok {
			var t int64
			t, ferr = TokenCount("", v)
			switch name {
			case fInput:
				r.InputTokens = t
			case fOutput:
				r.OutputTokens = t
			case fCacheRead:
				r.CacheReadTokens = t
			case fCacheWrite:
				r.CacheWriteTokens = t
			case fCacheWrite1h:
				r.CacheWrite1hTokens = t
			default:
				r.ReasoningTokens = t
			}
		}
	case fUsage, fRare:
		return false // nested, or rare: the general decoder's job
	case fTool:
		r.Tool, ok = text()
	case fStatus:
		if kind == fvString {
			r.Status, ferr = ParseStatus(transient(val))
			*statusExplicit, ok = true, true
		}
	case fError:
		ok = true
		switch kind {
		case fvString:
			r.Error = f.str(val)
		case fvNumber:
			r.Error = string(val)
		case fvTrue:
			r.Error = "true"
		case fvFalse:
			r.Error = "false"
		}
	case fErrorClass:
		if kind == fvString {
			r.ErrorClass, ferr = ParseErrorClass(transient(val))
			ok = true
		}
	case fRole:
		r.Role, ok = text()
	case fWorkflow:
		r.Workflow, ok = text()
	case fCost:
		r.CostUSD, ok = num()
		r.HasCost = ok
	case fToolArgs, fToolResult:
		// Only a string is decoded here; objects and arrays are nested
		// (the general decoder's), and a number or boolean must hash as
		// the general decoder's canonical form, so it goes there too.
		if kind == fvString {
			ok = true
			if name == fToolArgs {
				r.ToolArgsHash, r.ToolArgsLabel = toolhash.Text(transient(val)), toolhash.Label(transient(val))
			} else {
				r.ToolResultHash, r.ToolResultBytes = toolhash.Text(transient(val)), int64(len(val))
			}
		}
	case fServiceTier:
		if kind == fvString {
			r.ServiceTier, ok = ParseServiceTier(transient(val)), true
		}
	}
	return ok && ferr == nil
}
