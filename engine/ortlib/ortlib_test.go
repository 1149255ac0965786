package ortlib

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func gzipped(t *testing.T, b []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	s := sha256.Sum256(b)
	return buf.Bytes(), hex.EncodeToString(s[:])
}

func TestExtract(t *testing.T) {
	lib := bytes.Repeat([]byte("\x7fELF pretend library "), 5000)
	gz, sum := gzipped(t, lib)
	root := t.TempDir()
	p, err := extract(gz, sum, root)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, sum, FileName); p != want {
		t.Errorf("path %s, want %s", p, want)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, lib) {
		t.Fatalf("extracted %d bytes, want the %d of the library", len(got), len(lib))
	}
	// A second process finds the verified copy and does not rewrite it.
	st1, _ := os.Stat(p)
	if p2, err := extract(gz, sum, root); err != nil || p2 != p {
		t.Fatalf("second extract: %s %v", p2, err)
	}
	if st2, _ := os.Stat(p); !os.SameFile(st1, st2) {
		t.Error("a verified copy was rewritten")
	}
	// A truncated copy (a crash mid-write elsewhere) is replaced.
	os.WriteFile(p, lib[:100], 0o755)
	if _, err := extract(gz, sum, root); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, lib) {
		t.Error("a truncated copy was kept")
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(filepath.Join(root, sum))
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestExtractConcurrent(t *testing.T) {
	lib := bytes.Repeat([]byte("library bytes "), 20000)
	gz, sum := gzipped(t, lib)
	root := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			p, err := extract(gz, sum, root)
			if err == nil {
				if got, rerr := os.ReadFile(p); rerr != nil || !bytes.Equal(got, lib) {
					err = rerr
					if err == nil {
						err = os.ErrInvalid
					}
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestExtractRejectsCorruptData(t *testing.T) {
	lib := []byte(strings.Repeat("x", 4096))
	gz, _ := gzipped(t, lib)
	wrong := strings.Repeat("0", 64)
	root := t.TempDir()
	if _, err := extract(gz, wrong, root); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("wrong sum: %v, want a sha256 error", err)
	}
	if _, err := os.Stat(filepath.Join(root, wrong, FileName)); err == nil {
		t.Error("a library that failed its check was installed")
	}
	if _, err := extract(gz[:10], wrong, root); err == nil {
		t.Error("truncated gzip: want an error")
	}
}

// Path follows the build: without the tag it says nothing is embedded; with
// it (scripts/test-dist.sh builds so) it extracts the library it carries.
func TestPath(t *testing.T) {
	p, err := Path()
	if !Embedded() {
		if err != ErrNotEmbedded {
			t.Errorf("Path without the tag: %q %v, want ErrNotEmbedded", p, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if s := sha256.Sum256(b); hex.EncodeToString(s[:]) != SHA256() {
		t.Errorf("extracted library %s does not match the embedded sha256", p)
	}
}
