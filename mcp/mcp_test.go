package mcp

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/analysis/report"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// session connects the SDK's client to the real server over an in-memory
// transport.
func session(t *testing.T, opts Options) *mcp.ClientSession {
	t.Helper()
	if opts.Pipeline == nil {
		opts.Pipeline = pipeline.New(pipeline.Config{}, testenv.HostKB(t, testenv.Tracefs, testenv.Headers))
	}
	if opts.Version == "" {
		opts.Version = "test"
	}
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := NewServer(opts).Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Wait() })
	return cs
}

// call calls a tool; a protocol error fails the test, a tool error is
// returned in the result; out receives the structured content.
func call(t *testing.T, cs *mcp.ClientSession, name string, args any, out any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error %v", name, err)
	}
	if out != nil {
		if res.IsError {
			t.Fatalf("%s %v: tool error %s", name, args, text(res))
		}
		data, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func TestListTools(t *testing.T) {
	cs := session(t, Options{})
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	required := map[string][]string{
		"check_program":    {"source", "language"},
		"lookup_kernel":    {"kind", "query"},
		"search_examples":  {"query"},
		"generate_program": {"request"},
		"kernel_info":      nil,
	}
	seen := map[string]bool{}
	for _, tl := range res.Tools {
		seen[tl.Name] = true
		if len(tl.Description) < 100 || tl.InputSchema == nil || tl.OutputSchema == nil {
			t.Errorf("%s lacks a description or a schema", tl.Name)
		}
		data, _ := json.Marshal(tl.InputSchema)
		var schema struct {
			Required []string `json:"required"`
		}
		json.Unmarshal(data, &schema)
		if want := required[tl.Name]; !reflect.DeepEqual(schema.Required, want) {
			t.Errorf("%s requires %v, want %v", tl.Name, schema.Required, want)
		}
	}
	for n := range required {
		if !seen[n] {
			t.Errorf("tool %s missing", n)
		}
	}
	if len(res.Tools) != len(required) {
		t.Errorf("%d tools", len(res.Tools))
	}
}

const inventedHelper = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("tp/sched/sched_switch")
int f(void *ctx) { return bpf_get_current_pid() > 0; }
char LICENSE[] SEC("license") = "GPL";
`

func TestCheckProgram(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	cs := session(t, Options{Pipeline: pipeline.New(pipeline.Config{}, k)})
	var out CheckOutput
	call(t, cs, "check_program", map[string]any{"source": inventedHelper, "language": "c"}, &out)
	if out.Errors != 1 || len(out.Diagnostics) == 0 {
		t.Fatalf("%+v", out)
	}
	d := out.Diagnostics[0]
	if d.Code != "KG201" || d.Severity != "error" || !strings.Contains(d.Message, "did you mean bpf_get_current_pid_tgid") {
		t.Fatalf("%+v", d)
	}
	if d.Range.Start.Line != 3 || d.Range.Start.Character != 26 || len(d.Fixes) == 0 || d.Fixes[0].Edits[0].NewText != "bpf_get_current_pid_tgid" {
		t.Fatalf("range/fixes %+v", d)
	}
	if out.Verification.Requested || out.Verification.Ran || out.KB.Kernel != k.Meta.Kernel {
		t.Fatalf("%+v %+v", out.Verification, out.KB)
	}
	// Exactly what kgent check --format json says of the same text.
	fs, err := check.File("program.bpf.c", inventedHelper, check.Options{KB: k, Dialect: analysis.DialectC})
	if err != nil {
		t.Fatal(err)
	}
	if want := report.Diagnostics("program.bpf.c", inventedHelper, fs); !reflect.DeepEqual(out.Diagnostics, want) {
		t.Fatalf("MCP and check differ:\n%+v\n%+v", out.Diagnostics, want)
	}

	// bpftrace: a misspelled tracepoint and an invented builtin.
	src := "tracepoint:syscalls:sys_enter_opnat\n{\n  printf(\"%d %s\\n\", pid, execname);\n}\n"
	call(t, cs, "check_program", map[string]any{"source": src, "language": "bt"}, &out)
	codes := map[string]string{}
	for _, d := range out.Diagnostics {
		codes[d.Code] = d.Message
	}
	if !strings.Contains(codes["KG304"], "sys_enter_openat") || codes["KG201"] == "" || out.Errors != 2 {
		t.Fatalf("%+v", out.Diagnostics)
	}
	// A clean program is clean.
	call(t, cs, "check_program", map[string]any{"source": "tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }\n", "language": "bpftrace"}, &out)
	if out.Errors != 0 || out.Warnings != 0 {
		t.Fatalf("%+v", out)
	}
}

const validC = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/syscalls/sys_enter_openat")
int count_opens(void *ctx)
{
	bpf_printk("pid %d", (u32)(bpf_get_current_pid_tgid() >> 32));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`

// narrowBounds is rejected by the verifier only: its bounds check lets
// the index reach 64, one past the map value (no static check objects).
const narrowBounds = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct slot {
	char buf[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct slot);
} slots SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int mark(void *ctx)
{
	u32 zero = 0;
	struct slot *s = bpf_map_lookup_elem(&slots, &zero);
	if (!s)
		return 0;
	u32 idx = bpf_get_prandom_u32();
	if (idx > 64) // one too many: the index must stay below 64
		return 0;
	s->buf[idx] = 1;
	return 0;
}
`

func TestCheckVerify(t *testing.T) {
	testenv.Require(t, testenv.BPF, testenv.Clang, testenv.Bpftool, testenv.Bpftrace)
	cs := session(t, Options{})
	// Independent calls in parallel must not cancel each other's
	// verification (the verifier keeps one job per file name).
	progs := []struct {
		src, lang string
		errors    int
		code      string
		line      int
	}{
		{validC, "c", 0, "", 0},
		{narrowBounds, "c", 1, "KG602", 26},
		{"BEGIN { printf(\"%d\\n\", pid); exit(); }\n", "bpftrace", 0, "", 0},
	}
	var wg sync.WaitGroup
	for _, p := range progs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out CheckOutput
			call(t, cs, "check_program", map[string]any{"source": p.src, "language": p.lang, "verify": true}, &out)
			if !out.Verification.Requested || !out.Verification.Ran || out.Verification.What == "" || out.Errors != p.errors {
				t.Errorf("%s: %+v", p.lang, out)
				return
			}
			if p.code != "" {
				d := out.Diagnostics[0]
				if d.Code != p.code || d.Source != "verifier" || d.Range.Start.Line != p.line || out.Verification.Log == "" {
					t.Errorf("verifier finding %+v (log %d bytes)", d, len(out.Verification.Log))
				}
			}
		}()
	}
	wg.Wait()
}

func TestLookupKernel(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	cs := session(t, Options{Pipeline: pipeline.New(pipeline.Config{}, k)})
	var out LookupOutput
	lookup := func(kind, q string) LookupOutput {
		t.Helper()
		out = LookupOutput{}
		call(t, cs, "lookup_kernel", map[string]any{"kind": kind, "query": q}, &out)
		return out
	}

	lookup("function", "tcp_v4_connect")
	if len(out.Matches) != 1 || out.Matches[0].Prototype != "int tcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)" {
		t.Fatalf("%+v", out)
	}
	m := out.Matches[0]
	if len(m.Attach) != 2 || m.Attach[0].Kind != "kprobe" || m.Attach[0].Supported != k.AttachSupport(kb.AttachKprobe).Supported.String() ||
		m.Attach[1].Kind != "fentry" || m.Attach[1].Supported != k.AttachSupport(kb.AttachFentry).Supported.String() || m.Traceable == "" {
		t.Fatalf("attach %+v", m)
	}
	// The kernel's own answer, whatever it is: a kernel without kprobes
	// and fentry says the function cannot be traced.
	if k.AttachSupport(kb.AttachKprobe).Supported == kb.No && k.AttachSupport(kb.AttachFentry).Supported == kb.No && m.Traceable != "no" {
		t.Fatalf("traceable %q", m.Traceable)
	}
	lookup("function", "tcp_v4_connectx")
	if len(out.Matches) != 0 || len(out.Nearest) == 0 || out.Nearest[0] != "tcp_v4_connect" {
		t.Fatalf("%+v", out)
	}
	lookup("function", "tcp_v4_conn*")
	if len(out.Matches) == 0 || !hasMatch(out, "tcp_v4_connect") {
		t.Fatalf("wildcard %+v", out)
	}

	lookup("helper", "bpf_get_current_pid")
	if len(out.Matches) != 0 || len(out.Nearest) == 0 || out.Nearest[0] != "bpf_get_current_pid_tgid" {
		t.Fatalf("%+v", out)
	}
	lookup("helper", "bpf_get_stackid")
	h, _ := k.Helper("bpf_get_stackid")
	var allowed []string
	for _, pt := range k.ProgTypes {
		if h.Allowed[pt] == kb.Yes {
			allowed = append(allowed, pt)
		}
	}
	if len(out.Matches) != 1 || !strings.Contains(out.Matches[0].Prototype, "bpf_get_stackid(") || !reflect.DeepEqual(out.Matches[0].ProgramTypes, allowed) {
		t.Fatalf("%+v, want program types %v", out, allowed)
	}
	lookup("helper", "bpf_ringbuf_*")
	if !hasMatch(out, "bpf_ringbuf_output") || !hasMatch(out, "bpf_ringbuf_reserve") {
		t.Fatalf("%+v", out)
	}

	lookup("tracepoint", "syscalls:sys_enter_openat")
	if len(out.Matches) != 1 || !hasField(out.Matches[0].Fields, "filename") {
		t.Fatalf("%+v", out)
	}
	lookup("tracepoint", "sys_enter_openat")
	if !hasMatch(out, "syscalls:sys_enter_openat") {
		t.Fatalf("bare name %+v", out)
	}
	lookup("tracepoint", "syscalls/sys_enter_opnat")
	if len(out.Matches) != 0 || len(out.Nearest) == 0 || out.Nearest[0] != "syscalls:sys_enter_openat" {
		t.Fatalf("%+v", out)
	}

	lookup("struct", "struct task_struct")
	if len(out.Matches) == 0 || out.Matches[0].Kind != "struct" || !hasField(out.Matches[0].Fields, "pid") || !hasField(out.Matches[0].Fields, "comm") {
		t.Fatalf("%+v", out.Matches)
	}
	lookup("struct", "struct sock *")
	if len(out.Matches) != 1 || out.Matches[0].Name != "sock" || !hasField(out.Matches[0].Fields, "__sk_common") {
		t.Fatalf("%+v", out.Matches)
	}
	lookup("helper", "bpf_ktime_get_ns()")
	if len(out.Matches) != 1 || out.Matches[0].Prototype == "" {
		t.Fatalf("%+v", out)
	}
	lookup("kfunc", "bpf_task_acquire")
	if len(out.Matches) != 1 || !strings.Contains(out.Matches[0].Prototype, "bpf_task_acquire(struct task_struct *") {
		t.Fatalf("%+v", out)
	}
	lookup("sec", "tp_btf/sched_switch")
	if len(out.Matches) != 1 || out.Matches[0].Name != "tp_btf" || !strings.Contains(strings.Join(out.Matches[0].Details, "\n"), "tracing") {
		t.Fatalf("%+v", out)
	}
	lookup("sec", "kprobee/do_unlinkat")
	if len(out.Matches) != 0 || len(out.Nearest) == 0 {
		t.Fatalf("%+v", out)
	}
	lookup("bpftrace", "nsecs") // a builtin, and a function since 0.19
	if len(out.Matches) != 2 || out.Matches[0].Details[0] != "builtin variable" || !strings.Contains(strings.Join(out.Matches[1].Details, " "), "0.19") {
		t.Fatalf("%+v", out)
	}
	lookup("bpftrace", "quantize")
	if len(out.Matches) != 0 || len(out.Hints) != 1 || !strings.Contains(out.Hints[0], "hist") {
		t.Fatalf("%+v", out)
	}
	lookup("any", "tcp_v4_connect")
	if !hasMatch(out, "tcp_v4_connect") {
		t.Fatalf("%+v", out)
	}
}

func hasMatch(out LookupOutput, name string) bool {
	for _, m := range out.Matches {
		if m.Name == name {
			return true
		}
	}
	return false
}

func hasField(fs []kb.FactField, name string) bool {
	for _, f := range fs {
		if f.Name == name {
			return true
		}
	}
	return false
}

func TestKernelInfo(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	cs := session(t, Options{Pipeline: pipeline.New(pipeline.Config{Settings: pipeline.Settings{BpftraceVersion: "0.17"}}, k)})
	var out InfoOutput
	call(t, cs, "kernel_info", map[string]any{}, &out)
	if out.KB.Kernel != k.Meta.Kernel || out.KB.Counts["helpers"] != k.NumHelpers() || out.Provider != "offline" || out.BpftraceVersion != "0.17" {
		t.Fatalf("%+v", out)
	}
	found := false
	for _, a := range out.KB.Attach {
		if a.Kind == kb.AttachKprobe {
			found = a.Supported == k.AttachSupport(kb.AttachKprobe).Supported.String()
		}
	}
	if !found {
		t.Fatalf("kprobe support missing: %+v", out.KB.Attach)
	}
}

func TestSearchExamples(t *testing.T) {
	cs := session(t, Options{})
	var s SearchOutput
	call(t, cs, "search_examples", map[string]any{"query": "which files are opened", "language": "bpftrace"}, &s)
	if len(s.Examples) != 3 || s.Total == 0 || !strings.Contains(s.Examples[0].Source, "openat") || s.Examples[0].Language != "bpftrace" {
		t.Fatalf("%+v", s)
	}
	call(t, cs, "search_examples", map[string]any{"query": "drop packets with xdp", "language": "c", "limit": 1}, &s)
	if len(s.Examples) != 1 || s.Examples[0].Language != "c" || !strings.Contains(s.Examples[0].Source, "SEC(\"xdp") {
		t.Fatalf("%+v", s)
	}
}

func TestBadRequests(t *testing.T) {
	cs := session(t, Options{})
	for _, c := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"check_program", map[string]any{"source": "", "language": "c"}, "source is empty"},
		{"check_program", map[string]any{"source": "BEGIN{}", "language": "python"}, "unknown language"},
		{"check_program", map[string]any{"source": "BEGIN{}", "language": ""}, "language is required"},
		{"check_program", map[string]any{"source": "BEGIN{}\x00\x01", "language": "bt"}, "binary"},
		{"check_program", map[string]any{"source": strings.Repeat("a", maxSource+1), "language": "c"}, "bytes"},
		{"lookup_kernel", map[string]any{"kind": "planet", "query": "x"}, "unknown kind"},
		{"lookup_kernel", map[string]any{"kind": "helper", "query": ""}, "query is empty"},
		{"search_examples", map[string]any{"query": " "}, "query is empty"},
		{"search_examples", map[string]any{"query": "x", "language": "rust"}, "unknown language"},
		{"search_examples", map[string]any{"query": "x", "limit": -1}, "limit"},
		{"generate_program", map[string]any{"request": ""}, "request is empty"},
		{"generate_program", map[string]any{"request": "count opens", "language": "go"}, "unknown language"},
	} {
		res := call(t, cs, c.tool, c.args, nil)
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%s %.60v: want a tool error with %q, got %v %q", c.tool, c.args, c.want, res.IsError, text(res))
		}
	}
	// Wrong types and missing arguments fail schema validation, without
	// taking the server down.
	for _, args := range []map[string]any{{}, {"source": 3, "language": "c"}} {
		if res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "check_program", Arguments: args}); err == nil && !res.IsError {
			t.Errorf("%v accepted", args)
		}
	}
	if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "no_such_tool", Arguments: map[string]any{}}); err == nil {
		t.Error("unknown tool accepted")
	}
	// The server keeps serving.
	var out LookupOutput
	call(t, cs, "lookup_kernel", map[string]any{"kind": "kfunc", "query": "bpf_task_acquire"}, &out)
	if len(out.Matches) != 1 {
		t.Fatalf("%+v", out)
	}
}

// Odd queries of every kind answer (matches, nearest names or a tool
// error) without reaching a bug.
func TestLookupOddQueries(t *testing.T) {
	cs := session(t, Options{})
	queries := []string{"*", "?", "***", ":", "::::", "/", "tracepoint:", "tracepoint:*:*", "struct ", "struct *", "raw_tp:",
		"a", "é", "syscalls:", ":sys_enter_openat", "kprobe/", "SEC(\"xdp\")", strings.Repeat("x", maxQuery), "bpf_\x01", "()", "nsecs()"}
	for _, kind := range append(kb.LookupKinds, "any") {
		for _, q := range queries {
			res := call(t, cs, "lookup_kernel", map[string]any{"kind": kind, "query": q}, nil)
			if strings.Contains(text(res), "inside kgent") {
				t.Errorf("%s %q: %s", kind, q, text(res))
			}
			var out LookupOutput
			if !res.IsError {
				data, _ := json.Marshal(res.StructuredContent)
				json.Unmarshal(data, &out)
				if len(out.Matches) > maxResults || len(out.Nearest) > 2*maxNearest {
					t.Errorf("%s %q: %d matches, %d nearest", kind, q, len(out.Matches), len(out.Nearest))
				}
			}
		}
	}
	// Wildcards over tracepoints and types are capped and flagged.
	var out LookupOutput
	call(t, cs, "lookup_kernel", map[string]any{"kind": "tracepoint", "query": "syscalls:sys_enter_*"}, &out)
	if len(out.Matches) != maxResults || !out.Truncated {
		t.Fatalf("%d matches, truncated %v", len(out.Matches), out.Truncated)
	}
	out = LookupOutput{}
	call(t, cs, "lookup_kernel", map[string]any{"kind": "tracepoint", "query": "sched:sched_switc?"}, &out)
	if len(out.Matches) != 1 || out.Matches[0].Name != "sched:sched_switch" || out.Truncated {
		t.Fatalf("%+v", out)
	}
	out = LookupOutput{}
	call(t, cs, "lookup_kernel", map[string]any{"kind": "struct", "query": "bpf_map_typ?"}, &out)
	if len(out.Matches) != 1 || out.Matches[0].Kind != "enum" || !hasField(out.Matches[0].Fields, "BPF_MAP_TYPE_RINGBUF") {
		t.Fatalf("%+v", out)
	}
}
