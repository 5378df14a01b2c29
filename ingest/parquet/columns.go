package parquet

import (
	"fmt"
	"math"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tokcost/tokcost/ingest"
)

// The flat path reads the common shape of canonical file (every column a
// top-level, non-repeated scalar of type string, int32, int64, float64 or
// TIMESTAMP over int64, no usage column) straight from the Parquet column
// chunks, one typed column at a time, without building Arrow arrays. Any
// other shape goes through pqarrow (decoder.batch); both produce the same
// cells (val), so the row rules are shared.

type flatKind uint8

const (
	fkString flatKind = iota
	fkInt32
	fkInt64
	fkUint64 // INT64 annotated unsigned: Writer's tool-io hashes
	fkFloat64
	fkTime
	fkBool // Writer's fast_mode and us_only
)

// arrowOnly turns the flat path off; tests compare the two paths.
var arrowOnly = false

// noBatch makes the flat path send every row as a Record, as it did
// before batches; tests compare the two.
var noBatch = false

// noPrune makes the flat path read every row group, whatever the window;
// tests compare the two.
var noPrune = false

// flatBatch is how many rows the flat path converts per column at a time.
const flatBatch = 1024

// flatCol is one column of the flat path; the slices hold one batch, one
// entry per row.
type flatCol struct {
	kind   flatKind
	leaf   int
	maxDef int16
	mult   int64 // fkTime: nanoseconds per unit

	null  []bool
	ints  []int64
	fs    []float64
	bools []bool
	strs  []string
	bad   []bool // fkString: not valid UTF-8

	// Strings are interned per worker: consecutive equal values (sessions
	// are contiguous) and repeats (models, kinds) cost no allocation.
	intern   map[string]int32
	interned []internedString
	noIntern bool // the column is mostly unique values (ids): skip the map
	block    []byte
	spans    []span
	noMap    bool // map lookups mostly miss (sessions): slots and prev only
	lookups  int
	hits     int
	values   int    // non-null values read since the interning was last judged
	misses   int    // of those, values interning had to allocate
	gen      uint32 // page reads so far
	havePrev bool
	prevS    string
	prevBad  bool
	prevP    uintptr
	prevGen  uint32
	// slots remember where in memory a value was last seen: dictionary
	// pages hand out the same bytes for every repeat. A hit is confirmed
	// by content, so reused memory can never return a stale string.
	slots *[1024]ptrSlot

	defs  []int16
	i32   []int32
	bytes []pq.ByteArray
}

// span is where row's value ends in flatCol.block.
type span struct{ row, end int32 }

type ptrSlot struct {
	p    uintptr
	n, e int32
	gen  uint32
}

type internedString struct {
	s   string
	bad bool
}

// flatPlan returns the flat columns for p, or nil when the file needs the
// general path.
func flatPlan(m *pqarrow.SchemaManifest, pf *file.Reader, p *plan) []flatCol {
	if p.usage >= 0 {
		return nil
	}
	byName := map[string]*pqarrow.SchemaField{}
	for i := range m.Fields {
		byName[m.Fields[i].Field.Name] = &m.Fields[i]
	}
	sch := pf.MetaData().Schema
	cols := make([]flatCol, len(p.cols))
	for ci, c := range p.cols {
		sf := byName[c.name]
		if sf == nil || !sf.IsLeaf() {
			return nil
		}
		pc := sch.Column(sf.ColIndex)
		if pc.MaxRepetitionLevel() != 0 || pc.MaxDefinitionLevel() > 1 {
			return nil
		}
		fc := flatCol{leaf: sf.ColIndex, maxDef: pc.MaxDefinitionLevel()}
		phys := pc.PhysicalType()
		switch t := sf.Field.Type; t.ID() {
		case arrow.STRING, arrow.BINARY:
			if phys != pq.Types.ByteArray {
				return nil
			}
			fc.kind = fkString
		case arrow.INT32:
			if phys != pq.Types.Int32 {
				return nil
			}
			fc.kind = fkInt32
		case arrow.INT64:
			if phys != pq.Types.Int64 {
				return nil
			}
			fc.kind = fkInt64
		case arrow.BOOL:
			if phys != pq.Types.Boolean {
				return nil
			}
			fc.kind = fkBool
		case arrow.UINT64:
			if phys != pq.Types.Int64 {
				return nil
			}
			fc.kind = fkUint64
		case arrow.FLOAT64:
			if phys != pq.Types.Double {
				return nil
			}
			fc.kind = fkFloat64
		case arrow.TIMESTAMP:
			if phys != pq.Types.Int64 {
				return nil // INT96
			}
			fc.kind, fc.mult = fkTime, 1
			switch t.(*arrow.TimestampType).Unit {
			case arrow.Second:
				fc.mult = 1e9
			case arrow.Millisecond:
				fc.mult = 1e6
			case arrow.Microsecond:
				fc.mult = 1e3
			}
		default:
			return nil
		}
		cols[ci] = fc
	}
	return cols
}

