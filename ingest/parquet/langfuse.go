package parquet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	_ "github.com/tokcost/tokcost/ingest/langfuse" // decodes the rows, so both exports map identically
)

// langfuseColumns are the blob-export columns the Langfuse reader uses
// (docs/formats/langfuse.md); others are not read.
var langfuseColumns = map[string]bool{
	"id": true, "trace_id": true, "parent_observation_id": true, "type": true, "name": true,
	"start_time": true, "end_time": true, "level": true, "status_message": true,
	"provided_model_name": true, "usage_details": true, "cost_details": true, "total_cost": true,
	"session_id": true, "metadata": true,
}

// jsonColumns hold objects: a map or struct column becomes a JSON object,
// a string column holding a JSON object is embedded as one.
var jsonColumns = map[string]bool{"usage_details": true, "cost_details": true}

// isLangfuse recognises a Langfuse observations export by its columns:
// trace_id and type, plus parent_observation_id or usage_details, and no
// canonical kind column.
func isLangfuse(m *pqarrow.SchemaManifest) bool {
	has := map[string]bool{}
	for i := range m.Fields {
		has[m.Fields[i].Field.Name] = true
	}
	return has["trace_id"] && has["type"] && (has["parent_observation_id"] || has["usage_details"]) && !has["kind"]
}

// decodeLangfuse renders each row as the JSON line the blob export's JSONL
// flavour would hold and hands the stream to the Langfuse reader, so the
// tree resolution (sessions, agent roles, nested generations) and usage
// bucket rules are the same code for both. Row n is line n.
func decodeLangfuse(src *ingest.Source, pf *file.Reader, fr *pqarrow.FileReader, newSink ingest.SinkFactory) error {
	lf, err := ingest.Lookup("langfuse")
	if err != nil {
		return err
	}
	var leaves []int
	for i := range fr.Manifest.Fields {
		sf := &fr.Manifest.Fields[i]
		if langfuseColumns[sf.Field.Name] {
			leafIndices(sf, func(l int, _ arrow.DataType) { leaves = append(leaves, l) })
		}
	}
	if len(leaves) == 0 || pf.NumRowGroups() == 0 {
		return nil
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var err error
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("corrupt parquet file: %v", r)
			}
			pw.CloseWithError(err)
		}()
		err = writeLangfuseLines(pw, fr, leaves)
	}()
	sub := &ingest.Source{Name: src.Name, Index: src.Index, R: bufio.NewReaderSize(pr, 1<<20)}
	err = lf.Decode(sub, newSink)
	pr.CloseWithError(errors.New("langfuse decoder stopped"))
	<-done
	return err
}

func writeLangfuseLines(w io.Writer, fr *pqarrow.FileReader, leaves []int) error {
	rr, err := fr.GetRecordReader(context.Background(), leaves, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	bw := bufio.NewWriterSize(w, 1<<20)
	var line []byte
	var p fastjson.Parser
	for rr.Next() {
		rec := rr.RecordBatch()
		sc := rec.Schema()
		cells := make([]jsonCell, rec.NumCols())
		for c := range cells {
			cells[c] = makeJSONCell(rec.Column(c), jsonColumns[sc.Field(c).Name], &p)
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			line = append(line[:0], '{')
			first := true
			for c := 0; c < int(rec.NumCols()); c++ {
				name := sc.Field(c).Name
				start := len(line)
				if !first {
					line = append(line, ',')
				}
				line = strconv.AppendQuote(line, name)
				line = append(line, ':')
				var ok bool
				line, ok = cells[c](line, i)
				if !ok {
					line = line[:start] // null: leave the key out
					continue
				}
				first = false
			}
			line = append(line, '}', '\n')
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return bw.Flush()
}

// jsonCell renders row i of a column as JSON, appending to b; ok is
// false for null. It is built once per batch.
type jsonCell func(b []byte, i int) ([]byte, bool)

func makeJSONCell(a arrow.Array, object bool, p *fastjson.Parser) jsonCell {
	switch a := a.(type) {
	case *array.Map:
		keys, items := makeGetter(a.Keys()), makeJSONCell(a.Items(), false, p)
		return func(b []byte, i int) ([]byte, bool) {
			if a.IsNull(i) {
				return b, false
			}
			start, end := a.ValueOffsets(i)
			b = append(b, '{')
			for j := int(start); j < int(end); j++ {
				if j > int(start) {
					b = append(b, ',')
				}
				k, _ := keys(j).text()
				b = appendString(b, k)
				b = append(b, ':')
				var ok bool
				if b, ok = items(b, j); !ok {
					b = append(b, "null"...)
				}
			}
			return append(b, '}'), true
		}
	case *array.Struct:
		return func(b []byte, i int) ([]byte, bool) {
			if a.IsNull(i) {
				return b, false
			}
			raw, err := json.Marshal(a.GetOneForMarshal(i))
			if err != nil {
				return b, false
			}
			return append(b, raw...), true
		}
	}
	get := makeGetter(a)
	return func(b []byte, i int) ([]byte, bool) {
		v := get(i)
		switch v.cl {
		case clString:
			if object {
				if o, err := p.Parse(v.s); err == nil && o.Type() == fastjson.TypeObject {
					return o.MarshalTo(b), true
				}
			}
			return appendString(b, v.s), true
		case clTime:
			if v.overflow {
				return b, false
			}
			return appendString(b, time.Unix(0, v.i).UTC().Format(time.RFC3339Nano)), true
		case clInt, clFloat, clDecimal, clBool:
			s, ok := v.text()
			if !ok {
				return b, false
			}
			return append(b, s...), true
		}
		return b, false
	}
}

func appendString(b []byte, s string) []byte {
	raw, err := json.Marshal(s)
	if err != nil {
		return append(b, `""`...)
	}
	return append(b, raw...)
}
