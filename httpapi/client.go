package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParsePrefixes parses a comma-separated list of CIDR prefixes or bare
// addresses (taken as /32 or /128). "none" or "" is the empty list.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "none") {
		return nil, nil
	}
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix", f)
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR prefix: %w", f, err)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(0, p.Bits()-96))
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// ParseAPIKeys reads an API key file: one "name:key" a line, blank lines
// and lines starting with # skipped. It returns key → name. Errors name
// the file and line (never the key).
func ParseAPIKeys(file string, r io.Reader) (map[string]string, error) {
	keys := map[string]string{}
	names := map[string]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, key, ok := strings.Cut(line, ":")
		name, key = strings.TrimSpace(name), strings.TrimSpace(key)
		switch {
		case !ok || name == "" || key == "":
			return nil, fmt.Errorf("%s:%d: want name:key", file, n)
		case len(key) < MinAPIKeyLen:
			return nil, fmt.Errorf("%s:%d: the key of %q is shorter than %d characters", file, n, name, MinAPIKeyLen)
		case strings.ContainsAny(key, " \t"):
			return nil, fmt.Errorf("%s:%d: the key of %q contains a space", file, n, name)
		case names[name] != 0:
			return nil, fmt.Errorf("%s:%d: name %q already used on line %d", file, n, name, names[name])
		case keys[key] != "":
			return nil, fmt.Errorf("%s:%d: the key of %q is also %q's", file, n, name, keys[key])
		}
		names[name] = n
		keys[key] = name
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no name:key line", file)
	}
	return keys, nil
}

// MinAPIKeyLen is the shortest API key accepted, so that keys cannot be
// guessed.
const MinAPIKeyLen = 16

// client is who a request is attributed to, for the per-client limits.
type client struct {
	id    string // "key:NAME", "admin", or an address (an IPv6 one as its /64)
	key   bool   // id is an API key's (or the admin token's)
	local bool   // a loopback peer with no forwarding header: a local tool
}

// refusal is why a request was refused before reaching its handler.
type refusal struct {
	status int
	reason string // the fazhi_http_refusals_total label
	msg    string
}

// identify says who r comes from. With API keys configured, a bearer
// token is the client (a wrong one is refused); without, it is ignored
// (chat front ends send a placeholder). Otherwise the client is the peer
// address or, from a trusted proxy, the address it forwards.
func (s *Server) identify(r *http.Request) (client, *refusal) {
	if len(s.cfg.APIKeys) > 0 {
		if token, ok := bearerToken(r.Header.Get("Authorization")); ok {
			if s.cfg.AdminToken != "" && tokensEqual(token, s.cfg.AdminToken) {
				return client{id: "admin", key: true}, nil
			}
			if name, ok := s.keyName(token); ok {
				return client{id: "key:" + name, key: true}, nil
			}
			return client{}, &refusal{http.StatusUnauthorized, reasonAPIKey, "invalid API key"}
		}
	}
	if s.cfg.RequireAPIKey {
		return client{}, &refusal{http.StatusUnauthorized, reasonAPIKey, "an API key is required: send Authorization: Bearer KEY"}
	}
	peer := remoteAddr(r)
	_, hasXFF := r.Header["X-Forwarded-For"]
	_, hasXRI := r.Header["X-Real-Ip"]
	if !hasXFF && !hasXRI {
		return client{id: addrKey(peer), local: peer.IsValid() && peer.IsLoopback()}, nil
	}
	if !s.trusted(peer) {
		return client{id: addrKey(peer)}, nil
	}
	return client{id: addrKey(s.forwardedFor(r, peer))}, nil
}

// keyName finds the name of an API key, comparing in constant time.
func (s *Server) keyName(token string) (string, bool) {
	found := ""
	for k, name := range s.cfg.APIKeys {
		if tokensEqual(token, k) {
			found = name
		}
	}
	return found, found != ""
}

// forwardedFor is the client a trusted proxy at peer forwards: the
// rightmost X-Forwarded-For address that is not itself a trusted proxy,
// then X-Real-IP. When every hop is trusted it is the leftmost; when a
// hop does not parse, the trusted hop that passed it on answers for it.
func (s *Server) forwardedFor(r *http.Request, peer netip.Addr) netip.Addr {
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	if len(hops) == 0 {
		if a, ok := parseHop(r.Header.Get("X-Real-IP")); ok {
			return a
		}
		return peer
	}
	last := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			return last
		}
		if !s.trusted(a) {
			return a
		}
		last = a
	}
	return last
}

// parseHop parses one forwarded address, with or without a port or
// brackets.
func parseHop(h string) (netip.Addr, bool) {
	h = strings.TrimSpace(h)
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// trusted reports whether a is one of the trusted proxies.
func (s *Server) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// remoteAddr is the peer address of r's connection (invalid if it does
// not parse, as with some test requests).
func remoteAddr(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// addrKey is the limiter key of an address: an IPv4 address itself, an
// IPv6 one its /64, since one host commonly holds a whole /64.
func addrKey(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	if a.Is6() && !a.IsLoopback() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
