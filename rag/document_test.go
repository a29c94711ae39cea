package rag_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"fazhi/rag"
)

func TestDocument(t *testing.T) {
	e, _ := seedEngine(t)
	ctx := context.Background()
	const source = "004_40507ad071df1468.txt"
	const sentence = "今年排查矛盾纠纷约53起，调处矛盾纠纷约53件，调处率达100%。"
	d, err := e.Document(ctx, source, "")
	if err != nil {
		t.Fatal(err)
	}
	if d.Source != source || d.Town != "拾万镇" || d.Year != 2021 || d.Found != nil {
		t.Errorf("document %s %s %d found %v, want 拾万镇 2021 and nothing searched", d.Source, d.Town, d.Year, d.Found)
	}
	text := d.Text()
	if !strings.Contains(text, sentence) || len([]rune(text)) < 2000 {
		t.Errorf("text has %d characters and lacks %q", len([]rune(text)), sentence)
	}
	levels := map[int]int{}
	for _, o := range d.Outline {
		levels[o.Level]++
		if o.Part < 0 || o.Part >= len(d.Parts) || !strings.HasSuffix(o.Path, o.Title) {
			t.Errorf("outline entry %+v: part out of range or path not ending in its title", o)
		}
	}
	if levels[1] < 3 || levels[2] < 5 {
		t.Errorf("outline levels %v, want the report's 一、二、三 and their （一）（二）", levels)
	}
	if !strings.HasPrefix(d.Outline[0].Title, "一、") && !strings.HasPrefix(d.Outline[1].Title, "一、") {
		t.Errorf("outline starts %q, %q; want 一、 among the first", d.Outline[0].Title, d.Outline[1].Title)
	}

	at := func(r rag.SentenceRef) string { return d.Parts[r.Part].Sentences[r.Sentence] }
	// The sentence after the disputes sentence, to quote the two joined.
	var next string
	for _, p := range d.Parts {
		for i, s := range p.Sentences {
			if s == sentence && i+1 < len(p.Sentences) {
				next = p.Sentences[i+1]
			}
		}
	}
	if next == "" {
		t.Fatal("the disputes sentence is not followed by another in its part")
	}
	tests := []struct {
		name  string
		quote string
		want  []string
	}{
		{"the sentence", sentence, []string{sentence}},
		{"with spaces", " 今年排查矛盾纠纷约 53 起，调处矛盾纠纷约53件，调处率达100%。\n", []string{sentence}},
		{"two sentences joined", sentence + next, []string{sentence, next}},
		{"part of a sentence", "调处矛盾纠纷约53件", []string{sentence}},
		{"reworded", "今年排查矛盾纠纷约53起，调处约53件，调处率达100%。", []string{sentence}},
		{"not in the report", "全年办理行政复议案件999件，纠错率百分之百。", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := e.Document(ctx, source, tc.quote)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range d.Found {
				got = append(got, at(r))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("found %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := e.Document(ctx, "no-such.txt", ""); !errors.Is(err, rag.ErrNotFound) || !strings.Contains(err.Error(), "no-such.txt") {
		t.Errorf("unknown source: err = %v, want ErrNotFound naming it", err)
	}
}
