package mcp

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
)

// tokenFile writes a file holding a random token as C text, mode perm in
// a directory of mode dirPerm.
func tokenFile(t *testing.T, prefix string, dirPerm, perm os.FileMode) (path, token string) {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	token = prefix + hex.EncodeToString(b)
	dir, err := os.MkdirTemp("", "kgent-mcp-leak-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, dirPerm)
	path = filepath.Join(dir, "data.h")
	if err := os.WriteFile(path, []byte(token+" garbage here;\n"), perm); err != nil {
		t.Fatal(err)
	}
	return path, token
}

// TestCheckVerifyNoFileDisclosure: check_program with verify on programs
// that include /etc/shadow, a root-only file and a world-readable one
// answers without any of their contents, for C and bpftrace, whatever
// path the client claims for the program.
func TestCheckVerifyNoFileDisclosure(t *testing.T) {
	testenv.Require(t, testenv.BPF, testenv.Clang, testenv.Bpftool, testenv.Bpftrace)
	cs := session(t, Options{})
	secret, secretTok := tokenFile(t, "kgent_secret_", 0o700, 0o600)
	public, publicTok := tokenFile(t, "kgent_public_", 0o755, 0o644)
	tokens := []string{secretTok, publicTok}
	if data, err := os.ReadFile("/etc/shadow"); err == nil && len(data) > 0 {
		tokens = append(tokens, strings.SplitN(string(data), "\n", 2)[0])
	}
	for _, inc := range []string{"/etc/shadow", secret, public} {
		for _, p := range []struct{ lang, src, path string }{
			{"c", fmt.Sprintf("#include \"%s\"\n#include \"vmlinux.h\"\nint x;\n", inc), ""},
			{"c", "#include \"data.h\"\nint x;\n", filepath.Join(filepath.Dir(inc), "prog.bpf.c")},
			{"bpftrace", fmt.Sprintf("#include \"%s\"\nBEGIN { exit(); }\n", inc), ""},
		} {
			args := map[string]any{"source": p.src, "language": p.lang, "verify": true}
			if p.path != "" {
				args["path"] = p.path
			}
			res := call(t, cs, "check_program", args, nil)
			data, _ := json.Marshal(res)
			for _, tok := range tokens {
				if strings.Contains(string(data), tok) {
					t.Errorf("%s including %s (path %q): the answer shows %q:\n%s", p.lang, inc, p.path, tok, data)
				}
			}
		}
	}
}
