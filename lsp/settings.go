package lsp

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/kb"
)

// Settings are the `kgent` section a client sends in
// initializationOptions, workspace/didChangeConfiguration or answers to
// workspace/configuration (docs/settings.md lists them).
type Settings struct {
	KBDir        string   `json:"kbDir"`
	TargetBTF    string   `json:"targetBTF"`
	VerifyOnSave *bool    `json:"verifyOnSave"`
	ClangPath    string   `json:"clangPath"`
	BpftracePath string   `json:"bpftracePath"`
	IncludePaths []string `json:"includePaths"`
	LLM          struct {
		Provider string `json:"provider"`
		BaseURL  string `json:"baseURL"`
		Model    string `json:"model"`
	} `json:"llm"`
}

// parseSettings takes {"kgent": {...}} or the inner object; ok is false
// when raw holds no settings.
func parseSettings(raw json.RawMessage) (Settings, bool, error) {
	var st Settings
	if len(raw) == 0 || string(raw) == "null" {
		return st, false, nil
	}
	var wrapped struct {
		Kgent *Settings `json:"kgent"`
	}
	if json.Unmarshal(raw, &wrapped) == nil && wrapped.Kgent != nil {
		return *wrapped.Kgent, true, nil
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, false, err
	}
	return st, true, nil
}

// applySettings stores new settings; when they change which kb is used,
// the kb is reloaded and every open document re-checked.
func (s *server) applySettings(raw json.RawMessage) {
	st, ok, err := parseSettings(raw)
	if err != nil {
		s.log.Printf("ignoring settings: %v", err)
		return
	}
	if !ok {
		return
	}
	s.mu.Lock()
	s.settings = st
	s.verifier = nil // rebuilt with the new tool paths
	want := s.kbOptionsLocked()
	reload := s.initialized && (s.kbLoadedFrom.Dir != want.Dir || s.kbLoadedFrom.BTFFile != want.BTFFile)
	s.mu.Unlock()
	if reload {
		s.goSafe("kb reload", func() { s.loadKB(false) })
	}
}

// kbOptionsLocked resolves which kb to load. Precedence: flag (--kb,
// --btf) > editor settings (kbDir, targetBTF) > the host's kb; no
// environment variable names a kb (KGENT_KB_DIR, read by kb, only moves
// the cache).
func (s *server) kbOptionsLocked() kb.Options {
	o := s.opts.KB
	o.Warn, o.Rebuild = nil, false
	if o.Dir != "" || o.BTFFile != "" {
		return o
	}
	o.Dir, o.BTFFile = s.settings.KBDir, s.settings.TargetBTF
	return o
}

// verifyOnSave: environment KGENT_VERIFY_ON_SAVE (0 or 1) > setting >
// on.
func (s *server) verifyOnSave() bool {
	switch os.Getenv("KGENT_VERIFY_ON_SAVE") {
	case "0", "false":
		return false
	case "1", "true":
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.settings.VerifyOnSave != nil {
		return *s.settings.VerifyOnSave
	}
	return true
}

// includePaths are the configured include directories (KGENT_INCLUDE_PATHS
// over the includePaths setting): with the document's directory and the
// system headers, the only places the static check reads an include from.
func (s *server) includePaths() []string {
	if env := os.Getenv("KGENT_INCLUDE_PATHS"); env != "" {
		return filepath.SplitList(env)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings.IncludePaths
}

// getVerifier returns the verifier for the current kb and tool paths:
// environment (KGENT_CLANG, KGENT_BPFTRACE, KGENT_INCLUDE_PATHS) >
// settings > PATH.
func (s *server) getVerifier() *verify.Verifier {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.verifier == nil {
		pick := func(env, setting string) string {
			if v := os.Getenv(env); v != "" {
				return v
			}
			return setting
		}
		includes := s.settings.IncludePaths
		if env := os.Getenv("KGENT_INCLUDE_PATHS"); env != "" {
			includes = filepath.SplitList(env)
		}
		s.verifier = verify.New(verify.Options{KB: s.kb, ClangPath: pick("KGENT_CLANG", s.settings.ClangPath),
			BpftracePath: pick("KGENT_BPFTRACE", s.settings.BpftracePath), IncludePaths: includes})
	}
	return s.verifier
}
