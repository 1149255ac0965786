package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/quantize"
)

// compareOpts tune a comparison.
type compareOpts struct {
	texts  *string
	eval   *string
	rounds *int
}

func compareFlags(fset *flag.FlagSet) compareOpts {
	return compareOpts{
		texts:  fset.String("texts", "", "`file` of texts, one per line, for the comparison (default: a built-in sample)"),
		eval:   fset.String("eval", "", "labelled JSONL `file` ({\"text\", \"label\"} or {\"text\", \"entities\"}): compare on it and report accuracy / entity F1"),
		rounds: fset.Int("rounds", 10, "timed rounds per batch size"),
	}
}

// evalExample is one labelled text of an --eval file (the models/testdata
// held-out format).
type evalExample struct {
	Text     string          `json:"text"`
	Label    string          `json:"label"`
	Entities []engine.Entity `json:"entities"`
}

func loadEval(path string) ([]evalExample, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []evalExample
	for i, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var ex evalExample
		if err := json.Unmarshal([]byte(line), &ex); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
		}
		if strings.TrimSpace(ex.Text) == "" {
			return nil, fmt.Errorf("%s:%d: no text", path, i+1)
		}
		out = append(out, ex)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no examples", path)
	}
	return out, nil
}

// score is label accuracy (sentiment) or exact-span entity micro F1 (NER).
func score(task engine.Task, v *variantRun, gold []evalExample) float64 {
	if task != engine.TaskEntities {
		ok := 0
		for i, ex := range gold {
			if strings.EqualFold(v.sentiment[i].Label, ex.Label) {
				ok++
			}
		}
		return float64(ok) / float64(len(gold))
	}
	tp, fp, fn := 0, 0, 0
	for i, ex := range gold {
		want := map[string]bool{}
		for _, e := range ex.Entities {
			want[entityKey(e)] = true
		}
		for _, e := range v.entities[i].Entities {
			if want[entityKey(e)] {
				tp++
				delete(want, entityKey(e))
			} else {
				fp++
			}
		}
		fn += len(want)
	}
	if tp == 0 {
		return 0
	}
	p, r := float64(tp)/float64(tp+fp), float64(tp)/float64(tp+fn)
	return 2 * p * r / (p + r)
}

// VariantStats is one side of a comparison.
type VariantStats struct {
	ONNXFile  string        `json:"onnx_file"`
	Provider  string        `json:"provider"`
	SizeBytes int64         `json:"size_bytes"`
	Batch1    time.Duration `json:"batch1_ns"`  // median latency of one text
	Batch32   time.Duration `json:"batch32_ns"` // median latency of 32 texts in one call
	TextsPerS float64       `json:"batch32_texts_per_s"`
	Note      string        `json:"note,omitempty"`
}

// Difference is one text whose result changed.
type Difference struct {
	Text string `json:"text"`
	A    string `json:"a"`
	B    string `json:"b"`
}

// CompareReport compares two variants of one model on the same texts.
type CompareReport struct {
	Model        string       `json:"model"`
	Task         engine.Task  `json:"task"`
	Texts        int          `json:"texts"`
	A            VariantStats `json:"a"`
	B            VariantStats `json:"b"`
	Agree        int          `json:"agree"`            // same label (sentiment) or same entity spans (entities)
	Agreement    float64      `json:"agreement"`        // Agree / Texts
	MaxScoreDiff float64      `json:"max_score_diff"`   // largest |score_a - score_b| over labels (or matched entities)
	Metric       string       `json:"metric,omitempty"` // with --eval: "accuracy" or "entity_f1"
	ScoreA       float64      `json:"score_a,omitempty"`
	ScoreB       float64      `json:"score_b,omitempty"`
	Differences  []Difference `json:"differences,omitempty"`
	// For an fp32 → INT8 comparison: the CPU it ran on, the largest score
	// change the INT8 file's scheme should give when nothing clips
	// (quantize.ExpectedMaxScoreDiff), and Drift, a sentence, when
	// MaxScoreDiff is beyond it.
	Host                 quantize.Host `json:"host"`
	ExpectedMaxScoreDiff float64       `json:"expected_max_score_diff,omitempty"`
	Drift                string        `json:"drift,omitempty"`
}

