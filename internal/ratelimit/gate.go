package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Gate bounds how many expensive operations run at once. Up to slots run;
// up to queue more wait, each at most wait for a slot; anyone beyond that
// is refused at once. Refusals are *BusyError values. A Gate is safe for
// concurrent use.
type Gate struct {
	slots   chan struct{}
	waiting chan struct{}
	wait    time.Duration
}

// NewGate returns a Gate of slots concurrent holders (at least 1) with a
// queue of queue waiters (0: none) who wait at most wait (0: until their
// context ends).
func NewGate(slots, queue int, wait time.Duration) *Gate {
	return &Gate{
		slots:   make(chan struct{}, max(1, slots)),
		waiting: make(chan struct{}, max(0, queue)),
		wait:    wait,
	}
}

// BusyError is a Gate's refusal: every slot was taken and the queue full,
// or the wait for a slot ran out. RetryAfter is a fair time to try again.
type BusyError struct {
	QueueFull  bool
	RetryAfter time.Duration
}

// Error says why the Gate refused.
func (e *BusyError) Error() string {
	if e.QueueFull {
		return "too many expensive questions at once: the queue is full"
	}
	return fmt.Sprintf("too many expensive questions at once: no slot within %v", e.RetryAfter)
}

// Enter takes a slot, waiting in the queue if all are taken. It returns
// the function that gives the slot back, a *BusyError when refused, or
// ctx's error (wrapped) when ctx ends first.
func (g *Gate) Enter(ctx context.Context) (release func(), err error) {
	release = func() { <-g.slots }
	select {
	case g.slots <- struct{}{}:
		return release, nil
	default:
	}
	select {
	case g.waiting <- struct{}{}:
	default:
		return nil, &BusyError{QueueFull: true, RetryAfter: g.retryAfter()}
	}
	defer func() { <-g.waiting }()
	var timeout <-chan time.Time
	if g.wait > 0 {
		t := time.NewTimer(g.wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case g.slots <- struct{}{}:
		return release, nil
	case <-timeout:
		return nil, &BusyError{RetryAfter: g.retryAfter()}
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a slot: %w", ctx.Err())
	}
}

// retryAfter is the advice given with a refusal: the queue's wait, or a
// few seconds when waits are unbounded.
func (g *Gate) retryAfter() time.Duration {
	if g.wait > 0 {
		return g.wait
	}
	return 5 * time.Second
}

// InUse is the number of slots taken and of waiters queued.
func (g *Gate) InUse() (running, queued int) {
	return len(g.slots), len(g.waiting)
}
