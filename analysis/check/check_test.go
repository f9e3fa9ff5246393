package check

import (
	"errors"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// Without BTF, checks run against the embedded snapshot and say so.
func TestReferenceKernelNote(t *testing.T) {
	snap, err := kb.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	fs, err := File("x.bt", "tracepoint:syscalls:sys_enter_opnat { }\n", Options{KB: snap})
	if err != nil {
		t.Fatal(err)
	}
	var ref, missing bool
	for _, f := range fs {
		switch f.Code {
		case analysis.KG001:
			ref = f.Severity == analysis.Information && strings.Contains(f.Message, "reference kernel")
		case analysis.KG304:
			missing = strings.Contains(strings.Join(f.Notes, " "), "embedded reference snapshot")
		}
	}
	if !ref || !missing {
		t.Fatalf("%+v", fs)
	}
}

func TestUncheckable(t *testing.T) {
	if _, err := File("x.bt", "\x00binary", Options{}); !errors.Is(err, ErrBinary) {
		t.Fatalf("binary: %v", err)
	}
	if _, err := File("notes.txt", "hello", Options{}); !errors.Is(err, ErrUnknownDialect) {
		t.Fatalf("unknown: %v", err)
	}
	big := strings.Repeat("x", MaxSize+1)
	if _, err := File("x.bt", big, Options{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("large: %v", err)
	}
}

// A document checked incrementally gives the same findings as File.
func TestDocumentMatchesFile(t *testing.T) {
	src := "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\nSEC(\"tp/a/b\") int f(void *c) { return bpf_get_current_pid(); }\n"
	d := NewDocument("x.bpf.c", src, analysis.DialectNone)
	defer d.Close()
	d.Edit(len(src)-2, len(src)-2, " ")
	a, err1 := d.Findings(Options{})
	b, err2 := File("x.bpf.c", d.Text(), Options{})
	if err1 != nil || err2 != nil || len(a) != len(b) {
		t.Fatalf("%v %v\n%+v\n%+v", err1, err2, a, b)
	}
}