// sampleTexts are used when no --texts file is given: short and long,
// positive, negative and neutral, with people, places and organisations.
var sampleTexts = []string{
	"I absolutely loved this film, the acting was superb.",
	"This is the worst service I have ever experienced.",
	"The package arrived on Tuesday.",
	"Angela Merkel met Emmanuel Macron in Paris to discuss the European Union budget.",
	"The new phone from Apple is fast, but the battery life is disappointing.",
	"Barack Obama was born in Honolulu, Hawaii.",
	"Terrible food, rude staff, and we waited an hour. Never again.",
	"What a wonderful surprise, thank you so much!",
	"The meeting has been moved to 3 pm in the main conference room.",
	"Microsoft announced a partnership with OpenAI in Seattle.",
	"I'm not sure how I feel about the ending.",
	"The hotel in Rome was clean, quiet and close to the Colosseum.",
	"Shares of Tesla fell sharply after Elon Musk sold part of his stake.",
	"Absolutely dreadful. I want my money back.",
	"The report was published by the World Health Organization in Geneva.",
	"It works as described.",
	"Lionel Messi scored twice as Barcelona beat Real Madrid.",
	"Our flight from London to New York was delayed by six hours and nobody told us why.",
	"Best purchase of the year, highly recommended to everyone.",
	"The river Thames flows through Oxford and London.",
	"Customer support at Amazon resolved my issue within minutes, great job.",
	"The weather in Berlin is cloudy today.",
	"I hated every minute of it.",
	"Marie Curie worked at the University of Paris.",
	"The software update broke everything and the company refuses to help.",
	"A solid, reliable laptop for the price.",
	"Toyota will open a new factory in Kentucky next year.",
	"Meh. It was fine, nothing special.",
	"The United Nations held an emergency session in New York after the earthquake in Turkey.",
	"Fantastic concert, the band played for three hours!",
	"The instructions are confusing and the parts do not fit.",
	"Jeff Bezos founded Amazon in a garage in Bellevue, Washington.",
}

func loadTexts(path string) ([]string, error) {
	if path == "" {
		return sampleTexts, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no texts", path)
	}
	return out, nil
}

func modelsCompare(ctx context.Context, std Stdio, m *modelsEnv, args []string) error {
	fset := m.flags(std)
	a := fset.String("a", "", "first ONNX `file` in the folder (default model.onnx)")
	b := fset.String("b", "", "second ONNX `file` (default model_int8.onnx, or the first file when --provider-b differs)")
	pa := fset.String("provider-a", "cpu", "provider of the first: cpu or cuda")
	pb := fset.String("provider-b", "cpu", "provider of the second: cpu or cuda")
	cmpFlags := compareFlags(fset)
	pos, err := m.parse(fset, args, 1, "usage: nlpscope models compare MODEL [--a FILE] [--b FILE] [--provider-a cpu|cuda] [--provider-b cpu|cuda] [--texts FILE | --eval JSONL] [--rounds N] [--json]")
	if err != nil {
		return err
	}
	ref, err := m.resolve(pos[0])
	if err != nil {
		return err
	}
	ra, rb := ref, ref
	ra.ONNX = *a
	rb.ONNX = *b
	if *b == "" {
		if *pa == *pb {
			rb.ONNX = QuantizedFile
		} else {
			rb.ONNX = *a
		}
	}
	info, err := engine.InspectModel(ra.src())
	if err != nil {
		return err
	}
	cr, err := compareModels(ctx, ra, rb, info.Task, *pa, *pb, cmpFlags)
	if err != nil {
		return err
	}
	if m.json {
		return printJSON(std, cr)
	}
	printCompare(std.Out, cr)
	return nil
}

func printCompare(w io.Writer, c CompareReport) {
	what := "same label"
	if c.Task == engine.TaskEntities {
		what = "same entities"
	}
	fmt.Fprintf(w, "\n%s (%s), %d texts\n", c.Model, c.Task, c.Texts)
	fmt.Fprintf(w, "  %-22s %-5s %10s %12s %12s %12s\n", "variant", "prov", "size", "batch 1", "batch 32", "texts/s@32")
	for _, v := range []VariantStats{c.A, c.B} {
		fmt.Fprintf(w, "  %-22s %-5s %10s %12s %12s %12.0f\n", v.ONNXFile, v.Provider, sizeString(v.SizeBytes),
			v.Batch1.Round(time.Microsecond), v.Batch32.Round(time.Microsecond), v.TextsPerS)
		if v.Note != "" {
			fmt.Fprintf(w, "    note: %s\n", v.Note)
		}
	}
	fmt.Fprintf(w, "  agreement: %d/%d %s (%.1f%%), max score difference %.4f\n", c.Agree, c.Texts, what, 100*c.Agreement, c.MaxScoreDiff)
	if c.ExpectedMaxScoreDiff > 0 {
		verdict := "within"
		if c.Drift != "" {
			verdict = "BEYOND"
		}
		fmt.Fprintf(w, "  score drift: %s what the scheme should give (≤ %.2f) on this CPU, %s\n", verdict, c.ExpectedMaxScoreDiff, c.Host)
	}
	if c.Drift != "" {
		fmt.Fprintf(w, "  warning: %s\n", c.Drift)
	}
	if c.Metric != "" {
		fmt.Fprintf(w, "  %s on the labelled texts: a %.4f, b %.4f\n", c.Metric, c.ScoreA, c.ScoreB)
	}
	for _, d := range c.Differences {
		fmt.Fprintf(w, "  differs: %q\n    a: %s\n    b: %s\n", d.Text, d.A, d.B)
	}
}

