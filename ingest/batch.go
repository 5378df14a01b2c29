package ingest

// Batch is rows of a canonical table handed to a sink at once, one slice
// per field (row k of the batch is index k of each): a columnar reader
// (Parquet's flat path) fills it without building a Record per row, and
// a sink that implements BatchSink stores it without a call per row.
//
// Every row of a batch is a valid record with the canonical rules
// already applied (Finish, Validate): the reader puts a row in a batch
// only when it can tell so, and sends any other row through Sink.Record,
// in input order, after the batch before it. A batch holds only what the
// common canonical row has; a row with anything else (tool-io hashes,
// billing fields, media tokens, an unreadable timestamp) is a Record.
type Batch struct {
	File string
	N    int // rows in the batch

	Line      []int64
	SessionID []string
	ID        []string
	HasSeq    []bool
	Seq       []int64
	TSNano    []int64
	// DurationMS is the step's wall time in milliseconds (0 unknown).
	DurationMS []float64
	HasCost    []bool
	CostUSD    []float64
	Kind       []Kind
	Status     []Status
	ErrorClass []ErrorClass

	Model, Provider, Tool, Role, Workflow, Error []string
	// Tokens are the input, output, cache read, cache write, 1-hour cache
	// write and reasoning counts, in that order (Record's fields of the
	// same names).
	Tokens [6][]int64
	// Attrs are the attribute columns: Attrs[j].Val[k] is row k's value
	// of attribute Attrs[j].Key when Attrs[j].Has[k].
	Attrs []BatchAttr
}

// BatchAttr is one attribute column of a Batch.
type BatchAttr struct {
	Key string
	Has []bool
	Val []string
}

// Grow makes room for n rows and empties the batch; the attribute
// columns are keys.
func (b *Batch) Grow(n int, keys []string) {
	b.N = 0
	if cap(b.Line) < n {
		b.Line, b.SessionID, b.ID = make([]int64, n), make([]string, n), make([]string, n)
		b.HasSeq, b.Seq, b.TSNano = make([]bool, n), make([]int64, n), make([]int64, n)
		b.DurationMS, b.HasCost, b.CostUSD = make([]float64, n), make([]bool, n), make([]float64, n)
		b.Kind, b.Status, b.ErrorClass = make([]Kind, n), make([]Status, n), make([]ErrorClass, n)
		b.Model, b.Provider, b.Tool = make([]string, n), make([]string, n), make([]string, n)
		b.Role, b.Workflow, b.Error = make([]string, n), make([]string, n), make([]string, n)
		for t := range b.Tokens {
			b.Tokens[t] = make([]int64, n)
		}
		b.Attrs = nil
	}
	if len(b.Attrs) != len(keys) {
		b.Attrs = make([]BatchAttr, len(keys))
	}
	for j, k := range keys {
		a := &b.Attrs[j]
		a.Key = k
		if cap(a.Has) < n {
			a.Has, a.Val = make([]bool, n), make([]string, n)
		}
	}
}

// Clear drops the batch's strings (they may alias a reader's buffers)
// and empties it.
func (b *Batch) Clear() {
	n := b.N
	clear(b.SessionID[:n])
	clear(b.ID[:n])
	for _, s := range [][]string{b.Model, b.Provider, b.Tool, b.Role, b.Workflow, b.Error} {
		clear(s[:n])
	}
	for j := range b.Attrs {
		clear(b.Attrs[j].Val[:n])
	}
	b.N = 0
}