// cell is row i of the current batch, as makeGetter's getters would read
// it from the Arrow array (strings as dictGetter reads them).
func (c *flatCol) cell(i int) val {
	if c.null[i] {
		return val{}
	}
	switch c.kind {
	case fkString:
		return val{cl: clString, s: c.strs[i], owned: true, badUTF8: c.bad[i]}
	case fkInt32, fkInt64:
		n := c.ints[i]
		return val{cl: clInt, i: n, f: float64(n)}
	case fkUint64:
		// As makeGetter reads an Arrow Uint64.
		u := uint64(c.ints[i])
		return val{cl: clInt, u: u, i: int64(u), unsigned: true, f: float64(u), overflow: u > math.MaxInt64}
	case fkFloat64:
		return val{cl: clFloat, f: c.fs[i]}
	case fkBool:
		return val{cl: clBool, b: c.bools[i]}
	}
	n := c.ints[i]
	if n > math.MaxInt64/c.mult || n < math.MinInt64/c.mult {
		return val{cl: clTime, overflow: true}
	}
	return val{cl: clTime, i: n * c.mult}
}

func (c *flatCol) reset(n int) {
	if cap(c.null) < n {
		c.null = make([]bool, n)
		c.defs = make([]int16, n)
		switch c.kind {
		case fkString:
			c.strs, c.bad, c.bytes = make([]string, n), make([]bool, n), make([]pq.ByteArray, n)
		case fkFloat64:
			c.fs = make([]float64, n)
		case fkBool:
			c.bools = make([]bool, n)
		case fkInt32:
			c.ints, c.i32 = make([]int64, n), make([]int32, n)
		default:
			c.ints = make([]int64, n)
		}
	}
	c.null = c.null[:n]
}

// read fills the next n rows of the column from cr.
func (c *flatCol) read(cr file.ColumnChunkReader, n int) error {
	c.reset(n)
	c.block, c.spans = c.block[:0], c.spans[:0]
	misses, values := 0, 0
	for got := 0; got < n; {
		var defs []int16
		if c.maxDef > 0 {
			defs = c.defs[:n-got]
		}
		var lvls int64
		var nv int
		var err error
		want := int64(n - got)
		switch r := cr.(type) {
		case *file.ByteArrayColumnChunkReader:
			lvls, nv, err = r.ReadBatchInPage(want, c.bytes[:n-got], defs, nil)
		case *file.Int32ColumnChunkReader:
			lvls, nv, err = r.ReadBatchInPage(want, c.i32[:n-got], defs, nil)
		case *file.Int64ColumnChunkReader:
			// Straight into place; spread below when there are nulls.
			lvls, nv, err = r.ReadBatchInPage(want, c.ints[got:n], defs, nil)
		case *file.Float64ColumnChunkReader:
			lvls, nv, err = r.ReadBatchInPage(want, c.fs[got:n], defs, nil)
		case *file.BooleanColumnChunkReader:
			lvls, nv, err = r.ReadBatchInPage(want, c.bools[got:n], defs, nil)
		default:
			return fmt.Errorf("column %d: unexpected reader %T", c.leaf, cr)
		}
		if err != nil {
			return err
		}
		c.gen++ // the values alias this read's page
		if lvls == 0 {
			return fmt.Errorf("column %d ends after %d of %d rows", c.leaf, got, n)
		}
		if lvls > want || int64(nv) > lvls {
			return fmt.Errorf("column %d: inconsistent levels", c.leaf)
		}
		if err := c.spread(got, int(lvls), nv, defs, &misses); err != nil {
			return err
		}
		got += int(lvls)
		values += nv
	}
	c.finishBatch(misses, values)
	return nil
}

