package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"fazhi/rag"
)

func runAsk(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("ask", stderr)
	commonFlags(fs, &c, env)
	asJSON := fs.Bool("json", false, "print the answer object of POST /v1/ask")
	explain := fs.Bool("explain", false, "answer offline and print how: places and years, scope, the best candidates with their features and scores, and why the answer or refusal won")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	question := strings.TrimSpace(strings.Join(pos, " "))
	if question == "" {
		return fmt.Errorf("ask: no QUESTION given")
	}
	eng, st, err := c.open(ctx, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer st.Close()
	var (
		a     rag.Answer
		trace *rag.Trace
	)
	if *explain {
		a, trace, err = eng.Explain(ctx, rag.Question{Text: question})
	} else {
		a, err = eng.Ask(ctx, rag.Question{Text: question})
	}
	if err != nil {
		return err
	}
	if *explain && *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			rag.Answer
			Trace *rag.Trace `json:"trace"`
		}{a, trace})
	}
	if *explain {
		trace.Print(stdout)
		fmt.Fprintln(stdout)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(a)
	}
	fmt.Fprintln(stdout, a.Answer)
	if a.Note != "" {
		fmt.Fprintln(stdout, "("+a.Note+")")
	}
	printSources(stdout, a.Citations)
	return nil
}

// printSources lists where an answer comes from: report, section, file.
func printSources(w io.Writer, cs []rag.Citation) {
	for i, c := range cs {
		if i == 0 {
			fmt.Fprintln(w)
		}
		title := c.Title
		if title == "" {
			title = fmt.Sprintf("%s %d", c.Town, c.Year)
		}
		line := fmt.Sprintf("[%d] 《%s》", i+1, title)
		if c.Section != "" {
			line += " " + c.Section
		}
		fmt.Fprintf(w, "%s（%s）\n", line, c.Source)
	}
}
