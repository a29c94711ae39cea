package rag_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"fazhi/ingest"
)

// heldout3Dir is the third blind held-out set: invented reports in real file
// formats (see testdata/heldout3/README.md).
const heldout3Dir = "../testdata/heldout3"

// heldout3Case is one line of testdata/heldout3/qa.jsonl (the format of
// fazhi eval).
type heldout3Case struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Lang     string   `json:"lang"`
	Kind     string   `json:"kind"`
	Doc      string   `json:"doc"`
	Must     []string `json:"must"`
}

// heldout3DigitCJK matches the spaces LibreOffice and PDF text put between a
// digit and a CJK character, either way round.
var heldout3DigitCJK = regexp.MustCompile(`([0-9])[ \t]+(\p{Han})|(\p{Han})[ \t]+([0-9])`)

// heldout3Text returns the text of an ingested report as the system sees it:
// the loaded and cleaned file for text formats (.txt in any encoding,
// .html), and the cleaned source under src/ for binary formats (.docx,
// .pdf, .doc), whose extraction needs external tools.
func heldout3Text(t *testing.T, name string) string {
	t.Helper()
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".html", ".htm":
		raw, err := ingest.Load(context.Background(), filepath.Join(heldout3Dir, "reports", name), ingest.Limits{})
		if err != nil {
			t.Fatalf("load %s: %v", name, err)
		}
		return ingest.Clean(raw)
	}
	src, err := heldout3Source(name)
	if err != nil {
		t.Fatalf("source of %s: %v", name, err)
	}
	for {
		next := heldout3DigitCJK.ReplaceAllString(src, "$1$2$3$4")
		if next == src {
			break
		}
		src = next
	}
	return ingest.Clean(src)
}

// heldout3Source reads src/BASE.md or src/BASE.txt for the report NAME.
func heldout3Source(name string) (string, error) {
	base := strings.TrimSuffix(name, filepath.Ext(name))
	var err error
	for _, ext := range []string{".md", ".txt"} {
		var b []byte
		b, err = os.ReadFile(filepath.Join(heldout3Dir, "src", base+ext))
		if err == nil {
			return string(b), nil
		}
	}
	return "", err
}

func heldout3Cases(t *testing.T) []heldout3Case {
	t.Helper()
	f, err := os.Open(filepath.Join(heldout3Dir, "qa.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []heldout3Case
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var c heldout3Case
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("qa.jsonl:%d: %v", n, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func heldout3HasLatin(s string) bool {
	for _, r := range s {
		if r < utf8.RuneSelf && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func heldout3CountHan(s string) int {
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			n++
		}
	}
	return n
}

// TestHeldout3 validates the third held-out set: the question file's
// schema, that every cited report exists and every must string occurs in
// the cited report's text, and that reports and sources match one to one.
func TestHeldout3(t *testing.T) {
	cases := heldout3Cases(t)
	if len(cases) != 70 {
		t.Errorf("qa.jsonl has %d questions, want 70", len(cases))
	}
	entries, err := os.ReadDir(filepath.Join(heldout3Dir, "reports"))
	if err != nil {
		t.Fatal(err)
	}
	reports := map[string]bool{}
	for _, e := range entries {
		reports[e.Name()] = true
	}
	if len(reports) != 10 {
		t.Errorf("reports/ holds %d files, want 10", len(reports))
	}

	t.Run("sources", func(t *testing.T) {
		for name := range reports {
			src, err := heldout3Source(name)
			if err != nil {
				t.Errorf("%s: no source under src/: %v", name, err)
				continue
			}
			if n := heldout3CountHan(src); n < 1500 || n > 4000 {
				t.Errorf("%s: source has %d Chinese characters, want 1,500–4,000", name, n)
			}
		}
		srcs, err := os.ReadDir(filepath.Join(heldout3Dir, "src"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range srcs {
			base := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
			found := false
			for name := range reports {
				found = found || strings.TrimSuffix(name, filepath.Ext(name)) == base
			}
			if !found {
				t.Errorf("src/%s has no converted report in reports/ (run make.sh)", e.Name())
			}
		}
	})

	t.Run("text formats decode to their source", func(t *testing.T) {
		for name := range reports {
			ext := filepath.Ext(name)
			if ext != ".txt" && ext != ".html" {
				continue
			}
			src, err := heldout3Source(name)
			if err != nil {
				t.Fatal(err)
			}
			text := heldout3Text(t, name)
			for _, line := range strings.Split(ingest.Clean(src), "\n") {
				if line != "" && !strings.Contains(text, line) {
					t.Errorf("%s: extracted text lacks source line %q", name, line)
				}
			}
		}
	})

	texts := map[string]string{}
	cited := map[string]bool{}
	seen := map[string]bool{}
	idRE := regexp.MustCompile(`^m[0-9]{3}$`)
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			if !idRE.MatchString(c.ID) {
				t.Errorf("id %q does not look like m001", c.ID)
			}
			if seen[c.ID] {
				t.Errorf("duplicate id %q", c.ID)
			}
			seen[c.ID] = true
			if strings.TrimSpace(c.Question) == "" {
				t.Fatal("empty question")
			}
			switch c.Lang {
			case "en":
				if !heldout3HasLatin(c.Question) {
					t.Errorf("lang en but no Latin letters in %q", c.Question)
				}
			case "zh":
				if heldout3CountHan(c.Question) == 0 {
					t.Errorf("lang zh but no Chinese in %q", c.Question)
				}
			default:
				t.Errorf("lang %q, want en or zh", c.Lang)
			}
			switch c.Kind {
			case "none":
				if c.Doc != "" || len(c.Must) != 0 {
					t.Errorf("kind none with doc %q and must %q: want neither", c.Doc, c.Must)
				}
				return
			case "number", "text":
			default:
				t.Fatalf("kind %q, want number, text or none", c.Kind)
			}
			if !reports[c.Doc] {
				t.Fatalf("doc %q is not in reports/", c.Doc)
			}
			cited[c.Doc] = true
			if len(c.Must) == 0 {
				t.Fatal("no must strings")
			}
			text, ok := texts[c.Doc]
			if !ok {
				text = heldout3Text(t, c.Doc)
				texts[c.Doc] = text
			}
			for _, m := range c.Must {
				if strings.TrimSpace(m) == "" {
					t.Errorf("empty must string")
					continue
				}
				if !strings.Contains(text, m) {
					t.Errorf("must %q does not occur in %s", m, c.Doc)
				}
			}
		})
	}
	for name := range reports {
		if !cited[name] {
			t.Errorf("no question cites %s", name)
		}
	}
}
