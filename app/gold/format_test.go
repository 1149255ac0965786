package gold_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/app/gold"
)

// corpus has emoji (astral, ZWJ sequences), CJK, combining marks, line
// breaks and quotes, with entities on token boundaries.
func corpus() []gold.Doc {
	return []gold.Doc{
		{ID: "1", Text: "Alice went to Paris, and it was great!", Sentiment: "POSITIVE",
			Entities: []gold.Span{{Start: 0, End: 5, Label: "PER"}, {Start: 14, End: 19, Label: "LOC"}}},
		{ID: "2", Text: "😍👨‍👩‍👧 Tesla in 東京 is 💩", Sentiment: "NEGATIVE",
			Entities: []gold.Span{{Start: 7, End: 12, Label: "ORG"}, {Start: 16, End: 18, Label: "LOC"}}},
		{ID: "a-3", Text: "Café \"Zoë\" opened\nin São Paulo\ttoday", Sentiment: "NEUTRAL",
			Entities: []gold.Span{{Start: 6, End: 9, Label: "ORG"}, {Start: 21, End: 30, Label: "LOC"}}},
		{ID: "4", Text: "nothing to see here", Sentiment: "NEUTRAL", Entities: []gold.Span{}},
	}
}

func write(t *testing.T, f gold.Format, o gold.WriteOptions, docs []gold.Doc) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := gold.NewWriter(&buf, f, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if err := w.Write(d); err != nil {
			t.Fatalf("%s: write %q: %v", f, d.Text, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func read(t *testing.T, f gold.Format, b []byte) []gold.Doc {
	t.Helper()
	docs, err := gold.ReadAll(bytes.NewReader(b), f, 0)
	if err != nil {
		t.Fatalf("%s: read back: %v\n%s", f, err, b)
	}
	return docs
}

// Writing then reading each format gives back every text, label and
// code-point offset the format carries.
func TestRoundTrip(t *testing.T) {
	in := corpus()
	// Offsets in the corpus are what Python would say.
	if got := gold.Slice(in[1].Text, 7, 12); got != "Tesla" {
		t.Fatalf("fixture: [7,12) = %q", got)
	}
	if got := gold.Slice(in[1].Text, 16, 18); got != "東京" {
		t.Fatalf("fixture: [16,18) = %q", got)
	}
	if got := gold.Slice(in[2].Text, 21, 30); got != "São Paulo" {
		t.Fatalf("fixture: [21,30) = %q", got)
	}
	noEntities := func(ds []gold.Doc) []gold.Doc {
		out := make([]gold.Doc, len(ds))
		for i, d := range ds {
			d.Entities, d.ID = nil, ""
			out[i] = d
		}
		return out
	}
	cases := []struct {
		f    gold.Format
		o    gold.WriteOptions
		want []gold.Doc
	}{
		{gold.CoNLL, gold.WriteOptions{Comments: true}, in},
		{gold.SpaCy, gold.WriteOptions{}, in},
		{gold.LabelStudio, gold.WriteOptions{}, in},
		{gold.Doccano, gold.WriteOptions{}, in},
		{gold.SentimentCSV, gold.WriteOptions{}, noEntities(in)},
		{gold.SentimentJSONL, gold.WriteOptions{}, noEntities(in)},
		{gold.LabelStudio, gold.WriteOptions{Predictions: true}, in},
	}
	for _, c := range cases {
		b := write(t, c.f, c.o, in)
		got := read(t, c.f, b)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %+v: round trip\n got %+v\nwant %+v\nfile:\n%s", c.f, c.o, got, c.want, b)
		}
		// And once more: a second export is byte for byte the first.
		if b2 := write(t, c.f, c.o, got); !bytes.Equal(b, b2) {
			t.Errorf("%s: second export differs:\n%s\n---\n%s", c.f, b, b2)
		}
	}
}

// Plain CoNLL (no comments) loses only the spacing: the text becomes the
// tokens joined by spaces, and every entity covers the same tokens.
func TestCoNLLPlain(t *testing.T) {
	d := gold.Doc{Text: "Hello, 東京! 👋 Bob's car", Entities: []gold.Span{{Start: 7, End: 9, Label: "LOC"}, {Start: 13, End: 16, Label: "PER"}}}
	b := write(t, gold.CoNLL, gold.WriteOptions{}, []gold.Doc{d})
	want := "Hello O\n, O\n東 B-LOC\n京 I-LOC\n! O\n👋 O\nBob's B-PER\ncar O\n\n"
	if string(b) != want {
		t.Fatalf("conll:\n%s\nwant:\n%s", b, want)
	}
	got := read(t, gold.CoNLL, b)
	wantDoc := gold.Doc{Text: "Hello , 東 京 ! 👋 Bob's car", Entities: []gold.Span{{Start: 8, End: 11, Label: "LOC"}, {Start: 16, End: 21, Label: "PER"}}}
	if !reflect.DeepEqual(got, []gold.Doc{wantDoc}) {
		t.Fatalf("read back %+v, want %+v", got, wantDoc)
	}
	if gold.AlignKey(got[0].Text) != gold.AlignKey(d.Text) {
		t.Errorf("align keys differ: %q vs %q", gold.AlignKey(got[0].Text), gold.AlignKey(d.Text))
	}
}

// CoNLL-2003's four columns, -DOCSTART- lines, IOB1 and BIOES tags read as
// seqeval reads them.
func TestReadCoNLL2003(t *testing.T) {
	in := "-DOCSTART- -X- -X- O\n\nEU NNP B-NP I-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP I-MISC\ncall NN I-NP O\n\n" +
		"Peter\tS-PER\nBlackburn\tO\nNew\tB-LOC\nYork\tE-LOC\n"
	got, err := gold.ReadAll(strings.NewReader(in), gold.CoNLL, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []gold.Doc{
		{Text: "EU rejects German call", Entities: []gold.Span{{Start: 0, End: 2, Label: "ORG"}, {Start: 11, End: 17, Label: "MISC"}}},
		{Text: "Peter Blackburn New York", Entities: []gold.Span{{Start: 0, End: 5, Label: "PER"}, {Start: 16, End: 24, Label: "LOC"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// Spans inside a token are widened to the whole token; two that then share
// a token are refused, naming both.
func TestSnapOutward(t *testing.T) {
	d := gold.Doc{Text: "The Parisian cafe", Entities: []gold.Span{{Start: 4, End: 9, Label: "LOC"}}}
	b := write(t, gold.CoNLL, gold.WriteOptions{}, []gold.Doc{d})
	if string(b) != "The O\nParisian B-LOC\ncafe O\n\n" {
		t.Errorf("snapped:\n%s", b)
	}
	d.Entities = []gold.Span{{Start: 4, End: 7, Label: "LOC"}, {Start: 8, End: 12, Label: "MISC"}}
	var buf bytes.Buffer
	w, _ := gold.NewWriter(&buf, gold.CoNLL, gold.WriteOptions{})
	err := w.Write(d)
	if !errors.Is(err, gold.ErrInvalid) || !strings.Contains(err.Error(), `LOC [4,7) "Par"`) || !strings.Contains(err.Error(), `MISC [8,12) "sian"`) || !strings.Contains(err.Error(), "Parisian") {
		t.Errorf("shared token: %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q for a refused document", buf.String())
	}
	d.Entities = []gold.Span{{Start: 3, End: 4, Label: "X"}}
	if err := w.Write(d); !errors.Is(err, gold.ErrInvalid) || !strings.Contains(err.Error(), "white space") {
		t.Errorf("space-only entity: %v", err)
	}
}

// Overlapping entities are refused by every reader and writer with a
// message naming the document and both spans.
func TestOverlapRefused(t *testing.T) {
	d := gold.Doc{ID: "7", Text: "New York City", Entities: []gold.Span{{Start: 0, End: 8, Label: "LOC"}, {Start: 4, End: 13, Label: "LOC"}}}
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, gold.ErrInvalid) || !strings.Contains(err.Error(), "overlap") ||
			!strings.Contains(err.Error(), `LOC [0,8) "New York"`) || !strings.Contains(err.Error(), `LOC [4,13) "York City"`) ||
			!strings.Contains(err.Error(), "document 1") {
			t.Errorf("%s: %v", what, err)
		}
	}
	d.Entities[0], d.Entities[1] = d.Entities[1], d.Entities[0] // unsorted: the writers sort a copy
	for _, f := range []gold.Format{gold.CoNLL, gold.SpaCy, gold.LabelStudio, gold.Doccano} {
		w, _ := gold.NewWriter(&bytes.Buffer{}, f, gold.WriteOptions{})
		check("write "+string(f), w.Write(d))
	}
	if d.Entities[0].Start != 4 {
		t.Errorf("Write reordered the caller's entities: %+v", d.Entities)
	}
	files := map[gold.Format]string{
		gold.SpaCy:       `{"text":"New York City","spans":[{"start":0,"end":8,"label":"LOC"},{"start":4,"end":13,"label":"LOC"}]}`,
		gold.Doccano:     `{"id":7,"text":"New York City","label":[[4,13,"LOC"],[0,8,"LOC"]]}`,
		gold.LabelStudio: `[{"id":7,"data":{"text":"New York City"},"annotations":[{"result":[{"type":"labels","value":{"start":0,"end":8,"labels":["LOC"]}},{"type":"labels","value":{"start":4,"end":13,"labels":["LOC"]}}]}]}]`,
	}
	for f, s := range files {
		_, err := gold.ReadAll(strings.NewReader(s), f, 0)
		check("read "+string(f), err)
		if f != gold.SpaCy && !strings.Contains(err.Error(), "(id 7)") {
			t.Errorf("read %s: %v does not name id 7", f, err)
		}
	}
}

// Label Studio: the first annotation not cancelled wins; predictions are
// read when there is none; old UTF-16 offsets of emoji texts are fixed by
// the span's text.
func TestReadLabelStudio(t *testing.T) {
	in := `[
 {"id": 1, "data": {"text": "💩This is an annotation."},
  "annotations": [{"was_cancelled": true, "result": []},
                  {"result": [{"from_name":"label","to_name":"text","type":"labels","value":{"start":13,"end":23,"text":"annotation","labels":["Thing"]}},
                              {"from_name":"sentiment","to_name":"text","type":"choices","value":{"choices":["Negative"]}}]}]},
 {"id": 2, "data": {"review": "Bob 😀 likes Apple"},
  "predictions": [{"model_version": "ner@1", "result": [{"type":"labels","value":{"start":12,"end":17,"labels":["ORG"]},"score":0.9}]}]}
]`
	got, err := gold.ReadAll(strings.NewReader(in), gold.LabelStudio, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []gold.Doc{
		{ID: "1", Text: "💩This is an annotation.", Sentiment: "Negative", Entities: []gold.Span{{Start: 12, End: 22, Label: "Thing"}}},
		{ID: "2", Text: "Bob 😀 likes Apple", Model: "ner@1", Entities: []gold.Span{{Start: 12, End: 17, Label: "ORG", Score: 0.9}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// doccano's shapes: triples, text-classification labels, entity objects.
func TestReadDoccano(t *testing.T) {
	in := `{"id": 1, "text": "Bob 😀 likes Apple", "label": [[12, 17, "ORG"]]}
{"id": 2, "text": "great stuff", "label": ["positive"]}
{"text": "Ann in Rome", "entities": [{"id": 5, "label": "LOC", "start_offset": 7, "end_offset": 11}], "cats": ["neutral"]}
{"text": "no entities", "label": []}
{"text": "Ann in Rome", "entities": [{"label": "PER", "start": 0, "end": 3, "text": "Ann"}], "source": "nlpscope"}
`
	got, err := gold.ReadAll(strings.NewReader(in), gold.Doccano, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []gold.Doc{
		{ID: "1", Text: "Bob 😀 likes Apple", Entities: []gold.Span{{Start: 12, End: 17, Label: "ORG"}}},
		{ID: "2", Text: "great stuff", Sentiment: "positive"},
		{Text: "Ann in Rome", Sentiment: "neutral", Entities: []gold.Span{{Start: 7, End: 11, Label: "LOC"}}},
		{Text: "no entities", Entities: []gold.Span{}},
		{Text: "Ann in Rome", Entities: []gold.Span{{Start: 0, End: 3, Label: "PER"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// Bad input is an ErrInvalid that says where.
func TestReadErrors(t *testing.T) {
	cases := []struct {
		f    gold.Format
		in   string
		want string
	}{
		{gold.CoNLL, "Alice B-PER\nlonely\n", "line 2"},
		{gold.CoNLL, "Alice X-PER\n", `tag "X-PER"`},
		{gold.CoNLL, "# text = Bob went\nAlice B-PER\n", "does not follow"},
		{gold.SpaCy, `{"text": "abc", "spans": [{"start": 1, "end": 9, "label": "X"}]}`, "outside the text"},
		{gold.SpaCy, `not json`, "line 1"},
		{gold.Doccano, `{"text": "abc", "label": [[0, "x", "X"]]}`, "integer offsets"},
		{gold.LabelStudio, `[{"data": {"text": "abc"}}, 5]`, "document 2"},
		{gold.LabelStudio, `[{"data": {"text": "abc"}}`, "after task 1"},
		{gold.SentimentCSV, "body,label\nx,y\n", "want columns text and label"},
		{gold.SentimentJSONL, `{"text": "  "}`, "empty text"},
	}
	for _, c := range cases {
		_, err := gold.ReadAll(strings.NewReader(c.in), c.f, 0)
		if !errors.Is(err, gold.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q: %v, want an ErrInvalid with %q", c.f, c.in, err, c.want)
		}
	}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		name, head string
		want       gold.Format
	}{
		{"a.conll", "", gold.CoNLL},
		{"a.csv", "", gold.SentimentCSV},
		{"a.json", "", gold.LabelStudio},
		{"a.jsonl", `{"text":"x","spans":[]}`, gold.SpaCy},
		{"a.jsonl", `{"data":{"text":"x"}}`, gold.LabelStudio},
		{"a.jsonl", `{"text":"x","label":[[0,1,"X"]]}`, gold.Doccano},
		{"a.jsonl", `{"text":"x","label":"POSITIVE"}`, gold.SentimentJSONL},
		{"upload", "EU B-ORG\n", gold.CoNLL},
	}
	for _, c := range cases {
		if got, err := gold.Detect(c.name, []byte(c.head)); err != nil || got != c.want {
			t.Errorf("Detect(%q, %q) = %q, %v; want %q", c.name, c.head, got, err, c.want)
		}
	}
	if _, err := gold.ParseFormat("xml"); !errors.Is(err, gold.ErrInvalid) || !strings.Contains(err.Error(), "conll") {
		t.Errorf("ParseFormat(xml): %v", err)
	}
}

// Tokens are UAX #29 words without white space; offsets are code points.
func TestTokenize(t *testing.T) {
	got := gold.Tokenize("Don't panic, 東京 👨‍👩‍👧!")
	var texts []string
	for _, tk := range got {
		if gold.Slice("Don't panic, 東京 👨‍👩‍👧!", tk.Start, tk.End) != tk.Text {
			t.Errorf("token %+v: offsets do not give its text", tk)
		}
		texts = append(texts, tk.Text)
	}
	if want := []string{"Don't", "panic", ",", "東", "京", "👨‍👩‍👧", "!"}; !reflect.DeepEqual(texts, want) {
		t.Errorf("tokens %q, want %q", texts, want)
	}
}