// smokeRun loads a model into a fresh engine and analyses one text.
func smokeRun(ctx context.Context, r modelRef, task engine.Task) error {
	v, err := newVariant(ctx, r, task, "cpu")
	if err != nil {
		return err
	}
	defer v.e.Close()
	return v.run(ctx, sampleTexts[:1])
}

// variantRun is one variant's engine and what it computed.
type variantRun struct {
	e         *engine.Engine
	task      engine.Task
	stats     VariantStats
	sentiment []engine.Sentiment
	entities  []engine.Entities
	d1, d32   []time.Duration
}

func newVariant(ctx context.Context, r modelRef, task engine.Task, provider string) (*variantRun, error) {
	e, err := engine.New(engine.Config{
		Provider: provider,
		Tuning:   engine.Tuning{CacheEntries: -1, MaxBatchSize: 32, MaxDelay: time.Millisecond},
	}, nil)
	if err != nil {
		return nil, err
	}
	info, err := e.LoadModel(ctx, task, r.src())
	if err != nil {
		e.Close()
		return nil, err
	}
	rt := e.Runtime()
	return &variantRun{e: e, task: task, stats: VariantStats{
		ONNXFile: onnxName(r.ONNX), Provider: rt.Provider, SizeBytes: info.SizeBytes, Note: rt.Note,
	}}, nil
}

// run computes texts in one call and keeps the results.
func (v *variantRun) run(ctx context.Context, texts []string) error {
	opts := engine.Options{NoCache: true}
	var err error
	if v.task == engine.TaskEntities {
		v.entities, err = v.e.EntitiesBatch(ctx, texts, opts)
	} else {
		v.sentiment, err = v.e.SentimentBatch(ctx, texts, opts)
	}
	return err
}

// runEach computes every text in a call of its own and keeps the results.
func (v *variantRun) runEach(ctx context.Context, texts []string) error {
	sent, ents := make([]engine.Sentiment, 0, len(texts)), make([]engine.Entities, 0, len(texts))
	for _, t := range texts {
		if err := v.run(ctx, []string{t}); err != nil {
			return err
		}
		if v.task == engine.TaskEntities {
			ents = append(ents, v.entities[0])
		} else {
			sent = append(sent, v.sentiment[0])
		}
	}
	v.sentiment, v.entities = sent, ents
	return nil
}

func (v *variantRun) timed(ctx context.Context, texts []string, into *[]time.Duration) error {
	start := time.Now()
	if err := v.run(ctx, texts); err != nil {
		return err
	}
	*into = append(*into, time.Since(start))
	return nil
}

// measure times both variants in alternation (so that machine noise and
// warm-up hit both alike): per round, single texts, then a batch of 32.
func measure(ctx context.Context, vs []*variantRun, texts []string, rounds int) error {
	b32 := make([]string, 32)
	for i := range b32 {
		b32[i] = texts[i%len(texts)]
	}
	for _, v := range vs { // warm-up
		if err := v.run(ctx, b32); err != nil {
			return err
		}
	}
	for i := 0; i < rounds; i++ {
		for _, t := range texts[:min(len(texts), 8)] {
			for _, v := range vs {
				if err := v.timed(ctx, []string{t}, &v.d1); err != nil {
					return err
				}
			}
		}
		for _, v := range vs {
			if err := v.timed(ctx, b32, &v.d32); err != nil {
				return err
			}
		}
	}
	for _, v := range vs {
		v.stats.Batch1, v.stats.Batch32 = median(v.d1), median(v.d32)
		if v.stats.Batch32 > 0 {
			v.stats.TextsPerS = 32 / v.stats.Batch32.Seconds()
		}
		// The results compared are those of each text on its own: dynamic
		// quantization takes its activation range from the whole batch
		// tensor, so results computed in batches would depend on which
		// texts the batcher happened to put together, and a comparison
		// would change from run to run.
		if err := v.runEach(ctx, texts); err != nil {
			return err
		}
	}
	return nil
}

