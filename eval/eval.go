// Package eval reads evaluation files (JSON lines of questions with the
// figures or phrases a good answer must contain), asks an engine each
// question and judges the answers the way an official reads them: found
// or not, every must string present, the figures asked for in the first
// paragraph (the headline), and the expected report cited.
package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"fazhi/rag"
)

// Case is one line of an evaluation file.
type Case struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Lang     string   `json:"lang"`
	Kind     string   `json:"kind"` // number, text or none
	Doc      string   `json:"doc"`  // the report a good answer cites
	Must     []string `json:"must"` // strings a good answer contains
}

// ReadFile reads an evaluation file. A line that is not a case is an
// error naming the file, the line and the field.
func ReadFile(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path)
}

// Read reads evaluation cases from r; name is used in errors.
func Read(r io.Reader, name string) ([]Case, error) {
	var out []Case
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var c Case
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if c.Question == "" {
			return nil, fmt.Errorf("%s:%d: field \"question\" is empty", name, n)
		}
		switch c.Kind {
		case "number", "text", "none":
		default:
			return nil, fmt.Errorf("%s:%d: field \"kind\" is %q, want number, text or none", name, n, c.Kind)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// Result is how one case went.
type Result struct {
	Case     Case
	Answer   rag.Answer
	OK       bool // found as expected, every must present, doc cited
	CiteOK   bool // the expected report is cited (true for none cases)
	Headline bool // number cases: every must stands in the first paragraph
	Why      string
	Duration time.Duration
}

// FirstParagraph is what a reader sees first: the answer up to its first
// blank line.
func FirstParagraph(answer string) string {
	if i := strings.Index(answer, "\n\n"); i >= 0 {
		return answer[:i]
	}
	return answer
}

// Judge checks an answer against a case.
func Judge(c Case, a rag.Answer) Result {
	r := Result{Case: c, Answer: a}
	if c.Kind == "none" {
		r.CiteOK = true
		if a.Found {
			r.Why = "answered, but the reports do not state it"
		}
		r.OK = r.Why == ""
		return r
	}
	if !a.Found {
		r.Why = "not found"
		return r
	}
	head := FirstParagraph(a.Answer)
	r.Headline = c.Kind == "number"
	for _, m := range c.Must {
		if !strings.Contains(a.Answer, m) {
			r.Why = fmt.Sprintf("answer lacks %q", m)
			r.Headline = false
			break
		}
		if !strings.Contains(head, m) {
			r.Headline = false
		}
	}
	r.CiteOK = c.Doc == ""
	for _, ci := range a.Citations {
		if ci.Source == c.Doc {
			r.CiteOK = true
		}
	}
	if r.Why == "" && !r.CiteOK {
		r.Why = fmt.Sprintf("does not cite %s", c.Doc)
	}
	if !r.CiteOK {
		r.Headline = false
	}
	r.OK = r.Why == ""
	return r
}

// Asker answers questions; *rag.Engine is one.
type Asker interface {
	Ask(ctx context.Context, q rag.Question) (rag.Answer, error)
}

// Run asks every case's question and judges the answers.
func Run(ctx context.Context, e Asker, cases []Case) []Result {
	out := make([]Result, 0, len(cases))
	for _, c := range cases {
		start := time.Now()
		a, err := e.Ask(ctx, rag.Question{Text: c.Question})
		d := time.Since(start)
		var r Result
		if err != nil {
			r = Result{Case: c, Answer: a, Why: "error: " + err.Error()}
		} else {
			r = Judge(c, a)
		}
		r.Duration = d
		out = append(out, r)
	}
	return out
}

// Tally counts successes out of a number of cases.
type Tally struct{ OK, N int }

// Frac is OK/N, 0 for no cases.
func (t Tally) Frac() float64 {
	if t.N == 0 {
		return 0
	}
	return float64(t.OK) / float64(t.N)
}

func (t Tally) String() string {
	if t.N == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d (%.1f%%)", t.OK, t.N, 100*t.Frac())
}

func (t *Tally) add(ok bool) {
	t.N++
	if ok {
		t.OK++
	}
}

// Summary sums up a run.
type Summary struct {
	Overall    Tally
	ByKind     map[string]Tally
	Citations  Tally // answerable cases citing their report
	Abstention Tally // none cases refused
	Headline   Tally // number cases with every figure in the first paragraph
	P50, P95   time.Duration
}

// Summarize sums up results.
func Summarize(results []Result) Summary {
	s := Summary{ByKind: map[string]Tally{}}
	var lat []time.Duration
	for _, r := range results {
		s.Overall.add(r.OK)
		k := s.ByKind[r.Case.Kind]
		k.add(r.OK)
		s.ByKind[r.Case.Kind] = k
		if r.Case.Kind == "none" {
			s.Abstention.add(r.OK)
		} else {
			s.Citations.add(r.CiteOK)
		}
		if r.Case.Kind == "number" {
			s.Headline.add(r.Headline)
		}
		lat = append(lat, r.Duration)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		s.P50 = lat[len(lat)/2]
		s.P95 = lat[min(len(lat)-1, len(lat)*95/100)]
	}
	return s
}

// Print writes the summary and every miss (a wrong answer, or a number
// answer whose headline lacks a figure).
func Print(w io.Writer, results []Result) Summary {
	s := Summarize(results)
	fmt.Fprintf(w, "overall     %s\n", s.Overall)
	kinds := make([]string, 0, len(s.ByKind))
	for k := range s.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  %-9s %s\n", k, s.ByKind[k])
	}
	fmt.Fprintf(w, "headline    %s of figure questions with every figure in the first paragraph\n", s.Headline)
	fmt.Fprintf(w, "citations   %s\n", s.Citations)
	fmt.Fprintf(w, "abstention  %s\n", s.Abstention)
	fmt.Fprintf(w, "latency     p50 %s  p95 %s\n", s.P50.Round(time.Microsecond), s.P95.Round(time.Microsecond))
	for _, r := range results {
		switch {
		case !r.OK:
			fmt.Fprintf(w, "MISS %s [%s] %s\n     %s\n     got: %s\n", r.Case.ID, r.Case.Kind, r.Case.Question, r.Why, oneLine(r.Answer.Answer, 240))
		case r.Case.Kind == "number" && !r.Headline:
			fmt.Fprintf(w, "HEAD %s [%s] %s\n     figures %q not all in the first paragraph\n     got: %s\n", r.Case.ID, r.Case.Kind, r.Case.Question, r.Case.Must, oneLine(r.Answer.Answer, 240))
		}
	}
	return s
}

func oneLine(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}
