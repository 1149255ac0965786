package engine

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// oneHot returns logits that make label idx win with probability p≈0.99.
func oneHot(labels, idx int) []float32 {
	row := make([]float32, labels)
	row[idx] = 8
	return row
}

// TestMergeWindowsPrefersCentralContext checks that a token seen in two
// windows takes the logits of the window where it is farther from an edge.
func TestMergeWindowsPrefersCentralContext(t *testing.T) {
	// Tokens 0..5 at offsets [i, i+1); windows [CLS] t0..t3 [SEP] and
	// [CLS] t2..t5 [SEP] (stride 2).
	mk := func(from, to int) encoding {
		e := encoding{ids: []int64{100}, offsets: []span{{}}, special: []bool{true}}
		for i := from; i < to; i++ {
			e.ids = append(e.ids, int64(i))
			e.offsets = append(e.offsets, span{i, i + 1})
			e.special = append(e.special, false)
		}
		e.ids = append(e.ids, 101)
		e.offsets = append(e.offsets, span{})
		e.special = append(e.special, true)
		return e
	}
	encs := []encoding{mk(0, 4), mk(2, 6)}
	const L = 3
	// Window 0 says label 1 for everything, window 1 label 2.
	var l0, l1 []float32
	for range encs[0].ids {
		l0 = append(l0, oneHot(L, 1)...)
	}
	for range encs[1].ids {
		l1 = append(l1, oneHot(L, 2)...)
	}
	toks := mergeWindows(encs, [][]float32{l0, l1}, L)
	if len(toks) != 6 {
		t.Fatalf("%d merged tokens, want 6", len(toks))
	}
	// t2 is at margin 1 in window 0 (positions 1..4: t2 at index 3 → min(2,1)=1)
	// and margin 0 in window 1: window 0 wins. t3 is at margin 0 in window 0
	// and 1 in window 1: window 1 wins.
	want := []int{1, 1, 1, 2, 2, 2}
	for i, tk := range toks {
		if got := argmax(tk.scores); got != want[i] || tk.off.start != i {
			t.Errorf("token %d: label %d offset %v, want label %d", i, got, tk.off, want[i])
		}
	}
}

func tok(label string, start, end int) tagged {
	return tagged{label: label, score: 0.9, start: start, end: end, bstart: start, bend: end}
}

func TestGroupEntitiesSchemes(t *testing.T) {
	f := func(name string, in []tagged, want string) {
		t.Helper()
		var parts []string
		for _, g := range groupEntities(in) {
			if g.label != "O" {
				parts = append(parts, g.label+":"+string(rune('0'+g.start))+"-"+string(rune('0'+g.end)))
			}
		}
		if got := strings.Join(parts, " "); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	// IOB2 / BIO: B- starts, I- continues.
	f("iob2", []tagged{tok("B-PER", 0, 1), tok("I-PER", 1, 2), tok("O", 2, 3), tok("B-LOC", 3, 4), tok("B-LOC", 4, 5)}, "PER:0-2 LOC:3-4 LOC:4-5")
	// IOB1: I- starts an entity after O; B- separates adjacent ones.
	f("iob1", []tagged{tok("I-PER", 0, 1), tok("I-PER", 1, 2), tok("B-PER", 2, 3), tok("O", 3, 4), tok("I-ORG", 4, 5)}, "PER:0-2 PER:2-3 ORG:4-5")
	// I- of another type breaks the group.
	f("type change", []tagged{tok("B-PER", 0, 1), tok("I-LOC", 1, 2)}, "PER:0-1 LOC:1-2")
	// Plain labels (no prefix) group like I-.
	f("plain", []tagged{tok("PER", 0, 1), tok("PER", 1, 2), tok("O", 2, 3), tok("MISC", 3, 4)}, "PER:0-2 MISC:3-4")
}

func TestGroupScoreIsMean(t *testing.T) {
	in := []tagged{{label: "B-PER", score: 0.5}, {label: "I-PER", score: 1.0}}
	if g := groupEntities(in); len(g) != 1 || math.Abs(g[0].score-0.75) > 1e-12 {
		t.Errorf("%+v", g)
	}
}

func TestRuneIndexAndSnap(t *testing.T) {
	text := "a😀b東"
	ri := newRuneIndex(text)
	for b, want := range map[int]int{0: 0, 1: 1, 5: 2, 6: 3, len(text): 4} {
		if got := ri.at(b); got != want {
			t.Errorf("at(%d) = %d, want %d", b, got, want)
		}
	}
	// Offsets inside the emoji widen to the whole character.
	if s, e := snapDown(text, 3), snapUp(text, 3); s != 1 || e != 5 || !utf8.ValidString(text[s:e]) {
		t.Errorf("snap 3 = [%d,%d)", s, e)
	}
}