func onnxName(f string) string {
	if f == "" {
		return "model.onnx"
	}
	return f
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// compareModels runs both variants on the same texts and compares results.
func compareModels(ctx context.Context, a, b modelRef, task engine.Task, pa, pb string, o compareOpts) (_ CompareReport, err error) {
	var gold []evalExample
	var texts []string
	if *o.eval != "" {
		if gold, err = loadEval(*o.eval); err != nil {
			return CompareReport{}, err
		}
		for _, ex := range gold {
			texts = append(texts, ex.Text)
		}
	} else if texts, err = loadTexts(*o.texts); err != nil {
		return CompareReport{}, err
	}
	rounds := max(*o.rounds, 1)
	ra, err := newVariant(ctx, a, task, pa)
	if err != nil {
		return CompareReport{}, fmt.Errorf("%s on %s: %w", onnxName(a.ONNX), pa, err)
	}
	defer ra.e.Close()
	rb, err := newVariant(ctx, b, task, pb)
	if err != nil {
		return CompareReport{}, fmt.Errorf("%s on %s: %w", onnxName(b.ONNX), pb, err)
	}
	defer rb.e.Close()
	if err := measure(ctx, []*variantRun{ra, rb}, texts, rounds); err != nil {
		return CompareReport{}, err
	}
	c := CompareReport{Model: a.Name, Task: task, Texts: len(texts), A: ra.stats, B: rb.stats}
	for i, t := range texts {
		same, diff, da, db := false, 0.0, "", ""
		if task == engine.TaskEntities {
			same, diff, da, db = compareEntities(ra.entities[i].Entities, rb.entities[i].Entities)
		} else {
			sa, sb := ra.sentiment[i], rb.sentiment[i]
			same = sa.Label == sb.Label
			for j := range sa.Scores {
				if j < len(sb.Scores) {
					diff = max(diff, abs(sa.Scores[j].Score-sb.Scores[j].Score))
				}
			}
			da, db = fmt.Sprintf("%s %.3f", sa.Label, sa.Score), fmt.Sprintf("%s %.3f", sb.Label, sb.Score)
		}
		c.MaxScoreDiff = max(c.MaxScoreDiff, diff)
		if same {
			c.Agree++
		} else if len(c.Differences) < 10 {
			c.Differences = append(c.Differences, Difference{Text: t, A: da, B: db})
		}
	}
	c.Agreement = float64(c.Agree) / float64(c.Texts)
	c.Host = quantize.DetectHost()
	c.ExpectedMaxScoreDiff, c.Drift = expectedDrift(a, b, c.MaxScoreDiff, c.Host)
	if gold != nil {
		c.Metric = "accuracy"
		if task == engine.TaskEntities {
			c.Metric = "entity_f1"
		}
		c.ScoreA, c.ScoreB = score(task, ra, gold), score(task, rb, gold)
	}
	return c, nil
}

// expectedDrift returns, when b is an INT8 file and a is not, the largest
// score change b's scheme should give, and a sentence when maxDiff is beyond
// it (naming clipping when the CPU explains it).
func expectedDrift(a, b modelRef, maxDiff float64, host quantize.Host) (float64, string) {
	ab, errA := a.readONNX()
	bb, errB := b.readONNX()
	if errA != nil || errB != nil {
		return 0, ""
	}
	ia, errA := quantize.Inspect(ab)
	ib, errB := quantize.Inspect(bb)
	if errA != nil || errB != nil || ia.Quantized || !ib.Quantized || ib.Weights.Tensors == 0 {
		return 0, ""
	}
	want := quantize.ExpectedMaxScoreDiff(ib.Weights)
	if maxDiff <= want {
		return want, ""
	}
	why := "the model may not suit dynamic quantization: keep sensitive layers in fp32 (--min-columns, --min-elements) or compare on more texts"
	if w := quantize.HostWarning(ib, host); w != "" {
		why = w
	}
	return want, fmt.Sprintf("max score difference %.4f is beyond what %d-bit weights should give (≤ %.2f): %s", maxDiff, ib.Weights.Bits(), want, why)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func entityKey(e engine.Entity) string { return fmt.Sprintf("%s[%d:%d]", e.Label, e.Start, e.End) }

func compareEntities(a, b []engine.Entity) (same bool, maxDiff float64, da, db string) {
	keys := func(es []engine.Entity) []string {
		var out []string
		for _, e := range es {
			out = append(out, entityKey(e)+"="+e.Text)
		}
		return out
	}
	ka, kb := keys(a), keys(b)
	same = slices.Equal(ka, kb)
	scores := map[string]float64{}
	for _, e := range a {
		scores[entityKey(e)] = e.Score
	}
	for _, e := range b {
		if s, ok := scores[entityKey(e)]; ok {
			maxDiff = max(maxDiff, abs(s-e.Score))
		}
	}
	return same, maxDiff, strings.Join(ka, " "), strings.Join(kb, " ")
}
