package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"fazhi/eval"
)

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
	cases, err := eval.ReadFile(pos[0])
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	eng, st, err := c.open(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer st.Close()
	// Asked as a warm server asks them: its in-memory indexes built.
	if err := eng.Warm(ctx); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	results := eval.Run(ctx, eng, cases)
	acc := eval.Print(stdout, results).Overall.Frac()
	if acc < *minFrac {
		fmt.Fprintf(stdout, "accuracy %.3f is below --min %.3f\n", acc, *minFrac)
		return exitCode(1)
	}
	return nil
}
