package eval_test

import (
	"strings"
	"testing"

	"fazhi/eval"
	"fazhi/rag"
)

func TestJudge(t *testing.T) {
	cite := []rag.Citation{{Source: "a.txt"}}
	num := eval.Case{ID: "n", Kind: "number", Doc: "a.txt", Must: []string{"186", "167"}}
	tests := []struct {
		name               string
		c                  eval.Case
		a                  rag.Answer
		ok, cite, headline bool
		why                string
	}{
		{"both figures first", num, rag.Answer{Found: true, Answer: "排查186起，调处167起。\n\n原文：“…”", Citations: cite}, true, true, true, ""},
		{"second figure only in the quote", num, rag.Answer{Found: true, Answer: "排查186起。\n\n原文：“排查186起，调处167起”", Citations: cite}, true, true, false, ""},
		{"figure missing", num, rag.Answer{Found: true, Answer: "排查186起。", Citations: cite}, false, true, false, `answer lacks "167"`},
		{"other report cited", num, rag.Answer{Found: true, Answer: "186 167", Citations: []rag.Citation{{Source: "b.txt"}}}, false, false, false, "does not cite a.txt"},
		{"not found", num, rag.Answer{Answer: "未提及"}, false, false, false, "not found"},
		{"none refused", eval.Case{Kind: "none"}, rag.Answer{Answer: "未提及"}, true, true, false, ""},
		{"none answered", eval.Case{Kind: "none"}, rag.Answer{Found: true, Answer: "5次"}, false, true, false, "answered, but the reports do not state it"},
		{"text has no headline", eval.Case{Kind: "text", Doc: "a.txt", Must: []string{"董伟涛"}}, rag.Answer{Found: true, Answer: "组长董伟涛", Citations: cite}, true, true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := eval.Judge(tt.c, tt.a)
			if r.OK != tt.ok || r.CiteOK != tt.cite || r.Headline != tt.headline || r.Why != tt.why {
				t.Errorf("got ok=%v cite=%v headline=%v why=%q, want ok=%v cite=%v headline=%v why=%q",
					r.OK, r.CiteOK, r.Headline, r.Why, tt.ok, tt.cite, tt.headline, tt.why)
			}
		})
	}
}

func TestReadErrorsNameLineAndField(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"id":"a","question":"","kind":"number"}`, `q.jsonl:1: field "question" is empty`},
		{"\n" + `{"id":"a","question":"x","kind":"maybe"}`, `q.jsonl:2: field "kind" is "maybe"`},
		{`{"id":`, `q.jsonl:1:`},
	}
	for _, tt := range tests {
		_, err := eval.Read(strings.NewReader(tt.in), "q.jsonl")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Read(%q): got %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	rs := []eval.Result{
		{Case: eval.Case{Kind: "number"}, OK: true, CiteOK: true, Headline: true},
		{Case: eval.Case{Kind: "number"}, OK: true, CiteOK: true},
		{Case: eval.Case{Kind: "text"}, CiteOK: false},
		{Case: eval.Case{Kind: "none"}, OK: true, CiteOK: true},
	}
	s := eval.Summarize(rs)
	if s.Overall != (eval.Tally{OK: 3, N: 4}) || s.Headline != (eval.Tally{OK: 1, N: 2}) ||
		s.Citations != (eval.Tally{OK: 2, N: 3}) || s.Abstention != (eval.Tally{OK: 1, N: 1}) {
		t.Errorf("got %+v", s)
	}
}
