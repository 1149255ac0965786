package engine

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Lanes of a batcher's queue: a batch takes every waiting interactive
// sequence before any bulk one (Options.Bulk).
const (
	laneInteractive = iota
	laneBulk
	numLanes
)

func laneOf(opts Options) int {
	if opts.Bulk {
		return laneBulk
	}
	return laneInteractive
}

// seqRequest is one token sequence waiting for inference.
type seqRequest struct {
	ctx      context.Context
	enc      *encoding
	idx      int // position among the caller's sequences
	lane     int // laneInteractive or laneBulk
	enqueued time.Time
	others   int64            // sequences already in the batcher when this one came
	res      chan<- seqResult // buffered: the worker never blocks on it
}

// seqResult is the model output for one sequence.
type seqResult struct {
	idx       int
	logits    []float32 // [labels] or [len, labels]; owned by the caller
	queueWait time.Duration
	inference time.Duration
	err       error
}

// batcher groups sequences for one model into padded batches and runs them
// on its backend from a single worker goroutine. Its queue has two lanes:
// interactive sequences go first, bulk ones fill at most BulkQueueShare of
// it. Requests whose expected wait is over maxWait are refused before they
// are queued (admit).
type batcher struct {
	task      Task
	be        backend
	padID     int64
	tuning    *atomic.Pointer[Tuning]
	obs       Observer
	now       func() time.Time
	queueSize int
	maxWait   time.Duration // <0: no bound
	lanes     [numLanes]chan *seqRequest
	mu        sync.RWMutex // guards closed against concurrent submit
	closed    bool
	quit      chan struct{}
	done      chan struct{}
	in        batchInput
	cost      costModel
	arrivals  arrivalStats // worker goroutine only
	inflight  atomic.Int64 // submitted sequences not yet answered

	queued       [numLanes]atomic.Int64 // sequences waiting in each lane
	queuedTokens [numLanes]atomic.Int64 // their real tokens
	// Admitted requests still tokenizing: their expected sequences and
	// tokens (admit reserves them, the caller releases them once it has
	// submitted), so a herd arriving at an empty queue is not all admitted.
	pending       [numLanes]atomic.Int64
	pendingTokens [numLanes]atomic.Int64
	busyUntil     atomic.Int64 // UnixNano when the running flush should end; 0 = none running
	est           atomic.Pointer[costEstimate]
	slo           atomic.Pointer[sloController] // nil: no latency target (slo.go)
	seqLen        atomic.Int64                  // longest sequence of the last run, for the SLO bounds
}

// costEstimate is what the cost model has learnt, published by the worker
// for admit.
type costEstimate struct {
	fixed    float64 // ns per run
	perToken float64 // ns per padded token
	padding  float64 // padded / real tokens, ≥ 1
}

func newBatcher(task Task, be backend, padID int64, queueSize int, maxWait time.Duration, tuning *atomic.Pointer[Tuning], obs Observer, now func() time.Time, hasTypes bool) *batcher {
	b := &batcher{
		task: task, be: be, padID: padID, tuning: tuning, obs: obs, now: now,
		queueSize: queueSize, maxWait: maxWait,
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	b.lanes[laneInteractive] = make(chan *seqRequest, queueSize)
	b.lanes[laneBulk] = make(chan *seqRequest, b.capacity(laneBulk))
	if hasTypes {
		b.in.types = []int64{}
	}
	go b.loop()
	return b
}

// capacity is how many sequences lane may hold.
func (b *batcher) capacity(lane int) int {
	if lane == laneBulk {
		return max(1, int(float64(b.queueSize)*BulkQueueShare))
	}
	return b.queueSize
}

// submit enqueues one sequence. It never blocks: a full queue (or bulk
// share of it) fails with an OverloadError (ErrOverloaded), a closed batcher
// with ErrClosed. It is safe for concurrent use.
func (b *batcher) submit(r *seqRequest) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	if b.queued[laneInteractive].Load()+b.queued[laneBulk].Load() >= int64(b.queueSize) {
		return &OverloadError{Reason: ShedQueueFull}
	}
	r.enqueued = b.now()
	r.others = b.inflight.Add(1) - 1
	b.queued[r.lane].Add(1)
	b.queuedTokens[r.lane].Add(int64(r.enc.len()))
	select {
	case b.lanes[r.lane] <- r:
		return nil
	default:
		b.unqueue(r)
		b.inflight.Add(-1)
		return &OverloadError{Reason: ShedQueueFull}
	}
}

