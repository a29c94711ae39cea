package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestGate(t *testing.T) {
	const wait = 50 * time.Millisecond
	t.Run("slots then queue then refusal", func(t *testing.T) {
		g := NewGate(2, 1, time.Minute)
		ctx := context.Background()
		r1, err1 := g.Enter(ctx)
		r2, err2 := g.Enter(ctx)
		if err1 != nil || err2 != nil {
			t.Fatalf("the two slots: got %v, %v, want both taken", err1, err2)
		}
		queued := make(chan error, 1)
		go func() {
			r, err := g.Enter(ctx)
			if err == nil {
				r()
			}
			queued <- err
		}()
		waitFor(t, func() bool { _, q := g.InUse(); return q == 1 })
		_, err := g.Enter(ctx)
		var busy *BusyError
		if !errors.As(err, &busy) || !busy.QueueFull || busy.RetryAfter != time.Minute {
			t.Fatalf("with the slots taken and the queue full: got %v, want a queue-full BusyError advising 1m", err)
		}
		r1()
		if err := <-queued; err != nil {
			t.Errorf("the queued caller, after a slot was given back: got %v, want the slot", err)
		}
		r2()
		if run, q := g.InUse(); run != 0 || q != 0 {
			t.Errorf("after every release: %d running, %d queued, want 0, 0", run, q)
		}
	})
	t.Run("wait runs out", func(t *testing.T) {
		g := NewGate(1, 4, wait)
		r, err := g.Enter(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer r()
		start := time.Now()
		_, err = g.Enter(context.Background())
		var busy *BusyError
		if !errors.As(err, &busy) || busy.QueueFull || busy.RetryAfter != wait {
			t.Fatalf("got %v, want a BusyError after the wait", err)
		}
		if d := time.Since(start); d < wait {
			t.Errorf("refused after %v, before the wait of %v", d, wait)
		}
	})
	t.Run("context ends the wait", func(t *testing.T) {
		g := NewGate(1, 4, 0)
		r, err := g.Enter(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer r()
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		_, err = g.Enter(ctx)
		var busy *BusyError
		if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &busy) {
			t.Fatalf("got %v, want the context's deadline", err)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
