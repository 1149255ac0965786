package app

import (
	"context"
	"fmt"

	"github.com/nlpscope/nlpscope/engine"
)

// noEngine stands in for an engine that could not start (no ONNX Runtime
// library, a provider that would not load) when Config.StartNotReady asks
// the Service to run anyway: every task is not ready, every analysis fails
// with engine.ErrNotReady and the reason, and Health says what is missing.
// The web shell and the window stay up to show it.
type noEngine struct{ reason error }

func (n noEngine) notReady() error { return fmt.Errorf("%w: %v", engine.ErrNotReady, n.reason) }

func (n noEngine) Close() error { return nil }
func (n noEngine) LoadModel(context.Context, engine.Task, engine.ModelSource) (engine.ModelInfo, error) {
	return engine.ModelInfo{}, n.notReady()
}
func (n noEngine) Models() []engine.ModelInfo { return []engine.ModelInfo{} }
func (n noEngine) Ready(engine.Task) bool     { return false }
func (n noEngine) Runtime() engine.RuntimeInfo {
	return engine.RuntimeInfo{Note: n.reason.Error()}
}
func (n noEngine) Sentiment(context.Context, string, engine.Options) (engine.Sentiment, error) {
	return engine.Sentiment{}, n.notReady()
}
func (n noEngine) SentimentBatch(context.Context, []string, engine.Options) ([]engine.Sentiment, error) {
	return nil, n.notReady()
}
func (n noEngine) Entities(context.Context, string, engine.Options) (engine.Entities, error) {
	return engine.Entities{}, n.notReady()
}
func (n noEngine) EntitiesBatch(context.Context, []string, engine.Options) ([]engine.Entities, error) {
	return nil, n.notReady()
}
func (n noEngine) Stats() engine.Stats           { return engine.Stats{QueueDepth: map[engine.Task]int{}} }
func (n noEngine) Tuning() engine.Tuning         { return engine.Tuning{} }
func (n noEngine) SetTuning(engine.Tuning) error { return n.notReady() }
