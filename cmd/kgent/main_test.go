package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(out, "kgent ") {
		t.Fatalf("version: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "help")
	if code != 0 || !strings.Contains(out, "check") || !strings.Contains(out, "kb") {
		t.Fatalf("help: %d %q", code, out)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	cases := [][]string{
		{},
		{"nosuchcommand"},
		{"version", "extra"},
		{"check"},
		{"check", "--format", "xml", "x.bt"},
		{"check", "--nosuchflag", "x.bt"},
		{"kb"},
		{"kb", "nosuch"},
		{"kb", "lookup"},
	}
	for _, args := range cases {
		if code, _, _ := runCLI(t, args...); code != 2 {
			t.Errorf("kgent %v: exit %d, want 2", args, code)
		}
	}
}

func TestCheckExitStatus(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	dir := t.TempDir()
	good := filepath.Join(dir, "good.bt")
	bad := filepath.Join(dir, "bad.bt")
	os.WriteFile(good, []byte("tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }\n"), 0o644)
	os.WriteFile(bad, []byte("tracepoint:syscalls:sys_enter_opnat { @[comm] = count(); }\n"), 0o644)
	if code, out, errs := runCLI(t, "check", good); code != 0 {
		t.Fatalf("good: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ := runCLI(t, "check", bad)
	if code != 1 || !strings.Contains(out, "bad.bt:1:") || !strings.Contains(out, "KG304") {
		t.Fatalf("bad: exit %d\n%s", code, out)
	}
	// JSON output has the DESIGN shape and the kb block.
	code, out, _ = runCLI(t, "check", "--format", "json", bad)
	var rep struct {
		Files []struct {
			Path        string
			Diagnostics []struct{ Code string }
		}
		KB struct{ Kernel string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 {
		t.Fatalf("json: %v exit %d %s", err, code, out)
	}
	if rep.Files[0].Path != bad || rep.Files[0].Diagnostics[0].Code != "KG304" || rep.KB.Kernel == "" {
		t.Fatalf("json report %+v", rep)
	}
	// Unreadable file: exit 2 with a message.
	if code, _, errs := runCLI(t, "check", filepath.Join(dir, "missing.bt")); code != 2 || errs == "" {
		t.Fatalf("missing file: exit %d %q", code, errs)
	}
	// Binary content is not checked: exit 2.
	bin := filepath.Join(dir, "bin.bt")
	os.WriteFile(bin, []byte("\x00\x01\x02ELF"), 0o644)
	if code, out, _ := runCLI(t, "check", bin); code != 2 || !strings.Contains(out, "binary") {
		t.Fatalf("binary: exit %d %q", code, out)
	}
	// A directory expands to the eBPF sources below it.
	if code, out, _ := runCLI(t, "check", dir); code != 2 || !strings.Contains(out, "bad.bt") {
		t.Fatalf("dir: exit %d %q", code, out)
	}
}

func TestKBLookupCLI(t *testing.T) {
	testenv.Require(t, testenv.BTF)
	t.Setenv("KGENT_KB_DIR", t.TempDir())
	code, out, _ := runCLI(t, "kb", "lookup", "tcp_v4_connect")
	if code != 0 || !strings.Contains(out, "int tcp_v4_connect(struct sock *sk") {
		t.Fatalf("lookup: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "kb", "lookup", "bpf_probe_read_kernal")
	if code != 1 || !strings.Contains(out, "did you mean: bpf_probe_read_kernel") {
		t.Fatalf("lookup typo: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "kb", "info", "--json")
	var info struct {
		Kernel string
		Counts map[string]int
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil || code != 0 || info.Counts["helpers"] == 0 {
		t.Fatalf("info: %v %d %q", err, code, out)
	}
}