// spread places the nv dense values of one read over its lvls rows,
// starting at row got.
func (c *flatCol) spread(got, lvls, nv int, defs []int16, misses *int) error {
	if nv == lvls { // no nulls
		clear(c.null[got : got+lvls])
		switch c.kind {
		case fkString:
			for k, b := range c.bytes[:nv] {
				if !c.str(got+k, b) {
					*misses++
				}
			}
		case fkInt32:
			for k, v := range c.i32[:nv] {
				c.ints[got+k] = int64(v)
			}
		}
		return nil
	}
	if c.kind == fkInt64 || c.kind == fkUint64 || c.kind == fkTime || c.kind == fkFloat64 || c.kind == fkBool {
		// The values were read in place: move them back to front.
		v := nv - 1
		for k := lvls - 1; k >= 0; k-- {
			if defs[k] < c.maxDef {
				c.null[got+k] = true
				continue
			}
			if v < 0 {
				return fmt.Errorf("column %d: inconsistent levels", c.leaf)
			}
			c.null[got+k] = false
			if c.kind == fkFloat64 {
				c.fs[got+k] = c.fs[got+v]
			} else if c.kind == fkBool {
				c.bools[got+k] = c.bools[got+v]
			} else {
				c.ints[got+k] = c.ints[got+v]
			}
			v--
		}
		return nil
	}
	v := 0
	for k := 0; k < lvls; k++ {
		row := got + k
		if c.maxDef > 0 && defs[k] < c.maxDef {
			c.null[row] = true
			continue
		}
		if v >= nv {
			return fmt.Errorf("column %d: inconsistent levels", c.leaf)
		}
		c.null[row] = false
		if c.kind == fkString {
			if !c.str(row, c.bytes[v]) {
				*misses++
			}
		} else {
			c.ints[row] = int64(c.i32[v])
		}
		v++
	}
	return nil
}

// finishBatch materialises the batch's block strings and adapts the
// interning to what the column turned out to hold.
func (c *flatCol) finishBatch(misses, values int) {
	if len(c.spans) > 0 {
		all, start := string(c.block), int32(0)
		for _, sp := range c.spans {
			v := all[start:sp.end]
			c.strs[sp.row], c.bad[sp.row] = v, !utf8.ValidString(v)
			start = sp.end
		}
	}
	if !c.noMap && c.lookups >= 256 {
		c.noMap = c.hits*4 < c.lookups
		c.lookups, c.hits = 0, 0
		if c.noMap {
			c.intern = nil
		}
	}
	// Judged on values, not rows: a mostly null column of distinct values
	// (error texts) would otherwise be interned for ever, 65,536 texts per
	// worker held at a time.
	if c.kind == fkString && !c.noIntern {
		if c.values, c.misses = c.values+values, c.misses+misses; c.values >= 1024 {
			if c.misses > c.values/2 {
				c.noIntern, c.intern, c.interned, c.slots = true, nil, nil, nil
			}
			c.values, c.misses = 0, 0
		}
	}
}

