package agent

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/fakellm"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// A model's reply that passes the checks and the verifier but traces
// something other than what was asked is caught by the intent check, the
// verdict goes back to the model, and the repaired reply is the answer.
func TestIntentLoopRepairs(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	testenv.Require(t, testenv.Bpftrace, testenv.BPF)
	wrong := "tracepoint:writeback:writeback_start\n{\n  @[comm] = count();\n}\n"
	right := "tracepoint:exceptions:page_fault_user\n{\n  @faults[comm] = count();\n}\n"
	srv := fakellm.New(t, "```bpftrace\n"+wrong+"```", "```bpftrace\n"+right+"```", "It counts user page faults per command.")
	p, err := NewOpenAI(Config{BaseURL: srv.URL + "/v1", Model: "fake", APIKey: secret, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var log progressLog
	r, err := Generate(context.Background(), Request{Text: "count page faults for each process", Lang: analysis.DialectBpftrace},
		Options{Pipeline: pipe(k), Provider: p, Verify: true, Progress: log.add})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Attempts) != 2 || r.Program != right || !r.Verified {
		t.Fatalf("attempts %d verified %v\n%s\n%s", len(r.Attempts), r.Verified, r.Program, log.String())
	}
	first := r.Attempts[0]
	if !first.Verified || first.Intent == nil || first.Intent.Fits || len(first.Intent.Missing) != 1 {
		t.Fatalf("the first reply verifies but misses the intent; its verdict: %+v (verified %v)", first.Intent, first.Verified)
	}
	if r.Intent == nil || !r.Intent.Fits {
		t.Fatalf("final verdict %+v", r.Intent)
	}
	msgs := srv.LastUserMessages()
	if len(msgs) != 3 {
		t.Fatalf("%d requests", len(msgs))
	}
	if !strings.Contains(msgs[0], "kgent reads the request as:\n- page faults: tracepoint:exceptions:page_fault_user") {
		t.Fatalf("the first prompt does not carry the intent:\n%s", msgs[0])
	}
	fb := msgs[1]
	for _, want := range []string{"does not do what was asked", "page faults", "tracepoint:exceptions:page_fault_user", "writeback"} {
		if !strings.Contains(fb, want) {
			t.Fatalf("the feedback lacks %q:\n%s", want, fb)
		}
	}
	if !strings.Contains(log.String(), "intent: does not fit") {
		t.Fatalf("progress does not show the verdict:\n%s", log.String())
	}
}

// When every reply misses the intent the best one comes back with the
// verdict and a note; nothing claims it fits.
func TestIntentLoopGivesUp(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	wrong := "tracepoint:syscalls:sys_enter_unlinkat\n{\n  @[comm] = count();\n}\n"
	srv := fakellm.New(t, "```bpftrace\n"+wrong+"```", "```bpftrace\n"+wrong+"```", "It counts unlinkat calls.")
	p, err := NewOpenAI(Config{BaseURL: srv.URL + "/v1", Model: "fake", APIKey: secret, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Generate(context.Background(), Request{Text: "count shmget calls per process", Lang: analysis.DialectBpftrace},
		Options{Pipeline: pipe(k), Provider: p, Attempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Attempts) != 2 || r.Intent == nil || r.Intent.Fits || !r.Clean {
		t.Fatalf("%+v %+v", r.Attempts, r.Intent)
	}
	found := false
	for _, n := range r.Notes {
		found = found || strings.HasPrefix(n, "intent: the program does not fit")
	}
	if !found {
		t.Fatalf("notes %v", r.Notes)
	}
}

// The intent of requests: events grounded in the kb, the measurement,
// keys and filters, in English and Chinese.
func TestParseIntent(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	for _, c := range []struct {
		req, event, probe, measure string
		keys                       []string
		filter                     string
	}{
		{"histogram of read latency for pid 42", "read", "tracepoint:syscalls:sys_enter_read", "latency", nil, "pid"},
		{"count context switches on each cpu", "context switches", "tracepoint:sched:sched_switch", "count", []string{"cpu"}, ""},
		{"统计每个进程打开文件的次数", "open", "tracepoint:syscalls:sys_enter_openat", "count", []string{"comm"}, ""},
		{"print every kvm exit with its reason", "kvm exits", "tracepoint:kvm:kvm_exit", "print", []string{"field:reason"}, ""},
		{`trace writes by the process named "redis"`, "write", "tracepoint:syscalls:sys_enter_write", "", nil, "comm"},
		{"top 5 commands by block I/O requests", "block I/O", "tracepoint:block:block_rq_issue", "top", []string{"comm"}, ""},
	} {
		in := ParseIntent(k, c.req)
		if !in.Understood || len(in.Events) == 0 || in.Events[0].Name != c.event || !contains(in.Events[0].Probes, c.probe) {
			t.Errorf("%q: events %+v", c.req, in.Events)
			continue
		}
		if in.Measure != c.measure {
			t.Errorf("%q: measure %q, want %q", c.req, in.Measure, c.measure)
		}
		for _, key := range c.keys {
			if !contains(in.Keys, key) {
				t.Errorf("%q: keys %v lack %s", c.req, in.Keys, key)
			}
		}
		if c.filter != "" && (len(in.Filters) == 0 || in.Filters[0].Kind != c.filter) {
			t.Errorf("%q: filters %+v", c.req, in.Filters)
		}
	}
	if in := ParseIntent(k, "zzqx wvvy"); in.Understood {
		t.Errorf("nonsense understood: %+v", in)
	}
}

// What the target lacks is refused with the reason and alternatives,
// never answered with an unrelated program.
func TestRefusals(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	if pmu(k) == kb.Yes {
		t.Log("this host has a PMU: the cache-miss request is not refused here")
	}
	for _, c := range []struct{ req, why string }{
		{"count ZFS read operations per pool", "zfs"},
		{"count swap-ins per process", "swap"},
	} {
		r, err := Offline(pipe(k), Request{Text: c.req, Lang: analysis.DialectBpftrace})
		var ref *Refusal
		if !errors.As(err, &ref) || r != nil {
			t.Fatalf("%q: %v %+v", c.req, err, r)
		}
		if !strings.Contains(strings.ToLower(err.Error()), c.why) || len(ref.Alternatives) == 0 {
			t.Errorf("%q: %v", c.req, err)
		}
	}
	if pmu(k) == kb.No {
		_, err := Offline(pipe(k), Request{Text: "count last level cache misses per process"})
		var ref *Refusal
		if !errors.As(err, &ref) || !strings.Contains(err.Error(), "PMU") {
			t.Fatalf("cache misses without a PMU: %v", err)
		}
	}
}

// The check reads C programs through bpfc's summary.
func TestCheckIntentC(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	in := ParseIntent(k, "count openat calls per process")
	prog, _, err := composeC(k, in)
	if err != nil {
		t.Fatal(err)
	}
	if v := CheckIntent(in, prog, analysis.DialectC); !v.Fits {
		t.Fatalf("%+v\n%s", v, prog)
	}
	other := strings.ReplaceAll(prog, "sys_enter_openat", "sys_enter_unlinkat")
	if v := CheckIntent(in, other, analysis.DialectC); v.Fits || len(v.Missing) != 1 {
		t.Fatalf("%+v", v)
	}
}

func FuzzIntent(f *testing.F) {
	f.Add("count read latency for pid 12 by \"x\"")
	f.Add("统计每个进程打开文件的次数 超过 10 ms")
	f.Fuzz(func(t *testing.T, s string) {
		in := ParseIntent(nil, s)
		prog, _, err := composeBpftrace(nil, in)
		if err == nil {
			CheckIntent(in, prog, analysis.DialectBpftrace)
		}
		CheckIntent(in, s, analysis.DialectBpftrace)
		CheckIntent(in, s, analysis.DialectC)
	})
}

// Composed programs load: each measurement the composer writes, through
// the real bpftrace and verifier (C through clang and the verifier).
func TestComposedVerified(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	testenv.Require(t, testenv.Bpftrace, testenv.BPF)
	for _, c := range []struct {
		req  string
		lang analysis.Dialect
	}{
		{"count kvm exits by exit reason", analysis.DialectBpftrace},
		{"trace System V shared memory operations", analysis.DialectBpftrace},
		{"report every unshare call and its flags", analysis.DialectBpftrace},
		{"time spent in each hard irq handler", analysis.DialectBpftrace},
		{"how long do threads wait for a cpu after waking up", analysis.DialectBpftrace},
		{"latency of getaddrinfo calls", analysis.DialectBpftrace},
		{"page faults per second", analysis.DialectBpftrace},
		{"top 10 processes by number of ioctl calls", analysis.DialectBpftrace},
		{"histogram of transmitted packet sizes", analysis.DialectBpftrace},
		{"print fsync calls slower than 10 ms", analysis.DialectBpftrace},
		{"track creation of network namespaces", analysis.DialectBpftrace},
		{"libbpf program that measures read latency as a log2 histogram", analysis.DialectC},
		{"count process exits per command in C", analysis.DialectC},
	} {
		if c.lang == analysis.DialectC {
			testenv.Require(t, testenv.Clang, testenv.Headers)
		}
		in := ParseIntent(k, c.req)
		compose := composeBpftrace
		if c.lang == analysis.DialectC {
			compose = composeC
		}
		prog, _, err := compose(k, in)
		if err != nil {
			t.Errorf("%q: %v", c.req, err)
			continue
		}
		fs, verified, err := checkProgram(context.Background(), prog, c.lang, Options{Pipeline: pipe(k), Verify: true})
		if v := CheckIntent(in, prog, c.lang); err != nil || !verified || !v.Fits {
			t.Errorf("%q: verified %v (%v), verdict %+v, findings %v\n%s", c.req, verified, err, v, fs, prog)
		}
	}
}

// A model's program on an event the target lacks does what was asked,
// and the verdict says the target cannot run it.
func TestVerdictSaysUnavailable(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	in := ParseIntent(k, "count ZFS reads per process")
	v := CheckIntent(in, "kprobe:zfs_read\n{\n  @[comm] = count();\n}\n", analysis.DialectBpftrace)
	if !v.Fits || len(v.Unavailable) != 1 || !strings.Contains(v.Sentence, "the target cannot trace zfs") {
		t.Fatalf("%+v", v)
	}
}
