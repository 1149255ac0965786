package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

type inner struct {
	A int `json:"a"`
}

type embedded struct {
	E string `json:"e"`
}

// color is an enum: its Values method lists every value.
type color string

func (color) Values() []color { return []color{"red", "green"} }

// notEnum has a Values method of another shape: it stays a string.
type notEnum string

func (notEnum) Values() []string { return nil }

type sample struct {
	embedded
	Name     string            `json:"name"`
	Opt      string            `json:"opt,omitempty"`
	Ptr      *inner            `json:"ptr,omitempty"`
	PtrNoTag *inner            `json:"ptr_plain"`
	List     []inner           `json:"list"`
	OptList  []string          `json:"opt_list,omitempty"`
	ZeroList []string          `json:"zero_list,omitzero"`
	Color    color             `json:"color"`
	Colors   []color           `json:"colors"`
	ByColor  map[color]int     `json:"by_color"`
	Plain    notEnum           `json:"plain"`
	Map      map[string]uint64 `json:"map"`
	When     time.Time         `json:"when"`
	Took     time.Duration     `json:"took_ns"`
	Any      any               `json:"any"`
	Bytes    []byte            `json:"bytes"`
	Skip     string            `json:"-"`
	hidden   int
	Untagged bool
	Anon     struct {
		X float64 `json:"x"`
	} `json:"anon"`
}

type Percentiles struct {
	P50 time.Duration `json:"p50_ns"`
}

// clash refers to the package-level Percentiles, generated first.
type clash struct {
	P Percentiles `json:"p"`
}

func TestGenerateGolden(t *testing.T) {
	// A second type named Percentiles: the clash gets the package's name as prefix.
	type Percentiles struct {
		Count int `json:"count"`
	}
	_ = sample{}.hidden
	got := Generate(sample{}, clash{}, Percentiles{})
	path := filepath.Join("testdata", "sample.ts.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./frontend/tsgen -update)", err)
	}
	if got != string(want) {
		t.Errorf("generated TypeScript differs from %s (run with -update if intended):\n%s", path, got)
	}
}

// TestRootsAreCurrent fails when app's types changed and the committed
// models.gen.ts was not regenerated (scripts/build-frontend.sh does it).
func TestRootsAreCurrent(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "src", "lib", "api", "models.gen.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if got := Generate(roots...); got != string(want) {
		t.Error("frontend/src/lib/api/models.gen.ts is stale: run scripts/build-frontend.sh (or go run ./frontend/tsgen -o frontend/src/lib/api/models.gen.ts)")
	}
}
