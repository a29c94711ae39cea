package ingest

import (
	"regexp"
	"strings"
)

// tableNumber is a table cell that holds only a figure.
var tableNumber = regexp.MustCompile(`^[0-9][0-9,]*(?:\.[0-9]+)?%?$`)

// IsTableRow reports whether a line is a row of a table as the loaders
// write one: cells separated by tabs.
func IsTableRow(line string) bool { return strings.Count(line, "\t") >= 1 }

// TableRowSentence renders a table row as the sentence a report would
// write, so that its figures can be extracted: the row
// "排查化解矛盾纠纷 | 件 | 248 | 调解成功241件" under the header
// "指标名称 | 单位 | 完成数 | 备注" becomes "排查化解矛盾纠纷248件，调解成功241件。".
// The first cell names the figure, the unit comes from a 单位 column (or a
// cell that is only a unit), and the value is the first cell that is only a
// figure: tables list the current year before earlier ones and changes.
// Cells after it that say something in words are kept as clauses. ok is
// false for a header or a row with no figure.
func TableRowSentence(row string, header []string) (sentence string, ok bool) {
	cells := strings.Split(row, "\t")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	if len(cells) < 2 || cells[0] == "" {
		return "", false
	}
	unitCol := -1
	for i, h := range header {
		if strings.Contains(h, "单位") {
			unitCol = i
		}
	}
	unit, value, valueAt := "", "", -1
	for i, c := range cells[1:] {
		i++
		switch {
		case i == unitCol || (unit == "" && isUnitCell(c)):
			if unit == "" {
				unit = c
			}
		case valueAt < 0 && tableNumber.MatchString(c):
			value, valueAt = strings.ReplaceAll(c, ",", ""), i
		}
	}
	if valueAt < 0 {
		return "", false
	}
	if strings.HasSuffix(value, "%") {
		unit = ""
	}
	var b strings.Builder
	b.WriteString(cells[0])
	b.WriteString(value)
	b.WriteString(unit)
	for _, c := range cells[valueAt+1:] {
		if c != "" && !tableNumber.MatchString(c) && !isUnitCell(c) && strings.ContainsFunc(c, isHanRune) {
			b.WriteString("，")
			b.WriteString(c)
		}
	}
	b.WriteString("。")
	return b.String(), true
}

func isUnitCell(c string) bool {
	for _, u := range factUnits {
		if c == u {
			return true
		}
	}
	return c == "万元" || c == "万人次"
}

func isHanRune(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }
