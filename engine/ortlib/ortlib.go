// Package ortlib carries the ONNX Runtime shared library inside the nlpscope
// binary, so that a copied binary runs without `make setup`. Built with the
// ortembed tag (make build does), the gzipped library that scripts/setup-ort.sh
// placed beside this file is embedded; Path extracts it once into the user's
// cache folder, under its sha256, and returns that path. Without the tag
// (plain `go build`, `go test`) nothing is embedded and Path reports so.
package ortlib

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// FileName is the library's file name, as the loader expects it.
const FileName = "libonnxruntime.so.1"

// ErrNotEmbedded means the binary was built without the ortembed tag.
var ErrNotEmbedded = errors.New("ONNX Runtime is not embedded in this binary (built without -tags ortembed)")

// Embedded reports whether the binary carries the library.
func Embedded() bool { return len(gzData) > 0 }

// SHA256 is the hex sha256 of the embedded (uncompressed) library, or "".
func SHA256() string { return strings.TrimSpace(sumData) }

var (
	once    sync.Once
	path    string
	pathErr error
)

// Path returns the path of the extracted library, extracting it on the
// first call of the process (into $XDG_CACHE_HOME/nlpscope/onnxruntime/
// <sha256>/, or ~/.cache/…). Safe for concurrent use, also across processes:
// the file is written under a temporary name, verified and renamed.
func Path() (string, error) {
	once.Do(func() {
		if !Embedded() {
			pathErr = ErrNotEmbedded
			return
		}
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		path, pathErr = extract(gzData, SHA256(), filepath.Join(dir, "nlpscope", "onnxruntime"))
	})
	return path, pathErr
}

// extract writes the gzipped library gz, whose content has sha256 sum, to
// root/<sum>/FileName unless a verified copy is already there, and returns
// its path. A copy counts as verified when the marker file written after the
// check exists and the size matches.
func extract(gz []byte, sum, root string) (string, error) {
	if len(sum) != 64 {
		return "", fmt.Errorf("embedded ONNX Runtime: bad sha256 %q", sum)
	}
	dir := filepath.Join(root, sum)
	dst := filepath.Join(dir, FileName)
	marker := dst + ".verified"
	size, err := gzipSize(gz)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(dst); err == nil && st.Size() == size {
		if _, err := os.Stat(marker); err == nil {
			return dst, nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("embedded ONNX Runtime: %w", err)
	}
	tmp, err := os.CreateTemp(dir, FileName+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("embedded ONNX Runtime: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename: nothing left to remove
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		tmp.Close()
		return "", fmt.Errorf("embedded ONNX Runtime: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, h), zr)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("embedded ONNX Runtime: extract to %s: %w", dir, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return "", fmt.Errorf("embedded ONNX Runtime: sha256 %s, want %s (corrupt binary?)", got, sum)
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return "", fmt.Errorf("embedded ONNX Runtime: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", fmt.Errorf("embedded ONNX Runtime: %w", err)
	}
	if err := os.WriteFile(marker, []byte(sum+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("embedded ONNX Runtime: %w", err)
	}
	return dst, nil
}

// gzipSize reads the uncompressed size from the gzip trailer (ISIZE, size
// mod 2^32; the library is far below 4 GiB).
func gzipSize(gz []byte) (int64, error) {
	if len(gz) < 18 {
		return 0, errors.New("embedded ONNX Runtime: truncated gzip data")
	}
	t := gz[len(gz)-4:]
	return int64(uint32(t[0]) | uint32(t[1])<<8 | uint32(t[2])<<16 | uint32(t[3])<<24), nil
}