// str sets row's string from b (which aliases page memory); false when it
// had to allocate.
func (c *flatCol) str(row int, b []byte) bool {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	// Within one page read (one gen) the same address holds the same
	// bytes; across reads memory may be reused, so content is compared.
	if c.havePrev && len(b) == len(c.prevS) && ((p == c.prevP && c.prevGen == c.gen) || string(b) == c.prevS) {
		c.prevP, c.prevGen = p, c.gen
		c.strs[row], c.bad[row] = c.prevS, c.prevBad
		return true
	}
	if c.noIntern {
		// Copied into one block per batch (see read): one allocation,
		// not one per row.
		c.havePrev = false
		c.block = append(c.block, b...)
		c.spans = append(c.spans, span{row: int32(row), end: int32(len(c.block))})
		return false
	}
	if c.slots == nil {
		c.slots = new([1024]ptrSlot)
	}
	slot := &c.slots[(p*0x9E3779B97F4A7C15)>>54] // Fibonacci hashing: the top 10 bits
	if slot.p == p && int(slot.n) == len(b) && int(slot.e) < len(c.interned) &&
		(slot.gen == c.gen || string(b) == c.interned[slot.e].s) {
		slot.gen = c.gen
		c.setPrev(row, p, c.interned[slot.e])
		return true
	}
	slot.p, slot.n, slot.gen = p, int32(len(b)), c.gen
	if !c.noMap {
		c.lookups++
		if j, ok := c.intern[string(b)]; ok {
			c.hits++
			slot.e = j
			c.setPrev(row, p, c.interned[j])
			return true
		}
	}
	if c.interned == nil || len(c.interned) >= 1<<16 {
		// Slots may point at entries about to be replaced: a new gen
		// makes every slot hit compare content.
		c.gen++
		slot.gen = c.gen
		clear(c.interned) // the strings past the new length would stay alive
		c.interned = c.interned[:0]
		if !c.noMap {
			c.intern = make(map[string]int32, 256)
		}
	}
	s := string(b)
	e := internedString{s: s, bad: !utf8.ValidString(s)}
	slot.e = int32(len(c.interned))
	c.interned = append(c.interned, e)
	if !c.noMap {
		c.intern[s] = slot.e
	}
	c.setPrev(row, p, e)
	return false
}

func (c *flatCol) setPrev(row int, p uintptr, e internedString) {
	c.havePrev, c.prevS, c.prevBad, c.prevP, c.prevGen = true, e.s, e.bad, p, c.gen
	c.strs[row], c.bad[row] = e.s, e.bad
}

// readFlatGroup decodes row group g (first row row) with the flat path.
func (d *decoder) readFlatGroup(pf *file.Reader, g int, row int64) error {
	rg := pf.RowGroup(g)
	if d.outsideWindow(rg) {
		n := rg.NumRows()
		for i := range n {
			d.sink.Note(ingest.Note{Kind: ingest.NoteSkipped, File: d.file, Line: row + i, Reason: ingest.SkippedUnread})
		}
		d.sink.Lines(n)
		return nil
	}
	readers := make([]file.ColumnChunkReader, len(d.flat))
	for ci := range d.flat {
		cr, err := rg.Column(d.flat[ci].leaf)
		if err != nil {
			return err
		}
		readers[ci] = cr
		d.flat[ci].havePrev = false
	}
	for left := rg.NumRows(); left > 0; {
		n := int(min(left, flatBatch))
		for ci := range d.flat {
			if err := d.flat[ci].read(readers[ci], n); err != nil {
				return err
			}
		}
		if noBatch {
			for i := 0; i < n; i++ {
				d.rowFlat(i, row+int64(i))
			}
		} else {
			d.rowsFlat(n, row)
		}
		d.sink.Lines(int64(n))
		row += int64(n)
		left -= int64(n)
	}
	return nil
}

