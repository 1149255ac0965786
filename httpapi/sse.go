package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/nlpscope/nlpscope/app"
)

// sseHeartbeat keeps idle proxies from closing a quiet stream.
const sseHeartbeat = 15 * time.Second

// handleStream serves GET /v1/metrics/stream: Server-Sent Events named
// "metrics" (≤ 4 Hz), "import" and "loadtest", each with a JSON data line.
// The first "metrics" event is sent at once. The stream ends when the client
// goes away or the server shuts down.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	events, cancel := s.svc.Subscribe(64)
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(name string, payload any) error {
		b, err := json.Marshal(payload)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := write(app.EventMetrics, s.svc.Metrics()); err != nil {
		return
	}
	beat := time.NewTicker(sseHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.shutdown:
			return
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case ev := <-events:
			if err := write(ev.Name, ev.Payload); err != nil {
				return
			}
		}
	}
}
