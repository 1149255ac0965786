package cli

import (
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/engine"
)

func TestParseP99Targets(t *testing.T) {
	m, err := parseP99Targets("50ms")
	if err != nil || m[engine.TaskSentiment] != 50*time.Millisecond || m[engine.TaskEntities] != 50*time.Millisecond {
		t.Errorf("50ms: %v %v", m, err)
	}
	m, err = parseP99Targets("sentiment=40ms, entities=1s")
	if err != nil || m[engine.TaskSentiment] != 40*time.Millisecond || m[engine.TaskEntities] != time.Second {
		t.Errorf("per task: %v %v", m, err)
	}
	for _, bad := range []string{"", "fast", "ner=50ms", "sentiment=0.5ms", "sentiment=-1s"} {
		if _, err := parseP99Targets(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
