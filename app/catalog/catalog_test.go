package catalog_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/nlpscope/nlpscope/app/catalog"
	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/engine/quantize"
)

const commit = "0123456789abcdef0123456789abcdef01234567"

var fixture = filepath.Join("..", "..", "engine", "testdata", "sentiment")

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixture, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeModel writes a model folder with the given ONNX files (path → bytes).
func writeModel(t *testing.T, dir string, onnx map[string][]byte) {
	t.Helper()
	files := map[string][]byte{"config.json": read(t, "config.json"), "tokenizer.json": read(t, "tokenizer.json")}
	for k, v := range onnx {
		files[k] = v
	}
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func int8Of(t *testing.T, fp32 []byte) []byte {
	t.Helper()
	q, _, err := quantize.Dynamic(fp32, quantize.Options{MinElements: 1, MinColumns: 1})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

type setup struct {
	cat                *catalog.Catalog
	modelsDir, hfCache string
	fp32, int8         []byte
	explicit, snapshot string
}

func newSetup(t *testing.T) setup {
	s := setup{modelsDir: t.TempDir(), hfCache: t.TempDir(), fp32: read(t, "model.onnx")}
	s.int8 = int8Of(t, s.fp32)
	// A models-dir folder that shadows the embedded "sentiment", with an
	// INT8 variant, and a Xenova-style folder (onnx/ only).
	writeModel(t, filepath.Join(s.modelsDir, "sentiment"), map[string][]byte{"model.onnx": s.fp32, "model_int8.onnx": s.int8})
	writeModel(t, filepath.Join(s.modelsDir, "xenova"), map[string][]byte{"onnx/model.onnx": s.fp32, "onnx/model_quantized.onnx": s.int8})
	os.MkdirAll(filepath.Join(s.modelsDir, "empty"), 0o755)
	os.MkdirAll(filepath.Join(s.modelsDir, ".hidden"), 0o755)
	// A pulled repo in the Hugging Face cache layout, refs/main → commit.
	repo := filepath.Join(s.hfCache, "models--acme--tiny")
	s.snapshot = filepath.Join(repo, "snapshots", commit)
	writeModel(t, s.snapshot, map[string][]byte{"onnx/model.onnx": s.fp32, "onnx/model_fp16.onnx": s.fp32})
	os.MkdirAll(filepath.Join(repo, "refs"), 0o755)
	os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit), 0o644)
	s.explicit = filepath.Join(t.TempDir(), "mine")
	writeModel(t, s.explicit, map[string][]byte{"model.onnx": s.fp32})
	emb := fstest.MapFS{
		"sentiment/config.json":    {Data: read(t, "config.json")},
		"sentiment/tokenizer.json": {Data: read(t, "tokenizer.json")},
		"sentiment/model.onnx":     {Data: s.fp32},
	}
	s.cat = catalog.New(catalog.Config{Embedded: emb, ModelsDir: s.modelsDir, HFCache: s.hfCache, Folders: []string{s.explicit + "#model.onnx"}})
	return s
}

func TestList(t *testing.T) {
	s := newSetup(t)
	list, errs := s.cat.List()
	if len(errs) != 0 {
		t.Fatalf("errs = %v", errs)
	}
	got := map[string]catalog.Model{}
	var refs []string
	for _, m := range list {
		got[m.Ref] = m
		refs = append(refs, m.Ref)
	}
	want := []string{"embedded:sentiment", filepath.Join(s.modelsDir, "empty"), filepath.Join(s.modelsDir, "sentiment"),
		filepath.Join(s.modelsDir, "xenova"), "acme/tiny@main", s.explicit}
	if strings.Join(refs, "|") != strings.Join(want, "|") {
		t.Fatalf("refs = %v\nwant %v", refs, want)
	}
	variants := func(m catalog.Model) string {
		var v []string
		for _, x := range m.Variants {
			d := ""
			if x.Default {
				d = "*"
			}
			v = append(v, d+x.Name+"="+x.File+":"+x.Precision)
		}
		return strings.Join(v, " ")
	}
	for ref, want := range map[string]string{
		"embedded:sentiment":                    "*fp32=model.onnx:fp32",
		filepath.Join(s.modelsDir, "sentiment"): "*fp32=model.onnx:fp32 int8=model_int8.onnx:int8",
		filepath.Join(s.modelsDir, "xenova"):    "*fp32=onnx/model.onnx:fp32 quantized=onnx/model_quantized.onnx:int8",
		"acme/tiny@main":                        "*fp32=onnx/model.onnx:fp32 fp16=onnx/model_fp16.onnx:fp16",
		filepath.Join(s.modelsDir, "empty"):     "",
	} {
		if v := variants(got[ref]); v != want {
			t.Errorf("%s variants = %q, want %q", ref, v, want)
		}
	}
	for _, ref := range []string{"embedded:sentiment", filepath.Join(s.modelsDir, "xenova"), "acme/tiny@main"} {
		if m := got[ref]; m.Task != engine.TaskSentiment || m.Error != "" {
			t.Errorf("%s: task %q, error %q", ref, m.Task, m.Error)
		}
	}
	if m := got["acme/tiny@main"]; m.Source != catalog.SourceHFCache || m.Commit != commit || m.Revision != "main" || m.Name != "acme/tiny" {
		t.Errorf("hf model = %+v", m)
	}
	if m := got[filepath.Join(s.modelsDir, "empty")]; !strings.Contains(m.Error, "config.json: missing") || !strings.Contains(m.Error, "no ONNX file") {
		t.Errorf("empty folder error = %q", m.Error)
	}
	q := got[filepath.Join(s.modelsDir, "sentiment")].Variants[1]
	if !q.Quantized || q.Scheme == "" || q.SizeBytes != int64(len(s.int8)) {
		t.Errorf("int8 variant = %+v", q)
	}
}

