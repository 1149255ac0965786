package desktop

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/nlpscope/nlpscope/app"
	"github.com/nlpscope/nlpscope/engine"
)

func TestWindowStateRoundTripAndDefaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nlpscope", "window.json")

	if got := loadWindowState(path); got != (windowState{Width: defaultWindowWidth, Height: defaultWindowHeight}) {
		t.Fatalf("missing file: got %+v, want the defaults", got)
	}
	want := windowState{Width: 1500, Height: 900, X: 40, Y: -20, Positioned: true}
	if err := saveWindowState(path, want); err != nil {
		t.Fatal(err)
	}
	if got := loadWindowState(path); got != want {
		t.Fatalf("round trip: got %+v, want %+v", got, want)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left behind: %v", err)
	}

	f := func(content string, want windowState) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := loadWindowState(path); got != want {
			t.Errorf("%s: got %+v, want %+v", content, got, want)
		}
	}
	def := windowState{Width: defaultWindowWidth, Height: defaultWindowHeight}
	f(`not json`, def)
	f(`{"width":10,"height":10}`, windowState{Width: minWindowWidth, Height: minWindowHeight})
	f(`{"width":99999,"height":700}`, windowState{Width: maxWindowSide, Height: 700})
	f(`{"width":1300,"height":900,"x":5,"y":6}`, windowState{Width: 1300, Height: 900}) // position not saved
	f(`{"x":1e9,"y":0,"positioned":true}`, def)
	f(`{"maximised":true}`, windowState{Width: defaultWindowWidth, Height: defaultWindowHeight, Maximised: true})
	f(`{"last_dir":"/home/me/texts"}`, windowState{Width: defaultWindowWidth, Height: defaultWindowHeight, LastDir: "/home/me/texts"})
	f(`{"last_dir":"relative/dir"}`, def)
}

func TestDesktopErrorCarriesTheAPICode(t *testing.T) {
	f := func(err error, want string) {
		t.Helper()
		got := desktopError(err)
		if got == nil || got.Error() != want {
			t.Errorf("desktopError(%v) = %v, want %q", err, got, want)
		}
	}
	f(engine.ErrEmptyText, "empty_text: "+engine.ErrEmptyText.Error())
	f(errors.Join(errors.New("texts[2]"), engine.ErrOverloaded), "overloaded: texts[2]\n"+engine.ErrOverloaded.Error())
	f(app.ErrNoStorage, "no_storage: "+app.ErrNoStorage.Error())
	if desktopError(nil) != nil {
		t.Error("nil error must stay nil")
	}
	if got := desktopError(errors.New("disk on fire")).Error(); !strings.HasPrefix(got, "internal: ") {
		t.Errorf("unknown error: %q, want the internal code", got)
	}
}

func TestCSVColumns(t *testing.T) {
	dir := t.TempDir()
	f := func(name, content string, want []string, wantErr bool) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := csvColumns(p)
		if wantErr {
			if !errors.Is(err, app.ErrBadRequest) {
				t.Errorf("%s: err = %v, want app.ErrBadRequest", name, err)
			}
			return
		}
		if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: got %q, %v; want %q", name, got, err, want)
		}
	}
	f("a.csv", "\ufeffid, text ,\"review, long\"\r\n1,2,3\r\n", []string{"id", "text", "review, long"}, false)
	f("one.csv", "text\n", []string{"text"}, false)
	f("empty.csv", "", nil, true)
	if _, err := csvColumns(filepath.Join(dir, "missing.csv")); !errors.Is(err, app.ErrBadRequest) {
		t.Errorf("missing file: %v", err)
	}
}

type fakeDialogs struct {
	save   string
	files  []string
	dir    string
	opened []string // the folder each dialog opened in
}

func (f *fakeDialogs) OpenFiles(_ context.Context, _, dir, _ string) ([]string, error) {
	f.opened = append(f.opened, dir)
	return f.files, nil
}
func (f *fakeDialogs) OpenFolder(_ context.Context, _, dir string) (string, error) {
	f.opened = append(f.opened, dir)
	return f.dir, nil
}
func (f *fakeDialogs) SaveFile(_ context.Context, _, dir, _ string) (string, error) {
	f.opened = append(f.opened, dir)
	return f.save, nil
}

