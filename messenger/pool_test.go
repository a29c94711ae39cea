package messenger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fazhi/messenger"
)

func TestPoolIsBounded(t *testing.T) {
	const workers, jobs = 3, 12
	p := messenger.NewPool(workers, jobs, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()

	var running, peak atomic.Int32
	var wg sync.WaitGroup
	release := make(chan struct{})
	for i := range jobs {
		wg.Add(1)
		if !p.Submit(func(context.Context) {
			defer wg.Done()
			n := running.Add(1)
			for {
				m := peak.Load()
				if n <= m || peak.CompareAndSwap(m, n) {
					break
				}
			}
			<-release
			running.Add(-1)
		}) {
			t.Fatalf("job %d refused with room in the queue", i)
		}
	}
	// Wait until the workers are all busy, then check no more run.
	deadline := time.Now().Add(5 * time.Second)
	for running.Load() < workers && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := running.Load(); n != workers {
		t.Errorf("%d jobs running, want %d", n, workers)
	}
	close(release)
	wg.Wait()
	if n := peak.Load(); n != workers {
		t.Errorf("peak of %d jobs at once, want %d", n, workers)
	}
	cancel()
	<-done
	if p.Submit(func(context.Context) {}) {
		t.Error("a stopped pool accepted a job")
	}
}

func TestPoolQueueFull(t *testing.T) {
	p := messenger.NewPool(1, 1, nil) // not running: nothing leaves the queue
	if !p.Submit(func(context.Context) {}) {
		t.Fatal("first job refused")
	}
	if p.Submit(func(context.Context) {}) {
		t.Error("job accepted beyond the queue")
	}
}

func TestPoolSurvivesPanic(t *testing.T) {
	p := messenger.NewPool(1, 2, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	ran := make(chan struct{})
	p.Submit(func(context.Context) { panic("bad message") })
	p.Submit(func(context.Context) { close(ran) })
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("the worker did not go on after a panic")
	}
}

func TestSeen(t *testing.T) {
	s := messenger.NewSeen(2)
	for _, tt := range []struct {
		id   string
		want bool
	}{{"a", true}, {"a", false}, {"b", true}, {"c", true}, {"b", false}, {"a", true}} {
		if got := s.Add(tt.id); got != tt.want {
			t.Errorf("Add(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestTokenCache(t *testing.T) {
	clock := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	fetched := 0
	c := &messenger.TokenCache{
		Fetch: func(context.Context) (string, time.Duration, error) {
			fetched++
			return fmt.Sprintf("tok%d", fetched), 2 * time.Hour, nil
		},
		Now: func() time.Time { return clock },
	}
	get := func(stale string) string {
		tok, err := c.Get(context.Background(), stale)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	steps := []struct {
		name    string
		advance time.Duration
		stale   string
		want    string
	}{
		{"first", 0, "", "tok1"},
		{"cached", time.Hour, "", "tok1"},
		{"refused by the platform", 0, "tok1", "tok2"},
		{"an older token refused: the new one stands", 0, "tok1", "tok2"},
		{"close to expiry", 2*time.Hour - time.Minute, "", "tok3"},
	}
	for _, st := range steps {
		clock = clock.Add(st.advance)
		if got := get(st.stale); got != st.want {
			t.Errorf("%s: Get = %s, want %s", st.name, got, st.want)
		}
	}
	failing := &messenger.TokenCache{Fetch: func(context.Context) (string, time.Duration, error) {
		return "", 0, errors.New("errcode 40001")
	}}
	if _, err := failing.Get(context.Background(), ""); err == nil {
		t.Error("a failed fetch returned no error")
	}
}
