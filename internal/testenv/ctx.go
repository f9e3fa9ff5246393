package testenv

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// StopAfter is a context that ends (Err is context.Canceled) once its Err
// has been asked n times: a check cancelled part way, at the same point
// on every run, with no timing involved.
type StopAfter struct {
	context.Context
	n atomic.Int64
}

// NewStopAfter returns a StopAfter over parent (Background when nil).
func NewStopAfter(parent context.Context, n int64) *StopAfter {
	if parent == nil {
		parent = context.Background()
	}
	c := &StopAfter{Context: parent}
	c.n.Store(n)
	return c
}

func (c *StopAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return c.Context.Err()
}

// HangGuard runs f and fails t if f has not returned within limit: a
// guard against hangs, far longer than the work takes, never a timing
// assertion.
func HangGuard(t testing.TB, limit time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("did not return within %v", limit)
	}
}
