package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"fazhi/dingtalk"
	"fazhi/messenger"
	"fazhi/rag"
	"fazhi/wecom"
)

// The paths WeCom and DingTalk call on the serve address.
const (
	wecomPath    = "/wecom/callback"
	dingtalkPath = "/dingtalk/callback"
)

// messengerFlags are serve's WeCom and DingTalk settings.
type messengerFlags struct {
	wecom                                 wecom.Config
	wecomAgent, wecomAllowed, wecomAdmins string
	ding                                  dingtalk.Config
	dingAllowed, dingAdmins               string
}

func addMessengerFlags(fs *flag.FlagSet, env func(string) string) *messengerFlags {
	m := &messengerFlags{}
	fs.StringVar(&m.wecom.CorpID, "wecom-corp-id", env("FAZHI_WECOM_CORP_ID"), "WeCom corp id (企业ID); enables the WeCom app with the other --wecom settings (env FAZHI_WECOM_CORP_ID)")
	fs.StringVar(&m.wecomAgent, "wecom-agent-id", env("FAZHI_WECOM_AGENT_ID"), "WeCom self-built app AgentId (env FAZHI_WECOM_AGENT_ID)")
	fs.StringVar(&m.wecom.Secret, "wecom-secret", env("FAZHI_WECOM_SECRET"), "WeCom app Secret; prefer the env var (env FAZHI_WECOM_SECRET)")
	fs.StringVar(&m.wecom.Token, "wecom-token", env("FAZHI_WECOM_TOKEN"), "WeCom callback Token (env FAZHI_WECOM_TOKEN)")
	fs.StringVar(&m.wecom.AESKey, "wecom-aes-key", env("FAZHI_WECOM_AES_KEY"), "WeCom callback EncodingAESKey (env FAZHI_WECOM_AES_KEY)")
	fs.StringVar(&m.wecom.APIURL, "wecom-api-url", envOr(env, "FAZHI_WECOM_API_URL", wecom.DefaultAPIURL), "WeCom API base URL, for 政务微信 or a private deployment (env FAZHI_WECOM_API_URL)")
	fs.StringVar(&m.wecomAllowed, "wecom-allowed-users", env("FAZHI_WECOM_ALLOWED_USERS"), "comma-separated WeCom user ids allowed to ask; empty = everyone (env FAZHI_WECOM_ALLOWED_USERS)")
	fs.StringVar(&m.wecomAdmins, "wecom-admins", env("FAZHI_WECOM_ADMINS"), "comma-separated WeCom user ids of admins (env FAZHI_WECOM_ADMINS)")
	fs.StringVar(&m.ding.AppKey, "dingtalk-app-key", env("FAZHI_DINGTALK_APP_KEY"), "DingTalk app AppKey; enables the DingTalk robot with --dingtalk-app-secret (env FAZHI_DINGTALK_APP_KEY)")
	fs.StringVar(&m.ding.AppSecret, "dingtalk-app-secret", env("FAZHI_DINGTALK_APP_SECRET"), "DingTalk app AppSecret; prefer the env var (env FAZHI_DINGTALK_APP_SECRET)")
	fs.StringVar(&m.ding.APIURL, "dingtalk-api-url", envOr(env, "FAZHI_DINGTALK_API_URL", dingtalk.DefaultAPIURL), "DingTalk open API base URL, for 浙政钉 or a private deployment (env FAZHI_DINGTALK_API_URL)")
	fs.StringVar(&m.dingAllowed, "dingtalk-allowed-users", env("FAZHI_DINGTALK_ALLOWED_USERS"), "comma-separated DingTalk staff ids allowed to ask; empty = everyone (env FAZHI_DINGTALK_ALLOWED_USERS)")
	fs.StringVar(&m.dingAdmins, "dingtalk-admins", env("FAZHI_DINGTALK_ADMINS"), "comma-separated DingTalk staff ids that may send reports to ingest (env FAZHI_DINGTALK_ADMINS)")
	return m
}

// messengerRun is an enabled messenger: its callback and its workers.
type messengerRun struct {
	name string
	path string
	h    http.Handler
	run  func(context.Context) error
}

// build returns the messengers the settings enable: WeCom when any
// --wecom setting but the API URL is given, DingTalk when the app key or
// secret is. A partial set-up is an error that names what is missing.
func (m *messengerFlags) build(eng *rag.Engine, log *slog.Logger) ([]messengerRun, error) {
	var out []messengerRun
	if m.wecom.CorpID != "" || m.wecomAgent != "" || m.wecom.Secret != "" || m.wecom.Token != "" || m.wecom.AESKey != "" {
		cfg := m.wecom
		if m.wecomAgent != "" {
			id, err := strconv.ParseInt(strings.TrimSpace(m.wecomAgent), 10, 64)
			if err != nil || id <= 0 {
				return nil, fmt.Errorf("--wecom-agent-id: %q is not a positive AgentId", m.wecomAgent)
			}
			cfg.AgentID = id
		}
		cfg.AllowedUsers, cfg.Admins = messenger.ParseList(m.wecomAllowed), messenger.ParseList(m.wecomAdmins)
		b, err := wecom.New(cfg, eng, log)
		if err != nil {
			return nil, fmt.Errorf("--wecom-*: %w", err)
		}
		out = append(out, messengerRun{name: "wecom", path: wecomPath, h: b.Handler(), run: b.Run})
	}
	if m.ding.AppKey != "" || m.ding.AppSecret != "" {
		cfg := m.ding
		cfg.AllowedUsers, cfg.Admins = messenger.ParseList(m.dingAllowed), messenger.ParseList(m.dingAdmins)
		b, err := dingtalk.New(cfg, eng, log)
		if err != nil {
			return nil, fmt.Errorf("--dingtalk-*: %w", err)
		}
		out = append(out, messengerRun{name: "dingtalk", path: dingtalkPath, h: b.Handler(), run: b.Run})
	}
	return out, nil
}
