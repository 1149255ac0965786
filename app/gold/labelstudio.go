package gold

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
)

// Label Studio names the writer uses for its controls; a project imports
// these tasks with the labeling config
//
//	<View>
//	  <Labels name="label" toName="text">…one <Label value="PER"/> per entity label…</Labels>
//	  <Text name="text" value="$text"/>
//	  <Choices name="sentiment" toName="text">…one <Choice value="POSITIVE"/> per label…</Choices>
//	</View>
const (
	lsLabels    = "label"
	lsText      = "text"
	lsSentiment = "sentiment"
)

type lsTask struct {
	ID          *int64         `json:"id,omitempty"`
	Data        map[string]any `json:"data"`
	Annotations []lsAnnotation `json:"annotations,omitempty"`
	Predictions []lsAnnotation `json:"predictions,omitempty"`
}

type lsAnnotation struct {
	ModelVersion string     `json:"model_version,omitempty"`
	Score        float64    `json:"score,omitempty"`
	Cancelled    bool       `json:"was_cancelled,omitempty"`
	Result       []lsResult `json:"result"`
}

type lsResult struct {
	ID       string  `json:"id,omitempty"`
	FromName string  `json:"from_name"`
	ToName   string  `json:"to_name"`
	Type     string  `json:"type"`
	Value    lsValue `json:"value"`
	Score    float64 `json:"score,omitempty"`
}

type lsValue struct {
	Start   *int     `json:"start,omitempty"`
	End     *int     `json:"end,omitempty"`
	Text    *string  `json:"text,omitempty"`
	Labels  []string `json:"labels,omitempty"`
	Choices []string `json:"choices,omitempty"`
}

// lsWriter writes a JSON array of tasks, one per line, streaming: the
// document's labels as "annotations" (gold) or "predictions" (with
// model_version and scores).
type lsWriter struct {
	w           *bufio.Writer
	predictions bool
	n           int
}

func (l *lsWriter) Write(d Doc) error {
	l.n++
	if err := Check(l.n, &d); err != nil {
		return err
	}
	t := lsTask{Data: map[string]any{"text": d.Text}}
	if id, err := strconv.ParseInt(d.ID, 10, 64); err == nil {
		t.ID = &id
	} else if d.ID != "" {
		t.Data["id"] = d.ID
	}
	a := lsAnnotation{Result: make([]lsResult, 0, len(d.Entities)+1)}
	for i, s := range d.Entities {
		start, end, text := s.Start, s.End, Slice(d.Text, s.Start, s.End)
		a.Result = append(a.Result, lsResult{ID: "e" + strconv.Itoa(i+1), FromName: lsLabels, ToName: lsText, Type: "labels",
			Value: lsValue{Start: &start, End: &end, Text: &text, Labels: []string{s.Label}}, Score: s.Score})
	}
	if d.Sentiment != "" {
		a.Result = append(a.Result, lsResult{ID: "s", FromName: lsSentiment, ToName: lsText, Type: "choices",
			Value: lsValue{Choices: []string{d.Sentiment}}, Score: d.SentimentScore})
	}
	if l.predictions {
		a.ModelVersion, a.Score = d.Model, d.SentimentScore
		t.Predictions = []lsAnnotation{a}
	} else {
		t.Annotations = []lsAnnotation{a}
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if l.n == 1 {
		l.w.WriteString("[\n")
	} else {
		l.w.WriteString(",\n")
	}
	_, err = l.w.Write(b)
	return err
}

func (l *lsWriter) Close() error {
	if l.n == 0 {
		l.w.WriteString("[")
	}
	l.w.WriteString("\n]\n")
	return l.w.Flush()
}

// readLabelStudio reads a Label Studio export: a JSON array of tasks (or
// tasks one after another, JSONL). Of each task it takes the first
// annotation that was not cancelled, else the first prediction (so that
// predictions exported by nlpscope read back); "completions" of old
// versions count as annotations. Results of type "labels" are entities,
// the first "choices" result the sentiment; others are ignored. The text is
// data.text (else the first string in data). Offsets are code points, as
// Label Studio exports them since 1.x; a span whose "text" matches only when
// its offsets are read as UTF-16 units (older exports with emoji) is
// converted.
func readLabelStudio(r io.Reader, fn func(Doc) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	dec := json.NewDecoder(br)
	first, err := firstByte(br)
	if err != nil {
		return err
	}
	array := first == '['
	if array {
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	n := 0
	for dec.More() {
		n++
		var t struct {
			ID          json.RawMessage   `json:"id"`
			Data        map[string]any    `json:"data"`
			Annotations []json.RawMessage `json:"annotations"`
			Completions []json.RawMessage `json:"completions"`
			Predictions []json.RawMessage `json:"predictions"`
		}
		if err := dec.Decode(&t); err != nil {
			return docError(n, "", "want a Label Studio task {\"data\": {\"text\"}, \"annotations\": [...]}: %v", err)
		}
		d, err := lsDoc(n, t.ID, t.Data, append(t.Annotations, t.Completions...), t.Predictions)
		if err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	if array {
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("%w: after task %d: %v", ErrInvalid, n, err)
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: after task %d: unexpected data after the tasks", ErrInvalid, n)
	}
	return nil
}

// firstByte peeks the first non-space byte of br (io.EOF: empty input).
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return 0, fmt.Errorf("%w: empty file", ErrInvalid)
			}
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n', 0xEF, 0xBB, 0xBF: // white space, a UTF-8 byte-order mark
		default:
			return b, br.UnreadByte()
		}
	}
}

