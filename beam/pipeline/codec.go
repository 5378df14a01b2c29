package pipeline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/tokcost/tokcost/ingest"
)

// The record coder: how a record crosses the shuffle. Every record of the
// input crosses it once, so it is binary and small (JSON took most of
// the pipeline's time and memory on Prism, docs/scale.md):
//
//	uvarint  input index
//	uvarint  which fields follow (bit i: field i of recordFields is not
//	         zero; bools are in the next word instead)
//	uvarint  the bools, bit i for bool field i
//	then each field present, in recordFields order: strings as uvarint
//	length and bytes, signed integers as zig-zag varints, uint64 hashes
//	and float64 as 8 bytes little-endian, the small enums as one byte,
//	Attrs as a uvarint count and key, value strings in key order.
//
// SessionID is the element's key and File the input's name (known by its
// index), so neither is repeated in every record.

// recordFields is every ingest.Record field, in declaration order, and
// whether the coder carries it. checkRecordFields holds it against the
// type: a field added to ingest.Record and not here stops the pipeline
// from being built (a record must never lose a field silently).
var recordFields = []string{
	"ID", "SessionID", "Seq", "HasSeq", "TSNano", "DurationMS", "Kind", "Model", "Provider",
	"InputTokens", "OutputTokens", "CacheReadTokens", "CacheWriteTokens", "CacheWrite1hTokens", "ReasoningTokens",
	"AudioInputTokens", "ImageInputTokens", "AudioOutputTokens", "ImageOutputTokens",
	"Tool", "Status", "Error", "ErrorClass", "Role", "Workflow",
	"ToolArgsHash", "ToolResultHash", "ToolArgsLabel", "ToolResultBytes",
	"CostUSD", "HasCost", "ServiceTier", "WebSearchRequests", "USOnly", "Fast", "Calls", "Attrs",
	"File", "Line", "Sub", "SameUnit", "Replica",
	"TSAssumedUTC", "TSUnreadable", "ZeroOutputText", "TokensFromTotal", "UnknownUsage",
}

// checkRecordFields reports fields of ingest.Record the coder does not
// know (a field added since), or knows but the type lost.
func checkRecordFields() error {
	t := reflect.TypeFor[ingest.Record]()
	var have []string
	for i := range t.NumField() {
		have = append(have, t.Field(i).Name)
	}
	if !slices.Equal(have, recordFields) {
		return fmt.Errorf("ingest.Record has fields %v, the pipeline's record coder knows %v: update beam/pipeline/codec.go", have, recordFields)
	}
	return nil
}

// Presence bits of the non-bool fields.
const (
	pID = 1 << iota
	pSeq
	pTS
	pDur
	pKind
	pModel
	pProvider
	pIn
	pOut
	pCacheRead
	pCacheWrite
	pCacheWrite1h
	pReasoning
	pTool
	pStatus
	pError
	pClass
	pRole
	pWorkflow
	pArgsHash
	pResultHash
	pArgsLabel
	pResultBytes
	pCost
	pTier
	pWebSearch
	pCalls
	pAttrs
	pLine
	pSub
	pFromTotal
	pUnknownUsage
	pAudioIn
	pImageIn
	pAudioOut
	pImageOut
)

// Bits of the bool fields.
const (
	bHasSeq = 1 << iota
	bHasCost
	bUSOnly
	bFast
	bSameUnit
	bReplica
	bAssumedUTC
	bUnreadable
	bZeroOutput
)

