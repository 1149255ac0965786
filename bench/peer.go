package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/tokenize"
)

// peer drives transformers.js through bench/peer/driver.mjs, one JSON line
// per command.
type peer struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// peerReply is the union of the driver's answers.
type peerReply struct {
	Error     string    `json:"error"`
	OK        bool      `json:"ok"`
	Version   string    `json:"version"`
	ORT       string    `json:"ort"`
	Ops       float64   `json:"ops"`
	ElapsedMs float64   `json:"elapsed_ms"`
	LatMs     []float64 `json:"lat_ms"`
	Labels    []string  `json:"labels"`
}

// startPeer starts the driver; it fails with a plain reason when Node or
// the installed package is missing.
func startPeer(ctx context.Context, peerDir string) (*peer, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("Node.js is not installed (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(peerDir, "node_modules", "@huggingface", "transformers", "package.json")); err != nil {
		return nil, fmt.Errorf("@huggingface/transformers is not installed in %s (run: cd %s && ONNXRUNTIME_NODE_INSTALL=skip npm install)", peerDir, peerDir)
	}
	cmd := exec.CommandContext(ctx, node, "driver.mjs")
	cmd.Dir = peerDir
	cmd.Stderr = io.Discard
	cmd.Env = append(os.Environ(), "ONNXRUNTIME_NODE_INSTALL=skip", "HF_HUB_OFFLINE=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start node: %w", err)
	}
	return &peer{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}, nil
}

func (p *peer) call(cmd map[string]any) (peerReply, error) {
	var r peerReply
	b, _ := json.Marshal(cmd)
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		return r, fmt.Errorf("peer: write: %w", err)
	}
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return r, fmt.Errorf("peer: read: %w", err)
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("peer: bad reply %.200q: %w", line, err)
	}
	if r.Error != "" {
		return r, errors.New("peer: " + firstLine(r.Error))
	}
	return r, nil
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

func (p *peer) close() {
	p.in.Close()
	p.cmd.Wait()
}

// contender runs one command in the peer: timed (duration_ms) or, with
// fixed set, a fixed-work slice of calls sized like the engine's.
func (p *peer) contender(cmd map[string]any, fixed bool, minCalls int) contender {
	z := &sizer{minCalls: minCalls}
	return func(ctx context.Context, d time.Duration) (slice, error) {
		c := map[string]any{"duration_ms": d.Milliseconds()}
		n := z.calls(d)
		if fixed {
			c["count"] = n
		}
		for k, v := range cmd {
			c[k] = v
		}
		r, err := p.call(c)
		if err != nil {
			return slice{}, err
		}
		z.observe(n, time.Duration(r.ElapsedMs*float64(time.Millisecond)))
		s := slice{Ops: r.Ops, Elapsed: time.Duration(r.ElapsedMs * float64(time.Millisecond))}
		for _, l := range r.LatMs {
			s.Lat = append(s.Lat, time.Duration(l*float64(time.Millisecond)))
		}
		return s, nil
	}
}

// peerFolder lays the model folder out as transformers.js expects it
// (onnx/model.onnx, tokenizer_config.json) with links to the original files.
func peerFolder(src, dst string) error {
	if err := os.MkdirAll(filepath.Join(dst, "onnx"), 0o755); err != nil {
		return err
	}
	link := func(from, to string) error {
		abs, err := filepath.Abs(from)
		if err != nil {
			return err
		}
		os.Remove(to)
		return os.Symlink(abs, to)
	}
	for _, f := range []string{"config.json", "tokenizer.json"} {
		if err := link(filepath.Join(src, f), filepath.Join(dst, f)); err != nil {
			return err
		}
	}
	if err := link(filepath.Join(src, "model.onnx"), filepath.Join(dst, "onnx", "model.onnx")); err != nil {
		return err
	}
	tc := filepath.Join(src, "tokenizer_config.json")
	if _, err := os.Stat(tc); err == nil {
		return link(tc, filepath.Join(dst, "tokenizer_config.json"))
	}
	return os.WriteFile(filepath.Join(dst, "tokenizer_config.json"),
		[]byte(`{"tokenizer_class": "BertTokenizer", "do_lower_case": true, "model_max_length": 512, "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]"}`+"\n"), 0o644)
}

