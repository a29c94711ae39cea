// Package testcorpus reads the real report texts the repository keeps
// (the five seeds and the 40 real reports of testdata/real) for tests that
// check a fast routine against its plain definition on real text.
package testcorpus

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Dirs are the folders of report texts, from the repository root.
var Dirs = []string{"testdata/reports", "testdata/real/docs"}

// Texts returns the text of every .txt report under root's Dirs (root is
// the repository root as the test sees it, ".." from a top-level
// package). It fails the test when it cannot read one, or finds fewer
// than the seeds and real reports together.
func Texts(tb testing.TB, root string) []string {
	tb.Helper()
	var texts []string
	for _, dir := range Dirs {
		paths, err := filepath.Glob(filepath.Join(root, dir, "*.txt"))
		if err != nil {
			tb.Fatal(err)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			texts = append(texts, string(b))
		}
	}
	if len(texts) < 45 {
		tb.Fatalf("read %d report texts under %s, want the 5 seeds and 40 real reports", len(texts), root)
	}
	return texts
}

// Jumbles returns n strings, each up to maxPieces of pieces drawn at
// random (seeded by seed, so a failure repeats): the awkward texts a fast
// routine is checked on beside real ones (marks, broken UTF-8, spaces).
func Jumbles(seed uint64, pieces []string, n, maxPieces int) []string {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for range rng.IntN(maxPieces) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		out[i] = b.String()
	}
	return out
}
