// Package factsheet writes figures as spreadsheets: the stored facts (one
// row per figure, the columns of Header) and a comparison table (one row
// per report), each as CSV or as an .xlsx workbook with the same rows.
//
// In a workbook numbers are typed as numbers (value, year), units and
// sources have their own columns, the header row is bold and frozen, and
// an auto-filter covers the data, so it opens ready to sort and filter in
// Excel, WPS and LibreOffice. CSV starts with a UTF-8 byte-order mark so
// spreadsheet programs read the Chinese text correctly.
package factsheet

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"fazhi/ingest"
	"fazhi/rag"
)

// Header is the header row of a facts sheet, in CSV and .xlsx alike.
var Header = []string{"source", "town", "year", "section", "subject", "metric", "value", "unit", "approx", "quote"}

// TableHeader is the header row of a comparison table's sheet.
var TableHeader = []string{"place", "year", "value", "unit", "approx", "metric", "label", "source", "section", "quote"}

// XLSXContentType is the media type of an .xlsx workbook.
const XLSXContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// cell is one spreadsheet cell: text, or a number when num is set.
type cell struct {
	text string
	num  float64
	isN  bool
}

func text(s string) cell    { return cell{text: s} }
func number(v float64) cell { return cell{num: v, isN: true} }

// year is a year as a number, or an empty cell when unknown.
func year(y int) cell {
	if y <= 0 {
		return text("")
	}
	return number(float64(y))
}

func factRow(f ingest.Fact) []cell {
	return []cell{text(f.Source), text(f.Town), year(f.Year), text(f.Section), text(f.Subject), text(f.Metric),
		number(f.Value), text(f.Unit), text(f.Approx), text(f.Quote)}
}

func tableRows(t rag.Table) [][]cell {
	rows := make([][]cell, 0, len(t.Rows)+len(t.Missing))
	for _, r := range t.Rows {
		rows = append(rows, []cell{text(r.Place), year(r.Year), number(r.Value), text(r.Unit), text(r.Approx),
			text(t.Metric), text(t.Label), text(r.Source), text(r.Section), text(r.Quote)})
	}
	for _, m := range t.Missing {
		// A report without the figure is a row with an empty value, so
		// the sheet says which reports were read.
		rows = append(rows, []cell{text(m.Place), year(m.Year), text(""), text(""), text(""),
			text(t.Metric), text(t.Label), text(m.Source), text(""), text("")})
	}
	return rows
}

// WriteCSV writes facts as CSV: a byte-order mark, Header, a row per fact.
func WriteCSV(w io.Writer, facts []ingest.Fact) error {
	return WriteCSVPages(w, func(yield func([]ingest.Fact) error) error { return yield(facts) })
}

// WriteCSVPages writes facts as WriteCSV does, a page at a time as pages
// hands them to yield, so that any number of facts streams.
func WriteCSVPages(w io.Writer, pages func(yield func([]ingest.Fact) error) error) error {
	cw, err := startCSV(w, Header)
	if err != nil {
		return err
	}
	err = pages(func(page []ingest.Fact) error {
		rows := make([][]cell, len(page))
		for i, f := range page {
			rows[i] = factRow(f)
		}
		return writeCSVRows(cw, len(Header), rows)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes facts as an .xlsx workbook with the rows of WriteCSV.
func WriteXLSX(w io.Writer, facts []ingest.Fact) error {
	rows := make([][]cell, len(facts))
	for i, f := range facts {
		rows[i] = factRow(f)
	}
	return writeXLSX(w, "facts", Header, rows, []float64{28, 12, 8, 36, 30, 22, 10, 8, 8, 80})
}

// WriteTableCSV writes a comparison table as CSV: a row per report, those
// without the figure last with an empty value.
func WriteTableCSV(w io.Writer, t rag.Table) error {
	return writeCSV(w, TableHeader, tableRows(t))
}

// WriteTableXLSX writes a comparison table as an .xlsx workbook with the
// rows of WriteTableCSV.
func WriteTableXLSX(w io.Writer, t rag.Table) error {
	return writeXLSX(w, "table", TableHeader, tableRows(t), []float64{14, 8, 10, 8, 8, 22, 20, 28, 36, 80})
}

func writeCSV(w io.Writer, header []string, rows [][]cell) error {
	cw, err := startCSV(w, header)
	if err != nil {
		return err
	}
	return writeCSVRows(cw, len(header), rows)
}

// startCSV writes the byte-order mark and the header row.
func startCSV(w io.Writer, header []string) (*csv.Writer, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return nil, err
	}
	return cw, nil
}

// writeCSVRows writes rows and flushes them. Text that a spreadsheet
// would run as a formula is made safe (see safeText).
func writeCSVRows(cw *csv.Writer, width int, rows [][]cell) error {
	rec := make([]string, width)
	for _, row := range rows {
		for i, c := range row {
			rec[i] = safeText(c.text)
			if c.isN {
				rec[i] = strconv.FormatFloat(c.num, 'f', -1, 64)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// safeText prefixes with ' a CSV cell that a spreadsheet would run as a
// formula: one starting with = + - @ (or a tab or carriage return, which
// some programs skip before looking). Report text can hold any of these
// ("-2.3%为降幅", "=HYPERLINK(…)"). Numbers are written as numbers; in a
// workbook text is typed as text and never run.
func safeText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeXLSX streams one sheet: a bold frozen header, the rows, an
// auto-filter over them all.
func writeXLSX(w io.Writer, sheet string, header []string, rows [][]cell, widths []float64) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	vals := make([]any, len(header))
	for n, row := range rows {
		for i, c := range row {
			switch {
			case c.isN:
				vals[i] = c.num
			case c.text == "":
				vals[i] = nil
			default:
				vals[i] = c.text
			}
		}
		ref, _ := excelize.CoordinatesToCellName(1, n+2)
		if err := sw.SetRow(ref, vals); err != nil {
			return fmt.Errorf("xlsx: row %d: %w", n+2, err)
		}
	}
	// Set on the sheet the stream writer holds, so Flush writes it.
	last, _ := excelize.CoordinatesToCellName(len(header), len(rows)+1)
	if err := f.AutoFilter(sheet, "A1:"+last, nil); err != nil {
		return fmt.Errorf("xlsx: auto-filter: %w", err)
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}
