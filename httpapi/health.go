package httpapi

import (
	"fmt"
	"io"
	"net/http"
)

// handleStats serves GET /v1/stats.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.eng.Stats(r.Context())
	if err != nil {
		s.engineError(w, r, "stats", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// handleHealthz serves GET /healthz: the process is up.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// handleReadyz serves GET /readyz: the Engine can reach its store.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if _, err := s.eng.Stats(r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		writeError(w, http.StatusServiceUnavailable, "not ready")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ready\n")
}

// handleMetrics serves GET /metrics in the Prometheus text format.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if err := s.metrics.write(w); err != nil || s.cfg.ExpensiveInUse == nil {
		return
	}
	running, queued := s.cfg.ExpensiveInUse()
	header(w, "fazhi_expensive_questions", "gauge", "Expensive questions (LLM answers, totals over many reports) being answered and waiting for a turn.")
	fmt.Fprintf(w, "fazhi_expensive_questions{state=\"running\"} %d\nfazhi_expensive_questions{state=\"queued\"} %d\n", running, queued)
}
