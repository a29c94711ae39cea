package httpapi

import (
	"fmt"
	"testing"
	"time"
)

// fakeClock is a settable time source.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestRateLimiterBucket(t *testing.T) {
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newRateLimiter(60, 100, clock.now) // one token per second, burst 60

	for i := range 60 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	ok, wait := l.allow("a")
	if ok {
		t.Fatal("request 61 allowed, want refused")
	}
	if wait <= 0 || wait > time.Second {
		t.Errorf("wait = %v, want (0, 1s]", wait)
	}
	clock.advance(500 * time.Millisecond)
	if ok, _ := l.allow("a"); ok {
		t.Error("allowed after half a token refilled")
	}
	clock.advance(time.Second)
	if ok, _ := l.allow("a"); !ok {
		t.Error("refused after a token refilled")
	}
	if ok, _ := l.allow("b"); !ok {
		t.Error("another client refused")
	}
	clock.advance(time.Hour)
	for i := range 60 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("after an hour, request %d refused: bucket should be full (and capped)", i+1)
		}
	}
	if ok, _ := l.allow("a"); ok {
		t.Error("bucket refilled beyond its capacity")
	}
}

func TestRateLimiterBounded(t *testing.T) {
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	const max = 50
	l := newRateLimiter(1, max, clock.now) // slow refill: buckets stay partly used

	for i := range 10 * max {
		l.allow(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
		clock.advance(time.Millisecond)
		if n := l.size(); n > max {
			t.Fatalf("after %d clients the limiter tracks %d, want at most %d", i+1, n, max)
		}
	}
	// The most recent client is still tracked (its bucket empty), the
	// oldest were evicted.
	last := fmt.Sprintf("10.0.%d.%d", (10*max-1)/256, (10*max-1)%256)
	if ok, _ := l.allow(last); ok {
		t.Error("most recent client's empty bucket was evicted")
	}

	// Buckets that have refilled are dropped first.
	clock.advance(2 * time.Minute)
	l.allow("fresh")
	if n := l.size(); n != 1 {
		t.Errorf("after every bucket refilled, size = %d, want 1", n)
	}
}

func TestSanitizeFileNameKeepsUnicode(t *testing.T) {
	got, err := sanitizeFileName("渔门镇 2020 年度报告.docx")
	if err != nil || got != "渔门镇 2020 年度报告.docx" {
		t.Errorf("sanitizeFileName = %q, %v", got, err)
	}
	if _, err := sanitizeFileName("a\x00b.txt"); err == nil {
		t.Error("NUL in name accepted")
	}
	if _, err := sanitizeFileName("a\xffb.txt"); err == nil {
		t.Error("invalid UTF-8 in name accepted")
	}
}
