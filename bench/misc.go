package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine/tokenize"
	"github.com/nlpscope/nlpscope/profiler"
	"github.com/nlpscope/nlpscope/storage/storagebench"
)

// cpuTime is the CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// tokenizerContender encodes texts round-robin on one goroutine for d and
// counts tokens.
func tokenizerContender(tk *tokenize.Tokenizer, texts []string) contender {
	i := 0
	return func(ctx context.Context, d time.Duration) (slice, error) {
		start := time.Now()
		var s slice
		for time.Since(start) < d {
			for range 64 {
				e, err := tk.Encode(texts[i%len(texts)], true)
				if err != nil {
					return s, err
				}
				s.Ops += float64(len(e.IDs))
				i++
			}
		}
		s.Elapsed = time.Since(start)
		return s, nil
	}
}

// tokenizerSpeed measures our tokenizer alone: tokens/s on one goroutine
// and tokens per CPU-second.
func (b *benchRun) tokenizerSpeed(ctx context.Context, tk *tokenize.Tokenizer) {
	run := tokenizerContender(tk, benchSentences)
	run(ctx, 200*time.Millisecond)
	c0 := cpuTime()
	s, err := run(ctx, 2*b.slice)
	cpu := cpuTime() - c0
	if err != nil {
		b.note("tokenizer: %v", err)
		return
	}
	b.report.Resources.TokensPerS = s.rate()
	if cpu > 0 {
		b.report.Resources.TokensPerCPUS = s.Ops / cpu.Seconds()
	}
	b.report.Key.TokenizerTokensPerS = f64(s.rate())
}

// benchLine matches one result line of `go test -bench`.
var benchLine = regexp.MustCompile(`^BenchmarkCompare/(nlpscope|sugarme)/sentence\S*\s.*\s([\d.]+) tokens/cpu-s`)

// sugarme runs the separate comparison module under engine/tokenize/benchcmp
// (it needs the Go toolchain and the source tree). Its test binary is built
// once and run pairs times; each run measures nlpscope, then sugarme, so the
// slices alternate. The ratio is on tokens per CPU-second.
func (b *benchRun) sugarme(ctx context.Context) (Comparison, error) {
	c := Comparison{Name: "tokenizer vs sugarme/tokenizer (bert-base-uncased, sentences, 1 core)", A: "nlpscope tokenize", B: "sugarme/tokenizer", Unit: "tokens/CPU-s", SliceMs: b.slice.Milliseconds()}
	dir, err := filepath.Abs(filepath.Join(b.root, "engine", "tokenize", "benchcmp"))
	if err != nil {
		return c, err
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return c, fmt.Errorf("sugarme comparison needs the source tree (%s): %w", dir, err)
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return c, fmt.Errorf("sugarme comparison needs the Go toolchain: %w", err)
	}
	tmp, err := os.MkdirTemp("", "nlpscope-bench-sugarme-")
	if err != nil {
		return c, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "benchcmp.test")
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, gobin, "test", "-c", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		return c, fmt.Errorf("go test -c in %s: %w: %s", dir, err, lastLines(string(out), 5))
	}
	var as, bs []slice
	for run := range b.pairs + 1 { // run 0 is the warm-up
		cmd := exec.CommandContext(ctx, bin, "-test.run", "^$", "-test.bench", "^BenchmarkCompare$//^sentence$", "-test.cpu", "1",
			"-test.benchtime", b.slice.String())
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return c, fmt.Errorf("%s: %w: %s", bin, err, lastLines(string(out), 5))
		}
		var a, s []slice
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			m := benchLine.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			v, _ := strconv.ParseFloat(m[2], 64)
			if m[1] == "nlpscope" {
				a = append(a, slice{Ops: v, Elapsed: time.Second})
			} else {
				s = append(s, slice{Ops: v, Elapsed: time.Second})
			}
		}
		if len(a) != 1 || len(s) != 1 {
			return c, fmt.Errorf("no tokens/cpu-s pair in the benchmark output: %s", lastLines(string(out), 5))
		}
		if run == 0 {
			continue
		}
		as, bs = append(as, a...), append(bs, s...)
	}
	c.fill(as, bs)
	return c, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// coldStart runs `nlpscope analyze` on one text in a new process, with the
