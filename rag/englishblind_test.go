package rag_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// blindCase is one line of testdata/eval/english-blind.jsonl; its fields
// are those of evalCase in cmd/fazhi/eval.go.
type blindCase struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Lang     string   `json:"lang"`
	Kind     string   `json:"kind"`
	Doc      string   `json:"doc"`
	Must     []string `json:"must"`
}

// blindReportDirs are where the reports the blind set cites live, relative
// to the rag package directory.
var blindReportDirs = []string{
	"../testdata/reports",
	"../testdata/heldout2/reports",
	"../testdata/heldout3/reports",
}

// blindSourceDir holds the plain-text sources of the heldout3 reports,
// which are ingested as docx, pdf, doc or html.
const blindSourceDir = "../testdata/heldout3/src"

var blindIDPattern = regexp.MustCompile(`^e\d{3}$`)

// TestEnglishBlind checks the English blind question set: it parses
// strictly, ids are unique, every cited report exists and every must
// string is stated in the cited report's text.
func TestEnglishBlind(t *testing.T) {
	cases := readBlindCases(t, "../testdata/eval/english-blind.jsonl")
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	seen := map[string]bool{}
	kinds := map[string]int{}
	texts := map[string]string{}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			if !blindIDPattern.MatchString(c.ID) {
				t.Errorf("id %q does not look like e001", c.ID)
			}
			if seen[c.ID] {
				t.Errorf("id %q is repeated", c.ID)
			}
			seen[c.ID] = true
			kinds[c.Kind]++
			if strings.TrimSpace(c.Question) == "" {
				t.Error("question is empty")
			}
			if c.Lang != "en" {
				t.Errorf("lang is %q, want en", c.Lang)
			}
			if hasHan(c.Question) {
				t.Errorf("question %q contains Chinese characters", c.Question)
			}
			switch c.Kind {
			case "none":
				if c.Doc != "" || len(c.Must) != 0 {
					t.Errorf("kind none wants doc \"\" and must [], got doc %q must %q", c.Doc, c.Must)
				}
				return
			case "number", "text":
			default:
				t.Fatalf("kind is %q, want number, text or none", c.Kind)
			}
			if len(c.Must) == 0 {
				t.Fatal("must is empty")
			}
			if c.Doc == "" {
				t.Fatal("doc is empty")
			}
			text, ok := texts[c.Doc]
			if !ok {
				text = normalizeBlind(reportText(t, c.Doc))
				texts[c.Doc] = text
			}
			for _, m := range c.Must {
				if strings.TrimSpace(m) == "" {
					t.Errorf("must holds an empty string")
					continue
				}
				if !strings.Contains(text, normalizeBlind(m)) {
					t.Errorf("must %q does not occur in %s", m, c.Doc)
				}
			}
		})
	}
	for _, k := range []string{"number", "text", "none"} {
		if kinds[k] == 0 {
			t.Errorf("no case of kind %s", k)
		}
	}
}

// readBlindCases parses path strictly: unknown fields are errors.
func readBlindCases(t *testing.T, path string) []blindCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []blindCase
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var c blindCase
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		if c.Must == nil && strings.Contains(line, `"must":null`) {
			t.Fatalf("%s:%d: must is null, want a list", path, n)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// reportText returns the text of the report named doc, found in one of
// blindReportDirs. A heldout3 report is read from its plain-text source
// of the same stem; a file that is not UTF-8 is decoded as GBK.
func reportText(t *testing.T, doc string) string {
	t.Helper()
	if doc != filepath.Base(doc) {
		t.Fatalf("doc %q is not a bare file name", doc)
	}
	for _, dir := range blindReportDirs {
		path := filepath.Join(dir, doc)
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			t.Fatal(err)
		}
		if dir == "../testdata/heldout3/reports" {
			stem := strings.TrimSuffix(doc, filepath.Ext(doc))
			srcs, err := filepath.Glob(filepath.Join(blindSourceDir, stem+".*"))
			if err != nil {
				t.Fatal(err)
			}
			if len(srcs) != 1 {
				t.Fatalf("want one source for %s in %s, found %d", doc, blindSourceDir, len(srcs))
			}
			path = srcs[0]
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(data) {
			data, err = simplifiedchinese.GBK.NewDecoder().Bytes(data)
			if err != nil {
				t.Fatalf("%s: not UTF-8 and not GBK: %v", path, err)
			}
		}
		return string(data)
	}
	t.Fatalf("doc %q is in none of %v", doc, blindReportDirs)
	return ""
}

// normalizeBlind removes runs of spaces that stand between two characters
// that are each a digit, a Han character or CJK punctuation, so that
// "2020 年" and "368 件" read as "2020年" and "368件".
func normalizeBlind(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		if !isBlindSpace(rs[i]) {
			b.WriteRune(rs[i])
			continue
		}
		j := i
		for j < len(rs) && isBlindSpace(rs[j]) {
			j++
		}
		if i > 0 && j < len(rs) && isDigitOrCJK(rs[i-1]) && isDigitOrCJK(rs[j]) {
			i = j - 1
			continue
		}
		b.WriteString(string(rs[i:j]))
		i = j - 1
	}
	return b.String()
}

func isBlindSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\u00a0' || r == '\u3000'
}

func isDigitOrCJK(r rune) bool {
	return unicode.IsDigit(r) || unicode.Is(unicode.Han, r) ||
		(r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef)
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// TestNormalizeBlind pins what the must check treats as the same text.
func TestNormalizeBlind(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"digit then han", "2020 年", "2020年"},
		{"han then digit", "纠纷 87 件", "纠纷87件"},
		{"ideographic space", "成功率\u300098%", "成功率98%"},
		{"latin kept", "APP 注册", "APP 注册"},
		{"between words kept", "a b", "a b"},
		{"leading and trailing kept", " 年 ", " 年 "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := normalizeBlind(tc.in); got != tc.want {
				t.Errorf("normalizeBlind(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
