package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// durationBuckets are the upper bounds (seconds) of the request duration
// histogram: fast JSON endpoints on the left, LLM answers on the right.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// requestKey labels fazhi_http_requests_total.
type requestKey struct {
	route, method string
	code          int
}

// histogram is one route's duration histogram; counts[i] is the number of
// observations <= durationBuckets[i] (not cumulative until written).
type histogram struct {
	counts []uint64
	sum    float64
	count  uint64
}

// metrics holds the counters exposed on /metrics, written by hand in the
// Prometheus text exposition format.
type metrics struct {
	mu        sync.Mutex
	requests  map[requestKey]uint64
	durations map[string]*histogram
	answers   [2]uint64 // [found=false, found=true]
	ingested  uint64
	refusals  map[string]uint64 // by reason
}

func newMetrics() *metrics {
	return &metrics{
		requests:  make(map[requestKey]uint64),
		durations: make(map[string]*histogram),
		refusals:  map[string]uint64{reasonRate: 0, reasonBusy: 0, reasonAPIKey: 0},
	}
}

// refuse counts one request refused for reason.
func (m *metrics) refuse(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refusals[reason]++
}

// observeRequest counts one finished request.
func (m *metrics) observeRequest(route, method string, code int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{route, methodLabel(method), code}]++
	h := m.durations[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(durationBuckets))}
		m.durations[route] = h
	}
	sec := d.Seconds()
	for i, ub := range durationBuckets {
		if sec <= ub {
			h.counts[i]++
			break
		}
	}
	h.sum += sec
	h.count++
}

// countAnswer counts one answer given, found or not.
func (m *metrics) countAnswer(found bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if found {
		m.answers[1]++
	} else {
		m.answers[0]++
	}
}

// addIngested counts n newly ingested reports.
func (m *metrics) addIngested(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ingested += uint64(n)
}

// methodLabel keeps the method label's values to a fixed set, since a
// client can send any method name.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return method
	}
	return "OTHER"
}

// write renders all metrics, series sorted for stable output.
func (m *metrics) write(w io.Writer) error {
	m.mu.Lock()
	reqKeys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		reqKeys = append(reqKeys, k)
	}
	reqs := make(map[requestKey]uint64, len(m.requests))
	for k, v := range m.requests {
		reqs[k] = v
	}
	routes := make([]string, 0, len(m.durations))
	hists := make(map[string]histogram, len(m.durations))
	for r, h := range m.durations {
		routes = append(routes, r)
		hists[r] = histogram{counts: append([]uint64(nil), h.counts...), sum: h.sum, count: h.count}
	}
	answers, ingested := m.answers, m.ingested
	reasons := make([]string, 0, len(m.refusals))
	refusals := make(map[string]uint64, len(m.refusals))
	for r, n := range m.refusals {
		reasons = append(reasons, r)
		refusals[r] = n
	}
	m.mu.Unlock()
	sort.Strings(reasons)

	sort.Slice(reqKeys, func(i, j int) bool {
		a, b := reqKeys[i], reqKeys[j]
		if a.route != b.route {
			return a.route < b.route
		}
		if a.method != b.method {
			return a.method < b.method
		}
		return a.code < b.code
	})
	sort.Strings(routes)

	bw := bufio.NewWriter(w)
	header(bw, "fazhi_http_requests_total", "counter", "HTTP requests served, by route pattern, method and status code.")
	for _, k := range reqKeys {
		fmt.Fprintf(bw, "fazhi_http_requests_total{route=%s,method=%s,code=\"%d\"} %d\n",
			labelValue(k.route), labelValue(k.method), k.code, reqs[k])
	}
	header(bw, "fazhi_http_request_duration_seconds", "histogram", "Time to serve an HTTP request, by route pattern.")
	for _, r := range routes {
		h := hists[r]
		lv := labelValue(r)
		var cum uint64
		for i, ub := range durationBuckets {
			cum += h.counts[i]
			fmt.Fprintf(bw, "fazhi_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n",
				lv, strconv.FormatFloat(ub, 'g', -1, 64), cum)
		}
		fmt.Fprintf(bw, "fazhi_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", lv, h.count)
		fmt.Fprintf(bw, "fazhi_http_request_duration_seconds_sum{route=%s} %s\n", lv, strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(bw, "fazhi_http_request_duration_seconds_count{route=%s} %d\n", lv, h.count)
	}
	header(bw, "fazhi_answers_total", "counter", "Answers given, by whether the reports stated what was asked.")
	fmt.Fprintf(bw, "fazhi_answers_total{found=\"false\"} %d\n", answers[0])
	fmt.Fprintf(bw, "fazhi_answers_total{found=\"true\"} %d\n", answers[1])
	header(bw, "fazhi_reports_ingested_total", "counter", "Reports ingested (new or replaced) since the process started.")
	fmt.Fprintf(bw, "fazhi_reports_ingested_total %d\n", ingested)
	header(bw, "fazhi_http_refusals_total", "counter", "Requests refused before an answer: rate_limit (the client's budget is spent), busy (too many expensive questions at once), api_key (missing or unknown API key).")
	for _, r := range reasons {
		fmt.Fprintf(bw, "fazhi_http_refusals_total{reason=%s} %d\n", labelValue(r), refusals[r])
	}
	return bw.Flush()
}

func header(w io.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// labelValue quotes a label value, escaping \, " and newlines as the text
// format requires.
func labelValue(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(v) + `"`
}
