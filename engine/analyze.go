package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Sentiment classifies one text. It is safe for concurrent use; concurrent
// calls share batches.
func (e *Engine) Sentiment(ctx context.Context, text string, opts Options) (Sentiment, error) {
	out, err := e.SentimentBatch(ctx, []string{text}, opts)
	if err != nil {
		return Sentiment{}, err
	}
	return out[0], nil
}

// SentimentBatch classifies texts; all are validated first, so one bad text
// fails the call before anything is computed.
func (e *Engine) SentimentBatch(ctx context.Context, texts []string, opts Options) ([]Sentiment, error) {
	method, err := ParseSentimentMethod(opts.SentimentMethod)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	opts.SentimentMethod = method
	out := make([]Sentiment, len(texts))
	err = e.run(ctx, TaskSentiment, texts, opts, func(p *pipeline, i int, encs []encoding, res []seqResult) {
		s := readSentiment(p, texts[i], method, encs, res)
		s.Model = p.info.ID
		out[i] = s
	}, func(i int, v any, t Timings) {
		s := v.(Sentiment)
		s.Scores = slices.Clone(s.Scores)
		s.Sentences = slices.Clone(s.Sentences)
		if s.Computed == nil {
			orig := s.Timings
			s.Computed = &orig
		}
		s.Timings = t
		out[i] = s
	}, func(i int) any { return out[i] }, func(i int, t Timings, cached bool) {
		out[i].Timings, out[i].Cached = t, cached
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Entities extracts named entities from one text. Texts longer than the
// model's window are split into overlapping windows and merged.
func (e *Engine) Entities(ctx context.Context, text string, opts Options) (Entities, error) {
	out, err := e.EntitiesBatch(ctx, []string{text}, opts)
	if err != nil {
		return Entities{}, err
	}
	return out[0], nil
}

// EntitiesBatch is the batch form of Entities; all texts are validated first.
func (e *Engine) EntitiesBatch(ctx context.Context, texts []string, opts Options) ([]Entities, error) {
	agg := opts.Aggregation
	if agg == "" {
		agg = AggSimple
	}
	if !validAggregation(agg) {
		return nil, fmt.Errorf("engine: unknown aggregation %q (want none, simple, first, average or max)", opts.Aggregation)
	}
	opts.Aggregation = agg
	out := make([]Entities, len(texts))
	err := e.run(ctx, TaskEntities, texts, opts, func(p *pipeline, i int, encs []encoding, res []seqResult) {
		logits := make([][]float32, len(res))
		for _, r := range res {
			logits[r.idx] = r.logits
		}
		toks := mergeWindows(encs, logits, len(p.labels))
		out[i] = Entities{Entities: decodeEntities(toks, p.tok, p.labels, texts[i], agg), Model: p.info.ID}
	}, func(i int, v any, t Timings) {
		en := v.(Entities)
		en.Entities = slices.Clone(en.Entities)
		if en.Computed == nil {
			orig := en.Timings
			en.Computed = &orig
		}
		en.Timings = t
		out[i] = en
	}, func(i int) any { return out[i] }, func(i int, t Timings, cached bool) {
		out[i].Timings, out[i].Cached = t, cached
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// run is the common request path of both pipelines: validate every text,
// answer from the cache where possible, tokenize the rest in the calling
// goroutine, submit their windows to the model's batcher, wait, and
// post-process each text with post (also in the calling goroutine).
func (e *Engine) run(ctx context.Context, task Task, texts []string, opts Options,
	post func(p *pipeline, i int, encs []encoding, res []seqResult),
	fromCache func(i int, v any, t Timings),
	toCache func(i int) any,
	setTimings func(i int, t Timings, cached bool),
) error {
	obs := e.cfg.Observer
	fail := func(err error) error {
		if obs != nil {
			obs.ObserveRequest(task, Timings{}, false, err)
		}
		return err
	}
	for i, text := range texts {
		if err := CheckText(text, e.cfg.MaxTextBytes); err != nil {
			if len(texts) > 1 {
				err = fmt.Errorf("text %d: %w", i, err)
			}
			return fail(err)
		}
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var p *pipeline
		if p, err = e.pipeline(task); err != nil {
			return fail(err)
		}
		err = e.runOn(ctx, p, task, texts, opts, post, fromCache, toCache, setTimings)
		// ErrClosed from a batcher while the engine is open means the model was
		// replaced under us: retry on the new one.
		if !errors.Is(err, ErrClosed) {
			break
		}
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

func (e *Engine) runOn(ctx context.Context, p *pipeline, task Task, texts []string, opts Options,
	post func(p *pipeline, i int, encs []encoding, res []seqResult),
	fromCache func(i int, v any, t Timings),
	toCache func(i int) any,
	setTimings func(i int, t Timings, cached bool),
) error {
	// Whatever this call leaves queued when it returns early (overload,
	// cancellation, a failed window) is skipped by the batcher.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	obs := e.cfg.Observer
	t := e.Tuning()
	useCache := !opts.NoCache && t.CacheEntries > 0
	stride := 0
	if task == TaskEntities {
		stride = t.Stride
		if stride == 0 {
			stride = p.maxLength / 4
		}
	}
	optKey := opts.SentimentMethod
	if task == TaskEntities {
		optKey = opts.Aggregation + "/" + strconv.Itoa(stride)
	}
	type job struct {
		i       int
		key     string
		encs    []encoding
		timings Timings
		res     chan seqResult
	}
	lane := laneOf(opts)
	jobs := make([]*job, 0, len(texts))
	var release func() // the admission's reservation
	var err error
	for i, text := range texts {
		key := ""
		if useCache && len(text) <= maxCachedTextBytes {
			key = cacheKey(p.info.Hash, task, optKey, text)
			start := e.now()
			if v, ok := e.cache.get(key); ok {
				tm := Timings{CacheLookup: e.now().Sub(start)}
				fromCache(i, v, tm)
				setTimings(i, tm, true)
				if obs != nil {
					obs.ObserveRequest(task, tm, true, nil)
				}
				continue
			}
		}
		// Refuse before any tokenizing or queueing when the wait would be
		// over the bound; texts already cached were answered above.
		if release == nil {
			seqs, toks := expectedWork(texts[i:], p.maxLength, task == TaskSentiment)
			if release, err = p.batcher.admit(lane, seqs, toks); err != nil {
				return err
			}
			defer func() { release() }()
		}
		start := e.now()
		maxLen := p.maxLength
		encs, err := p.tok.encode(text, maxLen, stride)
		if err != nil {
			return fmt.Errorf("tokenize: %w", err)
		}
		if task == TaskSentiment {
			if encs, err = p.sentimentWindows(text, encs, opts.SentimentMethod); err != nil {
				return fmt.Errorf("tokenize: %w", err)
			}
		}
		jobs = append(jobs, &job{i: i, key: key, encs: encs, timings: Timings{Tokenize: e.now().Sub(start)}})
	}
	// A call larger than the queue goes in waves of half its lane, so a big
	// batch is never refused for its own size; concurrent callers that fill
	// the queue still fail fast with ErrOverloaded.
	wave := max(1, p.batcher.capacity(lane)/2)
	if release != nil { // the real sequences replace the reservation
		release()
		release = func() {}
	}
	for start := 0; start < len(jobs); {
		end, n := start, 0
		for end < len(jobs) && (end == start || n+len(jobs[end].encs) <= wave) {
			n += len(jobs[end].encs)
			end++
		}
		for _, j := range jobs[start:end] {
			j.res = make(chan seqResult, len(j.encs))
			for w := range j.encs {
				if err := p.batcher.submit(&seqRequest{ctx: ctx, enc: &j.encs[w], idx: w, lane: lane, res: j.res}); err != nil {
					return err
				}
			}
		}
		for _, j := range jobs[start:end] {
			res := make([]seqResult, len(j.encs))
			for range j.encs {
				select {
				case r := <-j.res:
					if r.err != nil {
						return r.err
					}
					res[r.idx] = r
					j.timings.QueueWait = max(j.timings.QueueWait, r.queueWait)
					j.timings.Inference = max(j.timings.Inference, r.inference)
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			t0 := e.now()
			post(p, j.i, j.encs, res)
			j.timings.Postprocess = e.now().Sub(t0)
			setTimings(j.i, j.timings, false)
			if j.key != "" {
				e.cache.put(j.key, toCache(j.i))
			}
			if obs != nil {
				obs.ObserveRequest(task, j.timings, false, nil)
			}
		}
		start = end
	}
	return nil
}

// expectedWork guesses, before tokenizing, how many sequences and tokens
// texts will take: about 4 bytes a token, windows of maxLength (one per
// text for sequence classification).
func expectedWork(texts []string, maxLength int, firstWindow bool) (seqs, tokens int64) {
	maxLength = max(maxLength, 1)
	for _, t := range texts {
		n := int64(len(t)/4 + 2)
		if firstWindow {
			n = min(n, int64(maxLength))
			seqs++
		} else {
			seqs += (n + int64(maxLength) - 1) / int64(maxLength)
		}
		tokens += n
	}
	return seqs, tokens
}
