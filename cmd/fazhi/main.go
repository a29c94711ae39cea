// Command fazhi answers officials' questions about township rule-of-law
// reports (法治政府建设工作报告), with citations, offline by default.
//
// Usage:
//
//	fazhi ingest [--data DIR] PATH...
//	fazhi ask [--json] QUESTION
//	fazhi serve [--addr 127.0.0.1:8080]
//	fazhi docs [--json]
//	fazhi reindex
//	fazhi facts [--town T] [--year Y] [--metric M] [--q TEXT] [--json | --csv | --xlsx]
//	fazhi eval [--min F] FILE.jsonl
//	fazhi bench [--reports N]
//
// Every subcommand takes --data DIR (the embedded store) or --store
// postgres://... . See README.md for configuration.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "fazhi:", err)
		}
		os.Exit(2)
	}
}

// exitCode is an error that only sets the exit status; what went wrong
// has been printed already.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const usage = `fazhi answers questions about township rule-of-law reports.

Usage:
  fazhi ingest [flags] PATH...     ingest report files or directories
  fazhi ask [flags] QUESTION       answer a question (--json for the API object)
  fazhi serve [flags]              HTTP API, web page and Telegram bot
  fazhi docs [flags]               list stored reports (--json)
  fazhi reindex [flags]            detect stored reports' metadata again, count terms of older reports (no re-embedding)
  fazhi facts [flags]              list stated figures (--json, --csv, --xlsx)
  fazhi eval [flags] FILE.jsonl    run an evaluation question file
  fazhi bench [flags]              ingest and ask benchmarks on look-alike reports

Run 'fazhi COMMAND -h' for a command's flags.
`

// run is the whole program, testable: it parses args and runs one
// subcommand.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	env := os.Getenv
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "ingest":
		return runIngest(ctx, rest, env, stdout, stderr)
	case "ask":
		return runAsk(ctx, rest, env, stdout, stderr)
	case "serve":
		return runServe(ctx, rest, env, stdout, stderr)
	case "docs":
		return runDocs(ctx, rest, env, stdout, stderr)
	case "reindex":
		return runReindex(ctx, rest, env, stdout, stderr)
	case "facts":
		return runFacts(ctx, rest, env, stdout, stderr)
	case "eval":
		return runEval(ctx, rest, env, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, env, stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
