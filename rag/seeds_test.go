package rag_test

import (
	"os"
	"path/filepath"
	"testing"
)

// seedFiles are the seed reports in ../testdata/reports.
var seedFiles = []string{
	"000_cd4b96a87fea5f69.txt",
	"001_7e465fa291371142.txt",
	"002_36a972dc84b9d279.txt",
	"003_77ad51e2d2cfaeb9.txt",
	"004_40507ad071df1468.txt",
}

// seedText returns the raw text of a seed report.
func seedText(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "reports", name))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
