package engine

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// fakeBackend returns, for each sequence, logits [rowLength, firstID] so
// tests can check that results reach the right request. It records batch
// shapes and can hold a batch until released.
type fakeBackend struct {
	mu      sync.Mutex
	shapes  [][2]int // n, seq
	rows    [][]int64
	gate    chan struct{} // when non-nil, run waits for a value
	started chan struct{} // when non-nil, run signals here first
	out     []float32
	closed  atomic.Bool
	fail    error
	cost    func(n, seq int) time.Duration // when non-nil, run sleeps this long (use in a synctest bubble)
}

func (f *fakeBackend) labels() int    { return 2 }
func (f *fakeBackend) perToken() bool { return false }
func (f *fakeBackend) close() error   { f.closed.Store(true); return nil }

func (f *fakeBackend) run(in *batchInput) ([]float32, error) {
	if f.started != nil {
		f.started <- struct{}{}
	}
	if f.gate != nil {
		<-f.gate
	}
	if f.cost != nil {
		time.Sleep(f.cost(in.n, in.seq))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shapes = append(f.shapes, [2]int{in.n, in.seq})
	f.out = f.out[:0]
	for i := 0; i < in.n; i++ {
		row := in.ids[i*in.seq : (i+1)*in.seq]
		f.rows = append(f.rows, slices.Clone(row))
		l := 0
		for j := 0; j < in.seq; j++ {
			l += int(in.mask[i*in.seq+j])
		}
		f.out = append(f.out, float32(l), float32(row[0]))
	}
	if f.fail != nil {
		return nil, f.fail
	}
	return f.out, nil
}

func (f *fakeBackend) batchShapes() [][2]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.shapes)
}

func seqOf(first int64, n int) *encoding {
	e := &encoding{ids: make([]int64, n), mask: make([]int64, n), typeIDs: make([]int64, n), offsets: make([]span, n), special: make([]bool, n)}
	for i := range e.ids {
		e.ids[i] = first
		e.mask[i] = 1
	}
	return e
}

func testBatcher(t *testing.T, be *fakeBackend, queue int, tune Tuning) *batcher {
	t.Helper()
	var p atomic.Pointer[Tuning]
	tune = tune.withDefaults()
	p.Store(&tune)
	b := newBatcher(TaskSentiment, be, 0, queue, -1, &p, nil, time.Now, false)
	t.Cleanup(func() { b.close() })
	return b
}

// send submits a sequence and returns its result channel.
func send(t *testing.T, b *batcher, ctx context.Context, enc *encoding) chan seqResult {
	t.Helper()
	res := make(chan seqResult, 1)
	if err := b.submit(&seqRequest{ctx: ctx, enc: enc, res: res}); err != nil {
		t.Fatalf("submit: %v", err)
	}
	return res
}

func TestBatcherFlushOnSize(t *testing.T) {
	be := &fakeBackend{}
	b := testBatcher(t, be, 16, Tuning{MaxBatchSize: 4, MaxDelay: time.Hour, FixedDelay: true})
	var chans []chan seqResult
	for i := range 8 {
		chans = append(chans, send(t, b, context.Background(), seqOf(int64(100+i), 3+i%3)))
	}
	for i, c := range chans {
		r := <-c
		if r.err != nil || r.logits[1] != float32(100+i) || r.logits[0] != float32(3+i%3) {
			t.Errorf("request %d got %+v", i, r)
		}
	}
	for _, s := range be.batchShapes() {
		if s[0] > 4 {
			t.Errorf("batch of %d over MaxBatchSize 4", s[0])
		}
	}
	if got := len(be.batchShapes()); got < 2 {
		t.Errorf("%d batches for 8 requests at size 4 (max delay 1h): size did not flush", got)
	}
}

func TestBatcherFlushOnTokenBudget(t *testing.T) {
	be := &fakeBackend{}
	b := testBatcher(t, be, 16, Tuning{MaxBatchSize: 100, MaxDelay: time.Hour, FixedDelay: true, TokenBudget: 20, SplitOverheadTokens: -1})
	var chans []chan seqResult
	for i := range 4 {
		chans = append(chans, send(t, b, context.Background(), seqOf(int64(i), 10)))
	}
	for _, c := range chans {
		if r := <-c; r.err != nil {
			t.Fatal(r.err)
		}
	}
	for _, s := range be.batchShapes() {
		if s[0]*s[1] > 20 {
			t.Errorf("batch %v over the 20-token budget", s)
		}
	}
}

