package ratelimit

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New[string](60, 2, func() time.Time { return now }) // a token a second, burst 60
	for i := range 60 {
		if ok, _, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	ok, wait, first := l.Allow("a")
	if ok || !first || wait <= 0 || wait > time.Second {
		t.Errorf("past the burst: got ok %v first %v wait %v, want refused, first refusal, wait ≤ 1s", ok, first, wait)
	}
	if _, _, first := l.Allow("a"); first {
		t.Errorf("second refusal in a row reported as the first")
	}
	now = now.Add(time.Second)
	if ok, _, _ := l.Allow("a"); !ok {
		t.Errorf("a token did not come back after a second")
	}
	l.Allow("b")
	l.Allow("c") // full: the longest-idle key gives way
	if n := l.Len(); n > 2 {
		t.Errorf("tracks %d keys, want at most 2", n)
	}
}
