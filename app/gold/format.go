package gold

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// Format is a training-data format.
type Format string

// The formats. Every one is read and written; offsets are code points.
const (
	CoNLL          Format = "conll"           // IOB2, "TOKEN TAG" per line, blank line between documents
	SpaCy          Format = "spacy"           // JSONL {"text", "spans": [{"start", "end", "label"}], "cats"?}
	LabelStudio    Format = "labelstudio"     // JSON array of tasks (data.text; annotations/predictions)
	Doccano        Format = "doccano"         // JSONL {"text", "label": [[start, end, "LABEL"]], "cats"?}
	SentimentCSV   Format = "sentiment-csv"   // CSV with header text,label
	SentimentJSONL Format = "sentiment-jsonl" // JSONL {"text", "label"}
)

// Formats lists every format, in the order help texts show them.
var Formats = []Format{CoNLL, SpaCy, LabelStudio, Doccano, SentimentCSV, SentimentJSONL}

// ParseFormat checks a format name ("" is an error).
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Formats, f) {
		return f, nil
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("%w: format %q (want %s)", ErrInvalid, s, strings.Join(names, ", "))
}

// Detect guesses the format of a file from its name and its first bytes:
// .conll/.iob/.iob2/.bio/.txt are CoNLL, .csv sentiment CSV, .json Label
// Studio; a .jsonl line with "spans" is spaCy, with "data" Label Studio,
// with a "label" or "entities" list doccano, else sentiment JSONL.
func Detect(name string, head []byte) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".conll", ".iob", ".iob2", ".bio", ".txt", ".tsv":
		return CoNLL, nil
	case ".csv":
		return SentimentCSV, nil
	case ".json":
		return LabelStudio, nil
	}
	line := bytes.TrimSpace(head)
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	switch {
	case len(line) > 0 && line[0] == '[':
		return LabelStudio, nil
	case len(line) > 0 && line[0] == '{':
		switch {
		case bytes.Contains(line, []byte(`"spans"`)):
			return SpaCy, nil
		case bytes.Contains(line, []byte(`"data"`)):
			return LabelStudio, nil
		case bytes.Contains(line, []byte(`"label":[`)), bytes.Contains(line, []byte(`"label": [`)), bytes.Contains(line, []byte(`"entities"`)):
			return Doccano, nil
		}
		return SentimentJSONL, nil
	case len(line) > 0:
		return CoNLL, nil
	}
	return "", fmt.Errorf("%w: %s: cannot tell the format of an empty file (give --format)", ErrInvalid, name)
}

// Read calls fn with each document of r, in order. Every document is
// checked (Check): a bad one stops the read with an ErrInvalid naming it.
func Read(r io.Reader, f Format, fn func(Doc) error) error {
	switch f {
	case CoNLL:
		return readCoNLL(r, fn)
	case SpaCy:
		return readSpacy(r, fn)
	case LabelStudio:
		return readLabelStudio(r, fn)
	case Doccano:
		return readDoccano(r, fn)
	case SentimentCSV:
		return readSentimentCSV(r, fn)
	case SentimentJSONL:
		return readSentimentJSONL(r, fn)
	}
	_, err := ParseFormat(string(f))
	return err
}

// ReadAll reads every document of r, at most max (0 = no limit).
func ReadAll(r io.Reader, f Format, max int) ([]Doc, error) {
	var out []Doc
	errFull := errors.New("full")
	err := Read(r, f, func(d Doc) error {
		if max > 0 && len(out) == max {
			return errFull
		}
		out = append(out, d)
		return nil
	})
	if err == errFull {
		return nil, fmt.Errorf("%w: more than %d documents", ErrInvalid, max)
	}
	return out, err
}

// Writer writes documents in one format. Write checks each document first
// (an invalid one is an ErrInvalid naming it, and nothing of it is
// written); Close finishes the file and flushes.
type Writer interface {
	Write(Doc) error
	Close() error
}

// WriteOptions tune a Writer.
type WriteOptions struct {
	// Predictions writes Label Studio "predictions" (with model_version
	// and scores) instead of "annotations".
	Predictions bool
	// Comments adds "# id = ", "# text = " and "# sentiment = " lines
	// before each CoNLL document, so that reading it back restores the
	// exact text and the sentiment. Tools that do not skip such lines need
	// it off (the default).
	Comments bool
}

// NewWriter returns a Writer of format f to w.
func NewWriter(w io.Writer, f Format, o WriteOptions) (Writer, error) {
	switch f {
	case CoNLL:
		return &conllWriter{w: bufio.NewWriterSize(w, 64<<10), comments: o.Comments}, nil
	case SpaCy:
		return newJSONWriter(w, spacyOut), nil
	case LabelStudio:
		return &lsWriter{w: bufio.NewWriterSize(w, 64<<10), predictions: o.Predictions}, nil
	case Doccano:
		return newJSONWriter(w, doccanoOut), nil
	case SentimentCSV:
		bw := bufio.NewWriterSize(w, 64<<10)
		return &csvWriter{bw: bw, cw: csv.NewWriter(bw)}, nil
	case SentimentJSONL:
		return newJSONWriter(w, sentimentOut), nil
	}
	_, err := ParseFormat(string(f))
	return nil, err
}

// ContentType is the MIME type of a file of format f.
func ContentType(f Format) string {
	switch f {
	case LabelStudio:
		return "application/json"
	case SpaCy, Doccano, SentimentJSONL:
		return "application/x-ndjson"
	case SentimentCSV:
		return "text/csv; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// Ext is the file extension of format f, without the dot.
func Ext(f Format) string {
	switch f {
	case LabelStudio:
		return "json"
	case SpaCy, Doccano, SentimentJSONL:
		return "jsonl"
	case SentimentCSV:
		return "csv"
	}
	return "conll"
}

// csvWriter writes the sentiment CSV: a header text,label, one row per
// document.
type csvWriter struct {
	bw     *bufio.Writer
	cw     *csv.Writer
	n      int
	header bool
}

func (c *csvWriter) Write(d Doc) error {
	c.n++
	if err := Check(c.n, &d); err != nil {
		return err
	}
	if !c.header {
		c.header = true
		if err := c.cw.Write([]string{"text", "label"}); err != nil {
			return err
		}
	}
	return c.cw.Write([]string{d.Text, d.Sentiment})
}

func (c *csvWriter) Close() error {
	if !c.header {
		c.cw.Write([]string{"text", "label"})
	}
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

// readSentimentCSV reads a CSV whose header names a "text" column and a
// "label" (or "sentiment") column; other columns are ignored, "id" is kept.
func readSentimentCSV(r io.Reader, fn func(Doc) error) error {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return fmt.Errorf("%w: empty CSV (want a header text,label)", ErrInvalid)
		}
		return fmt.Errorf("%w: CSV header: %v", ErrInvalid, err)
	}
	ti, li, ii := -1, -1, -1
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "text":
			ti = i
		case "label", "sentiment":
			if li < 0 {
				li = i
			}
		case "id":
			ii = i
		}
	}
	if ti < 0 || li < 0 {
		return fmt.Errorf("%w: CSV header %q: want columns text and label", ErrInvalid, strings.Join(head, ","))
	}
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		n++
		if err != nil {
			return docError(n, "", "CSV: %v", err)
		}
		if ti >= len(rec) || li >= len(rec) {
			return docError(n, "", "CSV row has %d fields, want text and label", len(rec))
		}
		d := Doc{Text: rec[ti], Sentiment: strings.TrimSpace(rec[li])}
		if ii >= 0 && ii < len(rec) {
			d.ID = rec[ii]
		}
		if err := Check(n, &d); err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
	}
}