func TestBatcherFlushOnDelay(t *testing.T) {
	be := &fakeBackend{}
	b := testBatcher(t, be, 16, Tuning{MaxBatchSize: 100, MaxDelay: time.Millisecond, FixedDelay: true})
	r := <-send(t, b, context.Background(), seqOf(7, 5))
	if r.err != nil || r.logits[1] != 7 {
		t.Fatalf("%+v", r)
	}
	if r.queueWait <= 0 {
		t.Errorf("queue wait %v", r.queueWait)
	}
}

// TestBatcherSortsAndSplits holds the worker on a first batch, queues
// mixed lengths, and checks the next flush is sorted by length and split
// where padding would cost more than an extra run.
func TestBatcherSortsAndSplits(t *testing.T) {
	be := &fakeBackend{gate: make(chan struct{}), started: make(chan struct{}, 16)}
	b := testBatcher(t, be, 64, Tuning{MaxBatchSize: 6, MaxDelay: time.Hour, FixedDelay: true, SplitOverheadTokens: 4})
	first := send(t, b, context.Background(), seqOf(1, 2))
	// The first batch (six of length 2) waits in the gate while the mixed
	// lengths queue up.
	for range 5 {
		send(t, b, context.Background(), seqOf(1, 2))
	}
	<-be.started
	lens := []int{40, 3, 41, 2, 39, 3}
	var chans []chan seqResult
	for i, l := range lens {
		chans = append(chans, send(t, b, context.Background(), seqOf(int64(10+i), l)))
	}
	close(be.gate)
	<-first
	for i, c := range chans {
		r := <-c
		if r.err != nil || r.logits[0] != float32(lens[i]) || r.logits[1] != float32(10+i) {
			t.Errorf("request %d (len %d) got %+v", i, lens[i], r)
		}
	}
	shapes := be.batchShapes()
	var short, long bool
	for _, s := range shapes {
		if s == [2]int{3, 3} {
			short = true
		}
		if s == [2]int{3, 41} {
			long = true
		}
	}
	if !short || !long {
		t.Errorf("batch shapes %v: want the mixed flush split into [3 3] and [3 41]", shapes)
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	for _, row := range be.rows {
		if row[len(row)-1] != 0 && row[0] == 0 {
			t.Errorf("padding before tokens: %v", row)
		}
	}
}

func TestSplitBatches(t *testing.T) {
	mk := func(lens ...int) []*seqRequest {
		var rs []*seqRequest
		for _, l := range lens {
			rs = append(rs, &seqRequest{enc: seqOf(1, l)})
		}
		return rs
	}
	sizes := func(parts [][]*seqRequest) []int {
		var out []int
		for _, p := range parts {
			out = append(out, len(p))
		}
		return out
	}
	f := func(lens []int, overhead float64, want []int) {
		t.Helper()
		if got := sizes(splitBatches(mk(lens...), overhead)); !slices.Equal(got, want) {
			t.Errorf("split %v overhead %v = %v, want %v", lens, overhead, got, want)
		}
	}
	f([]int{2, 2, 2, 50, 50}, 10, []int{3, 2})               // 6+100+20 < 250+10
	f([]int{2, 2, 2, 50, 50}, 1000, []int{5})                // extra run too dear
	f([]int{2, 2, 2, 50, 50}, -1, []int{5})                  // splitting disabled
	f([]int{10, 11, 12, 13}, 5, []int{4})                    // similar lengths stay together
	f([]int{1, 2, 4, 8, 16, 32}, 0, []int{1, 1, 1, 1, 1, 1}) // free runs: no padding at all
}

func TestBatcherSkipsCancelled(t *testing.T) {
	be := &fakeBackend{gate: make(chan struct{}), started: make(chan struct{}, 4)}
	b := testBatcher(t, be, 16, Tuning{MaxBatchSize: 1})
	first := send(t, b, context.Background(), seqOf(1, 4))
	<-be.started
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := send(t, b, ctx, seqOf(2, 4))
	cancel()
	live := send(t, b, context.Background(), seqOf(3, 4))
	close(be.gate)
	<-first
	if r := <-cancelled; !errors.Is(r.err, context.Canceled) {
		t.Errorf("cancelled request: %+v", r)
	}
	if r := <-live; r.err != nil || r.logits[1] != 3 {
		t.Errorf("live request: %+v", r)
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	for _, row := range be.rows {
		if row[0] == 2 {
			t.Error("a cancelled request reached the backend")
		}
	}
}

func TestBatcherOverload(t *testing.T) {
	be := &fakeBackend{gate: make(chan struct{}), started: make(chan struct{}, 4)}
	b := testBatcher(t, be, 2, Tuning{MaxBatchSize: 1})
	send(t, b, context.Background(), seqOf(1, 4))
	<-be.started // the worker holds the first; the queue is empty again
	send(t, b, context.Background(), seqOf(2, 4))
	send(t, b, context.Background(), seqOf(3, 4))
	err := b.submit(&seqRequest{ctx: context.Background(), enc: seqOf(4, 4), res: make(chan seqResult, 1)})
	if !errors.Is(err, ErrOverloaded) {
		t.Errorf("full queue: %v, want ErrOverloaded", err)
	}
	if b.depth() != 2 {
		t.Errorf("depth %d, want 2", b.depth())
	}
	close(be.gate)
}

// Close runs what is queued, closes the backend and leaves no goroutine:
// the test runs in a synctest bubble, which fails it if any goroutine
// started inside (the batcher's loop) is still blocked when it ends.
func TestBatcherCloseDrains(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		be := &fakeBackend{gate: make(chan struct{}), started: make(chan struct{}, 64)}
		var p atomic.Pointer[Tuning]
		tune := Tuning{MaxBatchSize: 4, MaxDelay: time.Hour, FixedDelay: true}.withDefaults()
		p.Store(&tune)
		b := newBatcher(TaskSentiment, be, 0, 64, -1, &p, nil, time.Now, false)
		var chans []chan seqResult
		for i := range 20 {
			chans = append(chans, send(t, b, context.Background(), seqOf(int64(i), 2)))
		}
		<-be.started
		closed := make(chan error)
		go func() { closed <- b.close() }()
		// Close must wait for the queued work: with the backend held, the
		// closing goroutine blocks until it is released.
		synctest.Wait()
		select {
		case err := <-closed:
			t.Fatalf("close returned before the queued work ran: %v", err)
		default:
		}
		close(be.gate)
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
		for i, c := range chans {
			select {
			case r := <-c:
				if r.err != nil || r.logits[1] != float32(i) {
					t.Errorf("request %d: %+v", i, r)
				}
			default:
				t.Errorf("request %d was dropped by Close", i)
			}
		}
		if !be.closed.Load() {
			t.Error("backend not closed")
		}
		if err := b.submit(&seqRequest{ctx: context.Background(), enc: seqOf(1, 1), res: make(chan seqResult, 1)}); !errors.Is(err, ErrClosed) {
			t.Errorf("submit after close: %v", err)
		}
	})
}

