package rag_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// h4Case is one line of testdata/heldout4/qa.jsonl.
type h4Case struct {
	ID       string   `json:"id"`
	Lang     string   `json:"lang"`
	Kind     string   `json:"kind"`
	Doc      string   `json:"doc"`
	Question string   `json:"question"`
	Must     []string `json:"must"`
}

const h4Dir = "../testdata/heldout4"

var (
	h4DigitSpaceHan = regexp.MustCompile(`(\d)[ \t\x{3000}]+(\p{Han})`)
	h4HanSpaceDigit = regexp.MustCompile(`(\p{Han})[ \t\x{3000}]+(\d)`)
)

// h4Squeeze removes the spaces PDF conversion leaves between digits and
// Chinese characters, so "2020 年" reads as "2020年".
func h4Squeeze(s string) string {
	for _, re := range []*regexp.Regexp{h4DigitSpaceHan, h4HanSpaceDigit} {
		s = re.ReplaceAllString(s, "$1$2")
	}
	return s
}

func h4ReadCases(tb testing.TB) []h4Case {
	tb.Helper()
	f, err := os.Open(filepath.Join(h4Dir, "qa.jsonl"))
	if err != nil {
		tb.Fatalf("open qa.jsonl: %v", err)
	}
	defer f.Close()
	var out []h4Case
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var c h4Case
		if err := dec.Decode(&c); err != nil {
			tb.Fatalf("qa.jsonl:%d: %v", n, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read qa.jsonl: %v", err)
	}
	return out
}

// TestHeldout4 checks the fourth blind held-out set: the schema of every
// question, unique ids, that every cited report exists, is long and is
// valid UTF-8, and that every must string occurs in the cited report.
func TestHeldout4(t *testing.T) {
	cases := h4ReadCases(t)
	if got, want := len(cases), 64; got != want {
		t.Errorf("got %d questions, want %d", got, want)
	}

	reports := map[string]string{}
	entries, err := os.ReadDir(filepath.Join(h4Dir, "reports"))
	if err != nil {
		t.Fatalf("read reports: %v", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".txt") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(h4Dir, "reports", e.Name()))
		if err != nil {
			t.Fatalf("read %s: %v", e.Name(), err)
		}
		reports[e.Name()] = string(b)
	}
	if got, want := len(reports), 8; got != want {
		t.Errorf("got %d reports, want %d", got, want)
	}
	for name, text := range reports {
		t.Run("report/"+name, func(t *testing.T) {
			if !utf8.ValidString(text) {
				t.Fatalf("not valid UTF-8")
			}
			if n := utf8.RuneCountInString(text); n < 5000 || n > 9000 {
				t.Errorf("got %d characters, want 5000 to 9000", n)
			}
		})
	}

	seen := map[string]bool{}
	perDoc := map[string]int{}
	kinds := map[string]int{}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			if c.ID == "" {
				t.Fatalf("empty id")
			}
			if seen[c.ID] {
				t.Errorf("duplicate id %q", c.ID)
			}
			seen[c.ID] = true
			if strings.TrimSpace(c.Question) == "" {
				t.Errorf("empty question")
			}
			if c.Lang != "zh" && c.Lang != "en" {
				t.Errorf("lang %q, want zh or en", c.Lang)
			}
			kinds[c.Kind]++
			switch c.Kind {
			case "number", "text":
				if len(c.Must) == 0 {
					t.Errorf("kind %s with no must strings", c.Kind)
				}
			case "none":
				if len(c.Must) != 0 {
					t.Errorf("kind none with must strings %q", c.Must)
				}
			default:
				t.Errorf("kind %q, want number, text or none", c.Kind)
			}
			text, ok := reports[c.Doc]
			if !ok {
				t.Fatalf("doc %q is not in %s/reports", c.Doc, h4Dir)
			}
			perDoc[c.Doc]++
			squeezed := h4Squeeze(text)
			for _, m := range c.Must {
				if strings.TrimSpace(m) == "" {
					t.Errorf("empty must string")
					continue
				}
				if !strings.Contains(squeezed, m) {
					t.Errorf("must %q does not occur in %s", m, c.Doc)
				}
			}
		})
	}
	for name := range reports {
		if got, want := perDoc[name], 8; got != want {
			t.Errorf("%s: got %d questions, want %d", name, got, want)
		}
	}
	if got, want := kinds["none"], 8; got != want {
		t.Errorf("got %d unanswerable questions, want %d", got, want)
	}
}

func TestHeldout4Squeeze(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2020 年", "2020年"},
		{"受理 152 件", "受理152件"},
		{"成功率 97.4%", "成功率97.4%"},
		{"Act 2020 and", "Act 2020 and"},
		{"12 345", "12 345"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := h4Squeeze(tt.in); got != tt.want {
				t.Errorf("h4Squeeze(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