// Record fills r with row k: what the row would have been as a record.
// It is the reference a batch sink's result must equal, and how a sink
// that takes no batches gets the rows.
func (b *Batch) Record(k int, r *Record) {
	r.Reset()
	r.File, r.Line = b.File, b.Line[k]
	r.SessionID, r.ID = b.SessionID[k], b.ID[k]
	r.HasSeq, r.Seq, r.TSNano, r.DurationMS = b.HasSeq[k], b.Seq[k], b.TSNano[k], b.DurationMS[k]
	r.HasCost, r.CostUSD = b.HasCost[k], b.CostUSD[k]
	r.Kind, r.Status, r.ErrorClass = b.Kind[k], b.Status[k], b.ErrorClass[k]
	r.Model, r.Provider, r.Tool, r.Role, r.Workflow, r.Error = b.Model[k], b.Provider[k], b.Tool[k], b.Role[k], b.Workflow[k], b.Error[k]
	r.InputTokens, r.OutputTokens, r.CacheReadTokens = b.Tokens[0][k], b.Tokens[1][k], b.Tokens[2][k]
	r.CacheWriteTokens, r.CacheWrite1hTokens, r.ReasoningTokens = b.Tokens[3][k], b.Tokens[4][k], b.Tokens[5][k]
	for j := range b.Attrs {
		if a := &b.Attrs[j]; a.Has[k] {
			if r.Attrs == nil {
				r.Attrs = map[string]string{}
			}
			r.Attrs[a.Key] = a.Val[k]
		}
	}
}

// BatchSink is a sink that also takes a batch of records at once.
// RecordBatch must leave the same result as Record with each row of b in
// turn (Batch.Record); like Record, it must copy what it keeps.
type BatchSink interface {
	Sink
	RecordBatch(b *Batch)
}

// RecordRows hands b to sink: at once when sink takes batches, else a
// record at a time through r (reused).
func RecordRows(sink Sink, b *Batch, r *Record) {
	if bs, ok := sink.(BatchSink); ok {
		bs.RecordBatch(b)
		return
	}
	for k := 0; k < b.N; k++ {
		b.Record(k, r)
		sink.Record(r)
	}
}

// Finish applies Finish's rules to row k (statusExplicit: the row named
// its status) and reports whether the row is a valid record that needs
// nothing else: false for any row Finish or Validate would refuse or
// change otherwise (an invalid row, a timestamp out of range), which the
// reader must send through Record instead, so that the one set of rules
// decides what is noted.
func (b *Batch) Finish(k int, statusExplicit bool) bool {
	in, out := b.Tokens[0][k], b.Tokens[1][k]
	for _, t := range b.Tokens {
		if t[k] < 0 || t[k] >= maxTokens {
			return false
		}
	}
	if b.SessionID[k] == "" ||
		b.Tokens[2][k]+b.Tokens[3][k] > in || b.Tokens[4][k] > b.Tokens[3][k] || b.Tokens[5][k] > out {
		return false
	}
	if c := b.CostUSD[k]; b.HasCost[k] && !(c >= 0 && c <= maxCostUSD) { // NaN fails both
		return false
	}
	if d := b.DurationMS[k]; !(d >= 0 && d <= maxDurationMS) {
		return false
	}
	if ts := b.TSNano[k]; ts < 0 || ts >= maxTSNano {
		return false
	}
	if b.Kind[k] == KindUnknown {
		if b.Tool[k] != "" && b.Model[k] == "" && in == 0 && out == 0 {
			b.Kind[k] = KindTool
		} else {
			b.Kind[k] = KindLLM
		}
	}
	errText := b.Error[k]
	if b.Status[k] == StatusOK && errText != "" && !statusExplicit {
		b.Status[k] = StatusError
	}
	if b.ErrorClass[k] == ErrorPlain && errText != "" {
		b.ErrorClass[k] = ClassifyToolError(errText)
	}
	return true
}

// Excludes reports whether every timestamp from lo to hi (Unix ns) falls
// outside w, each being a timestamp a record keeps (above 0 and before
// 2200, as Validate wants): the rows can be skipped unread. False when
// no window is set.
func (w Window) Excludes(lo, hi int64) bool {
	if (w.Since.IsZero() && w.Until.IsZero()) || lo <= 0 || hi < lo || hi >= maxTSNano {
		return false
	}
	return (!w.Since.IsZero() && hi < w.Since.UnixNano()) || (!w.Until.IsZero() && lo >= w.Until.UnixNano())
}