func TestBatcherBackendError(t *testing.T) {
	boom := errors.New("boom")
	be := &fakeBackend{fail: boom}
	b := testBatcher(t, be, 4, Tuning{MaxBatchSize: 1})
	if r := <-send(t, b, context.Background(), seqOf(1, 2)); !errors.Is(r.err, boom) {
		t.Errorf("got %+v", r)
	}
}

func TestBatcherSetTuningLive(t *testing.T) {
	be := &fakeBackend{}
	var p atomic.Pointer[Tuning]
	tune := Tuning{MaxBatchSize: 1, MaxDelay: time.Hour}.withDefaults()
	p.Store(&tune)
	b := newBatcher(TaskSentiment, be, 0, 64, -1, &p, nil, time.Now, false)
	defer b.close()
	<-send(t, b, context.Background(), seqOf(1, 2))
	next := Tuning{MaxBatchSize: 1000, MaxDelay: time.Microsecond}.withDefaults()
	p.Store(&next)
	if r := <-send(t, b, context.Background(), seqOf(2, 2)); r.err != nil {
		t.Fatal(r.err)
	}
}

func TestCostModel(t *testing.T) {
	var c costModel
	for i := 1; i <= 50; i++ {
		tokens := i * 100
		c.observe(tokens, time.Duration(1000+10*tokens)) // 1000ns fixed, 10ns/token
	}
	if got := c.overheadTokens(Tuning{}); got < 90 || got > 110 {
		t.Errorf("overhead %v tokens, want ≈100", got)
	}
	// Run time unrelated to tokens (overhead and noise): never split.
	var flat costModel
	for i := 1; i <= 50; i++ {
		flat.observe(i*100, time.Duration(1000+(i*7919)%500))
	}
	if got := flat.overheadTokens(Tuning{}); !math.IsInf(got, 1) {
		t.Errorf("flat cost: overhead %v, want +Inf", got)
	}
	if got := c.overheadTokens(Tuning{SplitOverheadTokens: 7}); got != 7 {
		t.Errorf("override: %v", got)
	}
}

