package lsp

import (
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/kb"
)

// loadKB loads (or, with rebuild, rebuilds) the kb the settings name,
// swaps it in, re-checks the open documents and reports kgent/status.
// The first load, at initialize, releases kbReady.
func (s *server) loadKB(rebuild bool) {
	opts := s.kbOptions()
	opts.Rebuild = rebuild
	opts.Warn = func(w string) { s.log.Print("kb: " + w) }
	k, err := s.opts.LoadKB(opts)
	s.mu.Lock()
	first := false
	select {
	case <-s.kbReady:
	default:
		first = true
	}
	swap := err == nil || first
	cfg := s.resolveLocked()
	if swap {
		s.kbErr = err
		s.kbLoadedFrom = opts
	}
	s.mu.Unlock()
	if swap {
		// The old kb is dropped here: nothing else holds it.
		s.report(s.pipe.Reconfigure(cfg, k))
	}
	if first {
		close(s.kbReady)
	}
	if err != nil {
		s.log.Printf("kb: %v", err)
		s.notify("window/showMessage", protocol.ShowMessageParams{Type: protocol.MessageTypeError,
			Message: "kgent: cannot load the kernel knowledge base (checks without kernel facts): " + err.Error()})
		s.sendStatus()
		return
	}
	if !first {
		s.reanalyzeAll()
	}
	s.sendStatus()
	s.bootVMs()
}

// currentKB is the loaded kb, nil before or without one.
func (s *server) currentKB() *kb.KB { return s.pipe.KB() }

// Status is the kgent/status notification: which kernel the checks are
// against and what verification is doing.
type Status struct {
	Kernel       string         `json:"kernel,omitempty"`
	Source       string         `json:"source,omitempty"`
	Reference    bool           `json:"reference"`
	Counts       map[string]int `json:"counts,omitempty"`
	KBError      string         `json:"kbError,omitempty"`
	Verification string         `json:"verification"`
	Path         string         `json:"path,omitempty"`
	Millis       int64          `json:"ms,omitempty"`
}

func (s *server) sendStatus() { s.sendStatusWith("", 0) }

func (s *server) sendStatusWith(path string, ms int64) {
	s.mu.Lock()
	kerr, st := s.kbErr, Status{Verification: s.verifyState, Path: path, Millis: ms}
	s.mu.Unlock()
	k := s.currentKB()
	if k != nil {
		info := k.Info()
		st.Kernel, st.Source, st.Reference, st.Counts = info.Kernel, info.Source, info.Reference, info.Counts
	}
	if kerr != nil {
		st.KBError = kerr.Error()
	}
	s.notify("kgent/status", st)
}
