package agent

import (
	"context"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

func TestOffline(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Tracefs)
	k, err := kb.Load(kb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Offline(pipe(k), Request{Text: "trace files opened by pid 1234", Lang: analysis.DialectBpftrace})
	if err != nil {
		t.Fatal(err)
	}
	if r.Provider != "offline" || !strings.Contains(r.Notes[0], "not a generated program") {
		t.Fatalf("not marked as retrieval: %+v", r.Notes)
	}
	if !strings.Contains(r.Program, "/pid == 1234/") || !r.Clean {
		t.Fatalf("program %q clean %v findings %+v", r.Program, r.Clean, r.Findings)
	}
	if _, err := Offline(pipe(k), Request{Text: "   "}); err == nil {
		t.Fatal("empty request accepted")
	}
	if _, err := Offline(pipe(k), Request{Text: "zzqx wvvy"}); err != ErrNoMatch {
		t.Fatalf("nonsense request: %v", err)
	}
}

func TestOfflineAdapts(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	// Attach point: the write-sizes example moved to read, whose
	// tracepoint has the same field.
	writes := "tracepoint:syscalls:sys_enter_write\n{\n  @bytes[comm] = hist(args->count);\n}\n"
	got, notes := adaptAttach(k, writes, "histogram of bytes requested by read calls", nil)
	if !strings.Contains(got, "sys_enter_read") || len(notes) != 1 {
		t.Fatalf("%s %v", got, notes)
	}
	// Not adapted when the fields do not exist on the named syscall.
	opens := "tracepoint:syscalls:sys_enter_openat\n{\n  printf(\"%s\\n\", str(args->filename));\n}\n"
	got, notes = adaptAttach(k, opens, "show every unlink call", nil)
	if got != opens || len(notes) != 1 || !strings.Contains(notes[0], "not adapted") {
		t.Fatalf("%s %v", got, notes)
	}
	// Printed fields the request names are added.
	r, err := Offline(pipe(k), Request{Text: "print every file opened with its uid", Lang: analysis.DialectBpftrace})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Program, "uid=%d") || !strings.Contains(r.Program, ", uid)") || !r.Clean {
		t.Fatalf("printed fields not adapted: %s %v", r.Program, r.Notes)
	}
}

func TestOfflineFilterJoinsPredicate(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	r, err := Offline(pipe(k), Request{Text: `histogram of bytes requested by read calls of the process named "nginx"`, Lang: analysis.DialectBpftrace})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Program, `/(args->ret > 0) && comm == "nginx"/`) || !r.Clean || len(r.Mismatches) != 0 {
		t.Fatalf("%s\n%v %v", r.Program, r.Findings, r.Mismatches)
	}
}

// The offline provider's program goes through the same checks as a
// model's, the verifier included.
func TestOfflineVerified(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	testenv.Require(t, testenv.Bpftrace, testenv.BPF)
	var lines []string
	r, err := Generate(context.Background(), Request{Text: "count context switches per task"},
		Options{Pipeline: pipe(k), Verify: true, Progress: func(s string) { lines = append(lines, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Verified || len(r.Attempts) != 1 || r.Example != "bt-context-switches" || len(lines) != 2 || !strings.Contains(lines[1], "verification") {
		t.Fatalf("%+v %v", r, lines)
	}
}