func TestArrivalStats(t *testing.T) {
	var a arrivalStats
	for range 50 {
		a.observe(&seqRequest{others: 0})
		a.observe(&seqRequest{idx: 1, others: 1}) // its own second window
	}
	if a.busy() {
		t.Error("lone arrivals: busy")
	}
	if got := a.idle(8 * time.Millisecond); got != 2*time.Millisecond {
		t.Errorf("no gaps seen: idle %v, want MaxDelay/4", got)
	}
	for range 50 {
		a.observe(&seqRequest{others: 3})
		a.observeGap(100 * time.Microsecond)
	}
	if !a.busy() {
		t.Error("crowded arrivals: not busy")
	}
	if got := a.idle(time.Second); got < 390*time.Microsecond || got > 410*time.Microsecond {
		t.Errorf("100µs gaps: idle %v", got)
	}
}

// TestBatcherLoneRequestDoesNotWait is a single caller: each request finds
// the batcher empty, so none waits out the (hour-long) MaxDelay.
func TestBatcherLoneRequestDoesNotWait(t *testing.T) {
	be := &fakeBackend{}
	b := testBatcher(t, be, 4, Tuning{MaxBatchSize: 8, MaxDelay: time.Hour})
	for i := range 20 {
		if r := <-send(t, b, context.Background(), seqOf(int64(i), 3)); r.err != nil || r.queueWait > time.Minute {
			t.Fatalf("request %d: %+v", i, r)
		}
	}
}

// A batch takes every waiting interactive sequence before any bulk one,
// even bulk ones queued earlier.
func TestBatcherInteractiveFirst(t *testing.T) {
	be := &fakeBackend{gate: make(chan struct{}), started: make(chan struct{}, 16)}
	b := testBatcher(t, be, 64, Tuning{MaxBatchSize: 4, MaxDelay: time.Hour, FixedDelay: true})
	submit := func(id int64, lane int) chan seqResult {
		t.Helper()
		res := make(chan seqResult, 1)
		if err := b.submit(&seqRequest{ctx: context.Background(), enc: seqOf(id, 3), lane: lane, res: res}); err != nil {
			t.Fatalf("submit %d: %v", id, err)
		}
		return res
	}
	var chans []chan seqResult
	for i := range 4 { // the first batch, held by the gate
		chans = append(chans, submit(int64(10+i), laneBulk))
	}
	<-be.started
	for i := range 8 {
		chans = append(chans, submit(int64(100+i), laneBulk))
	}
	for i := range 4 {
		chans = append(chans, submit(int64(200+i), laneInteractive))
	}
	close(be.gate)
	for _, c := range chans {
		if r := <-c; r.err != nil {
			t.Fatal(r.err)
		}
	}
	be.mu.Lock()
	rows := slices.Clone(be.rows)
	be.mu.Unlock()
	var second []int64
	for _, r := range rows[4:8] {
		second = append(second, r[0])
	}
	for i := range 4 {
		if !slices.Contains(second, int64(200+i)) {
			t.Errorf("second batch %v lacks interactive request %d (queued after 8 bulk ones)", second, 200+i)
		}
	}
}

// Bulk sequences fill at most BulkQueueShare of the queue; interactive ones
// still get the rest.
func TestBatcherBulkShare(t *testing.T) {
	be := &fakeBackend{gate: make(chan struct{}), started: make(chan struct{}, 16)}
	b := testBatcher(t, be, 8, Tuning{MaxBatchSize: 1})
	submit := func(lane int) error {
		return b.submit(&seqRequest{ctx: context.Background(), enc: seqOf(1, 2), lane: lane, res: make(chan seqResult, 1)})
	}
	if err := submit(laneInteractive); err != nil {
		t.Fatal(err)
	}
	<-be.started // the worker holds it; the queue is empty
	bulk := 0
	for submit(laneBulk) == nil {
		bulk++
	}
	if want := int(8 * BulkQueueShare); bulk != want {
		t.Errorf("%d bulk sequences queued, want %d (BulkQueueShare of 8)", bulk, want)
	}
	inter := 0
	for submit(laneInteractive) == nil {
		inter++
	}
	if inter != 8-bulk {
		t.Errorf("%d interactive sequences queued beside %d bulk ones, want %d", inter, bulk, 8-bulk)
	}
	err := submit(laneInteractive)
	var oe *OverloadError
	if !errors.As(err, &oe) || oe.Reason != ShedQueueFull || !errors.Is(err, ErrOverloaded) {
		t.Errorf("full queue: %v, want an OverloadError %q", err, ShedQueueFull)
	}
	close(be.gate)
}

