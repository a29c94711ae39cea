package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"fazhi/rag"
)

func runIngest(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("ingest", stderr)
	commonFlags(fs, &c, env)
	workers := fs.Int("workers", 2, "reports parsed and embedded at once")
	quiet := fs.Bool("quiet", false, "print only errors and the summary")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("ingest: no PATH given")
	}
	files, walkErrs := collectFiles(paths)
	eng, st, err := c.open(ctx, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer st.Close()
	sum := ingestFiles(ctx, eng, files, *workers, newProgress(stdout, len(files), *quiet), stderr)
	for _, e := range walkErrs {
		fmt.Fprintln(stderr, "error:", e)
		sum.failed++
	}
	fmt.Fprintf(stdout, "ingested %d files: %d new, %d replaced, %d unchanged, %d failed\n",
		len(files)+len(walkErrs), sum.new, sum.replaced, sum.unchanged, sum.failed)
	if sum.failed > 0 {
		return exitCode(1)
	}
	return ctx.Err()
}

// collectFiles expands directories (recursively) into their files, in a
// stable order. Hidden files and directories are skipped.
func collectFiles(paths []string) ([]string, []error) {
	var files []string
	var errs []error
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", path, err))
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") && path != p {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	sort.Strings(files)
	return files, errs
}

type ingestSummary struct {
	new, replaced, unchanged, failed int
}

// ingestFiles ingests files with bounded concurrency; one file's failure
// does not stop the others. Each report is stored in its own transaction.
func ingestFiles(ctx context.Context, eng *rag.Engine, files []string, workers int, prog *progress, stderr io.Writer) ingestSummary {
	var (
		mu  sync.Mutex
		sum ingestSummary
	)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, workers))
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			res, err := eng.IngestPath(ctx, f)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				sum.failed++
				prog.fail(f, err, stderr)
				return nil
			}
			switch res.Status {
			case rag.StatusNew:
				sum.new++
			case rag.StatusReplaced:
				sum.replaced++
			default:
				sum.unchanged++
			}
			prog.done(f, res)
			return nil
		})
	}
	g.Wait()
	prog.finish()
	return sum
}

// progress prints a bar on a terminal and plain lines otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	quiet bool
	total int
	n     int
}

func newProgress(w io.Writer, total int, quiet bool) *progress {
	p := &progress{w: w, total: total, quiet: quiet}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) done(path string, res rag.IngestResult) {
	p.n++
	if p.quiet {
		return
	}
	if p.tty {
		p.bar()
		return
	}
	r := res.Report
	fmt.Fprintf(p.w, "%-9s %s  %s %d  chunks=%d facts=%d\n", res.Status, path, r.Town, r.Year, r.Chunks, r.Facts)
}

func (p *progress) fail(path string, err error, stderr io.Writer) {
	p.n++
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(stderr, "error: %v\n", oneLine(err))
	if p.tty && !p.quiet {
		p.bar()
	}
}

func (p *progress) bar() {
	const width = 30
	filled := width * p.n / max(1, p.total)
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.n, p.total)
}

func (p *progress) finish() {
	if p.tty && !p.quiet {
		fmt.Fprintln(p.w)
	}
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
