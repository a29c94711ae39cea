package rag_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// heldout2Dir is the second, blind held-out set: invented township
// reports written without seeing the answerer, and questions about them.
const heldout2Dir = "../testdata/heldout2"

// heldout2Case is one line of testdata/heldout2/qa.jsonl, in the format
// that `fazhi eval` reads.
type heldout2Case struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Lang     string   `json:"lang"`
	Kind     string   `json:"kind"`
	Doc      string   `json:"doc"`
	Must     []string `json:"must"`
}

var (
	heldout2Script = regexp.MustCompile(`(?is)<(script|style)\b.*?</(script|style)>`)
	heldout2Tag    = regexp.MustCompile(`(?s)<[^>]*>`)
)

// heldout2Text returns a report's text: GB18030 files are decoded, HTML
// loses its tags, scripts and entities.
func heldout2Text(t *testing.T, name string, raw []byte) string {
	t.Helper()
	if !utf8.Valid(raw) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
		if err != nil {
			t.Fatalf("%s: neither UTF-8 nor GB18030: %v", name, err)
		}
		raw = dec
	}
	s := string(raw)
	if strings.EqualFold(filepath.Ext(name), ".html") {
		s = heldout2Script.ReplaceAllString(s, " ")
		s = heldout2Tag.ReplaceAllString(s, " ")
		s = html.UnescapeString(s)
	}
	return s
}

// heldout2Normalize drops whitespace (including no-break and ideographic
// spaces) that stands between two characters each of which is a digit or
// a Han character, as in PDF copies ("2021 年"), and collapses other runs
// of whitespace to one space.
func heldout2Normalize(s string) string {
	tight := func(r rune) bool { return unicode.IsDigit(r) || unicode.Is(unicode.Han, r) }
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); {
		if !unicode.IsSpace(rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && unicode.IsSpace(rs[j]) {
			j++
		}
		if !(i > 0 && j < len(rs) && tight(rs[i-1]) && tight(rs[j])) {
			b.WriteByte(' ')
		}
		i = j
	}
	return b.String()
}

func heldout2Han(s string) int {
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			n++
		}
	}
	return n
}

// TestHeldout2 validates the second held-out set: the JSONL schema, unique
// ids, that cited reports exist and decode, report lengths, that every
// report is asked about, and that each must string occurs literally in the
// cited report's normalised text.
func TestHeldout2(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(heldout2Dir, "reports"))
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(heldout2Dir, "reports", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		s := heldout2Normalize(heldout2Text(t, e.Name(), raw))
		if n := heldout2Han(s); n < 1500 || n > 4500 {
			t.Errorf("%s: %d Chinese characters, want 1500–4500", e.Name(), n)
		}
		texts[e.Name()] = s
	}
	if len(texts) != 12 {
		t.Errorf("%d reports, want 12", len(texts))
	}

	data, err := os.ReadFile(filepath.Join(heldout2Dir, "qa.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []heldout2Case
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var c heldout2Case
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("qa.jsonl:%d: %v", n, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}

	seen := map[string]bool{}
	cited := map[string]bool{}
	count := map[string]int{}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			if c.ID == "" || seen[c.ID] {
				t.Fatalf("id %q is empty or repeated", c.ID)
			}
			seen[c.ID] = true
			if strings.TrimSpace(c.Question) == "" {
				t.Error("question is empty")
			}
			switch c.Lang {
			case "zh", "en":
				count[c.Lang]++
			default:
				t.Errorf("lang %q, want zh or en", c.Lang)
			}
			switch c.Kind {
			case "none":
				count["none"]++
				if c.Doc != "" || len(c.Must) != 0 {
					t.Errorf("kind none has doc %q and must %q, want neither", c.Doc, c.Must)
				}
				return
			case "number", "text":
				count[c.Kind]++
			default:
				t.Fatalf("kind %q, want number, text or none", c.Kind)
			}
			text, ok := texts[c.Doc]
			if !ok {
				t.Fatalf("doc %q is not a report in %s/reports", c.Doc, heldout2Dir)
			}
			cited[c.Doc] = true
			if len(c.Must) == 0 {
				t.Error("must is empty")
			}
			for _, m := range c.Must {
				if strings.TrimSpace(m) == "" {
					t.Error("blank must string")
				} else if !strings.Contains(text, m) {
					t.Errorf("must %q does not occur in %s", m, c.Doc)
				}
			}
		})
	}
	for name := range texts {
		if !cited[name] {
			t.Errorf("no question cites %s", name)
		}
	}
	want := map[string]int{"number": 51, "text": 18, "none": 11, "zh": 59, "en": 21}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %s questions, want %d (as README.md says)", count[k], k, n)
		}
	}
}
