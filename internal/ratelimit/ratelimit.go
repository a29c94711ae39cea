// Package ratelimit holds the token-bucket limiter that the HTTP API (per
// client) and the Telegram bot (per user) share, and the Gate that bounds
// how many expensive questions run at once.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter is a token bucket per key: each holds up to perMinute tokens and
// refills at perMinute a minute, so a key may burst a minute's worth and
// then go on at the steady rate. It tracks at most max keys: when full it
// forgets the buckets that have refilled (forgetting them changes nothing)
// and, if still full, the one seen longest ago. It is safe for concurrent
// use.
type Limiter[K comparable] struct {
	mu       sync.Mutex
	capacity float64
	perSec   float64
	max      int
	now      func() time.Time
	buckets  map[K]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	warned bool // refused since the last allowed request
}

// New returns a Limiter of perMinute requests a minute per key, tracking at
// most max keys, reading the time from now.
func New[K comparable](perMinute, max int, now func() time.Time) *Limiter[K] {
	return &Limiter[K]{
		capacity: float64(perMinute),
		perSec:   float64(perMinute) / 60,
		max:      max,
		now:      now,
		buckets:  make(map[K]*bucket),
	}
}

// Allow takes a token from key's bucket and reports whether there was one.
// When there was not, wait is the time until the next token and first is
// true for the first refusal since the last allowed request, so that a
// caller can warn once rather than on every refusal.
func (l *Limiter[K]) Allow(key K) (ok bool, wait time.Duration, first bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{tokens: l.capacity, last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(l.capacity, b.tokens+el*l.perSec)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		b.warned = false
		return true, 0, false
	}
	first = !b.warned
	b.warned = true
	return false, time.Duration((1 - b.tokens) / l.perSec * float64(time.Second)), first
}

func (l *Limiter[K]) evict(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.perSec >= l.capacity {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) < l.max {
		return
	}
	var oldestKey K
	var oldest time.Time
	found := false
	for k, b := range l.buckets {
		if !found || b.last.Before(oldest) {
			oldestKey, oldest, found = k, b.last, true
		}
	}
	delete(l.buckets, oldestKey)
}

// Len is the number of keys tracked.
func (l *Limiter[K]) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