// appendRecord appends r, read from input file, to b.
func appendRecord(b []byte, file int, r *ingest.Record) []byte {
	var p, bools uint64
	set := func(bit uint64, ok bool) {
		if ok {
			p |= bit
		}
	}
	set(pID, r.ID != "")
	set(pSeq, r.Seq != 0)
	set(pTS, r.TSNano != 0)
	set(pDur, r.DurationMS != 0 || math.Signbit(r.DurationMS))
	set(pKind, r.Kind != 0)
	set(pModel, r.Model != "")
	set(pProvider, r.Provider != "")
	set(pIn, r.InputTokens != 0)
	set(pOut, r.OutputTokens != 0)
	set(pCacheRead, r.CacheReadTokens != 0)
	set(pCacheWrite, r.CacheWriteTokens != 0)
	set(pCacheWrite1h, r.CacheWrite1hTokens != 0)
	set(pReasoning, r.ReasoningTokens != 0)
	set(pTool, r.Tool != "")
	set(pStatus, r.Status != 0)
	set(pError, r.Error != "")
	set(pClass, r.ErrorClass != 0)
	set(pRole, r.Role != "")
	set(pWorkflow, r.Workflow != "")
	set(pArgsHash, r.ToolArgsHash != 0)
	set(pResultHash, r.ToolResultHash != 0)
	set(pArgsLabel, r.ToolArgsLabel != "")
	set(pResultBytes, r.ToolResultBytes != 0)
	set(pCost, r.CostUSD != 0 || math.Signbit(r.CostUSD))
	set(pTier, r.ServiceTier != 0)
	set(pWebSearch, r.WebSearchRequests != 0)
	set(pCalls, r.Calls != 0)
	set(pAttrs, len(r.Attrs) > 0)
	set(pLine, r.Line != 0)
	set(pSub, r.Sub != 0)
	set(pFromTotal, r.TokensFromTotal != 0)
	set(pUnknownUsage, r.UnknownUsage != "")
	set(pAudioIn, r.AudioInputTokens != 0)
	set(pImageIn, r.ImageInputTokens != 0)
	set(pAudioOut, r.AudioOutputTokens != 0)
	set(pImageOut, r.ImageOutputTokens != 0)
	for _, x := range [...]struct {
		bit uint64
		ok  bool
	}{{bHasSeq, r.HasSeq}, {bHasCost, r.HasCost}, {bUSOnly, r.USOnly}, {bFast, r.Fast}, {bSameUnit, r.SameUnit},
		{bReplica, r.Replica}, {bAssumedUTC, r.TSAssumedUTC}, {bUnreadable, r.TSUnreadable}, {bZeroOutput, r.ZeroOutputText}} {
		if x.ok {
			bools |= x.bit
		}
	}
	b = binary.AppendUvarint(b, uint64(file))
	b = binary.AppendUvarint(b, p)
	b = binary.AppendUvarint(b, bools)
	str := func(bit uint64, s string) {
		if p&bit != 0 {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
	}
	num := func(bit uint64, v int64) {
		if p&bit != 0 {
			b = binary.AppendVarint(b, v)
		}
	}
	u64 := func(bit uint64, v uint64) {
		if p&bit != 0 {
			b = binary.LittleEndian.AppendUint64(b, v)
		}
	}
	small := func(bit uint64, v uint8) {
		if p&bit != 0 {
			b = append(b, v)
		}
	}
	str(pID, r.ID)
	num(pSeq, r.Seq)
	num(pTS, r.TSNano)
	u64(pDur, math.Float64bits(r.DurationMS))
	small(pKind, uint8(r.Kind))
	str(pModel, r.Model)
	str(pProvider, r.Provider)
	num(pIn, r.InputTokens)
	num(pOut, r.OutputTokens)
	num(pCacheRead, r.CacheReadTokens)
	num(pCacheWrite, r.CacheWriteTokens)
	num(pCacheWrite1h, r.CacheWrite1hTokens)
	num(pReasoning, r.ReasoningTokens)
	str(pTool, r.Tool)
	small(pStatus, uint8(r.Status))
	str(pError, r.Error)
	small(pClass, uint8(r.ErrorClass))
	str(pRole, r.Role)
	str(pWorkflow, r.Workflow)
	u64(pArgsHash, r.ToolArgsHash)
	u64(pResultHash, r.ToolResultHash)
	str(pArgsLabel, r.ToolArgsLabel)
	num(pResultBytes, r.ToolResultBytes)
	u64(pCost, math.Float64bits(r.CostUSD))
	small(pTier, uint8(r.ServiceTier))
	num(pWebSearch, r.WebSearchRequests)
	num(pCalls, r.Calls)
	if p&pAttrs != 0 {
		keys := make([]string, 0, len(r.Attrs))
		for k := range r.Attrs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			str(pAttrs, k)
			str(pAttrs, r.Attrs[k])
		}
	}
	num(pLine, r.Line)
	num(pSub, int64(r.Sub))
	num(pFromTotal, r.TokensFromTotal)
	str(pUnknownUsage, r.UnknownUsage)
	num(pAudioIn, r.AudioInputTokens)
	num(pImageIn, r.ImageInputTokens)
	num(pAudioOut, r.AudioOutputTokens)
	num(pImageOut, r.ImageOutputTokens)
	return b
}

