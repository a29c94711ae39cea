package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"fazhi/messenger"
)

// callTimeout bounds one API call, so a hung server cannot hold a worker.
const callTimeout = 30 * time.Second

// Error codes of the API that mean the access token must be fetched again.
const (
	codeInvalidToken = 40014
	codeTokenExpired = 42001
)

// APIError is an errcode the API answered with.
type APIError struct {
	Method  string
	Code    int
	Message string
}

// Error says which call failed with which code.
func (e *APIError) Error() string {
	return fmt.Sprintf("wecom %s: errcode %d: %s", e.Method, e.Code, e.Message)
}

// apiClient calls the WeCom API with a cached access token.
type apiClient struct {
	base, corpID, secret string
	http                 *http.Client
	tokens               messenger.TokenCache
}

func newAPIClient(base, corpID, secret string, hc *http.Client) *apiClient {
	c := &apiClient{base: base, corpID: corpID, secret: secret, http: hc}
	c.tokens.Fetch = c.fetchToken
	return c
}

// reply is the part of every API reply that says whether it worked.
type reply struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// fetchToken gets an access token from gettoken.
func (c *apiClient) fetchToken(ctx context.Context) (string, time.Duration, error) {
	q := url.Values{"corpid": {c.corpID}, "corpsecret": {c.secret}}
	var out struct {
		reply
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := c.call(ctx, http.MethodGet, "/cgi-bin/gettoken?"+q.Encode(), nil, &out); err != nil {
		return "", 0, err
	}
	if out.ErrCode != 0 {
		return "", 0, &APIError{Method: "gettoken", Code: out.ErrCode, Message: out.ErrMsg}
	}
	if out.AccessToken == "" {
		return "", 0, fmt.Errorf("wecom gettoken: no access_token in the reply")
	}
	return out.AccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
}

// sendText sends a text message to user through the app agent, fetching
// the access token again and retrying once when the API says the cached
// one is invalid or expired.
func (c *apiClient) sendText(ctx context.Context, user string, agent int64, text string) error {
	body, err := json.Marshal(map[string]any{
		"touser":  user,
		"msgtype": "text",
		"agentid": agent,
		"text":    map[string]string{"content": text},
	})
	if err != nil {
		return err
	}
	stale := ""
	for attempt := 1; ; attempt++ {
		token, err := c.tokens.Get(ctx, stale)
		if err != nil {
			return err
		}
		var out struct {
			reply
			InvalidUser string `json:"invaliduser"`
		}
		if err := c.call(ctx, http.MethodPost, "/cgi-bin/message/send?access_token="+url.QueryEscape(token), body, &out); err != nil {
			return err
		}
		switch {
		case out.ErrCode == 0 && out.InvalidUser == "":
			return nil
		case out.ErrCode == 0:
			return &APIError{Method: "message/send", Message: "invalid user " + out.InvalidUser}
		case (out.ErrCode == codeInvalidToken || out.ErrCode == codeTokenExpired) && attempt == 1:
			stale = token
			continue
		}
		return &APIError{Method: "message/send", Code: out.ErrCode, Message: out.ErrMsg}
	}
}

// call makes one API request and decodes its JSON reply into out. Errors
// never show the query, where the secret and the access token are.
func (c *apiClient) call(ctx context.Context, method, path string, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return messenger.StripQuery(&url.Error{Op: method, URL: c.base + path, Err: err})
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return messenger.StripQuery(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("wecom %s: %w", endpoint(path), err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wecom %s: HTTP %d", endpoint(path), resp.StatusCode)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("wecom %s: reply is not JSON: %w", endpoint(path), err)
	}
	return nil
}

// endpoint is path without its query.
func endpoint(path string) string {
	if u, err := url.Parse(path); err == nil {
		return u.Path
	}
	return "?"
}