func TestDesktopDialogs(t *testing.T) {
	fd := &fakeDialogs{files: []string{"/in/a.txt", "/in/b.csv"}, dir: "/data"}
	d := &Desktop{ctx: context.Background(), dialogs: fd}
	if got, err := d.OpenFiles(); err != nil || strings.Join(got, ",") != "/in/a.txt,/in/b.csv" {
		t.Errorf("OpenFiles = %v, %v", got, err)
	}
	if got, err := d.OpenFolder(); err != nil || len(got) != 1 || got[0] != "/data" {
		t.Errorf("OpenFolder = %v, %v", got, err)
	}
	d.OpenFiles()
	// Each dialog opens where the last one picked something.
	if strings.Join(fd.opened, ",") != ",/in,/data" {
		t.Errorf("dialogs opened in %q", fd.opened)
	}
	d.dialogs = &fakeDialogs{} // cancelled dialogs
	// A cancelled dialog gives no paths: [] for the UI, never null.
	if got, err := d.OpenFolder(); err != nil || got == nil || len(got) != 0 {
		t.Errorf("cancelled OpenFolder = %#v, %v", got, err)
	}
	if got, err := d.OpenFiles(); err != nil || got == nil || len(got) != 0 {
		t.Errorf("cancelled OpenFiles = %#v, %v", got, err)
	}
	if msg, err := d.ExportResults("csv", app.SearchQuery{}); err != nil || msg != "export cancelled" {
		t.Errorf("cancelled export = %q, %v", msg, err)
	}
	if _, err := d.ExportResults("xml", app.SearchQuery{}); err == nil || !strings.HasPrefix(err.Error(), "bad_request: ") {
		t.Errorf("bad format: %v", err)
	}
	if _, err := d.ExportLoadTest("1", "pdf"); err == nil || !strings.HasPrefix(err.Error(), "bad_request: ") {
		t.Errorf("bad report format: %v", err)
	}
}

// TestOneNamePerOperation holds the three layers to one name per operation:
// each binding is the Service method of the same name (dialogs and the CSV
// header reader are the window's own), and the frontend's Wails transport
// calls every binding from the method of the same name in lowerCamelCase
// (frontend/src/lib/api/wails.ts).
func TestOneNamePerOperation(t *testing.T) {
	windowOnly := map[string]bool{"CSVColumns": true, "OpenFiles": true, "OpenFolder": true}
	bindings := map[string]bool{}
	dt, st := reflect.TypeFor[*Desktop](), reflect.TypeFor[*app.Service]()
	for i := range dt.NumMethod() {
		name := dt.Method(i).Name
		bindings[name] = true
		if _, ok := st.MethodByName(name); !ok && !windowOnly[name] {
			t.Errorf("binding %s has no Service method of that name", name)
		}
	}

	src, err := os.ReadFile(filepath.Join("..", "frontend", "src", "lib", "api", "wails.ts"))
	if err != nil {
		t.Fatal(err)
	}
	method := regexp.MustCompile(`^  (?:async )?([a-z]\w*)(?:<[^>]*>)?(?:\(| = \()`)
	call := regexp.MustCompile(`this\.call(?:<[^>]*>)?\('(\w+)'`)
	called := map[string]bool{}
	current := ""
	for _, line := range strings.Split(string(src), "\n") {
		if m := method.FindStringSubmatch(line); m != nil {
			current = m[1]
		}
		for _, m := range call.FindAllStringSubmatch(line, -1) {
			name := m[1]
			called[name] = true
			if !bindings[name] {
				t.Errorf("wails.ts calls %s, which Desktop does not bind", name)
			}
			want := strings.ToLower(name[:1]) + name[1:]
			if name == "CSVColumns" {
				want = "csvColumns"
			}
			if current != want && !(name == "SetLiveMetrics" && current == "subscribe") {
				t.Errorf("wails.ts calls %s from %s, want from %s", name, current, want)
			}
		}
	}
	for name := range bindings {
		if !called[name] {
			t.Errorf("binding %s is not called by the frontend (wails.ts)", name)
		}
	}
}
