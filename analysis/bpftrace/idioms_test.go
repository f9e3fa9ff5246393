package bpftrace

import (
	"sort"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
)

// TestIdiomFixes applies the fix of each idiom finding (every edit of
// it) and checks the fixed script for the checked release: the idiom is
// written and no error is left.
func TestIdiomFixes(t *testing.T) {
	k := hostKBFor(t)
	for _, tc := range []struct{ version, src, code, fixed string }{
		{"0.17", "interval:1s { exit(); }", "KG301", "interval:s:1 {"},
		{"0.23", "interval:100ms { exit(); }", "KG301", "interval:ms:100 {"},
		{"0.27", "profile:99hz { @[kstack] = count(); }", "KG301", "profile:hz:99 {"},
		{"0.27", "profile:49 { @[kstack] = count(); }", "KG301", "profile:hz:49 {"},
		{"0.17", "tracepoint:syscalls:sys_enter_read { $s = nsecs; }\ntracepoint:syscalls:sys_exit_read { @ns = hist(nsecs - $s); }", "KG509",
			"{ @s[tid] = nsecs; }\ntracepoint:syscalls:sys_exit_read { @ns = hist(nsecs - @s[tid]); \tdelete(@s[tid]);\n}"},
		{"0.27", "BEGIN { $t = nsecs; }\ninterval:s:1 { printf(\"%d\\n\", nsecs - $t); }", "KG509", "printf(\"%d\\n\", nsecs - @t); }"},
		{"0.17", "tracepoint:syscalls:sys_exit_read /$r > 0/ { $r = args->ret; @b = sum($r); }", "KG509", "/args->ret > 0/"},
		{"0.23", "tracepoint:sched:sched_process_exit { @[str(comm)] = count(); }", "KG406", "@[comm] = count()"},
		{"0.17", "tracepoint:sched:sched_wakeup { @w = hist(args->comm); }", "KG406", "@w[args->comm] = count()"},
		{"0.27", "tracepoint:syscalls:sys_exit_read { $p = (comm, 0, 1); $p.1 = args.ret; print($p); }", "KG406", "$p = ($p.0, args.ret, $p.2);"},
		{"0.23", "tracepoint:syscalls:sys_enter_read { @r[comm] = count(); }\ninterval:s:1 { delete(@r); }", "KG206", "clear(@r)"},
		{"0.17", "BEGIN { exit; }", "KG201", "exit()"},
		{"0.27", "tracepoint:syscalls:sys_enter_read { @[comm] = count(tid); }", "KG206", "count()"},
		{"0.17", "tracepoint:sched:sched_process_exit { printf(\"%-8d\\t%s\\n\", comm, comm); }", "KG504", "\"%-8s\\t%s\\n\""},
		{"0.23", "tracepoint:sched:sched_process_exit { printf(\"%s %s\\n\", comm, pid); }", "KG504", "\"%s %d\\n\""},
		{"0.23", "tracepoint:syscalls:sys_exit_openat { @ = hist(retval); }", "KG202", "hist(args.ret)"},
		{"0.17", "tracepoint:syscalls:sys_exit_openat { @ = hist(retval); }", "KG202", "hist(args->ret)"},
		{"0.17", "kprobe:vfs_read { @ = hist(retval); }", "KG202", "kretprobe:vfs_read {"},
		{"0.17", "kprobe:vfs_write { @[comm] = sum(args->count); }", "KG202", "sum(arg2)"},
		{"0.17", "tracepoint:syscalls:sys_enter_read { @n[tid] = 1; }\ntracepoint:syscalls:sys_exit_read /has_key(@n, tid)/ { delete(@n[tid]); }", "KG201", "/@n[tid]/"},
		{"0.17", "tracepoint:syscalls:sys_enter_read { @c[pid] = count(); @s[pid] = sum(args->count); if (@c[pid] > 9) { @x = 1; } }", "KG507", "@c[pid]++; @s[pid] = sum"},
		{"0.23", "BEGIN {\n\tprintf(\"a\\n\") // say it\n\t@x = 1;\n}", "KG100", "printf(\"a\\n\"); // say it"},
		{"0.27", "BEGIN { if (1 > 0) printf(\"a;b\\n\"); @x = 1; }", "KG100", "if (1 > 0) { printf(\"a;b\\n\"); } @x = 1;"},
		{"0.17", "tracepoint:block:block_rq_issue { @b = hist(args->bytes); }\nEND { printf(\"%d\\n\", @b); }", "KG504", "END { print(@b); }"},
		{"0.23", "tracepoint:block:block_rq_issue { @n = count(); }\nEND { printf(\"%s\\n\", @n); }", "KG504", "printf(\"%d\\n\", (int64)@n)"},
		{"0.17", "BEGIN { printf(\"%-6.2f|\\n\", 5); }", "KG504", "printf(\"%d|\\n\", 5)"},
		{"0.27", "tracepoint:syscalls:sys_enter_read { @r[tid] = 1; clear(@r[tid]); }", "KG206", "delete(@r[tid])"},
		{"0.23", "tracepoint:syscalls:sys_enter_read /comm != \"a\" && \"b\"/ { @r = count(); }", "KG406", "/comm != \"a\" && comm != \"b\"/"},
		{"0.17", "profile:hz:99 { @[ustack(8, perf)] = count(); }", "KG206", "@[ustack(perf, 8)]"},
		{"0.23", "tracepoint:syscalls:sys_enter_read { @r[pid, comm] = count(); }\ntracepoint:sched:sched_process_exit { delete(@r[pid]); }", "KG406", "delete(@r[pid, comm])"},
		{"0.17", "tracepoint:syscalls:sys_exit_read { let $n = args->ret; @b = sum($n); }", "KG100", "{ $n = args->ret;"},
		{"0.17", "tracepoint:syscalls:sys_exit_read { @b[comm] = sum(args->ret); }\ninterval:s:1 { print(@b[\"sh\"]); }", "KG206", "{ print(@b); }"},
		{"0.17", "tracepoint:syscalls:sys_exit_read { @b[comm] = count(); }\nEND { for ($e : @b) { printf(\"%s %d\\n\", $e.0, $e.1); } }", "KG100", "END { print(@b); }"},
	} {
		fs := Check(tc.src, Options{KB: k, Version: tc.version})
		var f *analysis.Finding
		for i := range fs {
			if string(fs[i].Code) == tc.code && len(fs[i].Fixes) > 0 {
				f = &fs[i]
				break
			}
		}
		if f == nil {
			t.Errorf("%s %q: no %s with a fix in %v", tc.version, tc.src, tc.code, fs)
			continue
		}
		edits := append([]analysis.Edit(nil), f.Fixes[0].Edits...)
		sort.Slice(edits, func(i, j int) bool { return edits[i].Span.Start > edits[j].Span.Start })
		fixed := tc.src
		for _, e := range edits {
			fixed = fixed[:e.Span.Start] + e.NewText + fixed[e.Span.End:]
		}
		if !strings.Contains(fixed, tc.fixed) {
			t.Errorf("%s %q: fixed to %q, want it to contain %q", tc.version, tc.src, fixed, tc.fixed)
		}
		for _, g := range Check(fixed, Options{KB: k, Version: tc.version}) {
			if g.Severity == analysis.Error {
				t.Errorf("%s %q: after the fix %q: %s %s", tc.version, tc.src, fixed, g.Code, g.Message)
			}
		}
	}
}
