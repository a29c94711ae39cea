package dingtalk

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

// callTimeout bounds one API call; downloadTimeout one file download.
const (
	callTimeout     = 30 * time.Second
	downloadTimeout = 3 * time.Minute
)

// APIError is an error code a DingTalk endpoint answered with.
type APIError struct {
	Endpoint string
	Code     string
	Message  string
}

// Error says which call failed with which code.
func (e *APIError) Error() string {
	return fmt.Sprintf("dingtalk %s: errcode %s: %s", e.Endpoint, e.Code, e.Message)
}

// apiClient posts replies to session webhooks and downloads files with a
// cached app access token.
type apiClient struct {
	base, appKey, secret string
	http                 *http.Client
	tokens               messenger.TokenCache
}

func newAPIClient(base, appKey, secret string, hc *http.Client, now func() time.Time) *apiClient {
	c := &apiClient{base: base, appKey: appKey, secret: secret, http: hc}
	c.tokens.Fetch, c.tokens.Now = c.fetchToken, now
	return c
}

// sendMarkdown posts a markdown message to a session webhook.
func (c *apiClient) sendMarkdown(ctx context.Context, webhook, title, text string) error {
	body, err := json.Marshal(map[string]any{
		"msgtype":  "markdown",
		"markdown": map[string]string{"title": title, "text": text},
	})
	if err != nil {
		return err
	}
	var out struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := c.post(ctx, webhook, nil, body, &out); err != nil {
		return err
	}
	if out.ErrCode != 0 {
		return &APIError{Endpoint: "sessionWebhook", Code: fmt.Sprint(out.ErrCode), Message: out.ErrMsg}
	}
	return nil
}

// fetchToken gets the app's access token.
func (c *apiClient) fetchToken(ctx context.Context) (string, time.Duration, error) {
	body, _ := json.Marshal(map[string]string{"appKey": c.appKey, "appSecret": c.secret})
	var out struct {
		AccessToken string `json:"accessToken"`
		ExpireIn    int    `json:"expireIn"`
	}
	if err := c.post(ctx, c.base+"/v1.0/oauth2/accessToken", nil, body, &out); err != nil {
		return "", 0, err
	}
	if out.AccessToken == "" {
		return "", 0, fmt.Errorf("dingtalk accessToken: no accessToken in the reply")
	}
	return out.AccessToken, time.Duration(out.ExpireIn) * time.Second, nil
}

// download fetches a file a user sent the robot: the robot file API turns
// its download code into a short-lived URL.
func (c *apiClient) download(ctx context.Context, robotCode, code string) ([]byte, error) {
	token, err := c.tokens.Get(ctx, "")
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(map[string]string{"downloadCode": code, "robotCode": robotCode})
	var out struct {
		DownloadURL string `json:"downloadUrl"`
	}
	hdr := http.Header{"X-Acs-Dingtalk-Access-Token": {token}}
	if err := c.post(ctx, c.base+"/v1.0/robot/messageFiles/download", hdr, body, &out); err != nil {
		return nil, err
	}
	if out.DownloadURL == "" {
		return nil, fmt.Errorf("dingtalk messageFiles/download: no downloadUrl in the reply")
	}
	ctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, out.DownloadURL, nil)
	if err != nil {
		return nil, fmt.Errorf("dingtalk download: bad downloadUrl")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, messenger.StripQuery(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("dingtalk download: HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("dingtalk download: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, messenger.ErrTooLarge
	}
	return data, nil
}

// post sends a JSON body and decodes the JSON reply into out. A non-2xx
// reply is an *APIError with the code and message DingTalk gives. Errors
// never show the query, where session webhooks keep their key.
func (c *apiClient) post(ctx context.Context, target string, hdr http.Header, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	name := endpoint(target)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("dingtalk %s: bad URL", name)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return messenger.StripQuery(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("dingtalk %s: %w", name, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		json.Unmarshal(data, &e)
		return &APIError{Endpoint: name, Code: fmt.Sprintf("HTTP %d %s", resp.StatusCode, e.Code), Message: e.Message}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("dingtalk %s: reply is not JSON: %w", name, err)
	}
	return nil
}

// endpoint is a URL's path, without the query.
func endpoint(target string) string {
	if u, err := url.Parse(target); err == nil {
		return u.Path
	}
	return "?"
}
