package rag_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// heldoutDir holds the held-out reports and questions: written by us to
// imitate real reports we have not seen, never used to tune the engine.
var heldoutDir = filepath.Join("..", "testdata", "heldout")

// heldoutCross lists the cross-report questions. Their must strings come
// from several reports: each has to occur in some held-out report, and at
// least one in the cited report.
var heldoutCross = map[string]bool{"h077": true, "h078": true, "h079": true}

// heldoutItem is one line of testdata/heldout/qa.jsonl. Pointer fields tell
// a missing field from an empty one.
type heldoutItem struct {
	ID       *string  `json:"id"`
	Question *string  `json:"question"`
	Lang     *string  `json:"lang"`
	Kind     *string  `json:"kind"`
	Doc      *string  `json:"doc"`
	Must     []string `json:"must"` // nil when missing or null
}

// TestHeldout checks the held-out set: every report decodes and has a
// realistic length, every question line has the schema of
// testdata/eval/fazhi-qa.jsonl, every must string is really in the cited
// report, every report is asked about, and the mix of kinds and languages
// is what the set promises. A failing held-out eval then always points at
// the engine, never at the set.
func TestHeldout(t *testing.T) {
	reports := mustHeldoutReports(t)
	data, err := os.ReadFile(filepath.Join(heldoutDir, "qa.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	ids := make(map[string]int)
	questions := make(map[string]int)
	asked := make(map[string]int) // doc → questions citing it
	counts := make(map[string]int)
	total := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			t.Errorf("line %d: blank line", n)
			continue
		}
		var it heldoutItem
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&it); err != nil {
			t.Errorf("line %d: %v", n, err)
			continue
		}
		if it.ID == nil || it.Question == nil || it.Lang == nil || it.Kind == nil || it.Doc == nil || it.Must == nil {
			t.Errorf("line %d: want all of id, question, lang, kind, doc, must; got %s", n, line)
			continue
		}
		total++
		id, q, lang, kind, doc := *it.ID, *it.Question, *it.Lang, *it.Kind, *it.Doc
		t.Run(id, func(t *testing.T) {
			if id == "" {
				t.Errorf("line %d: empty id", n)
			} else if prev, ok := ids[id]; ok {
				t.Errorf("line %d: id already used on line %d", n, prev)
			}
			ids[id] = n
			if strings.TrimSpace(q) == "" {
				t.Errorf("line %d: empty question", n)
			} else if prev, ok := questions[q]; ok {
				t.Errorf("line %d: question already asked on line %d", n, prev)
			}
			questions[q] = n
			switch lang {
			case "zh":
				if !strings.ContainsFunc(q, heldoutIsHan) {
					t.Errorf("lang zh but question %q has no Chinese", q)
				}
			case "en":
				if strings.ContainsFunc(q, heldoutIsHan) {
					t.Errorf("lang en but question %q has Chinese", q)
				}
			default:
				t.Errorf("lang %q, want zh or en", lang)
			}
			counts[lang]++
			counts[kind]++
			switch kind {
			case "none":
				if doc != "" || len(it.Must) != 0 {
					t.Errorf("kind none wants doc \"\" and must [], got doc %q must %q", doc, it.Must)
				}
				if heldoutCross[id] {
					t.Errorf("listed as cross-report but kind none")
				}
				return
			case "number", "text":
			default:
				t.Errorf("kind %q, want number, text or none", kind)
				return
			}
			text, ok := reports[doc]
			if doc == "" || doc != filepath.Base(doc) || !ok {
				t.Errorf("doc %q, want a file name in %s", doc, filepath.Join(heldoutDir, "reports"))
				return
			}
			asked[doc]++
			if len(it.Must) == 0 {
				t.Errorf("kind %s wants at least one must string", kind)
			}
			inDoc := 0
			for _, m := range it.Must {
				switch {
				case strings.TrimSpace(m) == "":
					t.Errorf("empty must string")
					continue
				case kind == "number" && !strings.ContainsAny(m, "0123456789一二两三四五六七八九十百千万"):
					t.Errorf("number question's must %q has no figure", m)
				}
				if strings.Contains(text, m) {
					inDoc++
					continue
				}
				if !heldoutCross[id] {
					t.Errorf("must %q does not occur in %s", m, doc)
					continue
				}
				if !heldoutInAny(reports, m) {
					t.Errorf("must %q of a cross-report question occurs in no held-out report", m)
				}
			}
			if heldoutCross[id] {
				counts["cross"]++
				if inDoc == 0 {
					t.Errorf("cross-report question: no must string occurs in the cited %s", doc)
				}
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d questions: %v", total, counts)
	for doc := range reports {
		if asked[doc] == 0 {
			t.Errorf("no question cites %s", doc)
		}
	}
	for _, c := range []struct {
		key string
		min int
	}{{"", 90}, {"none", 10}, {"en", 20}, {"number", 50}, {"text", 15}, {"cross", len(heldoutCross)}} {
		got := counts[c.key]
		if c.key == "" {
			got = total
		}
		if got < c.min {
			t.Errorf("%d %q questions, want at least %d", got, c.key, c.min)
		}
	}
}

// mustHeldoutReports reads every held-out report and returns its text by
// file name: GB18030 decoded, HTML reduced to its visible text, spaces
// between digits and Chinese characters removed as the cleaner does. Each
// report has to be 1,500–5,000 characters long, not counting spaces.
func mustHeldoutReports(tb testing.TB) map[string]string {
	tb.Helper()
	dir := filepath.Join(heldoutDir, "reports")
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	out := make(map[string]string)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		if !utf8.Valid(b) {
			if b, err = simplifiedchinese.GB18030.NewDecoder().Bytes(b); err != nil {
				tb.Fatalf("%s: neither UTF-8 nor GB18030: %v", e.Name(), err)
			}
		}
		text := string(b)
		if strings.EqualFold(filepath.Ext(e.Name()), ".html") {
			if text, err = heldoutHTMLText(b); err != nil {
				tb.Fatalf("%s: %v", e.Name(), err)
			}
		}
		text = heldoutJoinSpaces(strings.ReplaceAll(text, "\u00a0", " "))
		n := utf8.RuneCountInString(strings.Join(strings.Fields(text), ""))
		if n < 1500 || n > 5000 {
			tb.Errorf("%s: %d characters, want 1500 to 5000", e.Name(), n)
		}
		out[e.Name()] = text
	}
	if len(out) == 0 {
		tb.Fatalf("no reports in %s", dir)
	}
	return out
}

// heldoutHTMLText returns the text of an HTML page outside script and style
// elements, one line per block of text.
func heldoutHTMLText(b []byte) (string, error) {
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style) {
			return
		}
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && (n.DataAtom == atom.P || n.DataAtom == atom.Div || n.DataAtom == atom.H1 || n.DataAtom == atom.Br) {
			sb.WriteByte('\n')
		}
	}
	walk(doc)
	return sb.String(), nil
}

// heldoutSpace matches whitespace between two characters that are each a
// Han character or a digit, with at least one Han.
var heldoutSpace = regexp.MustCompile(`(\p{Han})[ \t\x{3000}]+(\p{Han}|[0-9])|([0-9])[ \t\x{3000}]+(\p{Han})`)

// heldoutJoinSpaces removes the spaces between digits and Chinese
// characters ("652 件" → "652件"), as the ingest cleaner does.
func heldoutJoinSpaces(s string) string {
	for {
		t := heldoutSpace.ReplaceAllString(s, "$1$2$3$4")
		if t == s {
			return s
		}
		s = t
	}
}

func heldoutInAny(reports map[string]string, m string) bool {
	for _, text := range reports {
		if strings.Contains(text, m) {
			return true
		}
	}
	return false
}

func heldoutIsHan(r rune) bool { return unicode.Is(unicode.Han, r) }
