package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestFactsXLSX checks that `fazhi facts --xlsx` holds exactly the rows of
// `fazhi facts --csv`, read back by two independent readers: excelize, and
// LibreOffice converting the workbook to CSV.
func TestFactsXLSX(t *testing.T) {
	data := ingestedData(t)
	csvOut := mustRun(t, "facts", "--csv", "--data", data)
	want, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvOut, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 50 {
		t.Fatalf("facts --csv: %d rows, want the seeds' facts", len(want))
	}
	xlsx := mustRun(t, "facts", "--xlsx", "--data", data)
	col := map[string]int{}
	for i, h := range want[0] {
		col[h] = i
	}

	t.Run("excelize", func(t *testing.T) {
		f, err := excelize.OpenReader(strings.NewReader(xlsx))
		if err != nil {
			t.Fatalf("facts --xlsx is no workbook: %v", err)
		}
		defer f.Close()
		sheet := f.GetSheetList()[0]
		got, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, got, want)
		// value and year are numbers in every data row.
		for _, name := range []string{"value", "year"} {
			for r := 2; r <= len(want); r++ {
				ref, _ := excelize.CoordinatesToCellName(col[name]+1, r)
				typ, err := f.GetCellType(sheet, ref)
				if err != nil {
					t.Fatal(err)
				}
				if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
					t.Fatalf("%s (%s of row %d) has type %v, want a number", ref, name, r, typ)
				}
			}
		}
	})

	t.Run("libreoffice", func(t *testing.T) {
		got := sofficeCSV(t, []byte(xlsx))
		sameRows(t, got, want)
	})
}

// sameRows compares a sheet's rows with the CSV's, padding the rows a
// reader shortened by their trailing empty cells.
func sameRows(t *testing.T, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("sheet has %d rows, facts --csv %d", len(got), len(want))
	}
	bad := 0
	for i := range want {
		row := append(append([]string(nil), got[i]...), make([]string, max(0, len(want[i])-len(got[i])))...)
		if strings.Join(row, "\x00") != strings.Join(want[i], "\x00") {
			t.Errorf("row %d:\n sheet %q\n   csv %q", i+1, row, want[i])
			if bad++; bad == 5 {
				t.FailNow()
			}
		}
	}
}

// sofficeCSV converts a workbook to CSV with headless LibreOffice (UTF-8,
// comma-separated, quoted text). Without LibreOffice the test is skipped,
// except in CI (CI set), where .ci/run installs it.
func sofficeCSV(t *testing.T, xlsx []byte) [][]string {
	t.Helper()
	bin, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("soffice not found in CI: .ci/run should install libreoffice-calc-nogui")
		}
		t.Skip("soffice not found: install the Debian package libreoffice-calc-nogui to open the workbook with LibreOffice")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "facts.xlsx")
	if err := os.WriteFile(in, xlsx, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A profile of its own, so a LibreOffice already running elsewhere
	// does not take the job.
	cmd := exec.CommandContext(ctx, bin, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--headless", "--norestore", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false",
		"--outdir", dir, in)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("soffice --convert-to csv: %v\n%s", err, out.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "facts.csv"))
	if err != nil {
		t.Fatalf("soffice wrote no CSV: %v\n%s", err, out.String())
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("LibreOffice's CSV: %v", err)
	}
	return rows
}
