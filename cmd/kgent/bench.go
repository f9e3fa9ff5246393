package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/kb/examples"
	"github.com/kgent/kgent/lsp/editor"
)

// runBench measures what a user feels, whole process or round trip,
// against the alternative in the same run, interleaved round by round so
// the machine's drifting speed hits both alike:
//
//	kgent bench check   kgent check vs bpftrace's front end (--emit-elf, or --mode codegen) and clang -fsyntax-only
//	kgent bench lsp     the server vs clangd, as an editor sees them
//	kgent bench mcp     check_program round trips of kgent mcp
func runBench(args []string, stdout, stderr io.Writer) error {
	const usage = "usage: kgent bench check|lsp|mcp [flags]"
	if len(args) == 0 {
		return usageErr(usage)
	}
	switch args[0] {
	case "check":
		return benchCheck(args[1:], stdout, stderr)
	case "lsp":
		return benchLSP(args[1:], stdout, stderr)
	case "mcp":
		return benchMCP(args[1:], stdout, stderr)
	}
	return usageErr(usage)
}

// benchProgramBT and benchProgramC are small programs of the kind a user
// checks: one probe reading its arguments, one map.
const benchProgramBT = "tracepoint:syscalls:sys_enter_openat\n{\n  @opens[comm, str(args->filename)] = count();\n}\n"

const benchProgramC = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} opens SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int count_openat(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1, *n = bpf_map_lookup_elem(&opens, &pid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&opens, &pid, &one, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`

// contender is one command measured in each round.
type contender struct {
	name  string
	argv  []string
	times []time.Duration
	err   error
}

func benchCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench check", "bench check [--rounds N] [--server PATH]", stderr)
	rounds := fs.Int("rounds", 20, "rounds; each runs every command once, in turn")
	self, err := benchFlags(fs, args)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kgent-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bt, c := filepath.Join(dir, "opens.bt"), filepath.Join(dir, "opens.bpf.c")
	if err := os.WriteFile(bt, []byte(benchProgramBT), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(c, []byte(benchProgramC), 0o644); err != nil {
		return err
	}
	// The first kgent run builds or validates the kb cache, as a user's
	// first run does; it is not measured.
	if out, err := exec.Command(self, "check", bt).CombinedOutput(); err != nil && !strings.Contains(string(out), "KG") {
		return fmt.Errorf("kgent check: %v\n%s", err, out)
	}
	// Many files in one process: the example corpus, about a hundred.
	corpus := filepath.Join(dir, "corpus")
	exs, err := examples.Corpus()
	if err != nil {
		return err
	}
	for _, e := range exs {
		p := filepath.Join(corpus, e.Slug, e.FileName())
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(e.Source), 0o644); err != nil {
			return err
		}
	}
	groups := [][]*contender{
		{{name: "kgent check .bt", argv: []string{self, "check", bt}}},
		{{name: "kgent check .bpf.c", argv: []string{self, "check", c}}},
		{{name: fmt.Sprintf("kgent check %d files", len(exs)), argv: []string{self, "check", corpus}}},
	}
	if btPath, err := exec.LookPath("bpftrace"); err != nil {
		fmt.Fprintln(stdout, "bpftrace: not installed; no comparison for .bt")
	} else if os.Geteuid() != 0 {
		fmt.Fprintln(stdout, "bpftrace needs root; no comparison for .bt")
	} else if args, err := verify.BpftraceCompileArgs(context.Background(), btPath, filepath.Join(dir, "out.o")); err != nil {
		fmt.Fprintf(stdout, "bpftrace: %v; no comparison for .bt\n", err)
	} else {
		name := "bpftrace --emit-elf"
		if args[0] == "--mode" {
			name = "bpftrace --mode codegen"
		}
		groups[0] = append(groups[0], &contender{name: name, argv: append(append([]string{btPath}, args...), bt)})
	}
	if clang, err := exec.LookPath("clang"); err != nil {
		fmt.Fprintln(stdout, "clang: not installed; no comparison for .bpf.c")
	} else if err := benchVmlinux(dir); err != nil {
		fmt.Fprintf(stdout, "clang: no vmlinux.h (%v); no comparison for .bpf.c\n", err)
	} else {
		groups[1] = append(groups[1], &contender{name: "clang -fsyntax-only", argv: []string{clang, "-fsyntax-only", "-target", "bpf", "-D__TARGET_ARCH_x86", "-I" + dir, c}})
	}
	for r := 0; r < *rounds; r++ {
		for _, g := range groups {
			for _, ct := range g {
				if ct.err != nil {
					continue
				}
				t0 := time.Now()
				cmd := exec.Command(ct.argv[0], ct.argv[1:]...)
				out, err := cmd.CombinedOutput()
				d := time.Since(t0)
				// kgent check exits 1 on error findings; the programs here
				// have none, so any non-zero status is a failure.
				if err != nil {
					ct.err = fmt.Errorf("%v: %s", err, firstLines(string(out), 3))
					continue
				}
				ct.times = append(ct.times, d)
			}
		}
	}
	fmt.Fprintf(stdout, "whole process, %d interleaved rounds (median, p90):\n", *rounds)
	for _, g := range groups {
		for _, ct := range g {
			if ct.err != nil {
				fmt.Fprintf(stdout, "  %-22s failed: %v\n", ct.name, ct.err)
				continue
			}
			fmt.Fprintf(stdout, "  %-22s %8.1f ms %8.1f ms\n", ct.name, ms(editor.Percentile(ct.times, 0.5)), ms(editor.Percentile(ct.times, 0.9)))
		}
		k := g[0]
		for _, ct := range g[1:] {
			if ct.err == nil && k.err == nil {
				fmt.Fprintf(stdout, "  %s / %s: %.1fx\n", ct.name, k.name, ratio(editor.Percentile(ct.times, 0.5), editor.Percentile(k.times, 0.5)))
			}
		}
	}
	return nil
}

// benchFlags adds --server to fs, parses args and returns the kgent
// binary to measure: --server, or this one.
func benchFlags(fs *flag.FlagSet, args []string) (string, error) {
	server := fs.String("server", "", "kgent binary to measure (default: this one)")
	if err := parseFlags(fs, args); err != nil {
		return "", err
	}
	if *server != "" {
		return *server, nil
	}
	return os.Executable()
}

// benchVmlinux writes dir/vmlinux.h from the running kernel's BTF.
func benchVmlinux(dir string) error {
	hdr, err := exec.Command("bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c").Output()
	if err != nil {
		return fmt.Errorf("bpftool: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, "vmlinux.h"), hdr, 0o644)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func firstLines(s string, n int) string {
	lines := strings.SplitN(strings.TrimSpace(s), "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], " | ")
}

// benchMCP starts kgent mcp as an agent's client would and times
// check_program round trips (request written to response read).
func benchMCP(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench mcp", "bench mcp [--calls N] [--server PATH]", stderr)
	calls := fs.Int("calls", 200, "check_program calls per language")
	self, err := benchFlags(fs, args)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "mcp")
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { in.Close(); _ = cmd.Wait() }()
	rd := bufio.NewReaderSize(outPipe, 1<<20)
	id := 0
	call := func(method string, params any) (json.RawMessage, error) {
		id++
		b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
		if _, err := in.Write(append(b, '\n')); err != nil {
			return nil, err
		}
		for {
			line, err := rd.ReadBytes('\n')
			if err != nil {
				return nil, err
			}
			var m struct {
				ID     *int            `json:"id"`
				Result json.RawMessage `json:"result"`
				Error  *struct{ Message string }
			}
			if json.Unmarshal(line, &m) != nil || m.ID == nil || *m.ID != id {
				continue // a notification or log line
			}
			if m.Error != nil {
				return nil, errors.New(m.Error.Message)
			}
			return m.Result, nil
		}
	}
	if _, err := call("initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "kgent-bench", "version": "1"}}); err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	initTime := time.Since(t0)
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
	if _, err := in.Write(append(b, '\n')); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kgent mcp: start to initialize response %.1f ms\n", ms(initTime))
	for _, p := range []struct{ lang, src string }{{"bpftrace", benchProgramBT}, {"c", benchProgramC}} {
		var times []time.Duration
		for i := 0; i < *calls+1; i++ {
			t := time.Now()
			res, err := call("tools/call", map[string]any{"name": "check_program", "arguments": map[string]any{"source": p.src, "language": p.lang}})
			if err != nil {
				return fmt.Errorf("check_program (%s): %w", p.lang, err)
			}
			if i == 0 {
				if !strings.Contains(string(res), "diagnostics") {
					return fmt.Errorf("check_program (%s) answered %s", p.lang, firstLines(string(res), 2))
				}
				fmt.Fprintf(stdout, "  check_program %-8s first call %.1f ms (kb load)\n", p.lang, ms(time.Since(t)))
				continue
			}
			times = append(times, time.Since(t))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		fmt.Fprintf(stdout, "  check_program %-8s round trip p50 %.2f ms, p99 %.2f ms (%d calls)\n", p.lang, ms(editor.Percentile(times, 0.5)), ms(editor.Percentile(times, 0.99)), len(times))
	}
	return nil
}
