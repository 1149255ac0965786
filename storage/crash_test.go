package storage_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/nlpscope/nlpscope/storage"
)

const crashChildEnv = "NLPSCOPE_STORAGE_CRASH_CHILD"

func crashText(n int) string {
	return fmt.Sprintf("crash document %d %s", n, strings.Repeat("padding ", n%40))
}

// crashChild runs in a re-executed test binary: it stores documents from
// several goroutines and prints "id n" for every acknowledged one, until it
// is killed (or, as a bound, after 500,000 documents).
func crashChild() int {
	path := os.Getenv(crashChildEnv)
	db, err := storage.Open(context.Background(), storage.Config{Path: path, GroupCommitSize: 64}, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 3
	}
	var mu sync.Mutex
	var next int
	take := func(k int) int {
		mu.Lock()
		defer mu.Unlock()
		n := next
		next += k
		return n
	}
	ack := func(id storage.DocID, n int) {
		mu.Lock()
		defer mu.Unlock()
		// One write per line: a pipe write this small is atomic.
		os.Stdout.WriteString(strconv.FormatInt(int64(id), 10) + " " + strconv.Itoa(n) + "\n")
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for {
				if w%2 == 0 {
					n := take(1)
					if n >= 500000 {
						return
					}
					id, err := db.Store(context.Background(), sentimentResult(crashText(n), "POSITIVE"))
					if err != nil {
						fmt.Fprintln(os.Stderr, "child store:", err)
						os.Exit(4)
					}
					ack(id, n)
				} else {
					n := take(20)
					if n >= 500000 {
						return
					}
					rs := make([]storage.Result, 20)
					for i := range rs {
						rs[i] = sentimentResult(crashText(n+i), "NEGATIVE")
					}
					ids, err := db.StoreBatch(context.Background(), rs)
					if err != nil {
						fmt.Fprintln(os.Stderr, "child batch:", err)
						os.Exit(4)
					}
					for i, id := range ids {
						ack(id, n+i)
					}
				}
			}
		})
	}
	wg.Wait()
	db.Close()
	return 0
}

// TestCrashKeepsAcknowledged kills a writing child process with SIGKILL and
// checks that the database is intact and holds every document the child
// reported as stored.
func TestCrashKeepsAcknowledged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[storage.DocID]int{}
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			t.Fatalf("child printed %q", sc.Text())
		}
		id, _ := strconv.ParseInt(f[0], 10, 64)
		n, _ := strconv.Atoi(f[1])
		acked[storage.DocID(id)] = n
		if !killed && len(acked) >= 3000 {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child ended before it was killed: %v; stderr: %s", err, stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed by SIGKILL: %v; stderr: %s", cmd.ProcessState, stderr.String())
	}

	db := openAt(t, path)
	mustCheck(t, db)
	ctx := context.Background()
	for id, n := range acked {
		d, err := db.Get(ctx, id)
		if err != nil {
			t.Fatalf("acknowledged document %d (n=%d) lost: %v", id, n, err)
		}
		if d.Text != crashText(n) || len(d.Analyses) != 1 {
			t.Fatalf("document %d = %q with %d analyses, want %q", id, d.Text, len(d.Analyses), crashText(n))
		}
	}
	s := mustStats(t, db)
	if s.Documents < int64(len(acked)) {
		t.Fatalf("%d documents, %d acknowledged", s.Documents, len(acked))
	}
	t.Logf("child killed after %d acknowledged documents; %d in the database after reopening", len(acked), s.Documents)
	// The database takes writes again.
	if _, err := db.Store(ctx, sentimentResult("after the crash", "POSITIVE")); err != nil {
		t.Fatal(err)
	}
}