// rowFlat is row for the flat path. The common valid cells (text, token
// counts in range, timestamps, floats) are stored directly; anything else
// goes through set with the cell as makeGetter would read it, so the rules
// and the first error reported are the same.
func (d *decoder) rowFlat(i int, line int64) {
	r := &d.rec
	r.Reset()
	r.File, r.Line = d.file, line
	var st rowState
	for ci := range d.flat {
		fc := &d.flat[ci]
		if fc.null[i] {
			continue // null means absent
		}
		c := &d.plan.cols[ci]
		switch fc.kind {
		case fkString:
			if fc.bad[i] {
				break
			}
			s := fc.strs[i]
			switch c.code {
			case fAttr:
				r.Attrs[c.name] = s
				continue
			case fID:
				r.ID = s
				continue
			case fSessionID:
				r.SessionID = s
				continue
			case fModel:
				r.Model = s
				continue
			case fProvider:
				r.Provider = s
				continue
			case fTool:
				r.Tool = s
				continue
			case fRole:
				r.Role = s
				continue
			case fWorkflow:
				r.Workflow = s
				continue
			case fError:
				r.Error = s
				continue
			// The canonical spellings; others (any case, bad values) go
			// through the parsers in set.
			case fKind:
				switch s {
				case "llm":
					r.Kind = ingest.KindLLM
					continue
				case "tool":
					r.Kind = ingest.KindTool
					continue
				}
			case fStatus:
				switch s {
				case "ok":
					r.Status, st.statusExplicit = ingest.StatusOK, true
					continue
				case "error":
					r.Status, st.statusExplicit = ingest.StatusError, true
					continue
				}
			case fErrorClass:
				if s == "" {
					r.ErrorClass = ingest.ErrorPlain
					continue
				}
			}
		case fkInt32, fkInt64:
			n := fc.ints[i]
			switch c.code {
			case fInputTokens, fOutputTokens, fCacheReadTokens, fCacheWriteTokens, fCacheWrite1hTokens, fReasoningTokens:
				if n >= 0 && n < 1<<32 {
					*tokenFieldCode(r, c.code) = n
					st.topTokens = true
					continue
				}
			case fSeq:
				r.Seq, r.HasSeq = n, true
				continue
			}
		case fkFloat64:
			switch c.code {
			case fDurationMS:
				r.DurationMS = fc.fs[i]
				continue
			case fCostUSD:
				r.CostUSD, r.HasCost = fc.fs[i], true
				continue
			}
		case fkTime:
			if n := fc.ints[i]; c.code == fTS && n >= 0 && n <= math.MaxInt64/fc.mult {
				r.TSNano = n * fc.mult
				continue
			}
		}
		if ferr := d.set(r, c, fc.cell(i), &st); ferr != nil {
			d.invalid(line, ferr)
			return
		}
	}
	if ferr := ingest.Finish(r, st.statusExplicit); ferr != nil {
		d.invalid(line, ferr)
		return
	}
	d.sink.Record(r)
}

// rowBatch is a flat-path worker's batch of valid rows (ingest.Batch).
type rowBatch struct {
	b        ingest.Batch
	keys     []string // the attribute columns' names
	attrSlot []int    // by plan column: its index in b.Attrs, or -1
	ok       []bool   // by row of the read batch: every cell fits the batch
	explicit []bool   // by row: the row named its status
}

// rowsFlat is rowFlat for the n rows of the current batch, the first of
// them line first: rows fillRows can tell are valid records go to the
// sink a batch at a time (ingest.RecordRows), any other through rowFlat,
// in input order.
func (d *decoder) rowsFlat(n int, first int64) {
	rb := d.rows
	if rb == nil {
		rb = &rowBatch{attrSlot: make([]int, len(d.plan.cols)), ok: make([]bool, flatBatch), explicit: make([]bool, flatBatch)}
		for ci := range d.plan.cols {
			rb.attrSlot[ci] = -1
			if d.plan.cols[ci].code == fAttr {
				rb.attrSlot[ci] = len(rb.keys)
				rb.keys = append(rb.keys, d.plan.cols[ci].name)
			}
		}
		rb.b.File = d.file
		d.rows = rb
	}
	b := &rb.b
	b.Grow(flatBatch, rb.keys)
	d.fillRows(rb, n, first)
	// Row i was filled at index i; the valid rows move down over the
	// others (none move when all are valid, the usual case).
	k := 0
	for i := 0; i < n; i++ {
		if rb.ok[i] && b.Finish(i, rb.explicit[i]) {
			if k != i {
				moveRow(b, k, i)
			}
			k++
			continue
		}
		b.N = k
		d.flushRows()
		k = 0
		d.rowFlat(i, first+int64(i))
	}
	b.N = k
	d.flushRows()
}

func (d *decoder) flushRows() {
	if b := &d.rows.b; b.N > 0 {
		ingest.RecordRows(d.sink, b, &d.rec)
		b.Clear()
	}
}

