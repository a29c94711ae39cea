package rag

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Trace is what the extractive answerer did with a question, stage by
// stage: question → places and years → scope → candidates → choice →
// answer or refusal. Engine.Explain fills one; `fazhi ask --explain`
// prints it.
type Trace struct {
	Question string   `json:"question"`
	Resolved string   `json:"resolved,omitempty"` // after a follow-up took the earlier question's place and year
	Parts    []*Trace `json:"parts,omitempty"`    // a question asked in several parts, one trace each

	Places    []string `json:"places,omitempty"`
	Year      int      `json:"year,omitempty"`
	Kind      string   `json:"kind,omitempty"`
	Units     []string `json:"units,omitempty"`
	Metric    string   `json:"metric,omitempty"`
	Aggregate string   `json:"aggregate,omitempty"`
	Meta      string   `json:"meta,omitempty"`
	Terms     []string `json:"terms,omitempty"`

	Scope      []string         `json:"scope,omitempty"` // the reports read
	Stage      string           `json:"stage,omitempty"` // the answer path taken: figure, sentence, section, list, aggregate, meta, refusal
	Candidates []TraceCandidate `json:"candidates,omitempty"`
	Threshold  float64          `json:"threshold,omitempty"` // the fitted model's bar for the choice
	Choice     string           `json:"choice,omitempty"`    // why the answer or refusal won
}

// TraceCandidate is a figure or sentence the answerer weighed.
type TraceCandidate struct {
	Source   string             `json:"source"`
	Text     string             `json:"text"`
	Value    string             `json:"value,omitempty"`
	Score    float64            `json:"score"`
	Features map[string]float64 `json:"features"`
}

// maxTraceCandidates is how many of the best candidates a trace keeps.
const maxTraceCandidates = 5

type traceKey struct{}

// withTrace returns a context whose extractive answer is recorded in t.
func withTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// traceFrom returns the trace the context records into, or nil.
func traceFrom(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

// Explain answers like Ask, offline, and returns the trace of how the
// answer was reached.
func (e *Engine) Explain(ctx context.Context, q Question) (Answer, *Trace, error) {
	t := &Trace{Question: q.Text}
	a, err := e.extractive(withTrace(ctx, t), q)
	return a, t, err
}

func (t *Trace) query(text string, q Query) {
	if t == nil {
		return
	}
	if text != t.Question {
		t.Resolved = text
	}
	t.Places, t.Year, t.Kind, t.Units = q.Towns, q.Year, q.Kind, q.Units
	t.Metric, t.Aggregate, t.Meta = q.Metric, q.Aggregate, q.Meta
	t.Terms = nil
	for _, g := range q.Groups {
		if len(g.Forms) > 0 {
			t.Terms = append(t.Terms, strings.Join(g.Forms, "|"))
		}
	}
}

func (t *Trace) scope(scope []ReportInfo) {
	if t == nil {
		return
	}
	t.Scope = t.Scope[:0]
	for _, r := range scope {
		t.Scope = append(t.Scope, r.Source)
	}
}

func (t *Trace) decide(stage, format string, args ...any) {
	if t == nil {
		return
	}
	t.Stage = stage
	t.Choice = fmt.Sprintf(format, args...)
}

func namedFeatures(names []string, x []float64) map[string]float64 {
	out := make(map[string]float64, len(names))
	for i, n := range names {
		if x[i] != 0 {
			out[n] = x[i]
		}
	}
	return out
}

// Print writes the trace for a person to read.
func (t *Trace) Print(w io.Writer) {
	t.print(w, "")
}

func (t *Trace) print(w io.Writer, indent string) {
	fmt.Fprintf(w, "%squestion   %s\n", indent, t.Question)
	if t.Resolved != "" {
		fmt.Fprintf(w, "%sresolved   %s\n", indent, t.Resolved)
	}
	if len(t.Parts) > 0 {
		for i, p := range t.Parts {
			fmt.Fprintf(w, "%spart %d\n", indent, i+1)
			p.print(w, indent+"  ")
		}
		return
	}
	year := "any"
	if t.Year != 0 {
		year = strconv.Itoa(t.Year)
	}
	fmt.Fprintf(w, "%splaces     %s   year %s   kind %s", indent, orNone(strings.Join(t.Places, "、")), year, t.Kind)
	if len(t.Units) > 0 {
		fmt.Fprintf(w, "   units %s", strings.Join(t.Units, " "))
	}
	for _, kv := range [][2]string{{"metric", t.Metric}, {"aggregate", t.Aggregate}, {"meta", t.Meta}} {
		if kv[1] != "" {
			fmt.Fprintf(w, "   %s %s", kv[0], kv[1])
		}
	}
	fmt.Fprintln(w)
	if len(t.Terms) > 0 {
		fmt.Fprintf(w, "%sterms      %s\n", indent, strings.Join(t.Terms, "  "))
	}
	fmt.Fprintf(w, "%sscope      %d report(s): %s\n", indent, len(t.Scope), orNone(strings.Join(first(t.Scope, 8), " ")))
	for i, c := range t.Candidates {
		v := ""
		if c.Value != "" {
			v = " [" + c.Value + "]"
		}
		fmt.Fprintf(w, "%scandidate  %d  score %.3f%s  %s: %s\n", indent, i+1, c.Score, v, c.Source, clip(c.Text, 80))
		fmt.Fprintf(w, "%s           %s\n", indent, formatFeatures(c.Features))
	}
	if t.Threshold != 0 {
		fmt.Fprintf(w, "%sthreshold  %.3f\n", indent, t.Threshold)
	}
	fmt.Fprintf(w, "%schoice     %s: %s\n", indent, t.Stage, t.Choice)
}

func formatFeatures(f map[string]float64) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%.2f", k, f[k])
	}
	return strings.Join(parts, " ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func first(xs []string, n int) []string {
	if len(xs) <= n {
		return xs
	}
	return append(xs[:n:n], fmt.Sprintf("… and %d more", len(xs)-n))
}

func clip(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}
