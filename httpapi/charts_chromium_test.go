package httpapi_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fazhi/httpapi"
)

// TestWebPageChartsChromium drives the page over the real Engine: a
// comparison question draws a bar per town stating its figure, a bar
// opened by keyboard and a citation opened by click show the report
// scrolled to the quoted sentence, highlighted; the 数据 tab charts a
// metric across towns and offers it as a spreadsheet. Nothing is fetched
// from anywhere but this server and the browser reports no error. The
// test writes screenshots (to -screenshot DIR, else a temporary
// directory).
func TestWebPageChartsChromium(t *testing.T) {
	ctx := browserTestContext(t)
	var w pageWatch
	p, must := openWatchedPage(ctx, t, &w)
	eng := seedEngine(t)
	// A second year of 拾万镇 (the 2021 seed with its years moved on and
	// its disputes figure changed), for a line over the years.
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "reports", "004_40507ad071df1468.txt"))
	must(err)
	next := strings.Replace(string(raw), "调处矛盾纠纷约53件", "调处矛盾纠纷约61件", 1)
	if next == string(raw) {
		t.Fatal("the edit did not apply: fixture changed?")
	}
	_, err = eng.IngestFile(ctx, "拾万镇2022.txt", []byte(strings.ReplaceAll(next, "2021", "2022")))
	must(err)
	srv := w.serve(t, newTestServer(t, eng, httpapi.Config{}))
	dir := *screenshotDir
	if dir == "" {
		dir = t.TempDir()
	}
	shot := func(name string) {
		t.Helper()
		path := filepath.Join(dir, name)
		must(p.screenshot(ctx, path))
		b, err := os.ReadFile(path)
		must(err)
		if !bytes.HasPrefix(b, []byte("\x89PNG")) || len(b) < 2000 {
			t.Errorf("screenshot %s: %d bytes, not a PNG of the page", name, len(b))
		}
		t.Logf("screenshot: %s", path)
	}
	_, err = p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": 1000, "height": 900, "deviceScaleFactor": 1, "mobile": false,
	})
	must(err)
	_, err = p.call(ctx, "Page.navigate", map[string]any{"url": srv.URL + "/"})
	must(err)
	must(p.waitFor(ctx, "the page to load", `document.readyState === "complete" && document.getElementById("question")`))

	// Ask the comparison.
	must(p.eval(ctx, `document.getElementById("question").focus()`, nil))
	_, err = p.call(ctx, "Input.insertText", map[string]any{"text": "2021年各镇调处矛盾纠纷数量分别是多少？"})
	must(err)
	must(p.key(ctx, "Enter", 13, 0))
	must(p.waitFor(ctx, "the chart", `document.querySelectorAll("#conversation svg.chart .mark").length > 0`))
	shot("chart-answer.png")

	type bar struct {
		Label  string  `json:"label"`
		Value  string  `json:"value"`
		Width  float64 `json:"width"`
		Name   string  `json:"name"`
		Source string  `json:"source"`
		Tip    string  `json:"tip"`
	}
	var chart struct {
		Bars     []bar    `json:"bars"`
		Missing  string   `json:"missing"`
		Name     string   `json:"name"`
		Rows     []string `json:"rows"`
		Below    string   `json:"below"`
		Shown    bool     `json:"shown"`
		Tabbable int      `json:"tabbable"`
	}
	must(p.eval(ctx, `(function () {
		var svg = document.querySelector("#conversation svg.chart");
		var r = svg.getBoundingClientRect();
		return {
			bars: Array.prototype.map.call(svg.querySelectorAll(".mark"), function (m) { return {
				label: m.querySelector(".label").textContent, value: m.querySelector(".value").textContent,
				width: m.querySelector(".bar").getBoundingClientRect().width, name: m.getAttribute("aria-label"),
				source: m.getAttribute("data-source"), tip: m.querySelector("title").textContent }; }),
			missing: Array.prototype.map.call(svg.querySelectorAll(".missing"), function (m) { return m.textContent; }).join(" "),
			name: svg.getAttribute("aria-label"),
			rows: Array.prototype.map.call(document.querySelectorAll("#conversation .chart-data tbody tr"), function (tr) { return tr.textContent; }),
			below: (document.querySelector("#conversation .chart-box .missing") || {}).textContent || "",
			shown: r.width > 200 && r.height > 40,
			tabbable: svg.querySelectorAll(".mark[tabindex='0']").length,
		}; })()`, &chart))
	want := []struct{ town, figure, source string }{
		{"大钟庄镇", "68件次", "001_7e465fa291371142.txt"},
		{"拾万镇", "约53件", "004_40507ad071df1468.txt"},
	}
	if len(chart.Bars) != len(want) {
		t.Fatalf("chart has %d bars %+v, want one per town that states the figure: %d", len(chart.Bars), chart.Bars, len(want))
	}
	for i, w := range want {
		b := chart.Bars[i]
		if b.Label != w.town || b.Value != w.figure || b.Source != w.source {
			t.Errorf("bar %d = %q %q from %q, want %q %q from %q", i, b.Label, b.Value, b.Source, w.town, w.figure, w.source)
		}
		if !strings.Contains(b.Name, w.figure) || !strings.Contains(b.Tip, w.source) || !strings.Contains(b.Tip, "“") {
			t.Errorf("bar %d: accessible name %q, tooltip %q: want the figure, the source and the quote", i, b.Name, b.Tip)
		}
	}
	if !(chart.Bars[0].Width > chart.Bars[1].Width && chart.Bars[1].Width > 0) {
		t.Errorf("bar widths %v, %v: want 68 drawn longer than 53", chart.Bars[0].Width, chart.Bars[1].Width)
	}
	if !strings.Contains(chart.Missing, "泉掌镇") || !strings.Contains(chart.Below, "泉掌镇") {
		t.Errorf("the report without the figure is not named: in chart %q, below %q", chart.Missing, chart.Below)
	}
	if !chart.Shown || chart.Tabbable != len(want) || !strings.Contains(chart.Name, "矛盾纠纷") {
		t.Errorf("chart shown %v, %d focusable bars, name %q: want it visible, each bar focusable, named", chart.Shown, chart.Tabbable, chart.Name)
	}
	if len(chart.Rows) != len(want) || !strings.Contains(chart.Rows[0], "大钟庄镇") || !strings.Contains(chart.Rows[0], "68件次") || !strings.Contains(chart.Rows[1], "004_40507ad071df1468.txt") {
		t.Errorf("text alternative rows = %q, want each town's figure and source", chart.Rows)
	}

	// By keyboard: Tab-focusable bar, Enter opens its report at the quote.
	must(p.eval(ctx, `document.querySelector("#conversation svg.chart .mark").focus()`, nil))
	must(p.key(ctx, "Enter", 13, 0))
	checkHighlight(ctx, t, p, "001_7e465fa291371142.txt", "68件次")
	shot("chart-bar-opened.png")

	// A citation click opens its report at the quoted sentence.
	must(p.eval(ctx, `document.getElementById("tab-chat").click()`, nil))
	must(p.eval(ctx, `(function () {
		var b = Array.prototype.filter.call(document.querySelectorAll("#conversation .citations button.open-doc"),
			function (b) { return b.getAttribute("aria-label").indexOf("004_40507ad071df1468.txt") >= 0; })[0];
		b.click(); })()`, nil))
	checkHighlight(ctx, t, p, "004_40507ad071df1468.txt", "约53件")
	shot("citation-opened.png")

	// The 数据 tab charts a chosen metric across the towns of a year.
	must(p.eval(ctx, `document.getElementById("tab-facts").click()`, nil))
	must(p.waitFor(ctx, "the metric choice", `document.querySelector("#facts-metric option[value=disputes_mediated]")`))
	must(p.eval(ctx, `(function () { document.getElementById("facts-metric").value = "disputes_mediated";
		document.getElementById("facts-metric").dispatchEvent(new Event("input"));
		document.getElementById("facts-year").value = "2021";
		document.getElementById("facts-year").dispatchEvent(new Event("input"));
		document.querySelector("#facts-form button[type=submit]").click(); })()`, nil))
	must(p.waitFor(ctx, "the data chart", `document.querySelectorAll("#facts-chart svg.chart .mark").length === 2`))
	shot("data-chart.png")
	var data struct {
		Values []string `json:"values"`
		XLSX   string   `json:"xlsx"`
		Type   string   `json:"type"`
		Facts  string   `json:"facts"`
	}
	must(p.eval(ctx, `(async function () {
		var x = document.getElementById("chart-xlsx").href;
		var resp = await fetch(x);
		return {
			values: Array.prototype.map.call(document.querySelectorAll("#facts-chart svg.chart .value"), function (v) { return v.textContent; }),
			xlsx: x, type: resp.headers.get("Content-Type"),
			facts: document.getElementById("facts-xlsx").getAttribute("href"),
		}; })()`, &data))
	if strings.Join(data.Values, ",") != "68件次,约53件,未提及" {
		t.Errorf("data chart values = %q, want 68件次, 约53件 and 泉掌镇 named as not stating it", data.Values)
	}
	if !strings.Contains(data.XLSX, "metric=disputes_mediated") || !strings.Contains(data.XLSX, "year=2021") || !strings.Contains(data.XLSX, "format=xlsx") ||
		!strings.HasPrefix(data.Type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") {
		t.Errorf("chart download %q gives %q, want the shown metric and year as .xlsx", data.XLSX, data.Type)
	}
	if !strings.Contains(data.Facts, "format=xlsx") || !strings.Contains(data.Facts, "metric=disputes_mediated") {
		t.Errorf("facts download = %q, want the filtered facts as .xlsx", data.Facts)
	}

	// A town over the years is a line, a point per year stating its figure.
	must(p.eval(ctx, `(function () { document.getElementById("facts-year").value = "";
		document.getElementById("facts-town").value = "拾万镇";
		document.querySelector("#facts-form button[type=submit]").click(); })()`, nil))
	must(p.waitFor(ctx, "the line chart", `document.querySelectorAll("#facts-chart svg.chart .point").length === 2`))
	shot("data-line.png")
	var line struct {
		Labels []string `json:"labels"`
		Values []string `json:"values"`
		Line   bool     `json:"line"`
	}
	must(p.eval(ctx, `({
		labels: Array.prototype.map.call(document.querySelectorAll("#facts-chart svg.chart .mark .label"), function (v) { return v.textContent; }),
		values: Array.prototype.map.call(document.querySelectorAll("#facts-chart svg.chart .mark .value"), function (v) { return v.textContent; }),
		line: !!document.querySelector("#facts-chart svg.chart polyline.line"),
	})`, &line))
	if strings.Join(line.Labels, ",") != "2021年,2022年" || strings.Join(line.Values, ",") != "约53件,约61件" || !line.Line {
		t.Errorf("line chart: labels %q, values %q, line drawn %v; want 2021年 约53件 and 2022年 约61件 joined by a line", line.Labels, line.Values, line.Line)
	}

	// On a phone the chart and its table fit the screen.
	_, err = p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true,
	})
	must(err)
	must(p.eval(ctx, `document.getElementById("tab-chat").click()`, nil))
	var phone struct {
		Overflows bool    `json:"overflows"`
		Chart     float64 `json:"chart"`
	}
	must(p.eval(ctx, `({ overflows: document.documentElement.scrollWidth > window.innerWidth,
		chart: document.querySelector("#conversation svg.chart").getBoundingClientRect().width })`, &phone))
	if phone.Overflows || phone.Chart <= 0 || phone.Chart > 390 {
		t.Errorf("on a 390 px screen: page overflows %v, chart %v px wide", phone.Overflows, phone.Chart)
	}
	shot("chart-phone.png")
	w.checkOffline(t, srv.URL)
}