// fillRows puts the n rows of the current batch in rb.b, row i at index
// i, a column at a time: a loop per column, not a switch per cell (with
// Batch.Finish, 0.59 CPU-s against 1.00 filling a row at a time on the
// bench Parquet; docs/performance.md, "Session 8"). It marks in rb.ok
// the rows whose every cell the batch holds in its canonical form: text,
// token counts, seq, a timestamp a record keeps, kind llm/tool, status
// ok/error, an empty error_class. Any other cell (an unknown kind, bad
// UTF-8, a column the batch has no field for) leaves its row to rowFlat,
// which applies the one set of rules; what fillRows wrote for that row
// is ignored. Batch.Finish checks the rest.
func (d *decoder) fillRows(rb *rowBatch, n int, first int64) {
	b := &rb.b
	ok, explicit := rb.ok[:n], rb.explicit[:n]
	for i := range ok {
		ok[i] = true
	}
	clear(explicit)
	for i := range n {
		b.Line[i] = first + int64(i)
	}
	for _, s := range [][]string{b.SessionID, b.ID, b.Model, b.Provider, b.Tool, b.Role, b.Workflow, b.Error} {
		clear(s[:n])
	}
	clear(b.HasSeq[:n])
	clear(b.Seq[:n])
	clear(b.TSNano[:n])
	clear(b.DurationMS[:n])
	clear(b.HasCost[:n])
	clear(b.CostUSD[:n])
	clear(b.Kind[:n])
	clear(b.Status[:n])
	for i := range n {
		b.ErrorClass[i] = ingest.ErrorPlain
	}
	for t := range b.Tokens {
		clear(b.Tokens[t][:n])
	}
	for j := range b.Attrs {
		clear(b.Attrs[j].Has[:n])
	}
	for ci := range d.flat {
		fc := &d.flat[ci]
		c := &d.plan.cols[ci]
		null := fc.null[:n]
		switch fc.kind {
		case fkString:
			strs, bad := fc.strs[:n], fc.bad[:n]
			var dst []string
			switch c.code {
			case fID:
				dst = b.ID
			case fSessionID:
				dst = b.SessionID
			case fModel:
				dst = b.Model
			case fProvider:
				dst = b.Provider
			case fTool:
				dst = b.Tool
			case fRole:
				dst = b.Role
			case fWorkflow:
				dst = b.Workflow
			case fError:
				dst = b.Error
			case fAttr:
				a := &b.Attrs[rb.attrSlot[ci]]
				for i, s := range strs {
					if !null[i] {
						ok[i] = ok[i] && !bad[i]
						a.Has[i], a.Val[i] = true, s
					}
				}
				continue
			case fKind:
				for i, s := range strs {
					if null[i] {
						continue
					}
					switch {
					case bad[i]:
						ok[i] = false
					case s == "llm":
						b.Kind[i] = ingest.KindLLM
					case s == "tool":
						b.Kind[i] = ingest.KindTool
					default:
						ok[i] = false
					}
				}
				continue
			case fStatus:
				for i, s := range strs {
					if null[i] {
						continue
					}
					switch {
					case bad[i]:
						ok[i] = false
					case s == "ok":
						b.Status[i], explicit[i] = ingest.StatusOK, true
					case s == "error":
						b.Status[i], explicit[i] = ingest.StatusError, true
					default:
						ok[i] = false
					}
				}
				continue
			case fErrorClass:
				for i, s := range strs {
					if !null[i] && (bad[i] || s != "") {
						ok[i] = false
					}
				}
				continue
			default:
				rejectPresent(ok, null)
				continue
			}
			dst = dst[:n]
			for i, s := range strs {
				if !null[i] {
					ok[i] = ok[i] && !bad[i]
					dst[i] = s
				}
			}
		case fkInt32, fkInt64:
			var dst []int64
			switch c.code {
			case fInputTokens:
				dst = b.Tokens[0]
			case fOutputTokens:
				dst = b.Tokens[1]
			case fCacheReadTokens:
				dst = b.Tokens[2]
			case fCacheWriteTokens:
				dst = b.Tokens[3]
			case fCacheWrite1hTokens:
				dst = b.Tokens[4]
			case fReasoningTokens:
				dst = b.Tokens[5]
			case fSeq:
				for i, v := range fc.ints[:n] {
					if !null[i] {
						b.Seq[i], b.HasSeq[i] = v, true
					}
				}
				continue
			default:
				rejectPresent(ok, null)
				continue
			}
			dst = dst[:n]
			for i, v := range fc.ints[:n] {
				if !null[i] {
					dst[i] = v // Batch.Finish checks the range
				}
			}
		case fkFloat64:
			switch c.code {
			case fDurationMS:
				for i, v := range fc.fs[:n] {
					if !null[i] {
						b.DurationMS[i] = v
					}
				}
			case fCostUSD:
				for i, v := range fc.fs[:n] {
					if !null[i] {
						b.CostUSD[i], b.HasCost[i] = v, true
					}
				}
			default:
				rejectPresent(ok, null)
			}
		case fkTime:
			if c.code != fTS {
				rejectPresent(ok, null)
				continue
			}
			limit := math.MaxInt64 / fc.mult
			for i, v := range fc.ints[:n] {
				if null[i] {
					continue
				}
				if v < 0 || v > limit {
					ok[i] = false
					continue
				}
				b.TSNano[i] = v * fc.mult
			}
		default:
			rejectPresent(ok, null)
		}
	}
}

