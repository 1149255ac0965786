package gold

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// maxLineBytes bounds one line of a JSONL or CoNLL file.
const maxLineBytes = 64 << 20

// eachLine calls fn with every non-blank line of r (1-based numbers).
func eachLine(r io.Reader, fn func(n int, line []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	n := 0
	for sc.Scan() {
		n++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if err := fn(n, b); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: line %d: %v", ErrInvalid, n+1, err)
	}
	return nil
}

// jsonWriter writes one JSON value per line.
type jsonWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
	n   int
	row func(d Doc) any
}

func newJSONWriter(w io.Writer, row func(Doc) any) *jsonWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &jsonWriter{w: bw, enc: enc, row: row}
}

func (j *jsonWriter) Write(d Doc) error {
	j.n++
	if err := Check(j.n, &d); err != nil {
		return err
	}
	return j.enc.Encode(j.row(d))
}

func (j *jsonWriter) Close() error { return j.w.Flush() }

// idString reads an id that is a JSON number or string.
func idString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// spaCy JSONL: {"text", "spans": [{"start", "end", "label"}], "cats"?: {label: score}}.
type spacyRow struct {
	Text  string             `json:"text"`
	Spans []spacySpan        `json:"spans"`
	Cats  map[string]float64 `json:"cats,omitempty"`
	Meta  *spacyMeta         `json:"meta,omitempty"`
}

type spacyMeta struct {
	ID string `json:"id"`
}

type spacySpan struct {
	Start int     `json:"start"`
	End   int     `json:"end"`
	Label string  `json:"label"`
	Score float64 `json:"score,omitempty"`
}

func spacyOut(d Doc) any {
	r := spacyRow{Text: d.Text, Spans: make([]spacySpan, 0, len(d.Entities))}
	for _, s := range d.Entities {
		r.Spans = append(r.Spans, spacySpan{Start: s.Start, End: s.End, Label: s.Label, Score: s.Score})
	}
	if d.Sentiment != "" {
		r.Cats = map[string]float64{d.Sentiment: 1}
	}
	if d.ID != "" {
		r.Meta = &spacyMeta{ID: d.ID}
	}
	return r
}

