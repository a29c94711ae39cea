package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// requireAdmin guards a write endpoint with the admin bearer token.
//
//   - no token configured: 403, writes are disabled;
//   - no or malformed Authorization header: 401 with WWW-Authenticate;
//   - wrong token: 401 with WWW-Authenticate: Bearer error="invalid_token"
//     (RFC 6750 §3.1: an invalid token is 401, 403 is for insufficient
//     scope, which this API does not have).
func (s *Server) requireAdmin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.AdminToken == "" {
			writeError(w, http.StatusForbidden, "write endpoints are disabled: set FAZHI_ADMIN_TOKEN")
			return
		}
		token, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fazhi"`)
			writeError(w, http.StatusUnauthorized, "missing bearer token")
			return
		}
		if !tokensEqual(token, s.cfg.AdminToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fazhi", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "invalid bearer token")
			return
		}
		next(w, r)
	}
}

// bearerToken extracts the token from an "Authorization: Bearer <token>"
// header value. The scheme is case-insensitive.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// tokensEqual compares in constant time. Hashing first makes the
// comparison independent of the lengths, which would otherwise leak.
func tokensEqual(got, want string) bool {
	g := sha256.Sum256([]byte(got))
	h := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], h[:]) == 1
}