// unqueue counts r out of its lane.
func (b *batcher) unqueue(r *seqRequest) {
	b.queued[r.lane].Add(-1)
	b.queuedTokens[r.lane].Add(-int64(r.enc.len()))
}

// admit refuses, before anything is queued, a request of lane whose
// expected queue wait is over the batcher's bound. An admitted request's
// expected seqs and tokens count as queued until release is called (once
// its sequences are submitted, or it gave up). It is safe for concurrent
// use and never blocks.
func (b *batcher) admit(lane int, seqs, tokens int64) (release func(), err error) {
	b.pending[lane].Add(seqs)
	b.pendingTokens[lane].Add(tokens)
	release = func() {
		b.pending[lane].Add(-seqs)
		b.pendingTokens[lane].Add(-tokens)
	}
	bound := b.maxWait
	if c := b.slo.Load(); c != nil {
		// In SLO mode what is admitted must be served within the target.
		sb := c.waitBound(b.est.Load(), int(b.seqLen.Load()))
		if bound < 0 || sb < bound {
			bound = sb
		}
	}
	if bound < 0 {
		return release, nil
	}
	// Reserve first, then look without our own share: of two requests
	// admitted at once, at least one sees the other.
	if w, ok := b.expectedWait(lane, seqs, tokens); ok && w > bound {
		release()
		return nil, &OverloadError{Reason: ShedQueueWait, Wait: w, Bound: bound}
	}
	return release, nil
}

// expectedWait estimates how long a sequence of lane submitted now waits
// before its batch starts: the rest of the running flush plus the full
// batches queued (or admitted and still tokenizing) ahead of it
// (interactive: the interactive lane; bulk: both lanes), each costed by the
// cost model. ownSeqs and ownTokens are the caller's reservation, left out.
// ok is false until a batch has run.
func (b *batcher) expectedWait(lane int, ownSeqs, ownTokens int64) (time.Duration, bool) {
	est := b.est.Load()
	if est == nil {
		return 0, false
	}
	seqs, toks := -ownSeqs, -ownTokens
	for l := range lane + 1 { // interactive: lane 0 only; bulk: both
		seqs += b.queued[l].Load() + b.pending[l].Load()
		toks += b.queuedTokens[l].Load() + b.pendingTokens[l].Load()
	}
	var w float64
	if seqs > 0 && toks > 0 {
		t := b.limits()
		padded := float64(toks) * est.padding
		// The new sequence joins the last, partial batch: the full ones
		// (by count or by token budget) run before it.
		ahead := max(math.Floor(float64(seqs)/float64(t.MaxBatchSize)), math.Floor(padded/float64(t.TokenBudget)))
		share := min(1, ahead*float64(t.MaxBatchSize)/float64(seqs))
		w = ahead*est.fixed + share*padded*est.perToken
	}
	if until := b.busyUntil.Load(); until != 0 {
		w += max(0, float64(until-b.now().UnixNano()))
	}
	return time.Duration(w), true
}

// depth is the number of queued sequences.
func (b *batcher) depth() int { return len(b.lanes[laneInteractive]) + len(b.lanes[laneBulk]) }

// close stops accepting sequences, runs the queued ones and stops the worker.
func (b *batcher) close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		<-b.done
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	close(b.quit)
	<-b.done
	return b.be.close()
}

// next takes a waiting sequence without blocking, interactive first; nil
// when none waits.
func (b *batcher) next() *seqRequest {
	for _, q := range b.lanes {
		select {
		case r := <-q:
			b.unqueue(r)
			return r
		default:
		}
	}
	return nil
}

