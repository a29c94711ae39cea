package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fazhi/messenger"
)

// Defaults used for zero (or negative) Config fields.
const (
	DefaultConcurrency   = 8
	DefaultRatePerMinute = messenger.DefaultRatePerMinute
	DefaultHistoryTurns  = messenger.DefaultHistoryTurns
	DefaultHistoryTTL    = messenger.DefaultHistoryTTL
	DefaultPollTimeout   = 50 * time.Second
)

// MaxFileSize is the largest report file the bot accepts: the Bot API's
// getFile download limit.
const MaxFileSize = 20 << 20

// Config configures a Bot. Only Token is required; zero values of the other
// fields select the defaults above.
type Config struct {
	// Token is the bot token from @BotFather. It is never logged.
	Token string
	// APIURL is the base URL of a self-hosted Bot API server, e.g.
	// "http://127.0.0.1:8081"; "" uses the official https://api.telegram.org.
	APIURL string
	// AllowedUsers lists the Telegram user ids that may use the bot; empty
	// means everyone. Admins are always allowed.
	AllowedUsers []int64
	// Admins lists the user ids that may send report files to ingest.
	Admins []int64
	// Concurrency is the most updates handled at once (default 8).
	Concurrency int
	// RatePerMinute is how many engine requests (questions, /reports,
	// /facts, uploads) one user may make per minute, as a token bucket
	// that allows a burst of the same size (default 20).
	RatePerMinute int
	// HistoryTurns is how many question-and-answer turns per chat are kept
	// and passed to the engine as context for follow-ups (default 6).
	HistoryTurns int
	// HistoryTTL is how long a chat's history (and its /proof) lives after
	// its last question (default 30 minutes).
	HistoryTTL time.Duration
	// PollTimeout is the getUpdates long-poll timeout (default 50 s).
	PollTimeout time.Duration
	// MessageTimeout bounds the engine's work on one message (default
	// messenger.DefaultMessageTimeout): past it the user is told, and the
	// worker is free again.
	MessageTimeout time.Duration
	// MaxFileBytes is the largest report file ingested, below the Bot
	// API's MaxFileSize; 0: MaxFileSize.
	MaxFileBytes int64
	// WebhookSecret is the secret_token registered with setWebhook. It is
	// required for webhook mode (RunWebhook and WebhookHandler); long
	// polling (Run) ignores it.
	WebhookSecret string
}

func (c Config) withDefaults() Config {
	c.Token = strings.TrimSpace(c.Token)
	c.APIURL = strings.TrimRight(strings.TrimSpace(c.APIURL), "/")
	if c.APIURL == "" {
		c.APIURL = "https://api.telegram.org"
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.RatePerMinute <= 0 {
		c.RatePerMinute = DefaultRatePerMinute
	}
	if c.HistoryTurns <= 0 {
		c.HistoryTurns = DefaultHistoryTurns
	}
	if c.HistoryTTL <= 0 {
		c.HistoryTTL = DefaultHistoryTTL
	}
	if c.PollTimeout <= 0 {
		c.PollTimeout = DefaultPollTimeout
	}
	return c
}

// ParseIDs parses a comma-separated list of Telegram user ids, as found in
// FAZHI_TELEGRAM_ALLOWED_USERS and FAZHI_TELEGRAM_ADMINS. Blanks around
// elements and empty elements are ignored, so "" yields no ids. The error
// names the first element that is not a positive integer.
func ParseIDs(s string) ([]int64, error) {
	var ids []int64
	for i, elem := range strings.Split(s, ",") {
		elem = strings.TrimSpace(elem)
		if elem == "" {
			continue
		}
		id, err := strconv.ParseInt(elem, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bot: id list element %d %q is not an integer user id: %w", i+1, elem, err)
		}
		if id <= 0 {
			return nil, fmt.Errorf("bot: id list element %d %q is not a positive user id", i+1, elem)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
