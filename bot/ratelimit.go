package bot

import (
	"time"

	"fazhi/internal/ratelimit"
)

// rateLimiter limits each user's questions: a token bucket per user id.
type rateLimiter struct{ l *ratelimit.Limiter[int64] }

func newRateLimiter(perMinute, maxUsers int, now func() time.Time) *rateLimiter {
	return &rateLimiter{ratelimit.New[int64](perMinute, maxUsers, now)}
}

// allow takes a token from user's bucket and reports whether there was one.
// When there was not, warn is true for the first refusal only, so that a
// user who keeps sending is told once rather than flooded with notices.
func (r *rateLimiter) allow(user int64) (ok, warn bool) {
	ok, _, warn = r.l.Allow(user)
	return ok, warn
}

// size is the number of users tracked.
func (r *rateLimiter) size() int { return r.l.Len() }