func (b *batcher) loop() {
	defer close(b.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var batch []*seqRequest
	for {
		first := b.next()
		if first == nil {
			select {
			case first = <-b.lanes[laneInteractive]:
			case first = <-b.lanes[laneBulk]:
			case <-b.quit:
				b.drain()
				return
			}
			b.unqueue(first)
		}
		t := *b.limits()
		batch = append(batch[:0], first)
		longest := first.enc.len()
		b.arrivals.observe(first)
		deadline := first.enqueued.Add(t.MaxDelay)
		// Wait for company up to MaxDelay after the first request, unless
		// (FixedDelay aside) requests have been arriving alone, as from a
		// single caller: then waiting only adds latency.
		wantCompany := t.FixedDelay || b.arrivals.busy()
		last := first.enqueued
		quitting := false
	collect:
		for len(batch) < t.MaxBatchSize && longest*len(batch) < t.TokenBudget {
			if r := b.next(); r != nil { // already waiting: take it
				batch = append(batch, r)
				longest = max(longest, r.enc.len())
				b.arrivals.observe(r)
				continue
			}
			if !wantCompany {
				break
			}
			// A pause of a few typical gaps within a burst means the burst
			// is over.
			wait := deadline.Sub(b.now())
			if !t.FixedDelay {
				wait = min(wait, b.arrivals.idle(t.MaxDelay))
			}
			if wait <= 0 {
				break
			}
			timer.Reset(wait)
			var r *seqRequest
			select {
			case r = <-b.lanes[laneInteractive]:
			case r = <-b.lanes[laneBulk]:
			case <-timer.C:
				break collect
			case <-b.quit:
				timer.Stop()
				quitting = true
				break collect
			}
			timer.Stop()
			b.unqueue(r)
			batch = append(batch, r)
			longest = max(longest, r.enc.len())
			b.arrivals.observe(r)
			if r.idx == 0 {
				b.arrivals.observeGap(r.enqueued.Sub(last))
				last = r.enqueued
			}
		}
		if c := b.slo.Load(); c != nil {
			c.observeFlush(len(batch) >= t.MaxBatchSize)
		}
		b.flush(batch, t)
		clear(batch)
		if quitting {
			b.drain()
			return
		}
	}
}

// drain runs everything still queued; called once no submit can succeed.
func (b *batcher) drain() {
	t := *b.tuning.Load()
	var batch []*seqRequest
	for {
		r := b.next()
		if r == nil {
			if len(batch) > 0 {
				b.flush(batch, t)
			}
			return
		}
		batch = append(batch, r)
		if len(batch) >= t.MaxBatchSize {
			b.flush(batch, t)
			batch = batch[:0]
		}
	}
}

// flush drops cancelled requests, sorts the rest by length and runs them in
// sub-batches of similar length when that saves more padded tokens than the
// extra runs cost.
func (b *batcher) flush(batch []*seqRequest, t Tuning) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			b.inflight.Add(-1)
			r.res <- seqResult{idx: r.idx, err: err}
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	slices.SortStableFunc(live, func(x, y *seqRequest) int { return x.enc.len() - y.enc.len() })
	start := b.now()
	parts := splitBatches(live, b.cost.overheadTokens(t))
	if est := b.est.Load(); est != nil {
		var d float64
		for _, p := range parts {
			d += est.fixed + est.perToken*float64(len(p)*p[len(p)-1].enc.len())
		}
		b.busyUntil.Store(start.UnixNano() + int64(d))
	}
	for _, part := range parts {
		b.runBatch(part, start)
	}
	b.busyUntil.Store(0)
}

