package lsp

import "github.com/kgent/kgent/analysis/check"

// Checks pay one-time costs on first use. The one that needs no kb (the
// installed bpftrace's version: a process run, ~35 ms) is paid in the
// background while the kb loads, on a throwaway document, so the first
// bpftrace diagnostics do not wait for it. The kb-backed ones (the name
// index behind "did you mean", ~100 ms) are left to first use: paid in
// the background they competed with the first edits on two cores.
func warmUp() {
	_, _ = check.File("warm.bt", "BEGIN { }\n", check.Options{})
}
