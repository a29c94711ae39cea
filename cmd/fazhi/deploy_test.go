package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// deployDir holds the shipped deployment files.
var deployDir = filepath.Join("..", "..", "deploy")

// needTool returns the path of a program the test needs. Without it the
// test fails in CI (.ci/run installs it) and is skipped elsewhere.
func needTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin"} {
			if p := filepath.Join(dir, name); isExecutable(p) {
				return p
			}
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed: .ci/run should install Debian's %s", name, debianPackage)
		}
		t.Skipf("%s is not installed (apt-get install %s); CI installs it", name, debianPackage)
	}
	return path
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// freePort returns a loopback TCP port nobody listens on (just now).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// selfSignedCert writes a certificate for 127.0.0.1 and its key into dir
// and returns their paths and a pool that trusts the certificate.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fazhi.example.org"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"fazhi.example.org"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// replaceOnce replaces old by new in text, failing the test unless old
// occurs exactly once: the shipped file and the test must agree on it.
func replaceOnce(t *testing.T, file, text, old, new string) string {
	t.Helper()
	if n := strings.Count(text, old); n != 1 {
		t.Fatalf("%s holds %q %d times, want once: the test runs that file with its ports and paths replaced", file, old, n)
	}
	return strings.Replace(text, old, new, 1)
}

// proxy is a Debian nginx running the shipped site file.
type proxy struct {
	url  string         // https://127.0.0.1:PORT
	pool *x509.CertPool // trusts its certificate
	log  string         // its error log file
}

// startNginx runs nginx, as a child of the test, with deploy/nginx/
// fazhi.conf in front of the fazhi at upstream (host:port): the same
// file with only its listen ports, upstream address, certificate and
// log paths replaced.
func startNginx(t *testing.T, upstream string) *proxy {
	t.Helper()
	nginx := needTool(t, "nginx", "nginx")
	dir := t.TempDir()
	sitePath := filepath.Join(deployDir, "nginx", "fazhi.conf")
	raw, err := os.ReadFile(sitePath)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, pool := selfSignedCert(t, dir)
	tlsPort, plainPort := freePort(t), freePort(t)
	site := string(raw)
	for _, r := range [][2]string{
		{"server 127.0.0.1:8080;", "server " + upstream + ";"},
		{"listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", plainPort)},
		{"listen [::]:80;", ""},
		{"listen 443 ssl http2;", fmt.Sprintf("listen 127.0.0.1:%d ssl http2;", tlsPort)},
		{"listen [::]:443 ssl http2;", ""},
		{"/etc/ssl/certs/fazhi.example.org.pem", certFile},
		{"/etc/ssl/private/fazhi.example.org.key", keyFile},
		{"/var/log/nginx/fazhi.access.log", filepath.Join(dir, "access.log")},
		{"/var/log/nginx/fazhi.error.log", filepath.Join(dir, "error.log")},
	} {
		site = replaceOnce(t, sitePath, site, r[0], r[1])
	}
	writeFile(t, filepath.Join(dir, "fazhi.conf"), []byte(site))
	user := ""
	if os.Geteuid() == 0 {
		user = "user root root;" // its workers write temp files in dir
	}
	var temps strings.Builder
	for _, k := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&temps, "    %s_temp_path %s;\n", k, filepath.Join(dir, k))
	}
	conf := fmt.Sprintf(`%s
worker_processes 1;
pid %s;
error_log %s info;
events { worker_connections 512; }
http {
    include /etc/nginx/mime.types;
%s    include %s;
}
`, user, filepath.Join(dir, "nginx.pid"), filepath.Join(dir, "main-error.log"), temps.String(), filepath.Join(dir, "fazhi.conf"))
	confPath := filepath.Join(dir, "nginx.conf")
	writeFile(t, confPath, []byte(conf))

	cmd := exec.Command(nginx, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "startup-error.log"), "-g", "daemon off;")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT) // graceful stop
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	p := &proxy{url: fmt.Sprintf("https://127.0.0.1:%d", tlsPort), pool: pool, log: filepath.Join(dir, "error.log")}
	deadline := time.Now().Add(startBound)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", tlsPort), time.Second)
		if err == nil {
			c.Close()
			return p
		}
		select {
		case err := <-exited:
			logs, _ := os.ReadFile(filepath.Join(dir, "startup-error.log"))
			t.Fatalf("nginx exited (%v) before listening:\n%s\n%s\nsite file:\n%s", err, &out, logs, site)
		case <-time.After(pollEvery):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen on %d after %v:\n%s", tlsPort, startBound, &out)
		}
	}
}

