package httpapi

import (
	"sync"
	"time"
)

// maxRateClients bounds the number of clients the rate limiter tracks.
const maxRateClients = 10000

// rateLimiter is a token bucket per client key: each holds up to perMinute
// tokens and refills at perMinute per minute, so a client may burst a
// minute's worth of requests and then continue at the steady rate.
type rateLimiter struct {
	mu       sync.Mutex
	capacity float64
	perSec   float64
	max      int
	now      func() time.Time
	buckets  map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(perMinute, maxClients int, now func() time.Time) *rateLimiter {
	return &rateLimiter{
		capacity: float64(perMinute),
		perSec:   float64(perMinute) / 60,
		max:      maxClients,
		now:      now,
		buckets:  make(map[string]*bucket),
	}
}

// allow takes a token for key. When none is left it reports false and how
// long until the next token.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
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
	l.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.perSec * float64(time.Second))
	return false, wait
}

func (l *rateLimiter) refill(b *bucket, now time.Time) {
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens += el * l.perSec
		if b.tokens > l.capacity {
			b.tokens = l.capacity
		}
	}
	b.last = now
}

// evict makes room for a new client: first it drops every bucket that has
// refilled completely (forgetting it changes nothing), then, if the map is
// still full, the least recently seen one.
func (l *rateLimiter) evict(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.perSec >= l.capacity {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) < l.max {
		return
	}
	var oldestKey string
	var oldest time.Time
	for k, b := range l.buckets {
		if oldestKey == "" || b.last.Before(oldest) {
			oldestKey, oldest = k, b.last
		}
	}
	delete(l.buckets, oldestKey)
}

// size is the number of tracked clients.
func (l *rateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
