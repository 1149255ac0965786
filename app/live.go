package app

import (
	"sync"
)

// Emitter receives the Service's live events. The web shell fans them out as
// Server-Sent Events; the desktop shell forwards them with Wails'
// runtime.EventsEmit (the Service itself never calls Wails). Emit must be safe
// for concurrent use and must not block.
type Emitter interface {
	Emit(event string, payload any)
}

// Event names carried by an Emitter and by GET /v1/metrics/stream.
const (
	EventMetrics  = "metrics"  // payload MetricsSnapshot, ≤ 4 Hz while someone listens
	EventImport   = "import"   // payload ImportStatus, ≤ 4 Hz per running import and once at the end
	EventLoadTest = "loadtest" // payload LoadTestStatus, ≤ 4 Hz per running test and once at the end
)

// Event is one live event as delivered to a subscriber.
type Event struct {
	Name    string
	Payload any
}

// hub fans events out to subscribers (SSE clients) and to the injected
// Emitter. A slow subscriber loses events rather than blocking the sender.
type hub struct {
	mu       sync.Mutex
	subs     map[chan Event]struct{}
	emitter  Emitter
	external int // listeners announced through SetLiveMetrics (desktop window)
	changed  chan struct{}
}

func newHub(e Emitter) *hub {
	return &hub{subs: make(map[chan Event]struct{}), emitter: e, changed: make(chan struct{}, 1)}
}

// subscribe registers a subscriber with a buffer of n events; cancel removes it.
func (h *hub) subscribe(n int) (<-chan Event, func()) {
	ch := make(chan Event, n)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	h.notify()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, ch)
			h.mu.Unlock()
			h.notify()
		})
	}
}

func (h *hub) setExternal(on bool) {
	h.mu.Lock()
	if on {
		h.external = 1
	} else {
		h.external = 0
	}
	h.mu.Unlock()
	h.notify()
}

func (h *hub) listeners() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs) + h.external
}

func (h *hub) notify() {
	select {
	case h.changed <- struct{}{}:
	default:
	}
}

// emit delivers an event to every subscriber that has room and to the Emitter.
func (h *hub) emit(name string, payload any) {
	h.mu.Lock()
	for ch := range h.subs {
		select {
		case ch <- Event{Name: name, Payload: payload}:
		default: // slow subscriber: drop, the next snapshot supersedes it
		}
	}
	e := h.emitter
	h.mu.Unlock()
	if e != nil {
		e.Emit(name, payload)
	}
}