var errShortRecord = errors.New("record coder: truncated or corrupt record")

// decodeRecord decodes what appendRecord wrote into r (reset first) and
// returns its input index; the caller sets SessionID and File.
func decodeRecord(b []byte, r *ingest.Record) (file int, err error) {
	*r = ingest.Record{}
	bad := false
	uv := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			bad, b = true, nil
			return 0
		}
		b = b[n:]
		return v
	}
	f := uv()
	p := uv()
	bools := uv()
	str := func(bit uint64, dst *string) {
		if p&bit == 0 || bad {
			return
		}
		n := uv()
		if bad || n > uint64(len(b)) {
			bad, b = true, nil
			return
		}
		*dst = string(b[:n])
		b = b[n:]
	}
	num := func(bit uint64) int64 {
		if p&bit == 0 || bad {
			return 0
		}
		v, n := binary.Varint(b)
		if n <= 0 {
			bad, b = true, nil
			return 0
		}
		b = b[n:]
		return v
	}
	u64 := func(bit uint64) uint64 {
		if p&bit == 0 || bad {
			return 0
		}
		if len(b) < 8 {
			bad, b = true, nil
			return 0
		}
		v := binary.LittleEndian.Uint64(b)
		b = b[8:]
		return v
	}
	small := func(bit uint64) uint8 {
		if p&bit == 0 || bad {
			return 0
		}
		if len(b) < 1 {
			bad, b = true, nil
			return 0
		}
		v := b[0]
		b = b[1:]
		return v
	}
	str(pID, &r.ID)
	r.Seq = num(pSeq)
	r.TSNano = num(pTS)
	r.DurationMS = math.Float64frombits(u64(pDur))
	r.Kind = ingest.Kind(small(pKind))
	str(pModel, &r.Model)
	str(pProvider, &r.Provider)
	r.InputTokens = num(pIn)
	r.OutputTokens = num(pOut)
	r.CacheReadTokens = num(pCacheRead)
	r.CacheWriteTokens = num(pCacheWrite)
	r.CacheWrite1hTokens = num(pCacheWrite1h)
	r.ReasoningTokens = num(pReasoning)
	str(pTool, &r.Tool)
	r.Status = ingest.Status(small(pStatus))
	str(pError, &r.Error)
	r.ErrorClass = ingest.ErrorClass(small(pClass))
	str(pRole, &r.Role)
	str(pWorkflow, &r.Workflow)
	r.ToolArgsHash = u64(pArgsHash)
	r.ToolResultHash = u64(pResultHash)
	str(pArgsLabel, &r.ToolArgsLabel)
	r.ToolResultBytes = num(pResultBytes)
	r.CostUSD = math.Float64frombits(u64(pCost))
	r.ServiceTier = ingest.ServiceTier(small(pTier))
	r.WebSearchRequests = num(pWebSearch)
	r.Calls = num(pCalls)
	if p&pAttrs != 0 && !bad {
		n := uv()
		if n > uint64(len(b)) { // each pair takes at least two bytes
			bad = true
		}
		if !bad {
			r.Attrs = make(map[string]string, n)
		}
		for ; n > 0 && !bad; n-- {
			var k, v string
			str(pAttrs, &k)
			str(pAttrs, &v)
			r.Attrs[k] = v
		}
	}
	r.Line = num(pLine)
	r.Sub = int32(num(pSub))
	r.TokensFromTotal = num(pFromTotal)
	str(pUnknownUsage, &r.UnknownUsage)
	r.AudioInputTokens = num(pAudioIn)
	r.ImageInputTokens = num(pImageIn)
	r.AudioOutputTokens = num(pAudioOut)
	r.ImageOutputTokens = num(pImageOut)
	r.HasSeq, r.HasCost, r.USOnly, r.Fast = bools&bHasSeq != 0, bools&bHasCost != 0, bools&bUSOnly != 0, bools&bFast != 0
	r.SameUnit, r.Replica = bools&bSameUnit != 0, bools&bReplica != 0
	r.TSAssumedUTC, r.TSUnreadable, r.ZeroOutputText = bools&bAssumedUTC != 0, bools&bUnreadable != 0, bools&bZeroOutput != 0
	if bad || len(b) != 0 || p >= pImageOut<<1 || bools >= bZeroOutput<<1 || f > math.MaxInt32 {
		return 0, errShortRecord
	}
	return int(f), nil
}
