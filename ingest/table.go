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
// The first cell names the figure; each column of figures is stated with
// what its header says ("受理件数" → 受理…件, "涉及金额（万元）", "2022年"),
// the unit coming from the header, a 单位 column or a cell that is only a
// unit; change columns (增减) are left out; cells of words after the first
// figure are kept as clauses. ok is false for a header or a row with no
// figure.
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
	rowUnit := ""
	if unitCol > 0 && unitCol < len(cells) {
		rowUnit = cells[unitCol]
	}
	var clauses []string
	for i := 1; i < len(cells); i++ {
		c := cells[i]
		if i == unitCol {
			continue
		}
		if !tableNumber.MatchString(c) {
			if isUnitCell(c) {
				if rowUnit == "" {
					rowUnit = c
				}
				continue
			}
			// Words after the first figure are remarks: keep them.
			if len(clauses) > 0 && strings.ContainsFunc(c, isHanRune) {
				clauses = append(clauses, c)
			}
			continue
		}
		h := ""
		if i < len(header) {
			h = strings.TrimSpace(header[i])
		}
		label, unit, skip := columnMeaning(h)
		if skip {
			continue // a change column ("增减") restates the others
		}
		if unit == "" {
			unit = rowUnit
		}
		value := strings.ReplaceAll(c, ",", "")
		if strings.HasSuffix(value, "%") {
			unit = ""
		}
		if len(clauses) == 0 {
			clauses = append(clauses, cells[0]+label+value+unit)
			continue
		}
		clauses = append(clauses, label+value+unit)
	}
	if len(clauses) == 0 {
		return "", false
	}
	return strings.Join(clauses, "，") + "。", true
}

var (
	headerUnitRe = regexp.MustCompile(`[（(]([^）)]+)[）)]\s*$`)
	headerYearRe = regexp.MustCompile(`^(?:19|20)\d{2}年?(?:度)?$`)
)

// columnMeaning reads a header cell: the words a figure in that column is
// stated with, its unit, and whether the column is a change to skip.
// "受理件数" → 受理, 件; "涉及金额（万元）" → 涉及金额, 万元; "2022年" → 2022年.
func columnMeaning(h string) (label, unit string, skip bool) {
	switch {
	case h == "":
		return "", "", false
	case strings.Contains(h, "增减") || strings.Contains(h, "变化") || strings.Contains(h, "同比") || strings.Contains(h, "增幅"):
		return "", "", true
	case headerYearRe.MatchString(h):
		if !strings.HasSuffix(h, "年") {
			h += "年"
		}
		return h, "", false
	}
	if m := headerUnitRe.FindStringSubmatch(h); m != nil {
		unit = strings.TrimSpace(m[1])
		h = strings.TrimSpace(h[:len(h)-len(m[0])])
	}
	for _, suf := range []struct{ s, unit string }{{"件数", "件"}, {"人数", "人"}, {"次数", "次"}, {"场数", "场"}, {"户数", "户"}, {"个数", "个"}} {
		if strings.HasSuffix(h, suf.s) {
			h = strings.TrimSuffix(h, suf.s)
			if unit == "" {
				unit = suf.unit
			}
		}
	}
	if unit == "" && strings.HasSuffix(h, "金额") {
		unit = "元"
	}
	// A header that only names the figure ("完成数", "数量") adds nothing.
	if h == "完成数" || h == "数量" || h == "数值" || h == "完成情况" || h == "指标值" {
		h = ""
	}
	return h, unit, false
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
