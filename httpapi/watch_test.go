package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// pageWatch records, for a browser test, what the server was asked for,
// every URL the page requested, and what the browser complained about
// (console errors and warnings, exceptions, CSP violations, failed loads).
type pageWatch struct {
	mu        sync.Mutex
	seen      []string // METHOD path, as the server saw them
	requested []string // URLs the page asked the network for
	problems  []string
}

// serve starts a test server for h that records the requests it sees.
func (w *pageWatch) serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		w.seen = append(w.seen, r.Method+" "+r.URL.Path)
		w.mu.Unlock()
		h.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// onEvent is the browser's event callback.
func (w *pageWatch) onEvent(m cdpMessage) {
	switch m.Method {
	case "Network.requestWillBeSent":
		var ev struct {
			Request struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		if json.Unmarshal(m.Params, &ev) == nil {
			w.mu.Lock()
			w.requested = append(w.requested, ev.Request.URL)
			w.mu.Unlock()
		}
	case "Log.entryAdded", "Runtime.exceptionThrown":
		w.mu.Lock()
		w.problems = append(w.problems, m.Method+": "+string(m.Params))
		w.mu.Unlock()
	case "Runtime.consoleAPICalled":
		var ev struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(m.Params, &ev) == nil && (ev.Type == "error" || ev.Type == "warning") {
			w.mu.Lock()
			w.problems = append(w.problems, "console "+ev.Type+": "+string(m.Params))
			w.mu.Unlock()
		}
	}
}

// seenPaths returns what the server saw so far.
func (w *pageWatch) seenPaths() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.seen...)
}

// checkOffline fails the test when the page requested anything from
// another origin than base or the browser reported a problem.
func (w *pageWatch) checkOffline(t *testing.T, base string) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.requested) == 0 {
		t.Error("no network events recorded: the offline check would prove nothing")
	}
	for _, u := range w.requested {
		if !strings.HasPrefix(u, base+"/") {
			t.Errorf("page requested %q, which is not this server (%s)", u, base)
		}
	}
	for _, p := range w.problems {
		t.Errorf("browser reported a problem: %s", p)
	}
}

// openWatchedPage starts Chromium and opens a page as openPage does, with
// the network, page, runtime and log domains on and their events reported
// to w.
func openWatchedPage(ctx context.Context, t *testing.T, w *pageWatch) (*page, func(error)) {
	t.Helper()
	p, must := openPage(ctx, t, w.onEvent)
	for _, m := range []string{"Network.enable", "Page.enable", "Runtime.enable", "Log.enable"} {
		_, err := p.call(ctx, m, nil)
		must(err)
	}
	return p, must
}
