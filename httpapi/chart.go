package httpapi

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"unicode"

	"fazhi/rag"
)

// Chart geometry, in SVG user units (the page scales the chart to its
// width).
const (
	chartWidth = 440
	chartFont  = 13
	barRow     = 30 // height of one bar's row
	barHeight  = 18
	lineHeight = 300
)

// chartSVG draws a comparison table as SVG, server-side, so the page needs
// no chart library: a horizontal bar per place (long town names stay
// readable on a phone), or a line over the years when the rows follow one
// place. Every mark states its figure, carries its source and quote as a
// tooltip and as data-source/data-quote (the page opens the report there
// on click or Enter), and is focusable; reports without the figure are
// named in the chart. Colours are presentation attributes on classes the
// page's style sheet may restyle: no inline style, which the page's CSP
// forbids.
func chartSVG(t rag.Table) string {
	if len(t.Rows) == 0 {
		return ""
	}
	if t.By == rag.ByYear {
		return lineSVG(t)
	}
	return barsSVG(t)
}

// chartName is the chart's accessible name: what, in which unit, over what.
func chartName(t rag.Table) string {
	name := t.Label
	if name == "" {
		name = t.Metric
	}
	if t.Unit != "" {
		name += "（" + t.Unit + "）"
	}
	if t.By == rag.ByYear {
		return name + "，" + t.Rows[0].Place + "历年"
	}
	return name + "，各镇（街道）比较"
}

// rowLabel names a row: its year on a line, else its place (and year
// when the rows span several).
func rowLabel(t rag.Table, r rag.TableRow, years bool) string {
	if t.By == rag.ByYear {
		return strconv.Itoa(r.Year) + "年"
	}
	if years && r.Year != 0 {
		return r.Place + " " + strconv.Itoa(r.Year)
	}
	return cmpOr(r.Place, r.Source)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// spansYears says whether the rows are of more than one year.
func spansYears(t rag.Table) bool {
	for _, r := range t.Rows {
		if r.Year != t.Rows[0].Year {
			return true
		}
	}
	for _, m := range t.Missing {
		if m.Year != t.Rows[0].Year {
			return true
		}
	}
	return false
}

// textWidth estimates how wide text is drawn at size: a wide (CJK)
// character is a full em, anything else about half.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || r >= 0xFF00 && r <= 0xFFEF || r >= 0x3000 && r <= 0x303F {
			w += size
		} else {
			w += size * 0.6
		}
	}
	return w
}

// markAttrs are the attributes of a focusable mark: its accessible name,
// the source and quote the page opens.
func markAttrs(label string, r rag.TableRow) string {
	name := label + "：" + r.Figure + "，出处 " + r.Source
	return fmt.Sprintf(` class="mark" tabindex="0" role="button" aria-label="%s" data-source="%s" data-quote="%s"`,
		attr(name), attr(r.Source), attr(r.Quote))
}

// tooltip is a mark's <title>: figure, source and quote.
func tooltip(label string, r rag.TableRow) string {
	s := label + "：" + r.Figure + "\n出处：" + r.Source
	if r.Quote != "" {
		s += "\n“" + r.Quote + "”"
	}
	return "<title>" + html.EscapeString(s) + "</title>"
}

func attr(s string) string { return html.EscapeString(s) }

