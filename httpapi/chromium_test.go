package httpapi_test

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fazhi/httpapi"
	"fazhi/ingest"
	"fazhi/rag"
)

// chromiumPath is Debian's chromium package's launcher.
const chromiumPath = "/usr/bin/chromium"

var screenshotDir = flag.String("screenshot", "", "directory to save screenshots of the web page from the browser tests (TestWebPageChartsChromium writes its own to a temporary directory otherwise)")

// browserTestContext skips a browser test where Chromium is missing or
// in -short mode, and otherwise returns its context, bounded to a minute.
func browserTestContext(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("skipping browser test: %s not found (install Debian's chromium package to run it)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("skipping browser test in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openPage starts Chromium, reporting its events to onEvent, and opens a
// page; must fails the test on an error.
func openPage(ctx context.Context, t *testing.T, onEvent func(cdpMessage)) (p *page, must func(error)) {
	t.Helper()
	b := startBrowser(ctx, t, chromiumPath, onEvent)
	p, err := b.newPage(ctx)
	if err != nil {
		t.Fatalf("open page: %v", err)
	}
	return p, func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestWebPageChromium drives the real page in headless Chromium: it types a
// question, presses Enter, waits for the answer with its citation, asks a
// follow-up, checks Shift+Enter, opens the data and report tabs, and checks
// that nothing was requested from anywhere but this server.
func TestWebPageChromium(t *testing.T) {
	ctx := browserTestContext(t)

	eng := &fakeEngine{
		answer: yumenAnswer(),
		facts:  sampleFacts(),
		reports: []rag.ReportInfo{{
			Report: ingest.Report{Source: "000_cd4b96a87fea5f69.txt", Title: "渔门镇2020年度法治政府建设工作报告", Place: "渔门镇", Level: ingest.LevelTownship, Town: "渔门镇", County: "盐边县",
				City: "攀枝花市", Province: "四川省", DivisionCode: "510422102", Year: 2020},
			Chunks: 12, Facts: 30,
		}, {
			Report: ingest.Report{Source: "real/d09.txt", Title: "广安门内街道2022年法治政府建设工作报告", Place: "广安门内街道", Level: ingest.LevelTownship, Town: "广安门内街道",
				County: "西城区", City: "北京市", Province: "北京市", Year: 2022, Aliases: []string{"广内街道"}},
			Chunks: 9, Facts: 12,
		}},
	}
	api := newTestServer(t, eng, httpapi.Config{})
	var w pageWatch
	srv := w.serve(t, api)
	p, must := openWatchedPage(ctx, t, &w)
	var err error
	shot := func(name string) {
		t.Helper()
		if *screenshotDir != "" {
			must(p.screenshot(ctx, filepath.Join(*screenshotDir, name)))
		}
	}
	// A phone-sized viewport: the page must work at that width.
	_, err = p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true,
	})
	must(err)
	_, err = p.call(ctx, "Page.navigate", map[string]any{"url": srv.URL + "/"})
	must(err)
	must(p.waitFor(ctx, "the page to load", `document.readyState === "complete" && document.getElementById("question")`))

	var title string
	must(p.eval(ctx, "document.title", &title))
	if title != "法治问答 fazhi" {
		t.Errorf("title = %q", title)
	}

	// Ask: type the question and press Enter.
	must(p.eval(ctx, `document.getElementById("question").focus()`, nil))
	_, err = p.call(ctx, "Input.insertText", map[string]any{"text": "2020年渔门镇调解了多少件矛盾纠纷？"})
	must(err)
	must(p.key(ctx, "Enter", 13, 0))
	must(p.waitFor(ctx, "the answer", `document.querySelector("#conversation .msg.answer:not(.pending)") &&
		document.getElementById("conversation").textContent.includes("368")`))
	shot("answer.png")

	var view struct {
		Answer    string `json:"answer"`
		Citation  string `json:"citation"`
		Details   int    `json:"details"`
		Input     string `json:"input"`
		NotFound  int    `json:"notFound"`
		Overflows bool   `json:"overflows"`
	}
	must(p.eval(ctx, `({
		answer: document.querySelector("#conversation .msg.answer .text").textContent,
		citation: document.querySelector("#conversation .citations").textContent,
		details: document.querySelectorAll("#conversation .citations details").length,
		input: document.getElementById("question").value,
		notFound: document.querySelectorAll("#conversation .not-found").length,
		overflows: document.documentElement.scrollWidth > window.innerWidth,
	})`, &view))
	if view.Answer != yumenAnswer().Answer {
		t.Errorf("answer shown = %q, want %q", view.Answer, yumenAnswer().Answer)
	}
	for _, want := range []string{"渔门镇2020年度法治政府建设工作报告", "000_cd4b96a87fea5f69.txt", "2020", "防化结合"} {
		if !strings.Contains(view.Citation, want) {
			t.Errorf("citation %q lacks %q", view.Citation, want)
		}
	}
	if view.Details != 1 {
		t.Errorf("quote <details> = %d, want 1", view.Details)
	}
	if view.Input != "" {
		t.Errorf("question box holds %q after sending, want it cleared", view.Input)
	}
	if view.NotFound != 0 {
		t.Errorf("a found answer is styled as not found")
	}
	if view.Overflows {
		t.Errorf("page is wider than a 390 px phone screen")
	}

	// Shift+Enter makes a new line and sends nothing.
	_, err = p.call(ctx, "Input.insertText", map[string]any{"text": "第一行"})
	must(err)
	must(p.key(ctx, "Enter", 13, 8))
	var value string
	must(p.eval(ctx, `document.getElementById("question").value`, &value))
	if value != "第一行\n" {
		t.Errorf("after Shift+Enter the box holds %q, want a newline added", value)
	}
	if n := eng.questionCount(); n != 1 {
		t.Errorf("engine asked %d times after Shift+Enter, want 1", n)
	}

	// A follow-up carries the earlier turn as history; a not-found answer is
	// styled differently.
	must(p.eval(ctx, `document.getElementById("question").value = ""`, nil))
	eng.mu.Lock()
	eng.answer = rag.Answer{Answer: "报告中没有提到2021年的情况。", Found: false, Mode: "extractive"}
	eng.mu.Unlock()
	_, err = p.call(ctx, "Input.insertText", map[string]any{"text": "那2021年呢？"})
	must(err)
	must(p.key(ctx, "Enter", 13, 0))
	must(p.waitFor(ctx, "the second answer", `document.querySelectorAll("#conversation .msg.answer.not-found").length === 1`))
	shot("followup.png")
	q := eng.lastQuestion(t)
	if q.Text != "那2021年呢？" || len(q.History) != 2 ||
		q.History[0] != (rag.Turn{Role: "user", Content: "2020年渔门镇调解了多少件矛盾纠纷？"}) ||
		q.History[1] != (rag.Turn{Role: "assistant", Content: yumenAnswer().Answer}) {
		t.Errorf("follow-up reached the engine as %+v, want the first turn as history", q)
	}

	// The data tab: a table from /v1/facts, a town filter, a CSV link.
	must(p.eval(ctx, `document.getElementById("tab-facts").click()`, nil))
	must(p.waitFor(ctx, "the facts table", `document.querySelectorAll("#facts-table tbody tr").length === 2`))
	must(p.eval(ctx, `(function(){ var i = document.getElementById("facts-town"); i.value = "渔门镇";
		i.dispatchEvent(new Event("input")); document.querySelector("#facts-form button[type=submit]").click(); })()`, nil))
	must(p.waitFor(ctx, "the filtered facts request", `document.getElementById("facts-status").textContent.includes("共")`))
	shot("facts.png")
	var csvHref string
	must(p.eval(ctx, `document.getElementById("facts-csv").getAttribute("href")`, &csvHref))
	if !strings.Contains(csvHref, "format=csv") || !strings.Contains(csvHref, "town=%E6%B8%94%E9%97%A8%E9%95%87") {
		t.Errorf("CSV link = %q, want format=csv and the town filter", csvHref)
	}
	eng.mu.Lock()
	lastFilter := eng.filters[len(eng.filters)-1]
	eng.mu.Unlock()
	if lastFilter.Town != "渔门镇" {
		t.Errorf("facts filter = %+v, want town 渔门镇", lastFilter)
	}

	// The reports tab lists /v1/documents.
	must(p.eval(ctx, `document.getElementById("tab-docs").click()`, nil))
	must(p.waitFor(ctx, "the reports table", `document.querySelector("#docs-table tbody") &&
		document.querySelector("#docs-table tbody").textContent.includes("渔门镇2020年度法治政府建设工作报告") &&
		document.querySelector("#docs-table tbody").textContent.includes("四川省攀枝花市") &&
		document.querySelector("#docs-table tbody").textContent.includes("乡镇/街道") &&
		document.querySelector("#docs-table tbody").textContent.includes("又称广内街道")`))
	shot("reports.png")

	// Nothing left this server.
	seen := w.seenPaths()
	allowed := map[string]bool{
		"GET /": true, "GET /app.js": true, "GET /style.css": true, "GET /favicon.svg": true,
		"POST /v1/ask": true, "GET /v1/facts": true, "GET /v1/documents": true, "GET /v1/table/metrics": true,
	}
	for _, s := range seen {
		if !allowed[s] {
			t.Errorf("server saw a request for %q, which the page should not make", s)
		}
	}
	for _, want := range []string{"GET /", "GET /app.js", "GET /style.css", "POST /v1/ask", "GET /v1/facts", "GET /v1/documents"} {
		if !contains(seen, want) {
			t.Errorf("server never saw %q; saw %q", want, seen)
		}
	}
	w.checkOffline(t, srv.URL)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestWebPageAPIKey drives the page against a server that requires an
// API key: the first question is refused and the page asks for the key;
// once given, the question is answered, and the key goes with every
// request after it, the CSV download too.
func TestWebPageAPIKey(t *testing.T) {
	ctx := browserTestContext(t)
	const key = "page-key-0123456789abcdef"
	eng := &fakeEngine{answer: yumenAnswer(), facts: sampleFacts()}
	api := newTestServer(t, eng, httpapi.Config{APIKeys: map[string]string{key: "page"}, RequireAPIKey: true})
	var mu sync.Mutex
	auth := map[string][]string{} // path → Authorization headers seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth[r.Method+" "+r.URL.Path] = append(auth[r.Method+" "+r.URL.Path], r.Header.Get("Authorization"))
		mu.Unlock()
		api.ServeHTTP(w, r)
	}))
	defer srv.Close()

	p, must := openPage(ctx, t, func(cdpMessage) {})
	var err error
	_, err = p.call(ctx, "Page.navigate", map[string]any{"url": srv.URL + "/"})
	must(err)
	must(p.waitFor(ctx, "the page to load", `document.readyState === "complete" && document.getElementById("question")`))
	var hidden bool
	must(p.eval(ctx, `document.getElementById("key-form").hidden`, &hidden))
	if !hidden {
		t.Error("the key form shows before any request was refused")
	}

	askQuestion := func() {
		t.Helper()
		must(p.eval(ctx, `document.getElementById("question").focus()`, nil))
		_, err := p.call(ctx, "Input.insertText", map[string]any{"text": "2020年渔门镇调解了多少件矛盾纠纷？"})
		must(err)
		must(p.key(ctx, "Enter", 13, 0))
	}
	askQuestion()
	must(p.waitFor(ctx, "the key form", `!document.getElementById("key-form").hidden &&
		document.getElementById("key-status").textContent.includes("API key")`))
	if n := eng.questionCount(); n != 0 {
		t.Fatalf("the engine was asked %d times without a key, want 0", n)
	}
	must(p.eval(ctx, `document.getElementById("api-key").value = "`+key+`";
		document.getElementById("key-form").requestSubmit()`, nil))
	must(p.waitFor(ctx, "the key form to close", `document.getElementById("key-form").hidden`))
	askQuestion()
	must(p.waitFor(ctx, "the answer", `document.querySelector("#conversation .msg.answer:not(.pending)") &&
		document.getElementById("conversation").textContent.includes("368")`))

	must(p.eval(ctx, `document.getElementById("tab-facts").click()`, nil))
	must(p.waitFor(ctx, "the facts table", `document.querySelectorAll("#facts-table tbody tr").length === 2`))
	must(p.eval(ctx, `document.getElementById("facts-csv").click()`, nil))
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(auth["GET /v1/facts"])
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	asks := auth["POST /v1/ask"]
	if len(asks) != 2 || asks[0] != "" || asks[1] != "Bearer "+key {
		t.Errorf("POST /v1/ask Authorization headers = %q, want none, then the key", asks)
	}
	facts := auth["GET /v1/facts"]
	if len(facts) != 2 || facts[0] != "Bearer "+key || facts[1] != "Bearer "+key {
		t.Errorf("GET /v1/facts (table, then CSV) Authorization headers = %q, want the key both times", facts)
	}
}