// peerSection compares the engine with transformers.js on the DistilBERT-shaped
// sequence model: fp32 and our INT8 (section 4), and the tokenizers.
func (b *benchRun) peerSection(ctx context.Context, fp32Dir, int8Dir string) error {
	ps := &b.report.Peer
	pdir, err := filepath.Abs(filepath.Join(b.out, "peer-models", filepath.Base(fp32Dir)))
	if err != nil {
		return err
	}
	if err := peerFolder(fp32Dir, pdir); err != nil {
		return err
	}
	p, err := startPeer(ctx, b.peerDir)
	if err != nil {
		ps.Why = err.Error()
		return nil
	}
	defer p.close()
	r, err := p.call(map[string]any{"op": "load", "dir": pdir, "threads": b.threads})
	if err != nil {
		ps.Why = "transformers.js could not load the model: " + err.Error()
		return nil
	}
	ps.Available, ps.Version, ps.ORTNode = true, r.Version, r.ORT
	texts := benchTexts(len(benchSentences))
	if _, err := p.call(map[string]any{"op": "texts", "texts": texts}); err != nil {
		return err
	}
	fp32, err := b.engineFor(ctx, engine.TaskSentiment, fp32Dir, engine.Tuning{CacheEntries: -1})
	if err != nil {
		return err
	}
	defer fp32.Close()
	add := func(c Comparison, err error) error {
		if err != nil {
			return err
		}
		ps.Comparisons = append(ps.Comparisons, c)
		b.progress("peer %s: %s", c.Name, fmtRatio(c))
		return nil
	}
	if !b.quick {
		one, err := compare(ctx, "single calls, 1 client (fp32)", "nlpscope", "transformers.js", "texts/s", b.pairs, b.slice,
			engineSingle(fp32, engine.TaskSentiment, 1, texts), p.contender(map[string]any{"op": "run", "mode": "concurrent", "concurrency": 1}, true, 2))
		if err == nil {
			one = one.withGoal(1.1)
			b.report.Key.PeerRatioFP32_1Client = f64(one.Ratio)
		}
		if err := add(one, err); err != nil {
			return err
		}
		if err := add(compare(ctx, "batches of 32 (fp32)", "nlpscope SentimentBatch", "transformers.js pipeline(texts)", "texts/s", b.pairs, 2*b.slice,
			engineBatches(fp32, 1, 32, texts), p.contender(map[string]any{"op": "run", "mode": "batch", "batch": 32}, true, 2))); err != nil {
			return err
		}
	} else {
		b.note("quick run: the peer's single-call and batch-32 comparisons run in the full run only")
	}
	c64, err := compare(ctx, "64 concurrent callers (fp32)", "nlpscope", "transformers.js", "texts/s", b.pairs, b.slice,
		engineSingle(fp32, engine.TaskSentiment, 64, texts), p.contender(map[string]any{"op": "run", "mode": "concurrent", "concurrency": 64}, true, 128))
	if err != nil {
		return err
	}
	c64 = c64.withGoal(1.1)
	if c64.P99A >= c64.P99B {
		f := false
		c64.Pass = &f
		c64.Note = fmt.Sprintf("p99 %.0f ms is not lower than the peer's %.0f ms", c64.P99A, c64.P99B)
	}
	ps.Comparisons = append(ps.Comparisons, c64)
	b.report.Key.PeerRatioFP32 = f64(c64.Ratio)
	b.progress("peer %s: %s", c64.Name, fmtRatio(c64))

	if int8Dir != "" {
		q, err := b.engineFor(ctx, engine.TaskSentiment, int8Dir, engine.Tuning{CacheEntries: -1})
		if err != nil {
			return err
		}
		defer q.Close()
		ci, err := compare(ctx, "64 concurrent callers (our INT8 vs peer fp32)", "nlpscope INT8", "transformers.js fp32", "texts/s", b.pairs, b.slice,
			engineSingle(q, engine.TaskSentiment, 64, texts), p.contender(map[string]any{"op": "run", "mode": "concurrent", "concurrency": 64}, true, 128))
		if err != nil {
			return err
		}
		ci = ci.withGoal(2)
		// Label disagreement of our INT8 with the peer's fp32.
		sample := append(benchTexts(len(benchSentences)), mixedTexts(b.disagreeN)...)
		lr, err := p.call(map[string]any{"op": "labels", "texts": sample})
		if err != nil {
			return err
		}
		res, err := q.SentimentBatch(ctx, sample, engine.Options{NoCache: true})
		if err != nil {
			return err
		}
		differ := 0
		for i, s := range res {
			if i >= len(lr.Labels) || s.Label != lr.Labels[i] {
				differ++
			}
		}
		d := float64(differ) / float64(len(sample))
		ps.Disagreement, ps.DisagreeN = &d, len(sample)
		if d > 0.01 && ci.Pass != nil && *ci.Pass {
			f := false
			ci.Pass = &f
			ci.Note = fmt.Sprintf("label disagreement %.2f %% is over 1 %%", 100*d)
		}
		ps.Comparisons = append(ps.Comparisons, ci)
		b.report.Key.PeerRatioINT8 = f64(ci.Ratio)
		b.progress("peer %s: %s", ci.Name, fmtRatio(ci))
	}
	tk, err := tokenize.FromFile(filepath.Join(fp32Dir, "tokenizer.json"))
	if err != nil {
		return err
	}
	tc, err := b.peerTokenizer(ctx, p, tokenizerContender(tk, texts))
	if err != nil {
		return err
	}
	b.report.Resources.Tokenizer = append(b.report.Resources.Tokenizer, tc)
	b.progress("peer %s: %s", tc.Name, fmtRatio(tc))
	return nil
}

// peerTokenizer compares our tokenizer with transformers.js's on the same
// tokenizer.json and texts (one thread each; Node runs the peer's).
func (b *benchRun) peerTokenizer(ctx context.Context, p *peer, ours contender) (Comparison, error) {
	return compare(ctx, "tokenizer vs transformers.js tokenizer (bert-base-uncased, sentences)", "nlpscope tokenize", "transformers.js tokenizer.encode", "tokens/s", b.pairs, b.slice,
		ours, p.contender(map[string]any{"op": "tokenize"}, false, 0))
}
