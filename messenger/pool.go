package messenger

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
)

// Pool runs jobs on a fixed number of workers, so that a burst of messages
// never runs more than that many engine calls at once. Callback handlers
// Submit a job and return at once; the platforms give them a few seconds.
type Pool struct {
	jobs    chan func(context.Context)
	workers int
	log     *slog.Logger

	mu      sync.Mutex
	running bool
	done    bool
}

// NewPool returns a Pool of workers workers (at least 1) and a queue of
// queue jobs waiting. A nil log discards log output.
func NewPool(workers, queue int, log *slog.Logger) *Pool {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pool{jobs: make(chan func(context.Context), max(0, queue)), workers: max(1, workers), log: log}
}

// Submit queues job. It returns false, without running it, when the queue
// is full or the pool has stopped.
func (p *Pool) Submit(job func(ctx context.Context)) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return false
	}
	select {
	case p.jobs <- job:
		return true
	default:
		return false
	}
}

// Run runs the workers until ctx is done, then returns once every running
// job has; jobs still queued are dropped. The jobs get ctx. A panicking job
// is logged and its worker goes on. Run may be called once.
func (p *Pool) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.running || p.done {
		p.mu.Unlock()
		return fmt.Errorf("messenger: pool already run")
	}
	p.running = true
	p.mu.Unlock()

	var wg sync.WaitGroup
	for range p.workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case job := <-p.jobs:
					p.run(ctx, job)
				}
			}
		})
	}
	wg.Wait()
	p.mu.Lock()
	p.done = true
	dropped := len(p.jobs)
	p.mu.Unlock()
	if dropped > 0 {
		p.log.Warn("messenger: stopped with jobs queued", "dropped", dropped)
	}
	return nil
}

func (p *Pool) run(ctx context.Context, job func(context.Context)) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("messenger: panic in a job", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	job(ctx)
}

// SendParts sends the parts of a reply in order through send and stops at
// the first that fails, logging "PLATFORM: send message failed" with the
// part, attrs and the error: at Error level, so that a platform refusing
// sends is seen, or at Debug when ctx is done (shutting down).
func SendParts(ctx context.Context, log *slog.Logger, platform string, parts []string, send func(ctx context.Context, part string) error, attrs ...any) {
	for i, text := range parts {
		if err := send(ctx, text); err != nil {
			level := slog.LevelError
			if ctx.Err() != nil {
				level = slog.LevelDebug
			}
			log.Log(ctx, level, platform+": send message failed", append(attrs, "part", i+1, "err", err)...)
			return
		}
	}
}
