package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"fazhi/rag"
)

// evalCase is one line of an evaluation file.
type evalCase struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Lang     string   `json:"lang"`
	Kind     string   `json:"kind"` // number, text or none
	Doc      string   `json:"doc"`
	Must     []string `json:"must"`
}

// evalResult is how one case went.
type evalResult struct {
	c        evalCase
	ok       bool
	citeOK   bool
	why      string
	answer   rag.Answer
	duration time.Duration
}

func readEvalFile(path string) ([]evalCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []evalCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var c evalCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if c.Question == "" {
			return nil, fmt.Errorf("%s:%d: field \"question\" is empty", path, n)
		}
		switch c.Kind {
		case "number", "text", "none":
		default:
			return nil, fmt.Errorf("%s:%d: field \"kind\" is %q, want number, text or none", path, n, c.Kind)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// judge checks an answer against a case: found as expected, every must
// string present, and the expected document cited.
func judge(c evalCase, a rag.Answer) (ok, citeOK bool, why string) {
	if c.Kind == "none" {
		if a.Found {
			return false, true, "answered, but the reports do not state it"
		}
		return true, true, ""
	}
	if !a.Found {
		return false, false, "not found"
	}
	for _, m := range c.Must {
		if !strings.Contains(a.Answer, m) {
			why = fmt.Sprintf("answer lacks %q", m)
			break
		}
	}
	citeOK = c.Doc == ""
	for _, ci := range a.Citations {
		if ci.Source == c.Doc {
			citeOK = true
		}
	}
	if why == "" && !citeOK {
		why = fmt.Sprintf("does not cite %s", c.Doc)
	}
	return why == "", citeOK, why
}

func runEval(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("eval", stderr)
	commonFlags(fs, &c, env)
	minFrac := fs.Float64("min", 0, "exit 1 when overall accuracy is below this fraction")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("eval: want one FILE.jsonl")
	}
	cases, err := readEvalFile(pos[0])
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	eng, st, err := c.open(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer st.Close()
	results := make([]evalResult, 0, len(cases))
	for _, tc := range cases {
		start := time.Now()
		a, err := eng.Ask(ctx, rag.Question{Text: tc.Question})
		d := time.Since(start)
		r := evalResult{c: tc, answer: a, duration: d}
		if err != nil {
			r.why = "error: " + err.Error()
		} else {
			r.ok, r.citeOK, r.why = judge(tc, a)
		}
		results = append(results, r)
	}
	acc := printEval(stdout, results)
	if acc < *minFrac {
		fmt.Fprintf(stdout, "accuracy %.3f is below --min %.3f\n", acc, *minFrac)
		return exitCode(1)
	}
	return nil
}

// printEval prints accuracy by kind, citation and abstention accuracy,
// latency and every miss; it returns the overall accuracy.
func printEval(w io.Writer, results []evalResult) float64 {
	type tally struct{ ok, n int }
	byKind := map[string]*tally{}
	var all, cite, abst tally
	var lat []time.Duration
	for _, r := range results {
		t := byKind[r.c.Kind]
		if t == nil {
			t = &tally{}
			byKind[r.c.Kind] = t
		}
		t.n++
		all.n++
		if r.ok {
			t.ok++
			all.ok++
		}
		if r.c.Kind == "none" {
			abst.n++
			if r.ok {
				abst.ok++
			}
		} else {
			cite.n++
			if r.citeOK {
				cite.ok++
			}
		}
		lat = append(lat, r.duration)
	}
	frac := func(t tally) string {
		if t.n == 0 {
			return "-"
		}
		return fmt.Sprintf("%d/%d (%.1f%%)", t.ok, t.n, 100*float64(t.ok)/float64(t.n))
	}
	fmt.Fprintf(w, "overall     %s\n", frac(all))
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  %-9s %s\n", k, frac(*byKind[k]))
	}
	fmt.Fprintf(w, "citations   %s\n", frac(cite))
	fmt.Fprintf(w, "abstention  %s\n", frac(abst))
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		fmt.Fprintf(w, "latency     p50 %s  p95 %s\n", lat[len(lat)/2].Round(time.Microsecond), lat[min(len(lat)-1, len(lat)*95/100)].Round(time.Microsecond))
	}
	for _, r := range results {
		if r.ok {
			continue
		}
		fmt.Fprintf(w, "MISS %s [%s] %s\n     %s\n     got: %s\n", r.c.ID, r.c.Kind, r.c.Question, r.why, strings.ReplaceAll(truncate(r.answer.Answer, 240), "\n", " "))
	}
	if all.n == 0 {
		return 0
	}
	return float64(all.ok) / float64(all.n)
}

func truncate(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}
