package gold_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/nlpscope/nlpscope/app/gold"
)

// fuzzRead checks a reader on arbitrary input: it never panics, fails only
// with ErrInvalid, and what it reads is valid and survives a round trip
// through the same format (exactly, except CoNLL's re-tokenised text).
func fuzzRead(f *testing.F, format gold.Format, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		docs, err := gold.ReadAll(bytes.NewReader(in), format, 1000)
		if err != nil {
			if !errors.Is(err, gold.ErrInvalid) {
				t.Fatalf("error is not ErrInvalid: %v", err)
			}
			return
		}
		for i := range docs {
			if err := gold.Check(i+1, &docs[i]); err != nil {
				t.Fatalf("read an invalid document: %v", err)
			}
		}
		var buf bytes.Buffer
		w, _ := gold.NewWriter(&buf, format, gold.WriteOptions{Comments: true})
		for _, d := range docs {
			if err := w.Write(d); err != nil {
				if format == gold.CoNLL || !errors.Is(err, gold.ErrInvalid) {
					t.Fatalf("write back %+v: %v", d, err)
				}
				return // spans that cannot go on tokens (spaCy, Label Studio, doccano: mid-token spans sharing a token)
			}
		}
		w.Close()
		again, err := gold.ReadAll(bytes.NewReader(buf.Bytes()), format, 0)
		if err != nil {
			t.Fatalf("read back: %v\n%s", err, buf.Bytes())
		}
		if format == gold.SentimentCSV || format == gold.SentimentJSONL { // text and label only
			for i := range docs {
				docs[i].ID = ""
			}
		}
		if format != gold.CoNLL && !reflect.DeepEqual(normal(docs), normal(again)) {
			t.Fatalf("round trip:\n%+v\n%+v", docs, again)
		}
		if len(again) != len(docs) {
			t.Fatalf("read back %d documents, wrote %d", len(again), len(docs))
		}
	})
}

// normal drops what a format does not carry back (model, scores of a gold file).
func normal(ds []gold.Doc) []gold.Doc {
	out := make([]gold.Doc, len(ds))
	for i, d := range ds {
		d.Model, d.SentimentScore = "", 0
		if d.Entities != nil {
			es := make([]gold.Span, len(d.Entities))
			for j, s := range d.Entities {
				s.Score = 0
				es[j] = s
			}
			d.Entities = es
		}
		out[i] = d
	}
	return out
}

func FuzzReadCoNLL(f *testing.F) {
	fuzzRead(f, gold.CoNLL, "EU B-ORG\nrejects O\n\nPeter B-PER\n", "-DOCSTART- -X- -X- O\n\nx NN B-NP I-LOC\n",
		"# text = a  b\n# sentiment = POS\na B-X\nb I-X\n\n", "# text_json = \"a\\nb\"\na O\nb S-Y\n")
}

func FuzzReadSpacy(f *testing.F) {
	fuzzRead(f, gold.SpaCy, `{"text":"Alice 😀 Bob","spans":[{"start":0,"end":5,"label":"PER"},{"start":8,"end":11,"label":"PER"}],"cats":{"POS":1}}`,
		`{"text":"x","spans":[],"meta":{"id":3}}`)
}

func FuzzReadLabelStudio(f *testing.F) {
	fuzzRead(f, gold.LabelStudio, `[{"id":1,"data":{"text":"Bob 😀 likes Apple"},"annotations":[{"result":[{"type":"labels","value":{"start":12,"end":17,"text":"Apple","labels":["ORG"]}},{"type":"choices","value":{"choices":["POS"]}}]}]}]`,
		`{"data":{"t":"x"},"predictions":[{"model_version":"m","result":[]}]}`)
}

func FuzzReadDoccano(f *testing.F) {
	fuzzRead(f, gold.Doccano, `{"id":1,"text":"Bob 😀 likes Apple","label":[[12,17,"ORG"]],"cats":["POS"]}`,
		`{"text":"a b","label":["neg"]}`, `{"text":"Ann in Rome","entities":[{"start_offset":7,"end_offset":11,"label":"LOC"}]}`)
}

func FuzzReadSentimentCSV(f *testing.F) {
	fuzzRead(f, gold.SentimentCSV, "text,label\n\"a, b\",POS\nc,NEG\n", "id,label,text\n1,POS,x\n")
}

func FuzzReadSentimentJSONL(f *testing.F) {
	fuzzRead(f, gold.SentimentJSONL, `{"text":"great","label":"POSITIVE"}`, `{"id":2,"text":"bad","sentiment":"NEG"}`)
}
