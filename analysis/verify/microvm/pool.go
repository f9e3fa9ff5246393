package microvm

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"
)

// Pool keeps one VM per kernel image, booted on first use (or by Start)
// and reused. A VM that dies is booted again once for the request that
// found it dead; when that fails too, the request's error says why. A
// VM that does not answer in time is killed and the request fails; the
// next request boots a new one. Safe for concurrent use; Close kills
// every VM.
type Pool struct {
	opts Options

	mu     sync.Mutex
	vms    map[string]*slot
	closed bool
}

// slot is one image's VM, or its boot in progress.
type slot struct {
	booting chan struct{} // closed when the boot in progress ends
	vm      *VM
	err     error // the last boot's error
}

// NewPool makes a pool; nothing boots until asked.
func NewPool(opts Options) *Pool {
	opts.defaults()
	p := &Pool{opts: opts, vms: map[string]*slot{}}
	if opts.IdleTimeout > 0 {
		go p.reapIdle()
	}
	return p
}

// Options are the pool's options, defaults filled in.
func (p *Pool) Options() Options { return p.opts }

var errClosed = errors.New("the microVM pool is closed")

// VM returns t's VM, booting it when there is none or it died, and
// waiting for a boot in progress.
func (p *Pool) VM(ctx context.Context, t Target) (*VM, error) {
	return p.vm(ctx, t, nil)
}

func (p *Pool) vm(ctx context.Context, t Target, failed *VM) (*VM, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, errClosed
		}
		s := p.vms[t.Image]
		if s == nil {
			s = &slot{}
			p.vms[t.Image] = s
		}
		if s.booting != nil {
			ch := s.booting
			p.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if s.vm != nil && s.vm != failed && s.vm.Alive() {
			vm := s.vm
			p.mu.Unlock()
			return vm, nil
		}
		if s.vm != nil {
			s.vm.Kill()
			s.vm = nil
		}
		ch := make(chan struct{})
		s.booting = ch
		p.mu.Unlock()

		p.progress(t.Image, "booting "+filepath.Base(t.Image)+" in a microVM")
		// The boot is the pool's, not this request's: a request that
		// gives up does not waste a boot others wait for.
		bctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		var vm *VM
		var err error
		go func() {
			vm, err = Boot(bctx, p.opts, t)
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			// Let the boot finish for whoever asks next.
			go func() {
				<-done
				p.finishBoot(t, s, ch, vm, err)
				cancel()
			}()
			return nil, ctx.Err()
		}
		cancel()
		p.finishBoot(t, s, ch, vm, err)
		if err != nil {
			return nil, err
		}
		return vm, nil
	}
}

func (p *Pool) finishBoot(t Target, s *slot, ch chan struct{}, vm *VM, err error) {
	p.mu.Lock()
	s.booting = nil
	s.vm, s.err = vm, err
	if p.closed && vm != nil {
		vm.Kill()
		s.vm = nil
	}
	p.mu.Unlock()
	close(ch)
	if err != nil {
		p.progress(t.Image, "boot failed: "+err.Error())
	} else {
		p.progress(t.Image, fmt.Sprintf("%s ready in %.1f s (%s)", vm.Release(), vm.BootTime.Seconds(), vm.Accel()))
	}
}

func (p *Pool) progress(image, msg string) {
	if p.opts.Progress != nil {
		p.opts.Progress(image, msg)
	}
}

// Start boots t's VM in the background (a server's targets, before the
// first save), returning at once.
func (p *Pool) Start(t Target) {
	go p.VM(context.Background(), t)
}

// do runs one request on t's VM: when the VM is dead or dies during it,
// a new one boots and the request is tried once more.
func (p *Pool) do(ctx context.Context, t Target, req func(vm *VM) ([]byte, error)) ([]byte, string, error) {
	var failed *VM
	var firstErr error
	for attempt := 0; attempt < 2; attempt++ {
		vm, err := p.vm(ctx, t, failed)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, errClosed) {
				return nil, "", err
			}
			if firstErr != nil {
				return nil, "", fmt.Errorf("%v; booted again: %v", firstErr, err)
			}
			firstErr = err
			continue
		}
		ans, err := req(vm)
		if err == nil {
			return ans, vm.Release(), nil
		}
		var died errDied
		if !errors.As(err, &died) || firstErr != nil {
			if firstErr != nil {
				return nil, vm.Release(), fmt.Errorf("%v; booted again: %v", firstErr, err)
			}
			return nil, vm.Release(), err
		}
		firstErr, failed = err, vm
	}
	return nil, "", firstErr
}

// Load verifies the compiled object in t's kernel: the guest's JSON
// report (verify.LoadReport) and the kernel's release.
func (p *Pool) Load(ctx context.Context, t Target, obj []byte, verbose bool) ([]byte, string, error) {
	if ctx.Err() != nil {
		return nil, "", ctx.Err()
	}
	return p.do(ctx, t, func(vm *VM) ([]byte, error) { return vm.Load(obj, verbose, p.opts.RequestTimeout) })
}

// Loadall has bpftool load obj in t's kernel (VM.Loadall; the pool's
// Options.Bpftool must be set): its answer and the kernel's release.
func (p *Pool) Loadall(ctx context.Context, t Target, obj []byte) (LoadallAnswer, string, error) {
	if ctx.Err() != nil {
		return LoadallAnswer{}, "", ctx.Err()
	}
	var a LoadallAnswer
	_, rel, err := p.do(ctx, t, func(vm *VM) ([]byte, error) {
		var err error
		a, err = vm.Loadall(obj, p.opts.RequestTimeout)
		return nil, err
	})
	return a, rel, err
}

// Probe asks t's kernel for its features (kb.KernelProbe as JSON).
func (p *Pool) Probe(ctx context.Context, t Target) ([]byte, string, error) {
	return p.do(ctx, t, func(vm *VM) ([]byte, error) { return vm.Probe(10 * p.opts.RequestTimeout) })
}

// Close kills every VM; the pool refuses requests afterwards.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	var vms []*VM
	for _, s := range p.vms {
		if s.vm != nil {
			vms = append(vms, s.vm)
			s.vm = nil
		}
	}
	p.mu.Unlock()
	for _, vm := range vms {
		vm.Kill()
	}
}

// Stop kills t's VM, if one runs; the next request boots it again.
func (p *Pool) Stop(t Target) {
	p.mu.Lock()
	s := p.vms[t.Image]
	var vm *VM
	if s != nil {
		vm, s.vm = s.vm, nil
	}
	p.mu.Unlock()
	if vm != nil {
		vm.Kill()
	}
}

// reapIdle stops the VMs unused for IdleTimeout (an idle guest still
// costs the host some CPU for its timers under TCG).
func (p *Pool) reapIdle() {
	for {
		time.Sleep(p.opts.IdleTimeout / 4)
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return
		}
		var idle []*VM
		for _, s := range p.vms {
			if s.vm != nil && s.vm.idleFor() > p.opts.IdleTimeout {
				idle = append(idle, s.vm)
				s.vm = nil
			}
		}
		p.mu.Unlock()
		for _, vm := range idle {
			p.progress(vm.image, fmt.Sprintf("stopping %s: unused for %v", vm.Release(), p.opts.IdleTimeout))
			vm.Kill()
		}
	}
}

// Running lists the VMs alive, for tests and status.
func (p *Pool) Running() []*VM {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*VM
	for _, s := range p.vms {
		if s.vm != nil && s.vm.Alive() {
			out = append(out, s.vm)
		}
	}
	return out
}
