// Package testcorpus reads the real report texts the repository keeps
// (the five seeds and the 40 real reports of testdata/real) for tests that
// check a fast routine against its plain definition on real text.
package testcorpus

import (
	"os"
	"path/filepath"
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