// checkHighlight waits for the report view of source and checks that a
// highlighted sentence stating figure is on screen and focused.
func checkHighlight(ctx context.Context, t *testing.T, p *page, source, figure string) {
	t.Helper()
	if err := p.waitFor(ctx, "the report of "+source, `!document.getElementById("doc-view").hidden &&
		document.getElementById("doc-meta").textContent.indexOf(`+jsString(source)+`) >= 0 &&
		document.querySelector("#doc-text mark.hit")`); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Hits     []string `json:"hits"`
		InView   bool     `json:"inView"`
		Focused  bool     `json:"focused"`
		Outline  int      `json:"outline"`
		TabShown bool     `json:"tabShown"`
		Text     int      `json:"text"`
	}
	if err := p.eval(ctx, `(function () {
		var m = document.querySelector("#doc-text mark.hit"), r = m.getBoundingClientRect();
		return {
			hits: Array.prototype.map.call(document.querySelectorAll("#doc-text mark.hit"), function (m) { return m.textContent; }),
			inView: r.top >= 0 && r.bottom <= window.innerHeight,
			focused: document.activeElement === m,
			outline: document.querySelectorAll("#doc-outline li").length,
			tabShown: !document.getElementById("panel-docs").hidden && document.getElementById("tab-docs").getAttribute("aria-selected") === "true",
			text: document.getElementById("doc-text").textContent.length,
		}; })()`, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Hits) == 0 || !strings.Contains(strings.Join(v.Hits, ""), figure) {
		t.Errorf("%s: highlighted %q, want the sentence stating %s", source, v.Hits, figure)
	}
	if !v.InView || !v.Focused || !v.TabShown {
		t.Errorf("%s: highlight in view %v, focused %v, 报告 tab shown %v: want all", source, v.InView, v.Focused, v.TabShown)
	}
	if v.Outline < 3 || v.Text < 1000 {
		t.Errorf("%s: %d outline entries, %d characters of text: want the report's outline and its text", source, v.Outline, v.Text)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
