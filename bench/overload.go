package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

// OverloadSection is how `nlpscope serve` (a new process, default limits)
// behaves past its capacity: 1,000 closed-loop users, then an open-loop
// burst at 10× the rate the users got answered at.
type OverloadSection struct {
	MaxQueueWait  time.Duration `json:"max_queue_wait_ns"` // the server's bound (its default)
	Rows          []OverloadRow `json:"rows"`
	IdleRSS       uint64        `json:"idle_rss_bytes"`       // ready, before any load
	PeakRSS       uint64        `json:"peak_rss_bytes"`       // highest sample (every 50 ms) during the loads
	AfterIdleRSS  uint64        `json:"after_idle_rss_bytes"` // IdleFor after the last load
	IdleFor       time.Duration `json:"idle_for_ns"`
	InflightBytes int64         `json:"max_inflight_bytes"` // the server's in-flight text budget
}

// OverloadRow is one load against the server: answers split into
// successes, 429s and anything else, each with its latency.
type OverloadRow struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration_ns"`
	Rate     float64       `json:"rate,omitempty"` // open loop: offered requests/s
	Users    int           `json:"users,omitempty"`
	Sent     int           `json:"sent"`
	OK       int           `json:"ok"`
	Shed     int           `json:"shed"`             // 429
	Other    int           `json:"other"`            // any other status or transport error
	Sample   string        `json:"sample,omitempty"` // one of the other answers
	OKPerS   float64       `json:"ok_per_s"`
	OKP50    time.Duration `json:"ok_p50_ns"`
	OKP99    time.Duration `json:"ok_p99_ns"`
	ShedP50  time.Duration `json:"shed_p50_ns"`
	ShedP99  time.Duration `json:"shed_p99_ns"`
}

// overloadTally collects answers; it is safe for concurrent use.
type overloadTally struct {
	mu       sync.Mutex
	ok, shed []time.Duration
	other    int
	sample   string
}

func (t *overloadTally) add(d time.Duration, status int, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case err == nil && status/100 == 2:
		t.ok = append(t.ok, d)
	case err == nil && status == http.StatusTooManyRequests:
		t.shed = append(t.shed, d)
	default:
		t.other++
		if t.sample == "" {
			if err != nil {
				t.sample = err.Error()
			} else {
				t.sample = http.StatusText(status)
			}
		}
	}
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

func (t *overloadTally) row(name string, elapsed time.Duration) OverloadRow {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := OverloadRow{Name: name, Duration: elapsed, OK: len(t.ok), Shed: len(t.shed), Other: t.other, Sample: t.sample}
	r.Sent = r.OK + r.Shed + r.Other
	r.OKPerS = float64(r.OK) / elapsed.Seconds()
	r.OKP50, r.OKP99 = quantile(t.ok, 0.5), quantile(t.ok, 0.99)
	r.ShedP50, r.ShedP99 = quantile(t.shed, 0.5), quantile(t.shed, 0.99)
	return r
}

