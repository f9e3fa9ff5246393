package verify

import (
	"context"
	"runtime"
	"sync"
)

// Gate bounds how many verifications run at once. Waiting verifications
// start newest first: an editor's latest save matters more than one
// queued behind it, and a waiting verification whose context ends (a
// newer request for the same document cancelled it) leaves the queue
// without ever running. Verifiers sharing a Gate share its bound.
type Gate struct {
	mu      sync.Mutex
	limit   int
	running int
	waiting []*waiter // oldest first; the last one goes next
	// peak is the most that ever ran at once (for tests).
	peak int
}

type waiter struct {
	ready   chan struct{}
	granted bool
}

// NewGate makes a gate letting n verifications run at once (at least 1).
func NewGate(n int) *Gate { return &Gate{limit: max(n, 1)} }

// DefaultParallel is how many verifications the shared default gate runs
// at once: half the CPUs, at least one. clang and the verifier each keep
// a CPU busy; the other half stays for the editor and static checks.
func DefaultParallel() int { return max(1, runtime.NumCPU()/2) }

// defaultGate is the process-wide gate of every Verifier made without
// Options.Gate, so a server that rebuilds its Verifier (new settings)
// keeps one bound.
var defaultGate = NewGate(DefaultParallel())

// acquire waits for a turn, or for ctx to end (then it returns ctx's
// error and holds nothing). release must be called once after a nil
// error.
func (g *Gate) acquire(ctx context.Context) (release func(), err error) {
	g.mu.Lock()
	if g.running < g.limit {
		g.running++
		g.peak = max(g.peak, g.running)
		g.mu.Unlock()
		return g.release, nil
	}
	w := &waiter{ready: make(chan struct{})}
	g.waiting = append(g.waiting, w)
	g.mu.Unlock()
	select {
	case <-w.ready:
		return g.release, nil
	case <-ctx.Done():
		g.mu.Lock()
		if w.granted {
			// The turn came as ctx ended: pass it on.
			g.mu.Unlock()
			g.release()
			return nil, ctx.Err()
		}
		for i, x := range g.waiting {
			if x == w {
				g.waiting = append(g.waiting[:i], g.waiting[i+1:]...)
				break
			}
		}
		g.mu.Unlock()
		return nil, ctx.Err()
	}
}

// release ends a turn: the newest waiter runs in its place.
func (g *Gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := len(g.waiting); n > 0 {
		w := g.waiting[n-1]
		g.waiting = g.waiting[:n-1]
		w.granted = true
		close(w.ready)
		return
	}
	g.running--
}

// Peak is the most verifications that ever ran at once through g.
func (g *Gate) Peak() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.peak
}
