package profiler_test

import (
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/profiler"
)

func TestPacerPace(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name    string
		p       profiler.Pacer
		elapsed time.Duration
		sent    uint64
		wait    time.Duration
		stop    bool
	}{
		{"first request is due at once", profiler.Pacer{Rate: 100, Duration: time.Second}, 0, 0, 0, false},
		{"second request waits one interval", profiler.Pacer{Rate: 100, Duration: time.Second}, 0, 1, 10 * ms, false},
		{"part of the interval gone", profiler.Pacer{Rate: 100, Duration: time.Second}, 4 * ms, 1, 6 * ms, false},
		{"behind schedule sends at once", profiler.Pacer{Rate: 100, Duration: time.Second}, 500 * ms, 10, 0, false},
		{"ahead of schedule waits", profiler.Pacer{Rate: 100, Duration: time.Second}, 50 * ms, 10, 50 * ms, false},
		{"last request inside duration", profiler.Pacer{Rate: 100, Duration: time.Second}, 990 * ms, 99, 0, false},
		{"request due at duration stops", profiler.Pacer{Rate: 100, Duration: time.Second}, 990 * ms, 100, 0, true},
		{"late but past duration stops", profiler.Pacer{Rate: 100, Duration: time.Second}, 5 * time.Second, 100, 0, true},
		{"max requests stops", profiler.Pacer{Rate: 100, Duration: time.Second, MaxRequests: 5}, 0, 5, 0, true},
		{"under max requests goes on", profiler.Pacer{Rate: 100, Duration: time.Second, MaxRequests: 5}, 0, 4, 40 * ms, false},
		{"fractional rate", profiler.Pacer{Rate: 0.5, Duration: time.Minute}, 0, 1, 2 * time.Second, false},
		{"zero rate stops", profiler.Pacer{Rate: 0, Duration: time.Second}, 0, 0, 0, true},
		{"unbounded duration", profiler.Pacer{Rate: 1000}, 0, 1_000_000, 1000 * time.Second, false},
		// Ramp 0 → 100/s over 1 s: hits(t) = 50 t², so request n is due at sqrt(n/50) s.
		{"ramp: request 2 due at 200ms", profiler.Pacer{Rate: 100, Ramp: time.Second, Duration: 2 * time.Second}, 0, 2, 200 * ms, false},
		{"ramp: request 50 due at 1s", profiler.Pacer{Rate: 100, Ramp: time.Second, Duration: 2 * time.Second}, 0, 50, time.Second, false},
		{"ramp: after the ramp the rate is constant", profiler.Pacer{Rate: 100, Ramp: time.Second, Duration: 2 * time.Second}, time.Second, 60, 100 * ms, false},
		{"ramp: schedule ends at duration", profiler.Pacer{Rate: 100, Ramp: time.Second, Duration: 2 * time.Second}, 0, 150, 0, true},
		// Ramp 100 → 200/s over 1 s: hits(t) = 100 t + 50 t²; hits(1) = 150.
		{"ramp from a start rate", profiler.Pacer{Rate: 200, StartRate: 100, Ramp: time.Second, Duration: 2 * time.Second}, 0, 150, time.Second, false},
		{"ramp from a start rate, after", profiler.Pacer{Rate: 200, StartRate: 100, Ramp: time.Second, Duration: 2 * time.Second}, 0, 170, 1100 * ms, false},
		// Ramp down 200 → 100/s over 1 s: hits(1) = 150 again.
		{"ramp down", profiler.Pacer{Rate: 100, StartRate: 200, Ramp: time.Second, Duration: 2 * time.Second}, 0, 150, time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wait, stop := tc.p.Pace(tc.elapsed, tc.sent)
			if stop != tc.stop || absDur(wait-tc.wait) > time.Microsecond {
				t.Fatalf("Pace(%v, %d) = (%v, %v), want (%v, %v)", tc.elapsed, tc.sent, wait, stop, tc.wait, tc.stop)
			}
		})
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func TestPacerDueIsMonotonic(t *testing.T) {
	for _, p := range []profiler.Pacer{
		{Rate: 200, Duration: 10 * time.Second},
		{Rate: 200, Ramp: 3 * time.Second, Duration: 10 * time.Second},
		{Rate: 50, StartRate: 300, Ramp: 3 * time.Second, Duration: 10 * time.Second},
	} {
		var prev time.Duration
		for n := uint64(1); n < 3000; n++ {
			d := p.Due(n)
			if d <= prev {
				t.Fatalf("%+v: Due(%d) = %v, not after Due(%d) = %v", p, n, d, n-1, prev)
			}
			prev = d
		}
	}
}

func TestPacerExpected(t *testing.T) {
	f := func(p profiler.Pacer, want uint64) {
		t.Helper()
		if got := p.Expected(); got != want {
			t.Fatalf("%+v: Expected() = %d, want %d", p, got, want)
		}
		// Expected agrees with Pace: exactly want requests are sent.
		if p.MaxRequests == 0 || p.Duration > 0 {
			if _, stop := p.Pace(0, want-1); stop {
				t.Fatalf("%+v: Pace stops before request %d", p, want-1)
			}
			if _, stop := p.Pace(0, want); !stop {
				t.Fatalf("%+v: Pace does not stop at request %d", p, want)
			}
		}
	}
	f(profiler.Pacer{Rate: 200, Duration: 10 * time.Second}, 2000)
	f(profiler.Pacer{Rate: 3, Duration: time.Second}, 3)
	f(profiler.Pacer{Rate: 100, Ramp: time.Second, Duration: 2 * time.Second}, 150)
	f(profiler.Pacer{Rate: 200, Duration: 10 * time.Second, MaxRequests: 7}, 7)
}

// TestPoissonPacer: a Poisson schedule sends about rate × duration
// requests with exponential gaps (mean 1/rate, and as many gaps above the
// mean as e^-1 of them), is the same for the same seed, and differs for
// another seed.
func TestPoissonPacer(t *testing.T) {
	base := profiler.Pacer{Rate: 1000, Duration: 10 * time.Second}
	count := func(seed uint64) (n uint64, dues []time.Duration) {
		p := profiler.NewPoissonPacer(base, seed)
		for {
			if _, stop := p.Pace(0, n); stop {
				return n, dues
			}
			dues = append(dues, p.Due(n))
			n++
		}
	}
	n, dues := count(7)
	// 10 000 expected, standard deviation 100.
	if n < 9500 || n > 10500 {
		t.Fatalf("%d arrivals in 10 s at 1000/s", n)
	}
	var long int
	for i := 1; i < len(dues); i++ {
		if dues[i] < dues[i-1] {
			t.Fatalf("due times go back at %d", i)
		}
		if dues[i]-dues[i-1] > time.Millisecond {
			long++
		}
	}
	if share := float64(long) / float64(len(dues)-1); share < 0.34 || share > 0.40 {
		t.Fatalf("%.3f of gaps exceed the mean, want e^-1 ≈ 0.368", share)
	}
	if n2, d2 := count(7); n2 != n || d2[100] != dues[100] {
		t.Fatal("same seed, different schedule")
	}
	if _, d3 := count(8); d3[100] == dues[100] {
		t.Fatal("another seed, same schedule")
	}
}