// readSpacy reads spaCy JSONL; sentiment is the highest-scoring cat.
func readSpacy(r io.Reader, fn func(Doc) error) error {
	n := 0
	return eachLine(r, func(line int, b []byte) error {
		n++
		var row struct {
			Text  *string            `json:"text"`
			Spans []spacySpan        `json:"spans"`
			Cats  map[string]float64 `json:"cats"`
			Meta  struct {
				ID json.RawMessage `json:"id"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(b, &row); err != nil || row.Text == nil {
			return docError(n, "", "line %d: want {\"text\", \"spans\": [{\"start\", \"end\", \"label\"}]}%s", line, jsonReason(err))
		}
		d := Doc{ID: idString(row.Meta.ID), Text: *row.Text, Entities: make([]Span, 0, len(row.Spans))}
		for _, s := range row.Spans {
			d.Entities = append(d.Entities, Span{Start: s.Start, End: s.End, Label: s.Label, Score: s.Score})
		}
		d.Sentiment = topCat(row.Cats)
		if err := Check(n, &d); err != nil {
			return err
		}
		return fn(d)
	})
}

// topCat is the label with the highest score (ties: the first by name).
func topCat(cats map[string]float64) string {
	best, bs := "", -1.0
	keys := make([]string, 0, len(cats))
	for k := range cats {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if cats[k] > bs {
			best, bs = k, cats[k]
		}
	}
	return best
}

func jsonReason(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

// doccano JSONL: {"id"?, "text", "label": [[start, end, "LABEL"], …], "cats"?: ["SENTIMENT"]}
// (doccano's intent-and-slot shape), or "label": ["SENTIMENT"] for a
// document whose entities are not labelled (text classification).
// Reading also takes doccano's other shapes: "label": ["CLASS"] (text
// classification), "entities": [[s, e, L]] or [{"start_offset",
// "end_offset", "label"}] (newer exports), and nlpscope's own entity
// objects {"start", "end", "label"} (the held-out sets of models/testdata).
type doccanoRow struct {
	ID    string   `json:"id,omitempty"`
	Text  string   `json:"text"`
	Label []any    `json:"label"`
	Cats  []string `json:"cats,omitempty"`
}

func doccanoOut(d Doc) any {
	r := doccanoRow{ID: d.ID, Text: d.Text, Label: make([]any, 0, len(d.Entities))}
	for _, s := range d.Entities {
		r.Label = append(r.Label, [3]any{s.Start, s.End, s.Label})
	}
	switch {
	case d.Entities == nil && d.Sentiment != "": // text classification
		r.Label = append(r.Label, d.Sentiment)
	case d.Sentiment != "":
		r.Cats = []string{d.Sentiment}
	}
	return r
}

func readDoccano(r io.Reader, fn func(Doc) error) error {
	n := 0
	return eachLine(r, func(line int, b []byte) error {
		n++
		var row struct {
			ID       json.RawMessage   `json:"id"`
			Text     *string           `json:"text"`
			Label    []json.RawMessage `json:"label"`
			Entities []json.RawMessage `json:"entities"`
			Cats     []string          `json:"cats"`
		}
		if err := json.Unmarshal(b, &row); err != nil || row.Text == nil {
			return docError(n, "", "line %d: want {\"text\", \"label\": [[start, end, \"LABEL\"]]}%s", line, jsonReason(err))
		}
		d := Doc{ID: idString(row.ID), Text: *row.Text, Entities: []Span{}}
		classes := 0
		for _, raw := range append(row.Label, row.Entities...) {
			var cls string
			if json.Unmarshal(raw, &cls) == nil { // a text-classification label
				if cls = strings.TrimSpace(cls); cls != "" {
					if d.Sentiment == "" {
						d.Sentiment = cls
					}
					classes++
				}
				continue
			}
			s, err := doccanoSpan(raw)
			if err != nil {
				return docError(n, d.ID, "line %d: %v", line, err)
			}
			d.Entities = append(d.Entities, s)
		}
		if classes > 0 && len(d.Entities) == 0 && row.Entities == nil {
			d.Entities = nil // a text-classification file: entities not labelled
		}
		if len(row.Cats) > 0 && d.Sentiment == "" {
			d.Sentiment = strings.TrimSpace(row.Cats[0])
		}
		if err := Check(n, &d); err != nil {
			return err
		}
		return fn(d)
	})
}

// doccanoSpan reads [start, end, "LABEL"] or {"start_offset", "end_offset", "label"}.
func doccanoSpan(raw json.RawMessage) (Span, error) {
	var tri []json.RawMessage
	if json.Unmarshal(raw, &tri) == nil {
		if len(tri) != 3 {
			return Span{}, fmt.Errorf("span %s: want [start, end, \"LABEL\"]", raw)
		}
		var s Span
		if json.Unmarshal(tri[0], &s.Start) != nil || json.Unmarshal(tri[1], &s.End) != nil || json.Unmarshal(tri[2], &s.Label) != nil {
			return Span{}, fmt.Errorf("span %s: want [start, end, \"LABEL\"] with integer offsets", raw)
		}
		return s, nil
	}
	var o struct {
		Start  *int   `json:"start_offset"`
		End    *int   `json:"end_offset"`
		Start2 *int   `json:"start"` // nlpscope's and Hugging Face's entity shape
		End2   *int   `json:"end"`
		Label  string `json:"label"`
	}
	if json.Unmarshal(raw, &o) == nil {
		if o.Start == nil && o.End == nil {
			o.Start, o.End = o.Start2, o.End2
		}
		if o.Start != nil && o.End != nil {
			return Span{Start: *o.Start, End: *o.End, Label: o.Label}, nil
		}
	}
	return Span{}, fmt.Errorf("span %s: want [start, end, \"LABEL\"], {\"start_offset\", \"end_offset\", \"label\"} or {\"start\", \"end\", \"label\"}", raw)
}

// Sentiment JSONL: {"text", "label"}.
func sentimentOut(d Doc) any {
	return struct {
		Text  string `json:"text"`
		Label string `json:"label"`
	}{d.Text, d.Sentiment}
}

// readSentimentJSONL reads {"text", "label"} lines ("sentiment" is taken
// for "label" too). Entities are not labelled in this format.
func readSentimentJSONL(r io.Reader, fn func(Doc) error) error {
	n := 0
	return eachLine(r, func(line int, b []byte) error {
		n++
		var row struct {
			ID        json.RawMessage `json:"id"`
			Text      *string         `json:"text"`
			Label     *string         `json:"label"`
			Sentiment *string         `json:"sentiment"`
		}
		if err := json.Unmarshal(b, &row); err != nil || row.Text == nil {
			return docError(n, "", "line %d: want {\"text\", \"label\"}%s", line, jsonReason(err))
		}
		d := Doc{ID: idString(row.ID), Text: *row.Text}
		switch {
		case row.Label != nil:
			d.Sentiment = *row.Label
		case row.Sentiment != nil:
			d.Sentiment = *row.Sentiment
		}
		d.Sentiment = strings.TrimSpace(d.Sentiment)
		if err := Check(n, &d); err != nil {
			return err
		}
		return fn(d)
	})
}
