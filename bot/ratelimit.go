package bot

import (
	"slices"
	"sync"
	"time"
)

// rateLimiter is a per-user token bucket: each user may spend up to burst
// tokens at once, refilled at perMinute tokens a minute. It forgets users
// whose buckets are full again, and holds at most maxUsers buckets.
type rateLimiter struct {
	mu        sync.Mutex
	perMinute float64
	burst     float64
	maxUsers  int
	now       func() time.Time
	buckets   map[int64]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	warned bool // refused since the last allowed request
}

func newRateLimiter(perMinute, maxUsers int, now func() time.Time) *rateLimiter {
	return &rateLimiter{
		perMinute: float64(perMinute),
		burst:     float64(perMinute),
		maxUsers:  maxUsers,
		now:       now,
		buckets:   make(map[int64]*bucket),
	}
}

// allow takes a token from user's bucket and reports whether there was one.
// When there was not, warn is true for the first refusal only, so that a
// user who keeps sending is told once rather than flooded with notices.
func (l *rateLimiter) allow(user int64) (ok, warn bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[user]
	if !ok {
		if len(l.buckets) >= l.maxUsers {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[user] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		warn = !b.warned
		b.warned = true
		return false, warn
	}
	b.tokens--
	b.warned = false
	return true, false
}

func (l *rateLimiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens += elapsed.Minutes() * l.perMinute
		if b.tokens > l.burst {
			b.tokens = l.burst
		}
	}
	b.last = now
}

// evict drops the buckets that have refilled completely (forgetting them
// changes nothing) and, if the map is still full, the least recently used
// half.
func (l *rateLimiter) evict(now time.Time) {
	for id, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Minutes()*l.perMinute >= l.burst {
			delete(l.buckets, id)
		}
	}
	if len(l.buckets) < l.maxUsers {
		return
	}
	// Rare: maxUsers users all active within one refill period. Drop those
	// idle longest until half the room is free.
	cutoff := medianLast(l.buckets)
	for id, b := range l.buckets {
		if !b.last.After(cutoff) {
			delete(l.buckets, id)
		}
	}
}

func medianLast(m map[int64]*bucket) time.Time {
	ts := make([]time.Time, 0, len(m))
	for _, b := range m {
		ts = append(ts, b.last)
	}
	slices.SortFunc(ts, time.Time.Compare)
	return ts[len(ts)/2]
}