// client returns an HTTP client whose connections to the proxy come from
// the loopback address from (127.0.0.2, 127.0.0.3, …): a person of its
// own, as far as nginx can tell.
func (p *proxy) client(from string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:     d.DialContext,
			TLSClientConfig: &tls.Config{RootCAs: p.pool},
		},
	}
}

// askVia asks a question through the proxy; it returns the status, the
// answer (on 200) and the Retry-After header.
func (p *proxy) askVia(c *http.Client, question string) (status int, answer string, retryAfter string, err error) {
	body, _ := json.Marshal(map[string]string{"question": question})
	resp, err := c.Post(p.url+"/v1/ask", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", "", err
	}
	var a struct {
		Answer string `json:"answer"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, &a); err != nil {
			return resp.StatusCode, "", "", fmt.Errorf("%w: %s", err, data)
		}
	}
	return resp.StatusCode, a.Answer, resp.Header.Get("Retry-After"), nil
}

// TestDeployNginx runs Debian's nginx with the shipped site file in front
// of `fazhi serve --trusted-proxies 127.0.0.1/32` (otherwise its
// defaults). People at different addresses each get a budget of their
// own: one far over it gets 429s with Retry-After while the others are
// all answered; /metrics counts the refusals; a streamed chat completes
// through the proxy.
func TestDeployNginx(t *testing.T) {
	skipShort(t)
	bin := buildBinary(t)
	s := startServe(t, bin, nil, "--data", t.TempDir(), "--trusted-proxies", "127.0.0.1/32")
	s.waitReports(t, 5, startBound)
	p := startNginx(t, strings.TrimPrefix(s.url, "http://"))

	var qs []seedQA
	for _, q := range seedQuestions(t) {
		if len(q.Must) > 0 {
			qs = append(qs, q)
		}
	}
	const (
		hogAddr   = "127.0.0.2"
		hogAsks   = 150 // over the default budget of 60 at once
		others    = 5   // 127.0.0.3 …
		otherAsks = 30  // within it
	)
	type tally struct {
		ok, refused int
		badRetry    []string
		failed      []string
	}
	var mu sync.Mutex
	tallies := map[string]*tally{}
	var wg sync.WaitGroup
	run := func(addr string, n int) {
		defer wg.Done()
		c := p.client(addr)
		tl := &tally{}
		for i := range n {
			q := qs[i%len(qs)]
			status, answer, retry, err := p.askVia(c, q.Question)
			switch {
			case err != nil:
				tl.failed = append(tl.failed, err.Error())
			case status == http.StatusTooManyRequests:
				tl.refused++
				if secs, err := strconv.Atoi(retry); err != nil || secs < 1 {
					tl.badRetry = append(tl.badRetry, retry)
				}
			case status != http.StatusOK:
				tl.failed = append(tl.failed, fmt.Sprintf("status %d", status))
			default:
				tl.ok++
				if !strings.Contains(answer, q.Must[0]) {
					tl.failed = append(tl.failed, fmt.Sprintf("%q: answer %q lacks %q", q.Question, answer, q.Must[0]))
				}
			}
		}
		mu.Lock()
		tallies[addr] = tl
		mu.Unlock()
	}
	start := time.Now()
	wg.Add(1)
	go run(hogAddr, hogAsks)
	for i := range others {
		wg.Add(1)
		go run(fmt.Sprintf("127.0.0.%d", 3+i), otherAsks)
	}
	wg.Wait()
	elapsed := time.Since(start)

	hog := tallies[hogAddr]
	if len(hog.failed) > 0 {
		t.Errorf("%s: %d requests failed other than by 429, e.g. %s", hogAddr, len(hog.failed), hog.failed[0])
	}
	// A budget of 60 at once and one more a second.
	maxOK := 60 + int(elapsed.Seconds()) + 1
	if hog.refused == 0 || hog.ok < 60 || hog.ok > maxOK {
		t.Errorf("%s asked %d times in %v: %d answered, %d refused; want 60 to %d answered and the rest refused",
			hogAddr, hogAsks, elapsed.Round(time.Millisecond), hog.ok, hog.refused, maxOK)
	}
	if len(hog.badRetry) > 0 {
		t.Errorf("%s: %d refusals without a Retry-After of whole seconds, e.g. %q", hogAddr, len(hog.badRetry), hog.badRetry[0])
	}
	for i := range others {
		addr := fmt.Sprintf("127.0.0.%d", 3+i)
		tl := tallies[addr]
		if tl.ok != otherAsks || tl.refused != 0 || len(tl.failed) > 0 {
			t.Errorf("%s, within its budget beside %s: %d of %d answered, %d refused, failures %q", addr, hogAddr, tl.ok, otherAsks, tl.refused, tl.failed)
		}
	}
	t.Logf("through nginx in %v: %s answered %d and was refused %d times; %d others each asked %d",
		elapsed.Round(time.Millisecond), hogAddr, hog.ok, hog.refused, others, otherAsks)

	t.Run("metrics count the refusals", func(t *testing.T) {
		_, body, err := s.do(context.Background(), http.MethodGet, "/metrics", "", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("fazhi_http_refusals_total{reason=\"rate_limit\"} %d\n", hog.refused)
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, grepLines(string(body), "refusals"))
		}
		// From outside, through nginx, there are no metrics to read.
		resp, err := p.client("127.0.0.9").Get(p.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET /metrics through nginx: status %d, want 403", resp.StatusCode)
		}
	})

	t.Run("the log names the forwarded clients", func(t *testing.T) {
		for _, addr := range []string{hogAddr, "127.0.0.3"} {
			if want := `"client":"` + addr + `"`; !strings.Contains(s.stderr.String(), want) {
				t.Errorf("the server log has no request with %s", want)
			}
		}
	})

	t.Run("stream", func(t *testing.T) {
		events, header := p.chatStream(t, p.client("127.0.0.10"), seedDisputesQuestion, nil)
		if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
			t.Errorf("Content-Type through nginx = %q, want text/event-stream", ct)
		}
		checkStreamAnswer(t, events, seedDisputesFigure)
	})
}

// chatStream posts a streamed chat question through the proxy and reads
// the stream line by line. It returns the data events and the response
// headers; onComment, if set, is called for each comment line as it
// arrives.
func (p *proxy) chatStream(t *testing.T, c *http.Client, question string, onComment func(string)) ([]string, http.Header) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"model": "fazhi", "stream": true,
		"messages": []map[string]string{{"role": "user", "content": question}},
	})
	resp, err := c.Post(p.url+"/v1/chat/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST /v1/chat/completions through nginx: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		logs, _ := os.ReadFile(p.log)
		t.Fatalf("POST /v1/chat/completions through nginx: status %d: %s\nnginx error log:\n%s", resp.StatusCode, data, logs)
	}
	return readStream(t, resp.Body, onComment), resp.Header
}

// readStream reads a server-sent event stream and returns its data
// events; onComment, if set, is called for each comment line as it
// arrives.
func readStream(t *testing.T, r io.Reader, onComment func(string)) []string {
	t.Helper()
	var events []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if c, ok := strings.CutPrefix(line, ":"); ok && onComment != nil {
			onComment(strings.TrimSpace(c))
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			events = append(events, d)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the stream: %v (events so far %q)", err, events)
	}
	return events
}

// checkStreamAnswer checks that a chat stream's deltas state want and
// that it ends with [DONE].
func checkStreamAnswer(t *testing.T, events []string, want string) {
	t.Helper()
	var content strings.Builder
	for _, e := range events {
		if e == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(e), &c); err != nil {
			t.Fatalf("stream event %q: %v", e, err)
		}
		for _, ch := range c.Choices {
			content.WriteString(ch.Delta.Content)
		}
	}
	if len(events) < 2 || events[len(events)-1] != "[DONE]" {
		t.Errorf("stream events %q, want content events and a final [DONE]", events)
	}
	if !strings.Contains(content.String(), want) {
		t.Errorf("stream deltas say %q, want %s in them", content.String(), want)
	}
}

// grepLines returns the lines of text containing s.
func grepLines(text, s string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, s) {
			out = append(out, strings.TrimRight(line, "\n"))
		}
	}
	return strings.Join(out, "\n")
}

// TestDeployNginxStreamHeartbeats: an LLM answer, held back by fazhi for
// its numeric guard, takes a while; through nginx the client sees the
// stream open at once, comment lines while it waits, then the answer.
func TestDeployNginxStreamHeartbeats(t *testing.T) {
	skipShort(t)
	needTool(t, "nginx", "nginx")
	bin := buildBinary(t)
	const think = 1500 * time.Millisecond
	llm, calls := fakeChatServer(t, func(prompt string) string {
		time.Sleep(think)
		return "渔门镇2020年共排查、调解各类矛盾纠纷368件[" + blockWith(prompt, "368") + "]。"
	})
	s := startServe(t, bin, []string{"FAZHI_LLM_API_KEY=sk-test"}, "--data", t.TempDir(),
		"--trusted-proxies", "127.0.0.1/32", "--llm", "openai:fake-model", "--llm-url", llm.URL, "--heartbeat", "200ms")
	s.waitReports(t, 5, startBound)
	p := startNginx(t, strings.TrimPrefix(s.url, "http://"))

	start := time.Now()
	var beats []time.Duration
	events, _ := p.chatStream(t, p.client("127.0.0.2"), seedDisputesQuestion, func(c string) {
		if c == "keep-alive" {
			beats = append(beats, time.Since(start))
		}
	})
	checkStreamAnswer(t, events, seedDisputesFigure)
	if calls.Load() == 0 {
		t.Fatal("the answer did not come through the model")
	}
	// The model takes 1.5 s: at 200 ms a beat, several must have come
	// through nginx as they were sent, not in one piece at the end.
	if len(beats) < 3 {
		t.Fatalf("%d heartbeats through nginx during a %v answer, want at least 3", len(beats), think)
	}
	if spread := beats[len(beats)-1] - beats[0]; spread < 400*time.Millisecond {
		t.Errorf("heartbeats arrived within %v of each other (%v): nginx held them back", spread, beats)
	}
	t.Logf("%d heartbeats through nginx, at %v", len(beats), beats)
}

// TestDeployNginxUploadSize: the shipped site lets through an upload as
// large as fazhi's default --max-file-mb, plus room for the multipart
// envelope, and no more than a megabyte beyond.
func TestDeployNginxUploadSize(t *testing.T) {
	sitePath := filepath.Join(deployDir, "nginx", "fazhi.conf")
	raw, err := os.ReadFile(sitePath)
	if err != nil {
		t.Fatal(err)
	}
	loc := regexp.MustCompile(`(?s)location = /v1/documents \{(.*?)\}`).FindStringSubmatch(string(raw))
	if loc == nil {
		t.Fatalf("%s has no location = /v1/documents block", sitePath)
	}
	m := regexp.MustCompile(`client_max_body_size (\d+)m;`).FindStringSubmatch(loc[1])
	if m == nil {
		t.Fatalf("%s: the /v1/documents block sets no client_max_body_size in megabytes", sitePath)
	}
	mb, _ := strconv.Atoi(m[1])
	if mb != defaultMaxFileMB+1 {
		t.Errorf("%s: uploads may be %d MB, want --max-file-mb's default %d plus 1 for the envelope", sitePath, mb, defaultMaxFileMB)
	}
	chat := regexp.MustCompile(`(?s)location = /v1/chat/completions \{(.*?)\}`).FindStringSubmatch(string(raw))
	if chat == nil || !strings.Contains(chat[1], "proxy_buffering off;") {
		t.Errorf("%s: the chat endpoint's location does not turn proxy_buffering off", sitePath)
	}
}

// TestServeBusyAndShutdown runs `fazhi serve` with a model that does not
// answer until released, one slot for expensive questions and no queue:
// a streamed question holds the slot and gets heartbeats; a second
// question is refused at once with 429 and Retry-After, counted as busy;
// then SIGTERM ends the waiting stream cleanly (an error event and
// [DONE]) and the server exits.
func TestServeBusyAndShutdown(t *testing.T) {
	skipShort(t)
	bin := buildBinary(t)
	release := make(chan struct{})
	llm, _ := fakeChatServer(t, func(prompt string) string {
		select {
		case <-release:
		case <-time.After(time.Minute):
		}
		return "渔门镇2020年共排查、调解各类矛盾纠纷368件[" + blockWith(prompt, "368") + "]。"
	})
	t.Cleanup(func() { close(release) }) // before the model server closes
	s := startServe(t, bin, []string{"FAZHI_LLM_API_KEY=sk-test"}, "--data", t.TempDir(),
		"--llm", "openai:fake-model", "--llm-url", llm.URL, "--heartbeat", "100ms",
		"--expensive-concurrency", "1", "--expensive-queue", "0")
	s.waitReports(t, 5, startBound)

	body, _ := json.Marshal(map[string]any{
		"stream": true, "messages": []map[string]string{{"role": "user", "content": seedDisputesQuestion}},
	})
	resp, err := client.Post(s.url+"/v1/chat/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("the first stream ended before its first heartbeat: %v", err)
		}
		if strings.TrimSpace(line) == ": keep-alive" {
			break // the question holds the slot, waiting for the model
		}
	}

	status, data, err := s.do(context.Background(), http.MethodPost, "/v1/ask", "application/json",
		strings.NewReader(`{"question":"`+seedDisputesQuestion+`"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusTooManyRequests || !strings.Contains(string(data), "too many expensive questions") {
		t.Errorf("a second question while the one slot is taken: status %d %s, want 429 too many expensive questions", status, data)
	}
	_, metrics, _ := s.do(context.Background(), http.MethodGet, "/metrics", "", nil, nil)
	for _, want := range []string{`fazhi_http_refusals_total{reason="busy"} 1`, `fazhi_expensive_questions{state="running"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, metrics)
		}
	}

	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatalf("the waiting stream did not end cleanly on shutdown: %v", err)
	}
	events := readStream(t, bytes.NewReader(rest), nil)
	if len(events) < 2 || events[len(events)-1] != "[DONE]" || !strings.Contains(events[len(events)-2], "shutting down") {
		t.Errorf("the waiting stream after SIGTERM: events %q, want an error event saying the server is shutting down, then [DONE]", events)
	}
	select {
	case <-s.done:
		if s.err != nil {
			t.Errorf("fazhi serve exited with %v after SIGTERM, want 0", s.err)
		}
	case <-time.After(startBound):
		t.Fatal("fazhi serve did not exit after SIGTERM")
	}
	t.Logf("the waiting stream ended %v after SIGTERM; the server exited", time.Since(start).Round(time.Millisecond))
}
