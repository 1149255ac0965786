package profiler_test

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/nlpscope/nlpscope/profiler"
)

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// Sampling the process gauges must not open a descriptor per sample: an
// os.FindProcess per sample holds a pidfd until the next GC, so with the GC
// off N samples would leave N more descriptors open.
func TestSampleReusesProcessHandle(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts /proc/self/fd")
	}
	p, err := profiler.New(profiler.Config{DisableGPU: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	p.Sample(ctx) // opens the handle once
	if st := p.Snapshot().System; st.ProcessRSSBytes == 0 || st.OpenFiles == 0 {
		t.Fatalf("process gauges not read: %+v", st)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	before := openFDs(t)
	const n = 50
	for range n {
		p.Sample(ctx)
	}
	after := openFDs(t)
	// A few descriptors may come and go with other tests' goroutines; a
	// leak shows as about n.
	if after-before > 5 {
		t.Fatalf("%d samples left %d more open descriptors (%d → %d): a process handle per sample", n, after-before, before, after)
	}
}