// rejectPresent leaves every row with a value in a column the batch has
// no field for to rowFlat.
func rejectPresent(ok, null []bool) {
	for i, isNull := range null {
		if !isNull {
			ok[i] = false
		}
	}
}

// moveRow copies row i of b to index k.
func moveRow(b *ingest.Batch, k, i int) {
	b.Line[k], b.SessionID[k], b.ID[k] = b.Line[i], b.SessionID[i], b.ID[i]
	b.HasSeq[k], b.Seq[k], b.TSNano[k], b.DurationMS[k] = b.HasSeq[i], b.Seq[i], b.TSNano[i], b.DurationMS[i]
	b.HasCost[k], b.CostUSD[k] = b.HasCost[i], b.CostUSD[i]
	b.Kind[k], b.Status[k], b.ErrorClass[k] = b.Kind[i], b.Status[i], b.ErrorClass[i]
	b.Model[k], b.Provider[k], b.Tool[k], b.Role[k], b.Workflow[k], b.Error[k] = b.Model[i], b.Provider[i], b.Tool[i], b.Role[i], b.Workflow[i], b.Error[i]
	for t := range b.Tokens {
		b.Tokens[t][k] = b.Tokens[t][i]
	}
	for j := range b.Attrs {
		a := &b.Attrs[j]
		a.Has[k], a.Val[k] = a.Has[i], a.Val[i]
	}
}

// outsideWindow reports whether the statistics of rg's timestamp column
// place every row outside --since/--until, so the group need not be
// read: the file has one timestamp column, the group's chunk of it
// has no null (every row has a timestamp; a null one is skipped for
// another reason) and a minimum and maximum, each a timestamp a record
// keeps (ingest.Window.Excludes). The rows are skipped as
// ingest.SkippedUnread: each would be skipped as outside the window if
// it is a valid record, but none is read to tell.
func (d *decoder) outsideWindow(rg *file.RowGroupReader) bool {
	if noPrune || (d.win.Since.IsZero() && d.win.Until.IsZero()) {
		return false
	}
	ts := -1
	for ci := range d.flat {
		if d.plan.cols[ci].code == fTS {
			if ts >= 0 {
				return false // two timestamp columns: the later one wins, row by row
			}
			ts = ci
		}
	}
	if ts < 0 || d.flat[ts].kind != fkTime {
		return false
	}
	fc := &d.flat[ts]
	cc, err := rg.MetaData().ColumnChunk(fc.leaf)
	if err != nil || cc.NumValues() != rg.NumRows() {
		return false
	}
	st, err := cc.Statistics()
	if err != nil || st == nil {
		return false
	}
	s, ok := st.(*metadata.Int64Statistics)
	if !ok || !s.HasMinMax() || !s.HasNullCount() || s.NullCount() != 0 {
		return false
	}
	lo, hi := s.Min(), s.Max()
	if lo <= 0 || hi > math.MaxInt64/fc.mult {
		return false
	}
	return d.win.Excludes(lo*fc.mult, hi*fc.mult)
}
