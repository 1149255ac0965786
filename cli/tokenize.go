package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nlpscope/nlpscope/engine/tokenize"
)

// tokenizeOutput is one line of `nlpscope tokenize` output. Offsets are
// Unicode code-point offsets into the input text, end exclusive.
type tokenizeOutput struct {
	IDs         []int64          `json:"ids"`
	Tokens      []string         `json:"tokens"`
	Offsets     [][2]int         `json:"offsets"`
	Overflowing []tokenizeOutput `json:"overflowing,omitempty"`
}

const tokenizeUsage = "usage: nlpscope tokenize (--model DIR | --tokenizer FILE) [--max-length N] [--no-special] < in.jsonl"

// cmdTokenize reads JSONL {"text": …} on stdin and writes one JSONL
// {"ids", "tokens", "offsets"} line per input with a tokenizer.json.
// Bad lines are reported with their line number on stderr; the exit code is
// 1 when any line failed.
func cmdTokenize(ctx context.Context, std Stdio, args []string) error {
	fs := flag.NewFlagSet("tokenize", flag.ContinueOnError)
	fs.SetOutput(std.Err)
	modelDir := fs.String("model", "", "model folder holding tokenizer.json")
	file := fs.String("tokenizer", "", "tokenizer.json file")
	maxLen := fs.Int("max-length", 0, "truncate to this many tokens, special tokens included (0: as in tokenizer.json)")
	noSpecial := fs.Bool("no-special", false, "do not add special tokens ([CLS], [SEP], …)")
	fs.Usage = func() {
		fmt.Fprintln(std.Err, tokenizeUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case (*modelDir == "") == (*file == ""):
		return withUsage(tokenizeUsage, "give one of --model and --tokenizer")
	case fs.NArg() > 0:
		return withUsage(tokenizeUsage, "unexpected argument %q (texts come on stdin)", fs.Arg(0))
	case *maxLen < 0:
		return withUsage(tokenizeUsage, "--max-length %d: want 0 or more", *maxLen)
	}
	path := *file
	if path == "" {
		path = filepath.Join(*modelDir, "tokenizer.json")
	}
	tk, err := tokenize.FromFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return &usageError{err: err}
		}
		return err
	}
	opts := tokenize.EncodeOptions{AddSpecialTokens: !*noSpecial}
	if *maxLen > 0 {
		opts.Truncation = &tokenize.Truncation{MaxLength: *maxLen}
		if tr := tk.Truncation(); tr != nil {
			opts.Truncation.Stride = min(tr.Stride, max(*maxLen-tk.SpecialTokensAdded()-1, 0))
			opts.Truncation.Direction = tr.Direction
		}
	}

	sc := bufio.NewScanner(std.In)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	out := bufio.NewWriter(std.Out)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	failed := 0
	line := 0
	for sc.Scan() {
		line++
		if err := ctx.Err(); err != nil {
			return err
		}
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var in struct {
			Text *string `json:"text"`
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			fmt.Fprintf(std.Err, "stdin:%d: bad JSON: %v\n", line, err)
			failed++
			continue
		}
		if in.Text == nil {
			fmt.Fprintf(std.Err, "stdin:%d: missing \"text\"\n", line)
			failed++
			continue
		}
		e, err := tk.EncodeWithOptions(*in.Text, opts)
		if err != nil {
			fmt.Fprintf(std.Err, "stdin:%d: %v\n", line, err)
			failed++
			continue
		}
		if err := enc.Encode(toTokenizeOutput(*in.Text, e)); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("stdin:%d: %w", line+1, err)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if failed > 0 {
		return fmt.Errorf("%d line(s) failed", failed)
	}
	return nil
}

func toTokenizeOutput(text string, e tokenize.Encoding) tokenizeOutput {
	o := tokenizeOutput{IDs: e.IDs, Tokens: e.Tokens, Offsets: make([][2]int, len(e.Offsets))}
	if o.IDs == nil {
		o.IDs, o.Tokens = []int64{}, []string{}
	}
	for i, off := range tokenize.CodePointOffsets(text, e.Offsets) {
		o.Offsets[i] = [2]int{off.Start, off.End}
	}
	for _, ov := range e.Overflowing {
		o.Overflowing = append(o.Overflowing, toTokenizeOutput(text, ov))
	}
	return o
}