func TestResolve(t *testing.T) {
	s := newSetup(t)
	for _, c := range []struct{ ref, variant, dir, file string }{
		{"embedded:sentiment", "", "sentiment", "model.onnx"},
		{"sentiment", "", filepath.Join(s.modelsDir, "sentiment"), "model.onnx"}, // the models dir shadows the embedded one
		{"sentiment", "int8", filepath.Join(s.modelsDir, "sentiment"), "model_int8.onnx"},
		{"sentiment#model_int8.onnx", "", filepath.Join(s.modelsDir, "sentiment"), "model_int8.onnx"},
		{"sentiment#model_int8.onnx", "int8", filepath.Join(s.modelsDir, "sentiment"), "model_int8.onnx"},
		{"xenova", "quantized", filepath.Join(s.modelsDir, "xenova"), "onnx/model_quantized.onnx"},
		{"acme/tiny", "", s.snapshot, "onnx/model.onnx"},
		{"acme/tiny@main", "fp16", s.snapshot, "onnx/model_fp16.onnx"},
		{"acme/tiny@" + commit + "#onnx/model_fp16.onnx", "", s.snapshot, "onnx/model_fp16.onnx"},
		{s.explicit, "", s.explicit, "model.onnx"},
	} {
		ch, err := s.cat.Resolve(c.ref, c.variant)
		if err != nil {
			t.Errorf("Resolve(%q, %q): %v", c.ref, c.variant, err)
			continue
		}
		src := ch.Source()
		if src.Dir != c.dir || src.ONNXFile != c.file {
			t.Errorf("Resolve(%q, %q) = %s#%s, want %s#%s", c.ref, c.variant, src.Dir, src.ONNXFile, c.dir, c.file)
		}
		// What the catalog resolves, the engine can inspect.
		if info, err := engine.InspectModel(src); err != nil || info.File != c.file {
			t.Errorf("InspectModel(%q): %+v %v", c.ref, info.File, err)
		}
	}
	for _, c := range []struct {
		ref, variant string
		want         error
	}{
		{"", "", catalog.ErrBadRef},
		{"nothing", "", catalog.ErrNotFound},
		{"embedded:nothing", "", catalog.ErrNotFound},
		{"sentiment", "fp16", catalog.ErrNotFound},
		{"sentiment#model_int8.onnx", "fp32", catalog.ErrBadRef},
		{"sentiment#../xenova/onnx/model.onnx", "", catalog.ErrBadRef},
		{"sentiment#/etc/passwd.onnx", "", catalog.ErrBadRef},
		{"sentiment#config.json", "", catalog.ErrBadRef},
		{"sentiment#nope.onnx", "", catalog.ErrNotFound},
		{"acme/never-pulled", "", catalog.ErrNotFound},
		{"empty", "", catalog.ErrNotFound},
	} {
		_, err := s.cat.Resolve(c.ref, c.variant)
		if !errors.Is(err, c.want) {
			t.Errorf("Resolve(%q, %q) = %v, want %v", c.ref, c.variant, err, c.want)
		}
	}
	// The error for an unknown variant says which exist.
	if _, err := s.cat.Resolve("sentiment", "fp16"); err == nil || !strings.Contains(err.Error(), "int8 (model_int8.onnx)") {
		t.Errorf("unknown variant error = %v", err)
	}
}

func TestOffers(t *testing.T) {
	s := newSetup(t)
	for ref, want := range map[string]bool{
		"embedded:sentiment":                    true,
		"sentiment":                             true,
		filepath.Join(s.modelsDir, "sentiment"): true,
		"acme/tiny":                             true,
		s.explicit:                              true,
		s.explicit + "/":                        true,
		fixture:                                 false, // a model folder nobody named
	} {
		m, err := s.cat.Model(ref)
		if err != nil {
			t.Fatalf("Model(%q): %v", ref, err)
		}
		if got := s.cat.Offers(m); got != want {
			t.Errorf("Offers(%q) = %v, want %v", ref, got, want)
		}
	}
}
