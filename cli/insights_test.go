package cli_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/cli"
	"github.com/nlpscope/nlpscope/storage"
)

func TestCmdInsights(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	ctx := context.Background()
	db, err := storage.Open(ctx, storage.Config{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range []struct{ text, label, ent string }{
		{"Apple's phone is good", "positive", "Apple's"}, {"apple is bad", "negative", "apple"},
		{"APPLE and Berlin good", "positive", " APPLE "}, {"nothing here", "neutral", ""},
	} {
		r := storage.Result{Text: d.text, Meta: map[string]string{"product": []string{"phone", "laptop"}[i%2]}, Analyses: []storage.Analysis{{Task: "sentiment", ModelID: "m", ModelHash: "h", Label: d.label, Score: 0.5 + float64(i)/10}}}
		if d.ent != "" {
			r.Analyses = append(r.Analyses, storage.Analysis{Task: "entities", ModelID: "n", ModelHash: "n", Entities: []storage.Entity{{Label: "ORG", Text: d.ent, Start: 0, End: 5}}})
		}
		if _, err := db.Store(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	code, out, errOut := runCLI(t, "", "insights", "--db", path, "--json")
	var in storage.Insights
	if code != cli.ExitOK || json.Unmarshal([]byte(out), &in) != nil {
		t.Fatalf("insights --json: %d %s %s", code, out, errOut)
	}
	if in.Documents != 4 || len(in.Sentiment) != 3 || in.Sentiment[0].Label != "positive" || in.Sentiment[0].Docs != 2 {
		t.Errorf("insights: %+v", in)
	}
	if len(in.Entities) != 1 || in.Entities[0].Entities[0].Key != "apple" || in.Entities[0].Entities[0].Docs != 3 || len(in.Entities[0].Entities[0].Forms) != 3 {
		t.Errorf("entities: %+v", in.Entities)
	}
	code, out, _ = runCLI(t, "", "insights", "--db", path, "--q", "good", "--csv", "entities")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != cli.ExitOK || err != nil || len(rows) != 2 || rows[1][1] != "apple" || rows[1][2] != "2" || rows[1][6] != "positive=2" {
		t.Errorf("--q good --csv entities: %d %q %v", code, out, err)
	}
	code, out, _ = runCLI(t, "", "insights", "--db", path, "--entity", "ORG:Apple’s", "--csv", "sentiment")
	if code != cli.ExitOK || !strings.Contains(out, "positive,2,") || !strings.Contains(out, "negative,1,") || strings.Contains(out, "neutral") {
		t.Errorf("--entity --csv sentiment: %d %q", code, out)
	}
	// --meta: the documents whose product is phone (1st and 3rd), both positive.
	code, out, _ = runCLI(t, "", "insights", "--db", path, "--meta", "product:phone", "--csv", "sentiment")
	if code != cli.ExitOK || !strings.Contains(out, "positive,2,") || strings.Contains(out, "negative") || strings.Contains(out, "neutral") {
		t.Errorf("--meta product:phone --csv sentiment: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "", "insights", "--db", path, "--bucket", "day")
	if code != cli.ExitOK || !strings.Contains(out, "per day (UTC)") || !strings.HasPrefix(out, "documents  4 (") {
		t.Errorf("table: %d %q", code, out)
	}
	for _, bad := range [][]string{{"--csv", "nope"}, {"--bucket", "fortnight"}, {"--entity", "apple"}, {"--from", "yesterday"}, {"--meta", "product"}, {"--meta", "a:1", "--meta", "a:2"}} {
		code, _, e := runCLI(t, "", append([]string{"insights", "--db", path}, bad...)...)
		if code == cli.ExitOK || e == "" {
			t.Errorf("%v: exit %d, stderr %q", bad, code, e)
		}
	}
	if code, _, e := runCLI(t, "", "insights", "--db", filepath.Join(t.TempDir(), "nope.db")); code != cli.ExitFailure || !strings.Contains(e, "no database") {
		t.Errorf("missing database: %d %q", code, e)
	}
}