// Under a closed loop of many more users than the bound admits, the batcher
// refuses by expected wait before queueing: refused requests never reach the
// backend, admitted ones wait about the bound at most, and the engine stays
// busy. The bubble's clock makes the waits exact, not wall-clock samples.
func TestBatcherShedsByExpectedWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const perRun, perToken = 4 * time.Millisecond, 20 * time.Microsecond
		const bound, seqLen, batchSize = 30 * time.Millisecond, 10, 8
		be := &fakeBackend{cost: func(n, seq int) time.Duration { return perRun + time.Duration(n*seq)*perToken }}
		var p atomic.Pointer[Tuning]
		tune := Tuning{MaxBatchSize: batchSize, MaxDelay: time.Millisecond, SplitOverheadTokens: -1}.withDefaults()
		p.Store(&tune)
		b := newBatcher(TaskSentiment, be, 0, 4096, bound, &p, nil, time.Now, false)
		defer b.close()
		roundTrip := func(lane int) (seqResult, error) {
			release, err := b.admit(lane, 1, seqLen)
			if err != nil {
				return seqResult{}, err
			}
			res := make(chan seqResult, 1)
			err = b.submit(&seqRequest{ctx: context.Background(), enc: seqOf(7, seqLen), lane: lane, res: res})
			release()
			if err != nil {
				return seqResult{}, err
			}
			return <-res, nil
		}
		// Warm up with batches of every size so the cost model has a fit.
		warm := 0
		for n := 1; n <= batchSize; n++ {
			var wg sync.WaitGroup
			for range n {
				warm++
				wg.Go(func() {
					if _, err := roundTrip(laneInteractive); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		var (
			mu       sync.Mutex
			waits    []time.Duration
			shed     int
			admitted int
			wg       sync.WaitGroup
		)
		end := time.Now().Add(2 * time.Second)
		for u := range 200 {
			wg.Go(func() {
				_ = u // all at once: admission counts what it admitted before it is queued
				for time.Now().Before(end) {
					r, err := roundTrip(laneInteractive)
					mu.Lock()
					if err != nil {
						var oe *OverloadError
						if !errors.As(err, &oe) || oe.Reason != ShedQueueWait || oe.Wait <= bound {
							t.Errorf("refusal %v, want an OverloadError %q over %v", err, ShedQueueWait, bound)
						}
						shed++
						mu.Unlock()
						time.Sleep(oe.RetryAfter())
						continue
					}
					admitted++
					waits = append(waits, r.queueWait)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		batchCost := perRun + batchSize*seqLen*perToken
		over := 0
		for _, w := range waits {
			if w > bound+batchCost {
				over++
			}
		}
		slices.Sort(waits)
		t.Logf("admitted %d, shed %d, queue wait p50 %v p99 %v max %v", admitted, shed, waits[len(waits)/2], waits[len(waits)*99/100], waits[len(waits)-1])
		if shed == 0 {
			t.Fatal("200 closed-loop users against a 30 ms bound: nothing shed")
		}
		if over > admitted/100 {
			t.Errorf("%d of %d admitted requests waited over bound + one batch (%v)", over, admitted, bound+batchCost)
		}
		// Refused requests were never queued: the backend ran exactly the
		// warm-up and the admitted ones.
		if got := len(be.rows); got != warm+admitted {
			t.Errorf("backend ran %d sequences, want %d warm-up + %d admitted", got, warm, admitted)
		}
		// The engine stayed busy: at least 80 % of full batches back to back.
		if full := int(2*time.Second/batchCost) * batchSize; admitted < full*8/10 {
			t.Errorf("admitted %d in 2 s, want ≥ 80 %% of %d (full batches back to back)", admitted, full)
		}
	})
}
