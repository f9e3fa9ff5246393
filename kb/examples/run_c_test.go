package examples

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/perf"
	"github.com/cilium/ebpf/ringbuf"

	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/internal/testenv"
)

// attachable says whether every program of a C example can be attached
// here by this test: tracepoints, BTF and raw tracepoints, uprobes and
// iterators. USDT needs libbpf's USDT manager (argument specs in maps),
// which cilium/ebpf does not have: those examples are compiled and loaded
// by TestCExamplesLoad only.
func attachable(spec *ebpf.CollectionSpec) (bool, string) {
	for name, p := range spec.Programs {
		prefix, _, _ := strings.Cut(p.SectionName, "/")
		switch prefix {
		case "tp", "tracepoint", "tp_btf", "raw_tp", "raw_tracepoint", "uprobe", "uretprobe", "iter":
		default:
			return false, fmt.Sprintf("program %s (%s)", name, p.SectionName)
		}
	}
	return true, ""
}

// attach links one program by its section name.
func attach(p *ebpf.Program, section string) (link.Link, error) {
	prefix, rest, _ := strings.Cut(section, "/")
	switch prefix {
	case "tp", "tracepoint":
		cat, name, _ := strings.Cut(rest, "/")
		return link.Tracepoint(cat, name, p, nil)
	case "tp_btf":
		return link.AttachTracing(link.TracingOptions{Program: p})
	case "raw_tp", "raw_tracepoint":
		return link.AttachRawTracepoint(link.RawTracepointOptions{Name: rest, Program: p})
	case "uprobe", "uretprobe":
		// libbpf's form: uprobe//bin/bash:readline (an absolute path).
		i := strings.LastIndexByte(rest, ':')
		if i < 0 {
			return nil, fmt.Errorf("section %q has no :symbol", section)
		}
		ex, err := link.OpenExecutable(rest[:i])
		if err != nil {
			return nil, err
		}
		if prefix == "uretprobe" {
			return ex.Uretprobe(rest[i+1:], p, nil)
		}
		return ex.Uprobe(rest[i+1:], p, nil)
	case "iter":
		return link.AttachIter(link.IterOptions{Program: p})
	}
	return nil, fmt.Errorf("no attach for section %q", section)
}

// TestCExamplesRun loads every C example whose programs attach here and
// that names a trigger, attaches all its programs, runs the trigger, and
// requires evidence that the programs ran: an event in a ring or perf
// buffer, an entry in a map (a non-zero one for arrays), or output from an
// iterator. Bounded in time; every link and map is closed.
func TestCExamplesRun(t *testing.T) {
	testenv.Short(t, "attaches every C example under its trigger")
	k := testenv.HostKB(t, testenv.BPF, testenv.Clang, testenv.Bpftool, testenv.Headers, testenv.Tracefs)
	exs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	v := verify.New(verify.Options{KB: k, CacheDir: filepath.Join(os.TempDir(), "kgent-examples-verify")})
	ran, want := 0, 0
	for _, e := range exs {
		if e.Dialect != "c" || e.Trigger == "" {
			continue
		}
		// USDT programs are compiled and loaded but not attached here:
		// cilium/ebpf has no USDT attach (libbpf resolves the note's
		// address and semaphore). Every other example with a trigger runs.
		if !strings.Contains(e.Source, `SEC("usdt`) {
			want++
		}
		obj := filepath.Join(t.TempDir(), e.Slug+".o")
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		r, ok := v.CompileC(ctx, filepath.Join(e.Slug, e.FileName()), e.Source, obj)
		cancel()
		if !ok {
			t.Errorf("%s: does not compile: %v\n%s", e.Slug, r.Findings, r.Log)
			continue
		}
		spec, err := ebpf.LoadCollectionSpec(obj)
		if err != nil && strings.Contains(e.Source, "usdt.bpf.h") {
			t.Logf("%s: libbpf's USDT support needs libbpf's loader: compiled and checked only (%v)", e.Slug, err)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", e.Slug, err)
			continue
		}
		if ok, why := attachable(spec); !ok {
			t.Logf("%s: has a trigger but %s cannot be attached by this test: compiled and loaded only", e.Slug, why)
			continue
		}
		ran++
		t.Run(e.Slug, func(t *testing.T) { runC(t, e, spec) })
	}
	if ran != want || ran == 0 {
		t.Fatalf("%d of the %d C examples with a trigger (USDT aside) ran", ran, want)
	}
}

