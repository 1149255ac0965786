package hub

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
)

// verifier checks a downloaded file against what the Hub published: its
// size, the sha256 of LFS files, or the git blob sha1 of small files.
type verifier struct {
	size    int64  // -1 = unknown
	sha256  string // hex, "" = not published
	gitSHA1 string // hex, "" = not published
}

func (v verifier) check(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if v.size >= 0 && st.Size() != v.size {
		return fmt.Errorf("%w: %d bytes, the Hub announced %d", ErrChecksum, st.Size(), v.size)
	}
	var h hash.Hash
	want := ""
	switch {
	case v.sha256 != "":
		h, want = sha256.New(), v.sha256
	case v.gitSHA1 != "":
		h, want = sha1.New(), v.gitSHA1
		io.WriteString(h, "blob "+strconv.FormatInt(st.Size(), 10)+"\x00")
	default:
		return nil
	}
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: got %s, want %s", ErrChecksum, got, want)
	}
	return nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func is64Hex(s string) bool { return isHex(s, 64) }
func is40Hex(s string) bool { return isHex(s, 40) }