// embedded models and a fresh database, and times it until the first result
// line arrives.
func (b *benchRun) coldStart(ctx context.Context, runs int) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "nlpscope-bench-cold-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var times []float64
	for i := range runs {
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		args := []string{"analyze", "--task", "all", "--progress=false", "--db", filepath.Join(dir, fmt.Sprintf("cold%d.db", i)), "-"}
		if b.ortLib != "" {
			args = append([]string{args[0], "--ort-lib", b.ortLib}, args[1:]...)
		}
		cmd := exec.CommandContext(cctx, exe, args...)
		cmd.Stdin = strings.NewReader(benchSentences[i%len(benchSentences)] + "\n")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			cancel()
			return err
		}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			cancel()
			return err
		}
		line, rerr := bufio.NewReader(stdout).ReadString('\n')
		took := time.Since(start)
		werr := cmd.Wait()
		cancel()
		if rerr != nil || !strings.Contains(line, "sentiment") {
			return fmt.Errorf("analyze: no result line (%v, %v): %q", rerr, werr, line)
		}
		times = append(times, ms(took))
	}
	b.report.Resources.ColdStartRuns = times
	s := slices.Clone(times)
	slices.Sort(s)
	b.report.Resources.ColdStartMs = s[len(s)/2]
	return nil
}

// gitCommit is the commit the binary was built from, or the checkout's HEAD.
func gitCommit(root string) string {
	if c := app.BuildCommit(); c != "" {
		return c
	}
	out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		c += "+dirty"
	}
	return c
}

// procRSS is the resident set size of process pid in bytes (0 when unknown).
func procRSS(pid int) uint64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

var urlRe = regexp.MustCompile(`http://[0-9.]+:[0-9]+`)

// serverMemory starts `nlpscope serve` (embedded models, a fresh database)
// in a new process and reads its RSS when idle and ready, after a load of
// loadFor (64 HTTP clients, /v1/analyze, every text new, results stored),
// and after the same load again: memory must not keep growing.
func (b *benchRun) serverMemory(ctx context.Context, loadFor time.Duration) error {
	dir, err := os.MkdirTemp("", "nlpscope-bench-rss-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	base, pid, stop, err := b.startServe(ctx, "--db", filepath.Join(dir, "rss.db"))
	if err != nil {
		return err
	}
	defer stop()
	rs := &b.report.Resources
	rs.IdleRSS = procRSS(pid)
	load := func() error {
		ht, err := profiler.NewHTTPTarget(profiler.HTTPTargetConfig{URL: base + "/v1/analyze", Body: `{"text":"{{text}} ({{seq}})"}`, Texts: benchSentences})
		if err != nil {
			return err
		}
		defer ht.Close()
		lt, err := profiler.NewLoadTest(profiler.LoadConfig{Target: base, Task: "analyze", Users: 64, Duration: loadFor, NoFingerprint: true}, b.log)
		if err != nil {
			return err
		}
		rep, err := lt.Run(ctx, ht.Do)
		if err == nil && (rep.Errors > 0 || rep.Succeeded == 0) {
			err = fmt.Errorf("load: %d ok, %d errors %v", rep.Succeeded, rep.Errors, rep.ErrorSamples)
		}
		b.progress("memory: load of %v: %d stored results, %.0f req/s", loadFor, rep.Succeeded, rep.Throughput)
		return err
	}
	if err := load(); err != nil {
		return err
	}
	rs.LoadedRSS = procRSS(pid)
	if err := load(); err != nil {
		return err
	}
	rs.LoadedRSS2 = procRSS(pid)
	rs.LoadFor = fmt.Sprintf("%v of 64 HTTP clients on /v1/analyze, every text new and stored", loadFor)
	return nil
}

// storageSpeed measures SQLite storage (storage/storagebench): persisted
// analyses per second four ways, then search latency and export throughput
// on a database of 1,000,000 documents (100,000 in a quick run).
func (b *benchRun) storageSpeed(ctx context.Context, quick bool) error {
	writeDocs, searchDocs, searches := 200000, 1000000, 200
	if quick {
		writeDocs, searchDocs, searches = 50000, 100000, 100
	}
	dir, err := os.MkdirTemp("", "nlpscope-bench-sqlite-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st := &b.report.Storage
	st.Store, err = storagebench.Store(ctx, dir, writeDocs)
	for _, r := range st.Store {
		b.progress("sqlite %s: %.0f docs/s, %.0f analyses/s", r.Name, r.DocsPerS, r.AnalysesPerS)
		if r.Name == storagebench.StoreBatchBoth {
			b.report.Key.StorageAnalysesPerS = f64(r.AnalysesPerS)
		}
	}
	if err != nil {
		return err
	}
	db, built, err := storagebench.BuildDB(ctx, filepath.Join(dir, "search.db"), searchDocs)
	if err != nil {
		return err
	}
	defer db.Close()
	st.SearchDocs, st.BuildSeconds = searchDocs, built.Seconds()
	if st.SearchIndex, err = db.IndexSizes(ctx); err != nil {
		return err
	}
	if st.Search, err = storagebench.Search(ctx, db, searches); err != nil {
		return err
	}
	if st.Insights, err = storagebench.Insights(ctx, db, max(searches/10, 5)); err != nil {
		return err
	}
	st.Export, err = storagebench.Export(ctx, db)
	return err
}