// overloadPost sends one sentiment request with a text never sent before,
// drains the answer and returns its status and Retry-After.
func overloadPost(ctx context.Context, client *http.Client, url string, seq uint64) (int, time.Duration, error) {
	body := jsonBody(map[string]string{"text": fmt.Sprintf("%s (%d)", benchSentences[seq%uint64(len(benchSentences))], seq)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	retry := time.Second
	if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n > 0 {
		retry = time.Duration(n) * time.Second
	}
	return resp.StatusCode, retry, nil
}

// overload starts `nlpscope serve` with its default limits in a new
// process and drives POST /v1/sentiment/analyze with 1,000 closed-loop
// keep-alive users (retrying at once after a 429, then waiting its
// Retry-After), then with an open-loop burst at 10× the rate the first users
// were answered at (at least 1,000 req/s), sampling the server's RSS.
func (b *benchRun) overload(ctx context.Context) error {
	usersFor, burstFor, idleFor := 20*time.Second, 5*time.Second, 15*time.Second
	if b.quick {
		usersFor, burstFor, idleFor = 8*time.Second, 3*time.Second, 5*time.Second
	}
	dir, err := os.MkdirTemp("", "nlpscope-bench-overload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	base, pid, stop, err := b.startServe(ctx, "--db", filepath.Join(dir, "overload.db"))
	if err != nil {
		return err
	}
	defer stop()
	sec := &OverloadSection{MaxQueueWait: engine.DefaultMaxQueueWait, IdleFor: idleFor, InflightBytes: app.DefaultMaxInflightBytes}
	sec.IdleRSS = procRSS(pid)
	var peak atomic.Uint64
	peak.Store(sec.IdleRSS)
	sctx, cancelSample := context.WithCancel(ctx)
	defer cancelSample()
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-t.C:
				if v := procRSS(pid); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	const users = 1000
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: 4 * users, MaxIdleConnsPerHost: 4 * users, IdleConnTimeout: time.Minute}}
	defer client.CloseIdleConnections()
	url := base + "/v1/sentiment/analyze"
	var seq atomic.Uint64

	// 1,000 closed-loop users, all starting at once: first users that send
	// again at once after a 429 (by Little's law their latency is then
	// users / answers per second, 429s included), then users that wait the
	// Retry-After the server asks for (jittered), as well-behaved clients do.
	var row OverloadRow
	for _, honour := range []bool{false, true} {
		var tally overloadTally
		lctx, cancel := context.WithTimeout(ctx, usersFor)
		start := time.Now()
		var wg sync.WaitGroup
		for range users {
			wg.Go(func() {
				for lctx.Err() == nil {
					t0 := time.Now()
					status, retry, err := overloadPost(lctx, client, url, seq.Add(1))
					if lctx.Err() != nil {
						return // cut off by the end of the run: not an answer
					}
					tally.add(time.Since(t0), status, err)
					if honour && status == http.StatusTooManyRequests {
						// Jittered (0.5–1.5 ×), as clients back off, so the
						// users do not come back as one herd.
						wait := time.Duration(float64(retry) * (0.5 + rand.Float64()))
						select {
						case <-lctx.Done():
						case <-time.After(wait):
						}
					}
				}
			})
		}
		wg.Wait()
		cancel()
		name := fmt.Sprintf("%d closed-loop users, retrying at once", users)
		if honour {
			name = fmt.Sprintf("%d closed-loop users, waiting Retry-After (±50 %%)", users)
		}
		r := tally.row(name, time.Since(start))
		r.Users = users
		sec.Rows = append(sec.Rows, r)
		b.progress("overload: %s: %d ok (%.0f/s, p99 %v), %d × 429 (p99 %v), %d other", name, r.OK, r.OKPerS, r.OKP99.Round(time.Millisecond), r.Shed, r.ShedP99.Round(100*time.Microsecond), r.Other)
		if err := ctx.Err(); err != nil {
			return err
		}
		if !honour {
			row = r
		}
	}

	// A burst at 10× that rate, open loop: latency from the intended send
	// time, so a slow sender does not hide waiting.
	rate := max(1000, 10*row.OKPerS)
	var burst overloadTally
	bctx, cancel := context.WithTimeout(ctx, burstFor+30*time.Second)
	defer cancel()
	start := time.Now()
	n := int(rate * burstFor.Seconds())
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8192) // bounds the client's own goroutines
	for i := range n {
		due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			select {
			case <-bctx.Done():
			case <-time.After(d):
			}
		}
		if bctx.Err() != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-bctx.Done():
		}
		wg.Go(func() {
			defer func() { <-sem }()
			status, _, err := overloadPost(bctx, client, url, seq.Add(1))
			burst.add(time.Since(due), status, err)
		})
	}
	wg.Wait()
	row = burst.row(fmt.Sprintf("burst at 10× (%.0f req/s)", rate), time.Since(start))
	row.Rate = rate
	sec.Rows = append(sec.Rows, row)
	b.progress("overload: burst %.0f req/s for %v: %d ok (p99 %v), %d × 429 (p99 %v), %d other", rate, burstFor, row.OK, row.OKP99.Round(time.Millisecond), row.Shed, row.ShedP99.Round(100*time.Microsecond), row.Other)

	client.CloseIdleConnections()
	cancelSample()
	<-sampled
	sec.PeakRSS = max(peak.Load(), procRSS(pid))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(idleFor):
	}
	sec.AfterIdleRSS = procRSS(pid)
	b.progress("overload: RSS idle %s, peak %s, %v after the burst %s", mib(sec.IdleRSS), mib(sec.PeakRSS), idleFor, mib(sec.AfterIdleRSS))
	b.report.Overload = sec
	if p99 := sec.Rows[len(sec.Rows)-1].ShedP99; sec.Rows[len(sec.Rows)-1].Shed > 0 {
		b.report.Key.OverloadShedP99Ms = f64(ms(p99))
	}
	return nil
}

