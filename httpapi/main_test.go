package httpapi_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nlpscope/nlpscope/app"
)

// Fixture models of the engine (engine/testdata/gen_fixtures.py): sentiment
// knows good/great/… as POSITIVE and bad/awful/… as NEGATIVE; NER tags
// Alice/Bob/Maria as PER and Paris/London/Berlin as LOC.
var (
	fixtureSentiment = filepath.Join("..", "engine", "testdata", "sentiment")
	fixtureNER       = filepath.Join("..", "engine", "testdata", "ner")
)

// testConfig is a Service config on the fixture models and a temp database.
func testConfig(t *testing.T) app.Config {
	t.Helper()
	return app.Config{
		DBPath:         filepath.Join(t.TempDir(), "nlpscope.db"),
		ModelSentiment: fixtureSentiment,
		ModelEntities:  fixtureNER,
		IntraOpThreads: 1,
	}
}

// newService starts a Service with the real engine and waits for its models.
func newService(t *testing.T, cfg app.Config) *app.Service {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	svc, err := app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	t.Cleanup(func() {
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := svc.WaitLoaded(ctx); err != nil {
		t.Fatalf("WaitLoaded: %v", err)
	}
	return svc
}

func TestMain(m *testing.M) {
	if os.Getenv("NLPSCOPE_ORT_LIB") == "" {
		if p, err := filepath.Abs(filepath.Join("..", "third_party", "onnxruntime", "libonnxruntime.so.1")); err == nil {
			os.Setenv("NLPSCOPE_ORT_LIB", p)
		}
	}
	os.Exit(m.Run())
}
