package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// This file is a minimal Chrome DevTools Protocol client for the browser
// test. It talks to Chromium over --remote-debugging-pipe (file descriptors
// 3 and 4, messages separated by NUL bytes), so it needs no WebSocket
// library, no open port and no extra module.

// cdpMessage is one protocol message in either direction.
type cdpMessage struct {
	ID        int             `json:"id,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// browser is a running headless Chromium driven over the pipe.
type browser struct {
	cmd    *exec.Cmd
	out    io.WriteCloser // Chromium's fd 3
	stderr *syncBuffer

	mu      sync.Mutex
	next    int
	pending map[int]chan cdpMessage
	onEvent func(cdpMessage)
	done    chan struct{} // closed when the reader stops
}

// startBrowser launches path headless with a throw-away profile. onEvent
// receives every protocol event (from the reader goroutine). The browser is
// closed when the test ends.
func startBrowser(ctx context.Context, t *testing.T, path string, onEvent func(cdpMessage)) *browser {
	t.Helper()
	toBrowserR, toBrowserW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromBrowserR, fromBrowserW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, path,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--no-first-run", "--no-default-browser-check",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowserR, fromBrowserW} // fds 3 and 4
	b := &browser{
		cmd:     cmd,
		out:     toBrowserW,
		stderr:  &syncBuffer{},
		pending: make(map[int]chan cdpMessage),
		onEvent: onEvent,
		done:    make(chan struct{}),
	}
	cmd.Stderr = b.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	toBrowserR.Close()
	fromBrowserW.Close()
	go b.read(fromBrowserR)
	t.Cleanup(func() { b.close(t) })
	return b
}

// read dispatches responses to their callers and events to onEvent.
func (b *browser) read(r io.ReadCloser) {
	defer close(b.done)
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		raw, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m cdpMessage
		if err := json.Unmarshal(raw[:len(raw)-1], &m); err != nil {
			continue
		}
		if m.ID != 0 {
			b.mu.Lock()
			ch := b.pending[m.ID]
			delete(b.pending, m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		if b.onEvent != nil {
			b.onEvent(m)
		}
	}
}

// call sends a command (to the browser when session is "", else to that
// page session) and waits for its result.
func (b *browser) call(ctx context.Context, session, method string, params any) (json.RawMessage, error) {
	if params == nil {
		params = struct{}{}
	}
	p, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	ch := make(chan cdpMessage, 1)
	b.mu.Lock()
	b.next++
	id := b.next
	b.pending[id] = ch
	data, err := json.Marshal(cdpMessage{ID: id, SessionID: session, Method: method, Params: p})
	if err == nil {
		_, err = b.out.Write(append(data, 0))
	}
	b.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%s: send: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		return m.Result, nil
	case <-b.done:
		return nil, fmt.Errorf("%s: browser exited", method)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// close asks the browser to quit, then kills it if it does not.
func (b *browser) close(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = b.call(ctx, "", "Browser.close", nil)
	b.out.Close()
	exited := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-exited
	}
	if t.Failed() {
		t.Logf("chromium stderr (tail):\n%s", tail(b.stderr.String(), 3000))
	}
}

// page is one tab attached in flat session mode.
type page struct {
	b       *browser
	session string
}

// newPage opens a blank tab and attaches to it.
func (b *browser) newPage(ctx context.Context) (*page, error) {
	res, err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return nil, err
	}
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := json.Unmarshal(res, &target); err != nil {
		return nil, err
	}
	res, err = b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true})
	if err != nil {
		return nil, err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(res, &att); err != nil {
		return nil, err
	}
	return &page{b: b, session: att.SessionID}, nil
}

func (p *page) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	return p.b.call(ctx, p.session, method, params)
}

// eval evaluates a JavaScript expression and decodes its value into out.
func (p *page) eval(ctx context.Context, expr string, out any) error {
	res, err := p.call(ctx, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true,
	})
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("evaluate %q: %s %s", expr, r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	if out == nil {
		return nil
	}
	if len(r.Result.Value) == 0 {
		return fmt.Errorf("evaluate %q: no value", expr)
	}
	return json.Unmarshal(r.Result.Value, out)
}

// waitFor polls a boolean JavaScript expression until it is true.
func (p *page) waitFor(ctx context.Context, what, expr string) error {
	for {
		var ok bool
		err := p.eval(ctx, "Boolean("+expr+")", &ok)
		if err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// key sends a key press (down and up) of a key such as Enter, with
// modifiers (8 = Shift).
func (p *page) key(ctx context.Context, key string, code int, modifiers int) error {
	down := map[string]any{
		"type": "keyDown", "key": key, "code": key, "windowsVirtualKeyCode": code,
		"nativeVirtualKeyCode": code, "modifiers": modifiers,
	}
	if key == "Enter" {
		down["text"] = "\r"
		down["unmodifiedText"] = "\r"
	}
	if _, err := p.call(ctx, "Input.dispatchKeyEvent", down); err != nil {
		return err
	}
	_, err := p.call(ctx, "Input.dispatchKeyEvent", map[string]any{
		"type": "keyUp", "key": key, "code": key, "windowsVirtualKeyCode": code,
		"nativeVirtualKeyCode": code, "modifiers": modifiers,
	})
	return err
}

// screenshot writes a PNG of the page to path.
func (p *page) screenshot(ctx context.Context, path string) error {
	res, err := p.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true})
	if err != nil {
		return err
	}
	var shot struct {
		Data []byte `json:"data"` // base64 in JSON, decoded by encoding/json
	}
	if err := json.Unmarshal(res, &shot); err != nil {
		return err
	}
	if len(shot.Data) == 0 {
		return errors.New("empty screenshot")
	}
	return os.WriteFile(path, shot.Data, 0o644)
}

// syncBuffer is a bytes.Buffer safe for exec's copying goroutine and the
// test reading it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