func (b *batcher) runBatch(part []*seqRequest, flushStart time.Time) {
	n := len(part)
	seq := part[n-1].enc.len() // sorted: the last is the longest
	size := n * seq
	b.in.n, b.in.seq = n, seq
	b.in.ids = growInt64(b.in.ids, size)
	b.in.mask = growInt64(b.in.mask, size)
	if b.in.types != nil {
		b.in.types = growInt64(b.in.types, size)
	}
	real := 0
	for i, r := range part {
		row := i * seq
		l := r.enc.len()
		real += l
		copy(b.in.ids[row:row+l], r.enc.ids)
		copy(b.in.mask[row:row+l], r.enc.mask)
		for j := row + l; j < row+seq; j++ {
			b.in.ids[j] = b.padID
			b.in.mask[j] = 0
		}
		if b.in.types != nil {
			copy(b.in.types[row:row+l], r.enc.typeIDs)
			for j := row + l; j < row+seq; j++ {
				b.in.types[j] = 0
			}
		}
	}
	start := b.now()
	logits, err := b.be.run(&b.in)
	inference := b.now().Sub(start)
	if err == nil {
		b.cost.observe(size, inference)
		b.cost.observePadding(real, size)
		fixed, perToken := b.cost.estimate()
		b.est.Store(&costEstimate{fixed: fixed, perToken: perToken, padding: b.cost.padding})
	}
	labels := b.be.labels()
	for i, r := range part {
		res := seqResult{idx: r.idx, queueWait: flushStart.Sub(r.enqueued), inference: inference, err: err}
		if err == nil {
			if b.be.perToken() {
				row := i * seq * labels
				res.logits = slices.Clone(logits[row : row+r.enc.len()*labels])
			} else {
				res.logits = slices.Clone(logits[i*labels : (i+1)*labels])
			}
		}
		b.inflight.Add(-1)
		r.res <- res
	}
	b.seqLen.Store(int64(seq))
	if c := b.slo.Load(); c != nil && err == nil {
		lat := make([]time.Duration, n)
		for i, r := range part {
			lat[i] = flushStart.Sub(r.enqueued) + inference
		}
		c.observe(lat, inference, b.now(), b.est.Load(), seq)
	}
	if b.obs != nil {
		b.obs.ObserveBatch(BatchStats{Task: b.task, Size: n, Tokens: real, PaddedTokens: size, Inference: inference})
	}
}

// limits is the tuning in force: the engine's, with the batch size and
// delay the SLO controller chose when there is a latency target.
func (b *batcher) limits() *Tuning {
	t := *b.tuning.Load()
	if c := b.slo.Load(); c != nil {
		t.MaxBatchSize, t.MaxDelay = c.limits()
	}
	return &t
}

// setTarget starts (target > 0) or stops SLO mode.
func (b *batcher) setTarget(target time.Duration) {
	if target <= 0 {
		b.slo.Store(nil)
		return
	}
	b.slo.Store(newSLOController(target, *b.tuning.Load(), b.now()))
}

func growInt64(s []int64, n int) []int64 {
	if cap(s) < n {
		return make([]int64, n, n+n/2)
	}
	return s[:n]
}

// splitBatches cuts a length-sorted batch into contiguous sub-batches that
// minimise padded tokens plus overhead tokens per extra run (dynamic
// programming over split points, O(n²) for n ≤ MaxBatchSize).
func splitBatches(sorted []*seqRequest, overhead float64) [][]*seqRequest {
	n := len(sorted)
	if n <= 1 || overhead < 0 || math.IsInf(overhead, 1) {
		return [][]*seqRequest{sorted}
	}
	best := make([]float64, n+1) // best[i]: cost of the first i requests
	cut := make([]int, n+1)
	for i := 1; i <= n; i++ {
		best[i] = math.Inf(1)
		longest := float64(sorted[i-1].enc.len())
		for j := 0; j < i; j++ { // sub-batch sorted[j:i]
			c := best[j] + longest*float64(i-j) + overhead
			if c < best[i] {
				best[i], cut[i] = c, j
			}
		}
	}
	var parts [][]*seqRequest
	for i := n; i > 0; i = cut[i] {
		parts = append(parts, sorted[cut[i]:i])
	}
	slices.Reverse(parts)
	return parts
}

// costModel learns inference time ≈ fixed + perToken × paddedTokens from the
// batches run so far (exponentially weighted least squares), so the batcher
// can tell what one more run costs in padded tokens.
type costModel struct {
	n, sx, sy, sxx, sxy, syy float64 // worker goroutine only
	padding                  float64 // EWMA of padded / real tokens; 0 = none seen
}

const (
	costDecay           = 0.98
	defaultOverheadToks = 32.0
	// minCostFit is the least share of the variance in run time that padded
	// tokens must explain before the fit is trusted: below it, time hardly
	// depends on tokens (per-run overhead and noise dominate) and splitting
	// a flush would only add runs.
	minCostFit = 0.3
)

