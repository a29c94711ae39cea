package rag_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// evalItem is one line of testdata/eval/fazhi-qa.jsonl. Pointer fields
// tell a missing field from an empty one.
type evalItem struct {
	ID       *string  `json:"id"`
	Question *string  `json:"question"`
	Lang     *string  `json:"lang"`
	Kind     *string  `json:"kind"`
	Doc      *string  `json:"doc"`
	Must     []string `json:"must"` // nil when missing or null; [] decodes to non-nil
}

// TestEvalSet checks the evaluation question set: the schema of every line,
// and that every answer it demands is really in the cited report, so that a
// failing eval always points at the engine, never at the question set.
func TestEvalSet(t *testing.T) {
	const path = "../testdata/eval/fazhi-qa.jsonl"
	reportsDir := filepath.Join("..", "testdata", "reports")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	reports := make(map[string]string) // doc → cleaned text
	ids := make(map[string]int)
	questions := make(map[string]int)
	counts := make(map[string]int) // by lang, by kind, by lang/kind
	total := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			t.Errorf("line %d: blank line", n)
			continue
		}
		var it evalItem
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
		if id == "" {
			t.Errorf("line %d: empty id", n)
		} else if prev, ok := ids[id]; ok {
			t.Errorf("line %d: id %q already used on line %d", n, id, prev)
		}
		ids[id] = n
		if strings.TrimSpace(q) == "" {
			t.Errorf("line %d (%s): empty question", n, id)
		} else if prev, ok := questions[q]; ok {
			t.Errorf("line %d (%s): question already asked on line %d", n, id, prev)
		}
		questions[q] = n
		switch lang {
		case "zh":
			if !strings.ContainsFunc(q, isHan) {
				t.Errorf("line %d (%s): lang zh but question %q has no Chinese", n, id, q)
			}
		case "en":
			if strings.ContainsFunc(q, isHan) {
				t.Errorf("line %d (%s): lang en but question %q has Chinese", n, id, q)
			}
		default:
			t.Errorf("line %d (%s): lang %q, want zh or en", n, id, lang)
		}
		counts[lang]++
		counts[kind]++
		counts[lang+"/"+kind]++
		switch kind {
		case "none":
			if doc != "" || len(it.Must) != 0 {
				t.Errorf("line %d (%s): kind none wants doc \"\" and must [], got doc %q must %q", n, id, doc, it.Must)
			}
			continue
		case "number", "text":
		default:
			t.Errorf("line %d (%s): kind %q, want number, text or none", n, id, kind)
			continue
		}
		if doc == "" || doc != filepath.Base(doc) {
			t.Errorf("line %d (%s): doc %q, want a seed report file name", n, id, doc)
			continue
		}
		text, ok := reports[doc]
		if !ok {
			b, err := os.ReadFile(filepath.Join(reportsDir, doc))
			if err != nil {
				t.Errorf("line %d (%s): doc: %v", n, id, err)
				continue
			}
			text = joinCJKSpaces(string(b))
			reports[doc] = text
		}
		if len(it.Must) == 0 {
			t.Errorf("line %d (%s): kind %s wants at least one must string", n, id, kind)
		}
		for _, m := range it.Must {
			switch {
			case strings.TrimSpace(m) == "":
				t.Errorf("line %d (%s): empty must string", n, id)
			case kind == "number" && !strings.ContainsAny(m, "0123456789"):
				t.Errorf("line %d (%s): number question's must %q has no Arabic figure", n, id, m)
			case !strings.Contains(text, m):
				t.Errorf("line %d (%s): must %q does not occur in %s", n, id, m, doc)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d questions: %v", total, counts)
	for _, c := range []struct {
		key string
		min int
	}{{"", 120}, {"none", 20}, {"en", 30}, {"number", 60}, {"text", 30}} {
		got := counts[c.key]
		if c.key == "" {
			got = total
		}
		if got < c.min {
			t.Errorf("%d %q questions, want at least %d", got, c.key, c.min)
		}
	}
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }
