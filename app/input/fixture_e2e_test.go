package input_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nlpscope/nlpscope/app/input"
)

var updateFixtures = flag.Bool("update-fixtures", false, "rewrite frontend/e2e/fixtures from the tests that make them")

// e2eWorkbook is the .xlsx the browser test drops onto Batches
// (frontend/e2e/batches.test.mjs): an empty first sheet, then the reviews.
var e2eWorkbookRows = [][]any{
	{"id", "author", "body", "stars"},
	{1, "ann", "The battery lasts two days, I love it.", 5},
	{2, "bob", "Broke after a week and support never answered.", 1},
	{3, "cy", "Fine, nothing special.", 3},
	{4, "dee", "Wonderful screen, terrible speakers.", 4},
}

// TestE2EWorkbookFixture checks that the committed workbook of the browser
// test reads as that test expects (sheet Reviews, text from column body,
// the four bodies in order), and rewrites it with -update-fixtures.
func TestE2EWorkbookFixture(t *testing.T) {
	path := filepath.Join("..", "..", "frontend", "e2e", "fixtures", "reviews.xlsx")
	if *updateFixtures {
		data := workbook(t, [][2]any{{"Notes", [][]any{}}, {"Reviews", e2eWorkbookRows}})
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (make it with go test ./app/input/ -run TestE2EWorkbookFixture -update-fixtures)", err)
	}
	if len(data) > 20<<10 {
		t.Errorf("fixture is %d bytes, over 20 KiB", len(data))
	}
	m, err := input.Preview(bytes.NewReader(data), "reviews.xlsx", input.Options{})
	if err != nil || m.Sheet != "Reviews" || m.TextColumn != "body" || len(m.Rows) != 4 {
		t.Fatalf("preview = %+v, %v", m, err)
	}
	var texts []string
	err = input.Read(bytes.NewReader(data), "reviews.xlsx", input.Options{}, func(r input.Record) error {
		texts = append(texts, r.Text)
		return r.Err
	})
	var want []string
	for _, r := range e2eWorkbookRows[1:] {
		want = append(want, r[2].(string))
	}
	if err != nil || !slices.Equal(texts, want) {
		t.Fatalf("texts = %q, %v; want %q", texts, err, want)
	}
}