func (c *costModel) observe(tokens int, d time.Duration) {
	x, y := float64(tokens), float64(d)
	c.n = c.n*costDecay + 1
	c.sx = c.sx*costDecay + x
	c.sy = c.sy*costDecay + y
	c.sxx = c.sxx*costDecay + x*x
	c.sxy = c.sxy*costDecay + x*y
	c.syy = c.syy*costDecay + y*y
}

func (c *costModel) observePadding(real, padded int) {
	if real <= 0 {
		return
	}
	r := float64(padded) / float64(real)
	if c.padding == 0 {
		c.padding = r
		return
	}
	c.padding += (1 - costDecay) * (r - c.padding)
}

// estimate is the learnt cost of one run: fixed ns plus perToken ns per
// padded token. Until the fit is trusted (enough batches of different
// sizes whose time grows with tokens), it is the mean run time and 0.
func (c *costModel) estimate() (fixed, perToken float64) {
	if c.n == 0 {
		return 0, 0
	}
	if c.n >= 8 {
		den := c.n*c.sxx - c.sx*c.sx
		cov := c.n*c.sxy - c.sx*c.sy
		vy := c.n*c.syy - c.sy*c.sy
		if den > 0 && cov > 0 && vy > 0 && cov*cov/(den*vy) >= minCostFit {
			slope := cov / den
			return max((c.sy-slope*c.sx)/c.n, 0), slope
		}
	}
	return c.sy / c.n, 0
}

// overheadTokens is the fixed per-run cost in padded-token equivalents.
// Tuning.SplitOverheadTokens overrides it (negative: never split).
func (c *costModel) overheadTokens(t Tuning) float64 {
	if t.SplitOverheadTokens != 0 {
		return float64(t.SplitOverheadTokens)
	}
	if c.n < 8 {
		return defaultOverheadToks
	}
	den := c.n*c.sxx - c.sx*c.sx
	if den <= 0 {
		return defaultOverheadToks
	}
	cov := c.n*c.sxy - c.sx*c.sy
	slope := cov / den
	intercept := (c.sy - slope*c.sx) / c.n
	if slope <= 0 {
		return math.Inf(1) // time does not grow with tokens: never split
	}
	if vy := c.n*c.syy - c.sy*c.sy; vy > 0 && cov*cov/(den*vy) < minCostFit {
		return math.Inf(1)
	}
	return min(max(intercept/slope, 0), 1<<16)
}

// arrivalStats tells the worker whether waiting for company pays: the share
// of requests that found others already in the batcher (exponentially
// weighted), and the typical gap between requests within a burst. Neither is
// inflated by the batcher's own waiting, so there is no feedback loop.
type arrivalStats struct {
	company float64 // EWMA of "found others"
	gap     float64 // EWMA of intra-burst gaps, ns
	haveGap bool
}

const (
	arrivalAlpha = 0.1
	// busyShare is the share of arrivals finding company above which the
	// batcher waits for more.
	busyShare = 0.25
	// idleGaps is how many typical gaps without a request end a burst.
	idleGaps = 4
)

// observe counts a request's first sequence; the later windows of a long
// text are its own company, not other callers'.
func (a *arrivalStats) observe(r *seqRequest) {
	if r.idx != 0 {
		return
	}
	x := 0.0
	if r.others > 0 {
		x = 1
	}
	a.company += arrivalAlpha * (x - a.company)
}

func (a *arrivalStats) observeGap(d time.Duration) {
	g := float64(max(d, 0))
	if !a.haveGap {
		a.gap, a.haveGap = g, true
		return
	}
	a.gap += arrivalAlpha * (g - a.gap)
}

// busy reports whether requests have been arriving while others waited.
func (a *arrivalStats) busy() bool { return a.company >= busyShare }

// idle is how long to wait for the next request of a burst.
func (a *arrivalStats) idle(maxDelay time.Duration) time.Duration {
	if !a.haveGap {
		return maxDelay / 4
	}
	return time.Duration(idleGaps * a.gap)
}