// svgOpen starts the document with its size and accessible name and
// description (every figure, for screen readers).
func svgOpen(b *strings.Builder, t rag.Table, height int, years bool) {
	var desc []string
	for _, r := range t.Rows {
		desc = append(desc, rowLabel(t, r, years)+" "+r.Figure)
	}
	if len(t.Missing) > 0 {
		var names []string
		for _, m := range t.Missing {
			names = append(names, rowLabel(t, rag.TableRow{Place: m.Place, Year: m.Year, Source: m.Source}, years))
		}
		desc = append(desc, "未提及："+strings.Join(names, "、"))
	}
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="group" aria-label="%s" font-size="%d" font-family="sans-serif">`,
		chartWidth, height, chartWidth, height, attr(chartName(t)), chartFont)
	fmt.Fprintf(b, "<title>%s</title><desc>%s</desc>", html.EscapeString(chartName(t)), html.EscapeString(strings.Join(desc, "；")))
}

func barsSVG(t rag.Table) string {
	years := spansYears(t)
	n := len(t.Rows) + len(t.Missing)
	height := n*barRow + 12
	labelW := 0.0
	for _, r := range t.Rows {
		labelW = math.Max(labelW, textWidth(rowLabel(t, r, years), chartFont))
	}
	for _, m := range t.Missing {
		labelW = math.Max(labelW, textWidth(rowLabel(t, rag.TableRow{Place: m.Place, Year: m.Year, Source: m.Source}, years), chartFont))
	}
	labelW = math.Min(labelW, 200) + 8
	valueW := 0.0
	top := 0.0
	for _, r := range t.Rows {
		valueW = math.Max(valueW, textWidth(r.Figure, chartFont))
		top = math.Max(top, r.Value)
	}
	barMax := float64(chartWidth) - labelW - valueW - 16
	var b strings.Builder
	svgOpen(&b, t, height, years)
	fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="4" x2="%.1f" y2="%d" stroke="#59636e"/>`, labelW, labelW, height-8)
	for i, r := range t.Rows {
		label := rowLabel(t, r, years)
		y := float64(i*barRow) + 6
		w := 0.0
		if top > 0 && r.Value > 0 {
			w = math.Max(1, r.Value/top*barMax)
		}
		fmt.Fprintf(&b, `<g%s>%s`, markAttrs(label, r), tooltip(label, r))
		fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%.1f" text-anchor="end" fill="#1f2328">%s</text>`, labelW-6, y+barHeight/2+4.5, html.EscapeString(label))
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%d" fill="#9b1c1c"/>`, labelW, y, w, barHeight)
		fmt.Fprintf(&b, `<text class="value" x="%.1f" y="%.1f" fill="#1f2328">%s</text>`, labelW+w+6, y+barHeight/2+4.5, html.EscapeString(r.Figure))
		b.WriteString("</g>")
	}
	for j, m := range t.Missing {
		label := rowLabel(t, rag.TableRow{Place: m.Place, Year: m.Year, Source: m.Source}, years)
		y := float64((len(t.Rows)+j)*barRow) + 6
		fmt.Fprintf(&b, `<g class="missing"><title>%s</title>`, html.EscapeString(label+"：报告未提及此项数字（"+m.Source+"）"))
		fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%.1f" text-anchor="end" fill="#59636e">%s</text>`, labelW-6, y+barHeight/2+4.5, html.EscapeString(label))
		fmt.Fprintf(&b, `<text class="value" x="%.1f" y="%.1f" fill="#59636e">未提及</text></g>`, labelW+6, y+barHeight/2+4.5)
	}
	b.WriteString("</svg>")
	return b.String()
}

func lineSVG(t rag.Table) string {
	const left, right, top, bottom = 56.0, 24.0, 28.0, 36.0
	height := lineHeight
	if len(t.Missing) > 0 {
		height += barRow
	}
	plotW := float64(chartWidth) - left - right
	plotH := float64(lineHeight) - top - bottom
	hi := 0.0
	for _, r := range t.Rows {
		hi = math.Max(hi, r.Value)
	}
	step := niceStep(hi / 4)
	yMax := math.Max(step*4, step*math.Ceil(hi/step))
	if yMax == 0 {
		yMax = 1
	}
	x := func(i int) float64 {
		if len(t.Rows) == 1 {
			return left + plotW/2
		}
		const inset = 28 // room for the first and last labels
		return left + inset + (plotW-2*inset)*float64(i)/float64(len(t.Rows)-1)
	}
	y := func(v float64) float64 { return top + plotH*(1-v/yMax) }
	var b strings.Builder
	svgOpen(&b, t, height, true)
	for k := 0; float64(k)*step <= yMax+step/2; k++ {
		v := float64(k) * step
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#d6dae0"/>`, left, y(v), left+plotW, y(v))
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="end" fill="#59636e">%s</text>`, left-6, y(v)+4.5, strconv.FormatFloat(v, 'f', -1, 64))
	}
	var pts []string
	for i, r := range t.Rows {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(r.Value)))
	}
	fmt.Fprintf(&b, `<polyline class="line" points="%s" fill="none" stroke="#9b1c1c" stroke-width="2.5"/>`, strings.Join(pts, " "))
	for i, r := range t.Rows {
		label := rowLabel(t, r, true)
		fmt.Fprintf(&b, `<g%s>%s`, markAttrs(label, r), tooltip(label, r))
		fmt.Fprintf(&b, `<circle class="point" cx="%.1f" cy="%.1f" r="6" fill="#9b1c1c"/>`, x(i), y(r.Value))
		fmt.Fprintf(&b, `<text class="value" x="%.1f" y="%.1f" text-anchor="middle" fill="#1f2328">%s</text>`, x(i), y(r.Value)-11, html.EscapeString(r.Figure))
		fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%.1f" text-anchor="middle" fill="#1f2328">%s</text>`, x(i), float64(lineHeight)-bottom+20, html.EscapeString(label))
		b.WriteString("</g>")
	}
	if len(t.Missing) > 0 {
		var names []string
		for _, m := range t.Missing {
			names = append(names, rowLabel(t, rag.TableRow{Place: m.Place, Year: m.Year, Source: m.Source}, true))
		}
		fmt.Fprintf(&b, `<text class="missing" x="%.1f" y="%d" fill="#59636e">%s</text>`, left, lineHeight+barRow/2, html.EscapeString("未提及："+strings.Join(names, "、")))
	}
	b.WriteString("</svg>")
	return b.String()
}

// niceStep rounds a raw axis step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}
