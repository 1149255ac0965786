package profiler

import (
	"math"
	"math/rand/v2"
	"time"
)

// Arrival processes of an open-loop run (LoadConfig.Arrivals).
const (
	// ArrivalsUniform sends request n exactly when the integral of the rate
	// reaches n: evenly spaced at a constant rate.
	ArrivalsUniform = "uniform"
	// ArrivalsPoisson sends requests as a Poisson process with the same
	// rate profile: independent, exponentially distributed gaps, as many
	// independent users produce.
	ArrivalsPoisson = "poisson"
)

// Pacer schedules an open-loop run: a constant arrival Rate, optionally
// reached by a linear ramp from StartRate over Ramp, for Duration and at most
// MaxRequests requests. It is a pure value: Pace and Due depend only on their
// arguments.
type Pacer struct {
	Rate        float64       // requests per second after the ramp; > 0
	StartRate   float64       // requests per second at t=0 when Ramp > 0
	Ramp        time.Duration // linear ramp from StartRate to Rate; 0 = none
	Duration    time.Duration // no request is due at or after Duration; 0 = unbounded
	MaxRequests uint64        // 0 = unbounded
}

// hitsAt returns how many requests are due in [0, t] as a real number:
// the integral of the rate.
func (p Pacer) hitsAt(t float64) float64 {
	ramp := p.Ramp.Seconds()
	if ramp <= 0 || t >= ramp {
		if ramp <= 0 {
			return p.Rate * t
		}
		return (p.StartRate+p.Rate)/2*ramp + p.Rate*(t-ramp)
	}
	a := (p.Rate - p.StartRate) / (2 * ramp)
	return p.StartRate*t + a*t*t
}

// Due returns the offset from the start at which request n (0-based) is
// intended to be sent: the time when the integral of the rate reaches n.
func (p Pacer) Due(n uint64) time.Duration { return p.dueAt(float64(n)) }

// dueAt returns the offset at which the integral of the rate reaches hits.
func (p Pacer) dueAt(fn float64) time.Duration {
	if fn <= 0 {
		return 0
	}
	ramp := p.Ramp.Seconds()
	var t float64
	if ramp > 0 && fn < p.hitsAt(ramp) {
		a := (p.Rate - p.StartRate) / (2 * ramp)
		b := p.StartRate
		// Positive root of a t² + b t − n = 0, in the form stable for a → 0.
		t = 2 * fn / (b + math.Sqrt(b*b+4*a*fn))
	} else if ramp > 0 {
		t = ramp + (fn-p.hitsAt(ramp))/p.Rate
	} else {
		t = fn / p.Rate
	}
	if t*float64(time.Second) >= math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(math.Round(t * float64(time.Second)))
}

// Pace says how long to wait from elapsed before sending request number
// sent (0-based; sent requests have already gone out), and whether the run
// is over. A request that is already due returns wait 0: a late sender
// catches up without waiting, and its latency still counts from Due(sent).
func (p Pacer) Pace(elapsed time.Duration, sent uint64) (wait time.Duration, stop bool) {
	if p.Rate <= 0 || math.IsNaN(p.Rate) || p.StartRate < 0 {
		return 0, true
	}
	if p.MaxRequests > 0 && sent >= p.MaxRequests {
		return 0, true
	}
	due := p.Due(sent)
	if p.Duration > 0 && due >= p.Duration {
		return 0, true
	}
	if due <= elapsed {
		return 0, false
	}
	return due - elapsed, false
}

// Expected returns how many requests the pacer schedules in total (0 when
// unbounded).
func (p Pacer) Expected() uint64 {
	var n uint64
	if p.Duration > 0 {
		h := p.hitsAt(p.Duration.Seconds())
		n = uint64(math.Ceil(h))
		// Due(n) < Duration for n < hits; correct rounding at the boundary.
		for n > 0 && p.Due(n-1) >= p.Duration {
			n--
		}
		for p.Due(n) < p.Duration {
			n++
		}
	}
	if p.MaxRequests > 0 && (n == 0 || p.MaxRequests < n) {
		n = p.MaxRequests
	}
	return n
}

// PoissonPacer schedules Poisson arrivals over a Pacer's rate profile:
// request n is due when the integral of the rate reaches the sum of n
// exponential(1) gaps (a time-changed unit Poisson process, so a ramp
// stays a ramp). The gaps come from Seed, so a schedule is reproducible.
//
// Unlike Pacer it is not a pure value: it draws its gaps in order, so Pace
// and Due must be called with n = 0, 1, 2, … (a number may repeat, and a
// smaller one than the last is refused by returning the last due time). It
// is not safe for concurrent use.
type PoissonPacer struct {
	Pacer
	rng  *rand.Rand
	n    uint64  // arrivals drawn
	hits float64 // integral of the rate at arrival n
}

// NewPoissonPacer returns a Poisson schedule over p drawn from seed.
func NewPoissonPacer(p Pacer, seed uint64) *PoissonPacer {
	return &PoissonPacer{Pacer: p, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Due returns the offset from the start at which request n is due.
func (p *PoissonPacer) Due(n uint64) time.Duration {
	for p.n < n {
		p.hits += p.rng.ExpFloat64()
		p.n++
	}
	return p.dueAt(p.hits)
}

// Pace is Pacer.Pace on the Poisson schedule.
func (p *PoissonPacer) Pace(elapsed time.Duration, sent uint64) (wait time.Duration, stop bool) {
	if p.Rate <= 0 || math.IsNaN(p.Rate) || p.StartRate < 0 {
		return 0, true
	}
	if p.MaxRequests > 0 && sent >= p.MaxRequests {
		return 0, true
	}
	due := p.Due(sent)
	if p.Duration > 0 && due >= p.Duration {
		return 0, true
	}
	if due <= elapsed {
		return 0, false
	}
	return due - elapsed, false
}

// schedule is what the open-loop dispatcher asks: Pacer or *PoissonPacer.
type schedule interface {
	Pace(elapsed time.Duration, sent uint64) (time.Duration, bool)
	Due(n uint64) time.Duration
}

var (
	_ schedule = Pacer{}
	_ schedule = (*PoissonPacer)(nil)
)
