package engine_test

import (
	"context"
	"fmt"
	"log"
	"path/filepath"

	"github.com/nlpscope/nlpscope/engine"
)

// New starts the engine (ONNX Runtime from NLPSCOPE_ORT_LIB, or the lookup
// order of FindORTLibrary); LoadModel adds a model folder in Hugging Face
// layout for a task; Sentiment and Entities then run through the batcher,
// so concurrent callers share batches.
func ExampleNew() {
	eng, err := engine.New(engine.Config{IntraOpThreads: 1}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	ctx := context.Background()
	info, err := eng.LoadModel(ctx, engine.TaskEntities, engine.ModelSource{Dir: filepath.Join("testdata", "ner")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("loaded", info.Name, "for", info.Task, "from", info.File)

	ents, err := eng.Entities(ctx, "Alice visited Paris", engine.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range ents.Entities {
		fmt.Printf("%s %q [%d,%d)\n", e.Label, e.Text, e.Start, e.End)
	}
	// Output:
	// loaded ner for entities from model.onnx
	// PER "Alice" [0,5)
	// LOC "Paris" [14,19)
}
