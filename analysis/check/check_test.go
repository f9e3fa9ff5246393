package check

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
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

// FuzzCheck runs the whole check path (dialect detection, either checker,
// the incremental document) on any text, now and then with a context that
// ends part way: it must return (with ctx's error when cancelled) and
// never give a span outside the text.
func FuzzCheck(f *testing.F) {
	for _, p := range []string{"../bpftrace/testdata/*.bt", "../bpfc/testdata/*.bpf.c"} {
		files, _ := filepath.Glob(p)
		for _, name := range files {
			data, _ := os.ReadFile(name)
			f.Add(filepath.Base(name), string(data), uint16(0))
		}
	}
	f.Add("x.bt", "BEGIN { @x = 1+1+1; $t = curtask->parent->parent; }", uint16(3))
	f.Add("x.bpf.c", "#include \"vmlinux.h\"\nint f(struct task_struct *t) { return t->parent->pid; }", uint16(1))
	f.Fuzz(func(t *testing.T, name, src string, stop uint16) {
		if strings.ContainsAny(name, "/\x00") {
			return // a path, not a name: the checks may read beside it
		}
		ctx := context.Background()
		if stop > 0 {
			ctx = testenv.NewStopAfter(ctx, int64(stop))
		}
		check := func(fs []analysis.Finding, err error) {
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, ErrUnknownDialect) && !errors.Is(err, ErrBinary) {
				t.Fatalf("error %v", err)
			}
			if err != nil && stop == 0 && errors.Is(err, context.Canceled) {
				t.Fatal("cancelled without a cancel")
			}
			for _, fd := range fs {
				if fd.Span.Start < 0 || fd.Span.End > len(src) || fd.Span.Start > fd.Span.End {
					t.Fatalf("bad span %+v of %s for %d bytes", fd.Span, fd.Code, len(src))
				}
			}
		}
		check(FileContext(ctx, name, src, Options{BpftraceVersion: "0.17"}))
		d := NewDocument(name, src, analysis.DialectNone)
		defer d.Close()
		if stop > 0 {
			ctx = testenv.NewStopAfter(nil, int64(stop))
		}
		check(d.FindingsContext(ctx, Options{BpftraceVersion: "0.17"}))
	})
}

// TestFileContextCancelled: an ended context ends the check with its
// error, for both dialects.
func TestFileContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, name := range []string{"x.bt", "x.bpf.c"} {
		src := "BEGIN { @x = 1; }\n"
		if name == "x.bpf.c" {
			src = "#include \"vmlinux.h\"\nint f(void) { return 0; }\n"
		}
		if _, err := FileContext(ctx, name, src, Options{}); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err %v", name, err)
		}
		d := NewDocument(name, src, analysis.DialectNone)
		if _, err := d.FindingsContext(ctx, Options{}); !errors.Is(err, context.Canceled) {
			t.Errorf("%s document: err %v", name, err)
		}
		d.Close()
		if _, err := FileContext(context.Background(), name, src, Options{}); err != nil {
			t.Errorf("%s not cancelled: err %v", name, err)
		}
	}
}