// startServe starts `nlpscope serve` (this executable) on a free loopback
// port with args and waits until it is ready; stop interrupts it and waits.
func (b *benchRun) startServe(ctx context.Context, args ...string) (base string, pid int, stop func(), err error) {
	exe, err := os.Executable()
	if err != nil {
		return "", 0, nil, err
	}
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--threads", strconv.Itoa(b.threads)}, args...)
	if b.ortLib != "" {
		args = append(args, "--ort-lib", b.ortLib)
	}
	sctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(sctx, exe, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return "", 0, nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return "", 0, nil, err
	}
	stop = func() { cancel(); cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	base = urlRe.FindString(line)
	if err != nil || base == "" {
		stop()
		return "", 0, nil, fmt.Errorf("serve: no URL on stdout (%v): %q", err, line)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	ready := func() bool {
		resp, err := client.Get(base + "/health")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var h app.Health
		return json.NewDecoder(resp.Body).Decode(&h) == nil && h.Status == "ok"
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(2 * time.Minute)
	defer deadline.Stop()
	for !ready() {
		select {
		case <-ctx.Done():
			stop()
			return "", 0, nil, ctx.Err()
		case <-deadline.C:
			stop()
			return "", 0, nil, fmt.Errorf("serve: not ready after 2 minutes")
		case <-tick.C:
		}
	}
	return base, cmd.Process.Pid, stop, nil
}

// writeOverload renders the overload section.
func (r *Report) writeOverload(w io.Writer) {
	s := r.Overload
	if s == nil {
		return
	}
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("## Overload (`nlpscope serve`, default limits)\n\n")
	p("`nlpscope serve` in a new process with its default limits (queue-wait bound %v, in-flight text budget %s) on `POST /v1/sentiment/analyze`, every text new and stored. ", s.MaxQueueWait, mib(uint64(s.InflightBytes)))
	p("Requests past what the engine can answer within the bound get 429 + Retry-After at once instead of queueing; the burst's latency counts from each request's intended send time.\n\n")
	p("| load | sent | ok | ok/s | ok p50 | ok p99 | 429 | 429 p50 | 429 p99 | other |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, row := range s.Rows {
		other := strconv.Itoa(row.Other)
		if row.Sample != "" {
			other += " (" + row.Sample + ")"
		}
		p("| %s, %v | %d | %d | %.0f | %.1f ms | %.1f ms | %d | %.1f ms | %.1f ms | %s |\n", row.Name, row.Duration.Round(100*time.Millisecond),
			row.Sent, row.OK, row.OKPerS, ms(row.OKP50), ms(row.OKP99), row.Shed, ms(row.ShedP50), ms(row.ShedP99), other)
	}
	p("\n| server RSS | |\n|---|---|\n| idle, ready | %s |\n| peak during the loads | %s |\n| %v after the burst | %s |\n\n", mib(s.IdleRSS), mib(s.PeakRSS), s.IdleFor, mib(s.AfterIdleRSS))
}
