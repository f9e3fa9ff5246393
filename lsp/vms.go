package lsp

import (
	"runtime/debug"
	"strings"
	"sync"

	"go.lsp.dev/protocol"
)

// bootVMs boots, in the background, the microVMs that verify for the
// configured targets (profiles built from kernel images), when saves
// verify: under TCG a boot takes seconds, so it starts when the targets
// are configured rather than at the first save, with work-done progress
// naming each kernel as it boots and when it is ready. A save during the
// boots waits for the VM it needs (the pipeline's pool shares the boot).
func (s *server) bootVMs() {
	if !s.verifyOnSave() {
		return
	}
	s.goSafe("microVM boot", func() {
		var (
			once  sync.Once
			token *protocol.ProgressToken
			mu    sync.Mutex
			order []string
			last  = map[string]string{} // each target's latest news
		)
		n := s.pipe.BootVMs(s.connCtx, func(target, msg string) {
			once.Do(func() {
				token = s.newProgress("vms")
				s.progress(token, map[string]any{"kind": "begin", "title": "kgent: booting the targets' kernels", "message": "microVMs for their verifiers"})
			})
			s.log.Printf("microVM: %s", msg)
			mu.Lock()
			if _, ok := last[target]; !ok {
				order = append(order, target)
			}
			last[target] = msg
			mu.Unlock()
			s.progress(token, map[string]any{"kind": "report", "message": msg})
		})
		if n == 0 || s.connCtx.Err() != nil {
			return
		}
		// A boot reads the guest's init and the kernel image and builds
		// the initramfs in memory: some 25 MB of garbage per kernel that
		// the runtime would otherwise keep mapped for minutes, while what
		// stays live is a few hundred KB (the VMs are QEMU processes).
		// Give it back now, once per boot of the targets.
		debug.FreeOSMemory()
		var ends []string
		for _, t := range order {
			ends = append(ends, last[t])
		}
		s.progress(token, map[string]any{"kind": "end", "message": strings.Join(ends, "; ")})
	})
}
