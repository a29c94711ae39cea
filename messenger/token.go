package messenger

import (
	"context"
	"sync"
	"time"
)

// tokenMargin is how long before its announced expiry a token is renewed.
const tokenMargin = 5 * time.Minute

// TokenCache holds a platform's access token until it expires. It is safe
// for concurrent use; one fetch runs at a time, so a burst of messages
// after expiry fetches once.
type TokenCache struct {
	// Fetch gets a new token and how long the platform says it lasts.
	Fetch func(ctx context.Context) (token string, lasts time.Duration, err error)
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// Get returns the cached token, fetching a new one when there is none, it
// is about to expire, or it is stale: the token a platform just refused
// (pass "" otherwise). A token another caller has already renewed is not
// fetched again.
func (c *TokenCache) Get(ctx context.Context, stale string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if c.token != "" && c.token != stale && now().Before(c.expires) {
		return c.token, nil
	}
	token, lasts, err := c.Fetch(ctx)
	if err != nil {
		return "", err
	}
	c.token, c.expires = token, now().Add(lasts-tokenMargin)
	return token, nil
}
