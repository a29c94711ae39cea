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
	"time"

	"golang.org/x/sync/errgroup"

	"fazhi/rag"
)

func runIngest(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("ingest", stderr)
	commonFlags(fs, &c, env)
	workers := fs.Int("workers", 2, "reports parsed and embedded at once")
	batch := fs.Int("batch", defaultIngestBatch, "most reports stored in one transaction (a crash keeps whole transactions)")
	quiet := fs.Bool("quiet", false, "print only errors and the summary")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("ingest: no PATH given")
	}
	if *batch < 1 {
		return fmt.Errorf("ingest: --batch must be at least 1, got %d", *batch)
	}
	files, walkErrs := collectFiles(paths)
	eng, st, err := c.open(ctx, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer st.Close()
	sum := ingestFiles(ctx, eng, files, *workers, *batch, newProgress(stdout, len(files), *quiet), stderr)
	for _, e := range walkErrs {
		fmt.Fprintln(stderr, "error:", e)
		sum.failed++
	}
	renamed, duplicate := "", ""
	if sum.renamed > 0 {
		// Stores made before sources were relative paths.
		renamed = fmt.Sprintf("%d renamed to their relative path, ", sum.renamed)
	}
	if sum.duplicate > 0 {
		duplicate = fmt.Sprintf("%d duplicate, ", sum.duplicate)
	}
	fmt.Fprintf(stdout, "ingested %d files: %d new, %d replaced, %s%d unchanged, %s%d failed\n",
		len(files)+len(walkErrs), sum.new, sum.replaced, renamed, sum.unchanged, duplicate, sum.failed)
	if sum.failed > 0 {
		return exitCode(1)
	}
	return ctx.Err()
}

// reportFile is a file to ingest and the source it is stored under: its
// path relative to the folder named on the command line, or its name
// when the file itself was named.
type reportFile struct {
	path, source string
}

// collectFiles expands directories (recursively) into their files, in a
// stable order. Hidden files and directories are skipped. Two files that
// would be stored under the same source (x.txt in two folders named on
// the command line) are an error for the second, never a replacement.
func collectFiles(paths []string) ([]reportFile, []error) {
	var files []reportFile
	var errs []error
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		if !st.IsDir() {
			files = append(files, reportFile{path: p, source: filepath.Base(p)})
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
				rel, err := filepath.Rel(p, path)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", path, err))
					return nil
				}
				files = append(files, reportFile{path: path, source: filepath.ToSlash(rel)})
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	bySource := map[string]string{}
	kept := files[:0]
	for _, f := range files {
		if other, ok := bySource[f.source]; ok {
			if other != f.path {
				errs = append(errs, fmt.Errorf("%s: would be stored as %q like %s; ingest the two folders in separate runs or from a common parent folder", f.path, f.source, other))
			}
			continue
		}
		bySource[f.source] = f.path
		kept = append(kept, f)
	}
	return kept, errs
}

type ingestSummary struct {
	new, replaced, renamed, unchanged, duplicate, failed int
}

// defaultIngestBatch is the most reports an ingest stores in one
// transaction unless --batch says otherwise.
const defaultIngestBatch = 64

// batchWindow is how long the writer waits for a batch to fill after its
// first report is ready.
const batchWindow = 100 * time.Millisecond

// ingestFiles ingests files: up to workers of them are loaded, cleaned,
// embedded and read for facts at once, and one writer stores what they
// prepared, as many reports per transaction as are ready within
// batchWindow of the first (up to batch), so that a commit's cost is shared while a crash still
// keeps whole reports only. A report is printed as done once its
// transaction has committed. One file's failure does not stop the others.
func ingestFiles(ctx context.Context, eng *rag.Engine, files []reportFile, workers, batch int, prog *progress, stderr io.Writer) ingestSummary {
	batch = max(1, batch)
	var (
		mu  sync.Mutex
		sum ingestSummary
	)
	record := func(f reportFile, res rag.IngestResult, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			sum.failed++
			prog.fail(f.path, err, stderr)
			return
		}
		switch res.Status {
		case rag.StatusNew:
			sum.new++
		case rag.StatusReplaced:
			sum.replaced++
		case rag.StatusRenamed:
			sum.renamed++
		case rag.StatusDuplicate:
			sum.duplicate++
		default:
			sum.unchanged++
		}
		prog.done(f.path, res)
	}

	type prepared struct {
		f reportFile
		p rag.Prepared
	}
	ready := make(chan prepared, batch)
	written := make(chan struct{})
	go func() {
		defer close(written)
		for first := range ready {
			// Wait a moment for more: a commit's cost is the same for one
			// report or many, and on two cores it is taken from the workers.
			todo := []prepared{first}
			window := time.NewTimer(batchWindow)
		fill:
			for len(todo) < batch {
				select {
				case p, ok := <-ready:
					if !ok {
						break fill
					}
					todo = append(todo, p)
				case <-window.C:
					break fill
				}
			}
			window.Stop()
			ps := make([]rag.Prepared, len(todo))
			for i, t := range todo {
				ps[i] = t.p
			}
			results, errs := eng.StoreBatch(ctx, ps)
			for i, t := range todo {
				record(t.f, results[i], errs[i])
			}
		}
	}()

	var g errgroup.Group
	g.SetLimit(max(1, workers))
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			p, res, done, err := eng.PreparePathAs(ctx, f.path, f.source)
			if done || err != nil {
				record(f, res, err)
				return nil
			}
			ready <- prepared{f, p}
			return nil
		})
	}
	g.Wait()
	close(ready)
	<-written
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
	if res.DuplicateOf != "" {
		fmt.Fprintf(p.w, "%-9s %s  same content as %s (%s %d)\n", res.Status, path, res.DuplicateOf, r.Unit(), r.Year)
		return
	}
	fmt.Fprintf(p.w, "%-9s %s  %s %d  chunks=%d facts=%d\n", res.Status, path, r.Unit(), r.Year, r.Chunks, r.Facts)
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
