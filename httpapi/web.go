package httpapi

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// webFiles is the chat page: plain HTML, CSS and JavaScript, no build step
// and nothing loaded from elsewhere.
//
//go:embed web
var webFiles embed.FS

// webRoot is webFiles with the web/ prefix removed.
var webRoot = mustSub(webFiles, "web")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant and embedded at build time
	}
	return sub
}

// handleWeb serves the page at / and its assets; any other path is a JSON
// 404.
func (s *Server) handleWeb(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" {
		name = "index.html"
	}
	st, err := fs.Stat(webRoot, name)
	if err != nil || st.IsDir() || name == "index.html" && r.URL.Path != "/" {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, webRoot, name)
}
