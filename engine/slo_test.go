package engine

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestDecideSLO(t *testing.T) {
	const target = 50 * time.Millisecond
	ms := time.Millisecond
	base := sloInput{target: target, n: 16, d: ms, admit: 1, maxByCost: 100}
	with := func(f func(*sloInput)) sloInput { in := base; f(&in); return in }
	cases := []struct {
		name   string
		in     sloInput
		want   sloOutput
		reason string
	}{
		{"slow batches shrink", with(func(i *sloInput) { i.p99, i.inf99, i.n, i.d = 80*ms, 30*ms, 30, 4*ms }), sloOutput{n: 20, d: 2 * ms, admit: 1}, "smaller batches"},
		{"never below one", with(func(i *sloInput) { i.p99, i.inf99, i.n = 80*ms, 30*ms, 1 }), sloOutput{n: 1, d: ms / 2, admit: 1}, "smaller batches"},
		{"the cost bound never shrinks by itself", with(func(i *sloInput) { i.p99, i.inf99, i.n, i.maxByCost = 40*ms, 5*ms, 64, 40 }), sloOutput{n: 64, d: ms, admit: 1}, "holding"},
		{"queue over target: admit less", with(func(i *sloInput) { i.p99, i.inf99 = 60*ms, 5*ms }), sloOutput{n: 16, d: ms, admit: 0.8}, "admitting less"},
		{"room and full grows", with(func(i *sloInput) { i.p99, i.inf99, i.full, i.admit = 20*ms, 5*ms, 0.9, 0.5 }), sloOutput{n: 20, d: ms, admit: 0.55}, "larger batches"},
		{"growth capped by cost", with(func(i *sloInput) { i.p99, i.inf99, i.full, i.maxByCost = 20*ms, 5*ms, 0.9, 18 }), sloOutput{n: 18, d: ms, admit: 1}, "larger batches"},
		{"room but not full holds", with(func(i *sloInput) { i.p99, i.inf99, i.full = 20*ms, 5*ms, 0.2 }), sloOutput{n: 16, d: ms, admit: 1}, "holding"},
		{"between 60 and 90 % holds", with(func(i *sloInput) { i.p99, i.inf99, i.full = 35*ms, 5*ms, 1 }), sloOutput{n: 16, d: ms, admit: 1}, "holding"},
		{"near target holds", with(func(i *sloInput) { i.p99, i.inf99, i.full = 40*ms, 5*ms, 1 }), sloOutput{n: 16, d: ms, admit: 1}, "holding"},
		{"over 90 % admits less", with(func(i *sloInput) { i.p99, i.inf99 = 46*ms, 5*ms }), sloOutput{n: 16, d: ms, admit: 0.8}, "admitting less"},
		{"delay at most a tenth of the target", with(func(i *sloInput) { i.p99, i.inf99, i.d = 40*ms, 5*ms, 20*ms }), sloOutput{n: 16, d: 5 * ms, admit: 1}, "holding"},
	}
	for _, c := range cases {
		got := decideSLO(c.in)
		if got.n != c.want.n || got.d != c.want.d || math.Abs(got.admit-c.want.admit) > 1e-9 || !strings.Contains(got.why, c.reason) {
			t.Errorf("%s: got %+v, want %+v (%q)", c.name, got, c.want, c.reason)
		}
	}
}

// TestBatcherHoldsP99Target: 64 callers without pause against a backend
// whose batch of 64 would take longer than the target. Without a target the
// p99 latency is far over it; with SLO mode the batcher shrinks its batches
// (cost model and observed p99) and admission refuses what it cannot serve
// in time, so the admitted requests' p99 (measured here, independently of
// the controller) stays within the target, while the engine keeps working.
func TestBatcherHoldsP99Target(t *testing.T) {
	const target = 40 * time.Millisecond
	run := func(t *testing.T, slo bool) (p99 time.Duration, admitted, shed int, st SLOState) {
		synctest.Test(t, func(t *testing.T) {
			const perRun, perToken, seqLen = 3 * time.Millisecond, 100 * time.Microsecond, 10
			be := &fakeBackend{cost: func(n, seq int) time.Duration { return perRun + time.Duration(n*seq)*perToken }}
			var p atomic.Pointer[Tuning]
			tune := Tuning{MaxBatchSize: 64, MaxDelay: 2 * time.Millisecond, SplitOverheadTokens: -1}.withDefaults()
			p.Store(&tune)
			b := newBatcher(TaskSentiment, be, 0, 4096, -1, &p, nil, time.Now, false)
			defer b.close()
			if slo {
				b.setTarget(target)
			}
			var (
				mu   sync.Mutex
				lats []time.Duration
				wg   sync.WaitGroup
			)
			end := time.Now().Add(8 * time.Second)
			warm := time.Now().Add(4 * time.Second)
			for range 64 {
				wg.Go(func() {
					for time.Now().Before(end) {
						release, err := b.admit(laneInteractive, 1, seqLen)
						if err != nil {
							var oe *OverloadError
							if !errors.As(err, &oe) {
								t.Error(err)
								return
							}
							mu.Lock()
							shed++
							mu.Unlock()
							time.Sleep(max(oe.RetryAfter(), time.Millisecond))
							continue
						}
						start := time.Now()
						res := make(chan seqResult, 1)
						err = b.submit(&seqRequest{ctx: context.Background(), enc: seqOf(7, seqLen), lane: laneInteractive, res: res})
						release()
						if err != nil {
							t.Error(err)
							return
						}
						<-res
						if start.After(warm) {
							mu.Lock()
							lats = append(lats, time.Since(start))
							admitted++
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			slices.Sort(lats)
			p99 = lats[len(lats)*99/100]
			if c := b.slo.Load(); c != nil {
				st = c.snapshot()
			}
		})
		return
	}
	freeP99, freeN, _, _ := run(t, false)
	sloP99, sloN, shed, st := run(t, true)
	t.Logf("no target: p99 %v over %d requests; target %v: p99 %v over %d, %d shed; batcher %+v", freeP99, freeN, target, sloP99, sloN, shed, st)
	if freeP99 <= target {
		t.Fatalf("the load does not break the target without SLO mode (p99 %v): the test proves nothing", freeP99)
	}
	if sloP99 > target {
		t.Errorf("SLO mode: p99 %v over the %v target", sloP99, target)
	}
	if st.MaxBatch >= 64 || st.Reason == "" || st.P99 == 0 {
		t.Errorf("controller state %+v: want a smaller batch and a reason", st)
	}
	if shed == 0 || sloN < freeN/4 {
		t.Errorf("shed %d, admitted %d (vs %d without target): want refusals and the engine still busy", shed, sloN, freeN)
	}
}