func runC(t *testing.T, e Example, spec *ebpf.CollectionSpec) {
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	defer coll.Close()
	// Perf buffers only receive events while a reader is open.
	var perfReaders []*perf.Reader
	for name, m := range coll.Maps {
		if m.Type() == ebpf.PerfEventArray {
			rd, err := perf.NewReader(m, os.Getpagesize()*8)
			if err != nil {
				t.Fatalf("perf reader for %s: %v", name, err)
			}
			defer rd.Close()
			perfReaders = append(perfReaders, rd)
		}
	}
	var iters []*link.Iter
	for name, p := range coll.Programs {
		l, err := attach(p, spec.Programs[name].SectionName)
		if err != nil {
			t.Fatalf("attach %s (%s): %v", name, spec.Programs[name].SectionName, err)
		}
		defer l.Close()
		if it, ok := l.(*link.Iter); ok {
			iters = append(iters, it)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		out, err := exec.CommandContext(ctx, "sh", "-c", e.Trigger).CombinedOutput()
		if err != nil && i == 0 {
			t.Logf("trigger %q: %v %s", e.Trigger, err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var evidence []string
	for _, it := range iters {
		rc, err := it.Open()
		if err != nil {
			t.Fatalf("open iterator: %v", err)
		}
		data, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
		rc.Close()
		if len(bytes.TrimSpace(data)) > 0 {
			evidence = append(evidence, fmt.Sprintf("iterator output %q", firstLineOf(string(data))))
		}
	}
	for _, rd := range perfReaders {
		rd.SetDeadline(time.Now().Add(2 * time.Second))
		if rec, err := rd.Read(); err == nil && len(rec.RawSample) > 0 {
			evidence = append(evidence, fmt.Sprintf("perf event of %d bytes", len(rec.RawSample)))
		}
	}
	for name, m := range coll.Maps {
		switch m.Type() {
		case ebpf.RingBuf:
			rd, err := ringbuf.NewReader(m)
			if err != nil {
				t.Fatalf("ring buffer reader for %s: %v", name, err)
			}
			rd.SetDeadline(time.Now().Add(2 * time.Second))
			rec, err := rd.Read()
			rd.Close()
			if err == nil && len(rec.RawSample) > 0 {
				evidence = append(evidence, fmt.Sprintf("ring buffer event of %d bytes in %s", len(rec.RawSample), name))
			} else if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Logf("ring buffer %s: %v", name, err)
			}
		case ebpf.PerfEventArray:
		default:
			if strings.HasPrefix(name, ".rodata") || name == ".kconfig" {
				continue // constants, not evidence
			}
			if n := nonZeroEntries(m); n > 0 {
				evidence = append(evidence, fmt.Sprintf("%d entries in %s", n, name))
			}
		}
	}
	if len(evidence) == 0 {
		t.Fatalf("no event, map entry or output after the trigger %q", e.Trigger)
	}
	t.Logf("%s", strings.Join(evidence, "; "))
}

// nonZeroEntries counts a map's entries whose value is not all zero bytes
// (arrays hold zeroed entries from the start).
func nonZeroEntries(m *ebpf.Map) int {
	n := 0
	perCPU := m.Type() == ebpf.PerCPUHash || m.Type() == ebpf.PerCPUArray || m.Type() == ebpf.LRUCPUHash
	cpus, err := ebpf.PossibleCPU()
	if err != nil {
		return 0
	}
	it := m.Iterate()
	key := make([]byte, m.KeySize())
	for {
		var nonZero bool
		if perCPU {
			vals := make([][]byte, cpus)
			if !it.Next(&key, &vals) {
				break
			}
			for _, v := range vals {
				nonZero = nonZero || bytes.ContainsFunc(v, func(r rune) bool { return r != 0 })
			}
		} else {
			var val []byte
			if !it.Next(&key, &val) {
				break
			}
			nonZero = m.Type() == ebpf.StackTrace || bytes.ContainsFunc(val, func(r rune) bool { return r != 0 })
		}
		if nonZero {
			n++
		}
	}
	return n
}

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
