package httpapi

import (
	"time"

	"fazhi/internal/ratelimit"
)

// maxRateClients bounds the number of clients the rate limiter tracks.
const maxRateClients = 10000

// rateLimiter limits each client's requests: a token bucket per client
// (an address, or an API key).
type rateLimiter struct{ l *ratelimit.Limiter[string] }

func newRateLimiter(perMinute, maxClients int, now func() time.Time) *rateLimiter {
	return &rateLimiter{ratelimit.New[string](perMinute, maxClients, now)}
}

// allow takes a token for key. When none is left it reports false and how
// long until the next token.
func (r *rateLimiter) allow(key string) (bool, time.Duration) {
	ok, wait, _ := r.l.Allow(key)
	return ok, wait
}

// size is the number of tracked clients.
func (r *rateLimiter) size() int { return r.l.Len() }
