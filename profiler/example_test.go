package profiler_test

import (
	"fmt"
	"time"

	"github.com/nlpscope/nlpscope/profiler"
)

// A Pacer says when each request of an open-loop run is due: here 10 req/s
// reached by a linear ramp from 0 over 2 s, for 4 s. It is a pure value, so
// a load generator asks it, after each request, how long to wait.
func ExamplePacer() {
	p := profiler.Pacer{Rate: 10, Ramp: 2 * time.Second, Duration: 4 * time.Second}
	fmt.Println("requests in the run:", p.Expected())
	for _, n := range []uint64{0, 1, 5, 10, 29} { // requests are numbered from 0
		fmt.Printf("request %d due at %v\n", n, p.Due(n).Round(time.Millisecond))
	}
	wait, stop := p.Pace(1500*time.Millisecond, 10)
	fmt.Println("at 1.5 s with 10 sent: wait", wait.Round(time.Millisecond), "stop", stop)
	_, stop = p.Pace(4*time.Second, 30)
	fmt.Println("at 4 s with 30 sent: stop", stop)
	// Output:
	// requests in the run: 30
	// request 0 due at 0s
	// request 1 due at 632ms
	// request 5 due at 1.414s
	// request 10 due at 2s
	// request 29 due at 3.9s
	// at 1.5 s with 10 sent: wait 500ms stop false
	// at 4 s with 30 sent: stop true
}