func lsDoc(n int, rawID json.RawMessage, data map[string]any, anns, preds []json.RawMessage) (Doc, error) {
	d := Doc{ID: idString(rawID), Entities: []Span{}}
	if s, ok := data["text"].(string); ok {
		d.Text = s
	} else {
		for _, v := range data {
			if s, ok := v.(string); ok {
				d.Text = s
				break
			}
		}
	}
	if d.ID == "" {
		if s, ok := data["id"].(string); ok {
			d.ID = s
		}
	}
	var chosen *lsAnnotation
	pick := func(list []json.RawMessage, what string) error {
		for i, raw := range list {
			var a lsAnnotation
			if err := json.Unmarshal(raw, &a); err != nil {
				return docError(n, d.ID, "%s %d: %v", what, i+1, err)
			}
			if !a.Cancelled {
				chosen = &a
				return nil
			}
		}
		return nil
	}
	if err := pick(anns, "annotation"); err != nil {
		return Doc{}, err
	}
	if chosen == nil {
		if err := pick(preds, "prediction"); err != nil {
			return Doc{}, err
		}
		if chosen != nil {
			d.Model = chosen.ModelVersion
		}
	}
	if chosen != nil {
		for _, res := range chosen.Result {
			switch res.Type {
			case "labels":
				v := res.Value
				if v.Start == nil || v.End == nil || len(v.Labels) == 0 {
					return Doc{}, docError(n, d.ID, "result %q of type labels needs value.start, value.end and value.labels", res.ID)
				}
				s := Span{Start: *v.Start, End: *v.End, Label: v.Labels[0], Score: res.Score}
				if v.Text != nil && Slice(d.Text, s.Start, s.End) != *v.Text {
					if a, b, ok := utf16ToRunes(d.Text, s.Start, s.End); ok && Slice(d.Text, a, b) == *v.Text {
						s.Start, s.End = a, b
					}
				}
				d.Entities = append(d.Entities, s)
			case "choices":
				if d.Sentiment == "" && len(res.Value.Choices) > 0 {
					d.Sentiment, d.SentimentScore = res.Value.Choices[0], res.Score
				}
			}
		}
	}
	if err := Check(n, &d); err != nil {
		return Doc{}, err
	}
	return d, nil
}

// utf16ToRunes converts UTF-16 offsets into s to code points.
func utf16ToRunes(s string, a, b int) (int, int, bool) {
	u, ra, rb := 0, -1, -1
	i := 0
	for _, r := range s {
		if u == a {
			ra = i
		}
		if u == b {
			rb = i
		}
		u += len(utf16.Encode([]rune{r}))
		i++
	}
	if u == a {
		ra = i
	}
	if u == b {
		rb = i
	}
	return ra, rb, ra >= 0 && rb >= 0
}
