package lsp

import (
	"encoding/json"
	"slices"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/kb"
)

// applySettings takes the editor's settings (the `kgent` section,
// docs/settings.md): from initialize, didChangeConfiguration or a
// workspace/configuration answer. The configuration is resolved again
// (command line > environment > these settings); a kb that changed is
// reloaded and every open document re-checked, otherwise the pipeline is
// reconfigured in place. Unknown keys and bad values are reported once
// each (window/showMessage), never fatal.
func (s *server) applySettings(raw json.RawMessage) {
	st, ok, probs, err := pipeline.EditorSettings(raw)
	if err != nil {
		s.log.Printf("ignoring settings: %v", err)
		s.notify("window/showMessage", protocol.ShowMessageParams{Type: protocol.MessageTypeError, Message: "kgent: ignoring settings: " + err.Error()})
		return
	}
	if !ok {
		return
	}
	s.mu.Lock()
	s.editor = st
	cfg := s.resolveLocked()
	want := cfg.KBOptions()
	reload := s.initialized && (s.kbLoadedFrom.Dir != want.Dir || s.kbLoadedFrom.BTFFile != want.BTFFile)
	k := s.pipe.KB()
	s.mu.Unlock()
	s.report(append(probs, cfg.Problems...))
	if reload {
		s.goSafe("kb reload", func() { s.loadKB(false) })
		return
	}
	if k == nil {
		// The first kb load (initialize) configures the pipeline.
		return
	}
	// Opening targets may build a profile (seconds): not on the message
	// loop. What was analysed with a configuration that changes findings
	// is re-checked (and only then: a re-check makes a running
	// verification's result stale).
	old := s.pipe.Config()
	s.goSafe("reconfigure", func() {
		s.report(s.pipe.Reconfigure(cfg, k))
		if changesFindings(old, cfg) {
			s.reanalyzeAll()
		}
		if !slices.Equal(old.Targets, cfg.Targets) || !old.Verify() && cfg.Verify() {
			s.bootVMs()
		}
	})
}

// changesFindings: the static findings of a document may differ under
// b from under a (the bpftrace release, include paths, targets).
func changesFindings(a, b pipeline.Config) bool {
	return a.BpftraceVersion != b.BpftraceVersion || a.BpftracePath != b.BpftracePath ||
		!slices.Equal(a.IncludePaths, b.IncludePaths) || !slices.Equal(a.Targets, b.Targets)
}

// resolveLocked resolves the configuration from the command line, the
// environment (read at start) and the editor's settings.
func (s *server) resolveLocked() pipeline.Config {
	return pipeline.Resolve(s.opts.Flags, s.env, s.editor)
}

// report shows each configuration problem once per server.
func (s *server) report(probs []pipeline.Problem) {
	var fresh []string
	s.mu.Lock()
	for _, p := range probs {
		msg := p.Error()
		if !s.told[msg] {
			s.told[msg] = true
			fresh = append(fresh, msg)
		}
	}
	s.mu.Unlock()
	if len(fresh) == 0 {
		return
	}
	for _, m := range fresh {
		s.log.Printf("settings: %s", m)
	}
	s.notify("window/showMessage", protocol.ShowMessageParams{Type: protocol.MessageTypeWarning,
		Message: "kgent: configuration not used: " + strings.Join(fresh, "; ")})
}

// kbOptions are the kb options of the resolved configuration.
func (s *server) kbOptions() kb.Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resolveLocked().KBOptions()
}

// verifyOnSave: the resolved verifyOnSave (KGENT_VERIFY_ON_SAVE over the
// setting), on by default.
func (s *server) verifyOnSave() bool { return s.pipe.Config().Verify() }
