package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"text/tabwriter"

	"fazhi/ingest"
	"fazhi/internal/factsheet"
	"fazhi/rag"
)

func runDocs(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("docs", stderr)
	commonFlags(fs, &c, env)
	asJSON := fs.Bool("json", false, "print a JSON array")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	eng, st, err := c.open(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer st.Close()
	reps, err := eng.Reports(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if reps == nil {
			reps = []rag.ReportInfo{}
		}
		return writeJSON(stdout, reps)
	}
	tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tPLACE\tLEVEL\tCOUNTY\tCITY\tPROVINCE\tCODE\tYEAR\tDATE\tDOC NUMBER\tCHUNKS\tFACTS\tTITLE")
	for _, r := range reps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%d\t%d\t%s\n", r.Source, r.Place, r.Level, r.County, r.City, r.Province, r.DivisionCode, r.Year, r.Date, r.DocNumber, r.Chunks, r.Facts, r.Title)
	}
	return tw.Flush()
}

// runReindex detects every stored report's metadata again from its stored
// text and rewrites what changed, printing each change, and counts the
// terms of reports stored without counts of this version's vocabulary;
// vectors are kept.
func runReindex(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("reindex", stderr)
	commonFlags(fs, &c, env)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	eng, st, err := c.open(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer st.Close()
	changed, err := eng.Reindex(ctx)
	for _, r := range changed {
		fmt.Fprintf(stdout, "%s  %s %s %s%s%s %d\n", r.Source, r.Place, r.Level, r.Province, r.City, r.County, r.Year)
	}
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	fmt.Fprintf(stdout, "%d reports changed\n", len(changed))
	counted, err := eng.CountTerms(ctx)
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	fmt.Fprintf(stdout, "term counts filled in for %d reports\n", counted)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runFacts(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("facts", stderr)
	commonFlags(fs, &c, env)
	var f rag.FactFilter
	fs.StringVar(&f.Town, "town", "", "only this town (full or short name)")
	fs.IntVar(&f.Year, "year", 0, "only this year")
	fs.StringVar(&f.Metric, "metric", "", "only this metric key, e.g. disputes_mediated")
	fs.StringVar(&f.Query, "q", "", "only facts whose subject or sentence contains TEXT")
	asJSON := fs.Bool("json", false, "print a JSON array")
	asCSV := fs.Bool("csv", false, "print CSV (UTF-8 with BOM, header row)")
	asXLSX := fs.Bool("xlsx", false, "write an .xlsx workbook (the rows of --csv) to stdout: fazhi facts --xlsx > facts.xlsx")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	if n := btoi(*asJSON) + btoi(*asCSV) + btoi(*asXLSX); n > 1 {
		return fmt.Errorf("facts: --json, --csv and --xlsx exclude each other")
	}
	eng, st, err := c.open(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer st.Close()
	if *asCSV {
		// Every fact, a page at a time, so that any number streams.
		return factsheet.WriteCSVPages(stdout, func(yield func([]ingest.Fact) error) error {
			return rag.EachFactsPage(ctx, eng.Facts, f, rag.MaxFactsLimit, yield)
		})
	}
	facts, err := eng.Facts(ctx, f)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		if facts == nil {
			facts = []ingest.Fact{}
		}
		return writeJSON(stdout, facts)
	case *asXLSX:
		return factsheet.WriteXLSX(stdout, facts)
	}
	tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "TOWN\tYEAR\tVALUE\tUNIT\tAPPROX\tMETRIC\tSUBJECT\tSOURCE")
	for _, x := range facts {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Town, x.Year, strconv.FormatFloat(x.Value, 'f', -1, 64), x.Unit, x.Approx, x.Metric, x.Subject, x.Source)
	}
	return tw.Flush()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
