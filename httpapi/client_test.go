package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestIdentify(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	keys := map[string]string{"reader-key-0123456789": "office"}
	tests := []struct {
		name    string
		cfg     Config
		remote  string
		header  map[string][]string
		want    client
		refused string // the refusal's reason, if refused
	}{
		{"peer address", Config{TrustedProxies: proxies}, "192.0.2.7:5000", nil, client{id: "192.0.2.7"}, ""},
		{"loopback without forwarding header is local", Config{}, "127.0.0.1:5000", nil, client{id: "127.0.0.1", local: true}, ""},
		{"IPv6 loopback is local", Config{}, "[::1]:5000", nil, client{id: "::1", local: true}, ""},
		{"IPv6 client by its /64", Config{}, "[2001:db8:1:2:aaaa::1]:5000", nil, client{id: "2001:db8:1:2::/64"}, ""},
		{"IPv4-mapped peer", Config{}, "[::ffff:192.0.2.9]:5000", nil, client{id: "192.0.2.9"}, ""},
		{"untrusted peer's header ignored", Config{TrustedProxies: proxies}, "192.0.2.7:5000",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, client{id: "192.0.2.7"}, ""},
		{"untrusted loopback with a header is not local", Config{}, "127.0.0.1:5000",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, client{id: "127.0.0.1"}, ""},
		{"trusted proxy: its forwarded client", Config{TrustedProxies: proxies}, "127.0.0.1:5000",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, client{id: "198.51.100.1"}, ""},
		{"rightmost untrusted hop, not a forged leftmost one", Config{TrustedProxies: proxies}, "127.0.0.1:5000",
			map[string][]string{"X-Forwarded-For": {"203.0.113.66, 198.51.100.1, 10.1.2.3"}}, client{id: "198.51.100.1"}, ""},
		{"several header lines read as one list", Config{TrustedProxies: proxies}, "127.0.0.1:5000",
			map[string][]string{"X-Forwarded-For": {"203.0.113.66", "198.51.100.1:4444"}}, client{id: "198.51.100.1"}, ""},
		{"every hop trusted: the leftmost", Config{TrustedProxies: proxies}, "127.0.0.1:5000",
			map[string][]string{"X-Forwarded-For": {"10.9.9.9, 10.1.2.3"}}, client{id: "10.9.9.9"}, ""},
		{"a hop that does not parse: the proxy that passed it", Config{TrustedProxies: proxies}, "127.0.0.1:5000",
			map[string][]string{"X-Forwarded-For": {"unknown, 10.1.2.3"}}, client{id: "10.1.2.3"}, ""},
		{"X-Real-IP when there is no X-Forwarded-For", Config{TrustedProxies: proxies}, "127.0.0.1:5000",
			map[string][]string{"X-Real-Ip": {"198.51.100.2"}}, client{id: "198.51.100.2"}, ""},
		{"X-Real-IP that does not parse: the proxy", Config{TrustedProxies: proxies}, "127.0.0.1:5000",
			map[string][]string{"X-Real-Ip": {"nonsense"}}, client{id: "127.0.0.1"}, ""},
		{"API key is the client", Config{APIKeys: keys}, "192.0.2.7:5000",
			map[string][]string{"Authorization": {"Bearer reader-key-0123456789"}}, client{id: "key:office", key: true}, ""},
		{"admin token is a client of its own", Config{APIKeys: keys, AdminToken: "admin-token-0123456789"}, "192.0.2.7:5000",
			map[string][]string{"Authorization": {"Bearer admin-token-0123456789"}}, client{id: "admin", key: true}, ""},
		{"unknown API key refused", Config{APIKeys: keys}, "192.0.2.7:5000",
			map[string][]string{"Authorization": {"Bearer reader-key-0123456780"}}, client{}, reasonAPIKey},
		{"bearer ignored without keys", Config{}, "192.0.2.7:5000",
			map[string][]string{"Authorization": {"Bearer sk-placeholder"}}, client{id: "192.0.2.7"}, ""},
		{"key required, none sent", Config{APIKeys: keys, RequireAPIKey: true}, "127.0.0.1:5000", nil, client{}, reasonAPIKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(nil, tt.cfg, nil)
			r := httptest.NewRequest(http.MethodPost, "/v1/ask", strings.NewReader("{}"))
			r.RemoteAddr = tt.remote
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			got, ref := s.identify(r)
			switch {
			case tt.refused != "":
				if ref == nil || ref.reason != tt.refused || ref.status != http.StatusUnauthorized {
					t.Errorf("got %+v refusal %+v, want a 401 refusal for %s", got, ref, tt.refused)
				}
			case ref != nil:
				t.Errorf("refused (%+v), want %+v", ref, tt.want)
			case got != tt.want:
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParsePrefixes(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{"", "", ""},
		{"none", "", ""},
		{"127.0.0.1/32, 10.0.0.0/8", "127.0.0.1/32 10.0.0.0/8", ""},
		{"192.0.2.1", "192.0.2.1/32", ""},
		{"::1", "::1/128", ""},
		{"10.1.2.3/8", "10.0.0.0/8", ""},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8", ""},
		{"10.0.0.0/33", "", `"10.0.0.0/33" is not a CIDR prefix`},
		{"proxy.local", "", `"proxy.local" is neither an address nor a CIDR prefix`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ps, err := ParsePrefixes(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, %v; want an error containing %q", ps, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("got %v, want %s", got, tt.want)
			}
		})
	}
}

func TestParseAPIKeys(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string]string
		wantErr    string
	}{
		{"keys, comments, blanks and colons in keys", "# readers\n\noffice: 0123456789abcdef\nwebui:ab:cd:0123456789abcdef\n",
			map[string]string{"0123456789abcdef": "office", "ab:cd:0123456789abcdef": "webui"}, ""},
		{"no colon", "office 0123456789abcdef\n", nil, "keys.txt:1: want name:key"},
		{"empty name", "\n:0123456789abcdef\n", nil, "keys.txt:2: want name:key"},
		{"short key", "office:short\n", nil, `keys.txt:1: the key of "office" is shorter than 16`},
		{"space in key", "office:0123456789 abcdef\n", nil, `keys.txt:1: the key of "office" contains a space`},
		{"name twice", "a:0123456789abcdef\na:fedcba9876543210\n", nil, `keys.txt:2: name "a" already used on line 1`},
		{"key twice", "a:0123456789abcdef\nb:0123456789abcdef\n", nil, `keys.txt:2: the key of "b" is also "a"'s`},
		{"no keys", "# none yet\n", nil, "keys.txt: no name:key line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAPIKeys("keys.txt", strings.NewReader(tt.text))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, %v; want an error containing %q", got, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "0123456789") {
					t.Errorf("the error %q shows a key", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("key %q: got name %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
