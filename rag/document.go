package rag

import (
	"context"
	"fmt"
	"strings"
)

// Document is a stored report as a reader sees it: its text, part by
// part in the order of the report, and its section outline.
type Document struct {
	ReportInfo
	Outline []OutlineEntry `json:"outline"`
	Parts   []Part         `json:"parts"`
	// Found lists the sentences a quote was located at, when asked.
	Found []SentenceRef `json:"found,omitempty"`
}

// OutlineEntry is one heading of a report's outline.
type OutlineEntry struct {
	Title string `json:"title"` // the heading's own words: "（四）防化结合"
	Path  string `json:"path"`  // the section path: "一、主要举措 > （四）防化结合"
	Level int    `json:"level"` // 1 for a top heading
	Part  int    `json:"part"`  // index of the first part under it
}

// Part is a run of sentences under one section path.
type Part struct {
	Section   string   `json:"section"`
	Sentences []string `json:"sentences"`
}

// SentenceRef points at a sentence of a Document.
type SentenceRef struct {
	Part     int `json:"part"`
	Sentence int `json:"sentence"`
}

// Text is the document as plain text: parts separated by blank lines.
func (d Document) Text() string {
	var b strings.Builder
	for i, p := range d.Parts {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(strings.Join(p.Sentences, ""))
	}
	return b.String()
}

// Document returns the report stored under source, as its sentences and
// outline. With a quote, Found says where the quote stands in it.
func (e *Engine) Document(ctx context.Context, source, quote string) (Document, error) {
	c, err := e.catalog(ctx)
	if err != nil {
		return Document{}, err
	}
	var ri ReportInfo
	ok := false
	for _, r := range c.reports {
		if r.Source == source {
			ri, ok = r, true
			break
		}
	}
	if !ok {
		return Document{}, fmt.Errorf("document %q: %w", source, ErrNotFound)
	}
	rd, err := e.doc(ctx, ri)
	if err != nil {
		return Document{}, err
	}
	d := Document{ReportInfo: ri, Outline: []OutlineEntry{}, Parts: []Part{}}
	seen := map[string]bool{}
	for _, s := range rd.sentences {
		if n := len(d.Parts); n == 0 || d.Parts[n-1].Section != s.section {
			d.Parts = append(d.Parts, Part{Section: s.section})
			d.Outline = append(d.Outline, outlineFor(s.section, len(d.Parts)-1, seen)...)
		}
		p := &d.Parts[len(d.Parts)-1]
		p.Sentences = append(p.Sentences, s.text)
	}
	if quote = strings.TrimSpace(quote); quote != "" {
		d.Found = d.locate(quote)
	}
	return d, nil
}

// outlineFor returns the headings of a section path not yet in the
// outline (a path's parents first).
func outlineFor(path string, part int, seen map[string]bool) []OutlineEntry {
	if path == "" {
		return nil
	}
	var out []OutlineEntry
	heads := strings.Split(path, " > ")
	for i := range heads {
		p := strings.Join(heads[:i+1], " > ")
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, OutlineEntry{Title: strings.TrimSpace(heads[i]), Path: p, Level: i + 1, Part: part})
	}
	return out
}

// locate finds a quote's sentences: the sentence it is, the run of
// sentences it joins ("short topic line" + the next), the sentence it is
// cut from, or failing those the sentence sharing most of its words (a
// table row is quoted as the sentence it stands for).
func (d Document) locate(quote string) []SentenceRef {
	q := squeeze(quote)
	var within, best []SentenceRef
	bestScore := 0.0
	qg := gramsOf(quote)
	for pi, p := range d.Parts {
		for si, s := range p.Sentences {
			ss := squeeze(s)
			if ss == "" {
				continue
			}
			switch {
			case ss == q:
				return []SentenceRef{{pi, si}}
			case strings.HasPrefix(q, ss) && len(within) == 0:
				// The quote may join this sentence and those after it.
				run, rest := []SentenceRef{{pi, si}}, q[len(ss):]
				for sj := si + 1; sj < len(p.Sentences) && rest != ""; sj++ {
					ns := squeeze(p.Sentences[sj])
					if ns == "" || !strings.HasPrefix(rest, ns) {
						break
					}
					run, rest = append(run, SentenceRef{pi, sj}), rest[len(ns):]
				}
				if rest == "" {
					return run
				}
			case strings.Contains(ss, q) && len(within) == 0:
				within = []SentenceRef{{pi, si}}
			}
			if sc := shareOf(qg, gramsOf(s)); sc > bestScore {
				bestScore, best = sc, []SentenceRef{{pi, si}}
			}
		}
	}
	if within != nil {
		return within
	}
	if bestScore >= 0.5 {
		return best
	}
	return nil
}

// shareOf is the share of q's grams that s has too.
func shareOf(q, s gramSet) float64 {
	if len(q) == 0 {
		return 0
	}
	n := 0
	for t := range q {
		if s.has(t) {
			n++
		}
	}
	return float64(n) / float64(len(q))
}

// squeeze drops white space, which extraction may add or lose.
func squeeze(s string) string {
	return strings.Join(strings.Fields(s), "")
}
