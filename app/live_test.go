package app

import (
	"testing"
	"testing/synctest"
	"time"
)

// countingEmitter counts the events it receives, by name. The hub calls it
// from the metrics goroutine; the test reads it only after synctest.Wait.
type countingEmitter map[string]int

func (c countingEmitter) Emit(event string, payload any) { c[event]++ }

// Metrics snapshots go to the Emitter at MetricsInterval while the window
// listens and not at all otherwise. The Service runs in a synctest bubble
// over a fake engine: its clock is fake, so the counts are exact.
func TestServiceEmitterOnlyWhileListening(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		em := countingEmitter{}
		s := newFakeService(t, &fakeEngine{})
		s.SetEmitter(em)
		expect := func(when string, want int) {
			t.Helper()
			synctest.Wait() // the metrics goroutine has done what is due
			if em[EventMetrics] != want {
				t.Fatalf("%s: %d metrics events, want %d", when, em[EventMetrics], want)
			}
		}
		time.Sleep(10 * MetricsInterval)
		expect("before anyone listens", 0)

		s.SetLiveMetrics(true)
		time.Sleep(3*MetricsInterval + MetricsInterval/2)
		expect("listening for 3.5 intervals", 3)

		s.SetLiveMetrics(false)
		time.Sleep(10 * MetricsInterval)
		expect("after SetLiveMetrics(false)", 3)

		s.SetLiveMetrics(true)
		time.Sleep(MetricsInterval + MetricsInterval/2)
		expect("listening again", 4)
		s.SetLiveMetrics(false)
	})
}
