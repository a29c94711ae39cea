package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"fazhi/httpapi"
	"fazhi/internal/ratelimit"
)

// limitFlags are serve's settings for who a client is and how much it
// may ask: trusted proxies, API keys, rates, and the gate for expensive
// questions.
type limitFlags struct {
	trusted        string
	apiKeys        string
	requireKey     string // a bool, from a flag or FAZHI_REQUIRE_API_KEY
	rate           int
	keyRate        int
	limitLocal     bool
	expensive      int
	expensiveQueue int
	expensiveWait  time.Duration
	heartbeat      time.Duration
}

// defaultTrustedProxies is --trusted-proxies unless set: loopback, so
// that a reverse proxy on the same host is believed. A local process
// could say any X-Forwarded-For, but it is not limited in the first
// place.
const defaultTrustedProxies = "127.0.0.0/8,::1/128"

func (l *limitFlags) register(fs *flag.FlagSet, env func(string) string) {
	fs.StringVar(&l.trusted, "trusted-proxies", envOr(env, "FAZHI_TRUSTED_PROXIES", defaultTrustedProxies),
		`comma-separated CIDRs of reverse proxies whose X-Forwarded-For / X-Real-IP name the client; "none" trusts none (env FAZHI_TRUSTED_PROXIES)`)
	fs.StringVar(&l.apiKeys, "api-keys", env("FAZHI_API_KEYS"), "file of reader API keys, one name:key a line; a request with Authorization: Bearer KEY is that key's client (env FAZHI_API_KEYS)")
	fs.BoolFunc("require-api-key", "refuse /v1/ requests without a known API key (env FAZHI_REQUIRE_API_KEY)", func(v string) error {
		l.requireKey = v
		return nil
	})
	l.requireKey = env("FAZHI_REQUIRE_API_KEY")
	fs.IntVar(&l.rate, "rate", httpapi.DefaultRatePerMinute, "requests per minute per client (burst as many); negative turns the limit off")
	fs.IntVar(&l.keyRate, "key-rate", httpapi.DefaultKeyRatePerMinute, "requests per minute per API key; negative turns the limit off")
	fs.BoolVar(&l.limitLocal, "limit-local", false, "limit local tools too (loopback requests without a forwarding header)")
	fs.IntVar(&l.expensive, "expensive-concurrency", 2, "expensive questions (LLM answers, totals over many reports) answered at once")
	fs.IntVar(&l.expensiveQueue, "expensive-queue", 32, "expensive questions waiting for a turn at most; more are refused with 429")
	fs.DurationVar(&l.expensiveWait, "expensive-wait", 30*time.Second, "longest wait of an expensive question for its turn before a 429")
	fs.DurationVar(&l.heartbeat, "heartbeat", httpapi.DefaultHeartbeat, "interval of the comment lines a chat stream sends while its answer is prepared")
}

// apiConfig turns the flags into the HTTP API's settings, reading the
// API key file.
func (l *limitFlags) apiConfig() (httpapi.Config, error) {
	cfg := httpapi.Config{
		RatePerMinute:    l.rate,
		KeyRatePerMinute: l.keyRate,
		LimitLocal:       l.limitLocal,
		Heartbeat:        l.heartbeat,
	}
	if l.rate == 0 || l.keyRate == 0 {
		return cfg, errors.New("--rate and --key-rate: 0 is no rate; use a negative number to turn a limit off")
	}
	var err error
	if cfg.TrustedProxies, err = httpapi.ParsePrefixes(l.trusted); err != nil {
		return cfg, fmt.Errorf("--trusted-proxies: %w", err)
	}
	if l.requireKey != "" {
		if cfg.RequireAPIKey, err = strconv.ParseBool(l.requireKey); err != nil {
			return cfg, fmt.Errorf("--require-api-key: %q is not true or false", l.requireKey)
		}
	}
	if l.apiKeys != "" {
		f, err := os.Open(l.apiKeys)
		if err != nil {
			return cfg, fmt.Errorf("--api-keys: %w", err)
		}
		defer f.Close()
		if cfg.APIKeys, err = httpapi.ParseAPIKeys(l.apiKeys, f); err != nil {
			return cfg, fmt.Errorf("--api-keys: %w", err)
		}
	}
	if cfg.RequireAPIKey && len(cfg.APIKeys) == 0 {
		return cfg, errors.New("--require-api-key needs --api-keys FILE")
	}
	if l.expensive < 1 || l.expensiveQueue < 0 || l.expensiveWait <= 0 {
		return cfg, errors.New("--expensive-concurrency must be at least 1, --expensive-queue at least 0 and --expensive-wait positive")
	}
	return cfg, nil
}

// gate is the Engine's gate for expensive questions.
func (l *limitFlags) gate() *ratelimit.Gate {
	return ratelimit.NewGate(l.expensive, l.expensiveQueue, l.expensiveWait)
}
