package bpftrace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
)

// agreeCases are small scripts that the installed bpftrace (0.17) and
// kgent must judge alike: an error from one is an error from the other.
// Kernel-side findings where bpftrace only warns without attaching
// (missing kprobe targets, USDT probes) are left out on purpose. An
// unsafe builtin is a KG503 warning (the user may run with --unsafe),
// which counts as flagged here.
var agreeCases = []struct {
	src   string
	error bool
}{
	{`tracepoint:syscalls:sys_enter_openat /str(args->filename) == "/etc/passwd"/ { @ = count(); }`, false},
	{`tracepoint:syscalls:sys_enter_openat /args->filename == "/etc/passwd"/ { @ = count(); }`, true},
	{`tracepoint:sched:sched_process_exec { printf("%d\n", curtask->real_parent->tgid); }`, false},
	{`tracepoint:sched:sched_process_exec { printf("%d\n", curtask->real_parent->tgidd); }`, true},
	{`tracepoint:sched:sched_process_exec { $p = curtask->real_parent; $mm = $p->mm; printf("%lu\n", (*$mm).total_vm); }`, false},
	{`tracepoint:sched:sched_process_exec { $mm = curtask->mm; printf("%lu\n", (*$mm)->total_vm); }`, true},
	{`tracepoint:sched:sched_process_exec { $t = (struct task_struct *)curtask; printf("%d\n", $t.pid); }`, true},
	{`tracepoint:sched:sched_process_exec { $s = (struct sock *)curtask; printf("%d\n", $s->__sk_common.skc_family); }`, false},
	{`tracepoint:sched:sched_process_exec { $s = (struct sock *)curtask; printf("%d\n", $s->__sk_common->skc_family); }`, true},
	{"struct mine { int a; int b; }\nBEGIN { printf(\"%d\\n\", ((struct mine *)curtask)->b); }", false},
	{"struct mine { int a; int b; }\nBEGIN { printf(\"%d\\n\", ((struct mine *)curtask)->zz); }", true},
	{`tracepoint:syscalls:sys_enter_openat { printf("%s\n", str(args->filename)); }`, false},
	{`tracepoint:syscalls:sys_enter_openat { printf("%s\n", str(args.filename)); }`, true},
	{`tracepoint:syscalls:sys_enter_openat { printf("%s\n", str(args->fname)); }`, true},
	{`tracepoint:block:block_rq_issue { @[args->rwbs] = count(); }`, false},
	{`tracepoint:block:block_rq_issue { @[str(args->rwbs)] = count(); }`, true},
	{`tracepoint:syscalls:sys_enter_read { printf("%s\n", func); }`, true},
	{`tracepoint:syscalls:sys_enter_read { printf("%d\n", retval); }`, true},
	{`tracepoint:syscalls:sys_enter_read { printf("%d\n", arg0); }`, true},
	{`tracepoint:syscalls:sys_exit_read { printf("%d\n", args->ret); }`, false},
	{`uretprobe:/bin/bash:readline { printf("%s %d\n", func, retval); }`, false},
	{`uprobe:/bin/bash:readline { printf("%d %d\n", arg0, sarg0); }`, false},
	{`profile:hz:99 { printf("%s\n", func); }`, true},
	{`BEGIN { printf("%d\n", arg0); }`, true},
	{`BEGIN { $t = (1, "a"); printf("%d %s\n", $t.0, $t.1); }`, false},
	{`BEGIN { @s[kstack(perf, 5)] = count(); @u[ustack(bpftrace)] = count(); }`, false},
	{`BEGIN { @u[ustack(raw)] = count(); }`, true},
	{`BEGIN { $x = 1_000; printf("%d %d\n", $x + 10, $#); }`, false},
	{`BEGIN { if (strcontains("abc", "b")) { printf("y\n"); } }`, false},
	{`BEGIN { $i = 0; while ($i < 3) { $i++; if ($i == 2) { break; } } }`, false},
	{`BEGIN { $i = 0; unroll(3) { $i += 2; } @x = $i > 1 ? 1 : 0; }`, false},
	{"#ifndef BPFTRACE_HAVE_BTF\n#include <net/sock.h>\n#else\n#include <sys/socket.h>\n#endif\nBEGIN { exit(); }", false},
	{"#include <linux/kgent_no_such_header.h>\nBEGIN { exit(); }", true},
	{`BEGIN { @x = log2(1); }`, true},
	{`BEGIN { @x = lhist(1, 0, 10); }`, true},
	{`BEGIN { printf("%d\n", strlenn("a")); }`, true},
	{`BEGIN { printf("%d %s\n", 1); }`, true},
	{`BEGIN { printf("%d %s %%\n", 1, "a"); }`, false},
	{`BEGIN { system("ls"); }`, true},
	{`BEGIN { printf("%d\n", ppid); }`, true},
	{`BEGIN { @x = count(); @x = sum(1); }`, true},
	{`BEGIN { @x = count(); @y = @x + 1; }`, true},
	{`BEGIN { @x[1] = 1; @x[2] = "a"; }`, true},
	{`BEGIN { @m[comm] = 1; @m[pid] = 2; }`, true},
	{`BEGIN { @x[1] = 1; @x[1, 2] = 1; }`, true},
	{`BEGIN { $x = 1; $x = "str"; }`, true},
	{`BEGIN { if (comm == 1) { exit(); } }`, true},
	{`tracepoint:block:block_io_start { $key = (args->dev, args->sector); @ts[$key] = nsecs; }`, true},
	{`tracepoint:block:block_io_start { @ts[args->dev, args->sector] = nsecs; }`, false},
	{`rawtracepoint:sched_switch { @ = count(); }`, true},
	{`kprobee:vfs_read { @ = count(); }`, true},
	{`BEGIN { @a[1] = 1; for ($kv : @a) { printf("%d\n", $kv.0); } }`, true},
	{"config = { max_map_keys = 100 }\nBEGIN { exit(); }", true},
	{`BEGIN { $x = 1 +; }`, true},
	{`BEGIN { printf("%d\n", comm); }`, true},
	{`BEGIN { printf("%s\n", pid); }`, true},
	{`BEGIN { printf("%x %c %p %u\n", pid, 65, pid, -1); }`, false},
	{`BEGIN { printf("%s %s\n", kstack, comm); }`, false},
	{`tracepoint:syscalls:sys_enter_openat { printf("%s\n", args->filename); }`, true},
	{`tracepoint:syscalls:sys_enter_openat { printf("%d %s\n", args->flags, str(args->filename)); }`, false},
}

func TestAgreesWithBpftrace(t *testing.T) {
	testenv.Require(t, testenv.Bpftrace, testenv.BPF)
	k := hostKBFor(t)
	version := InstalledVersion()
	if version != "0.17" {
		testenv.Skip(t, "the cases are judged for bpftrace 0.17, installed: %s", version)
	}
	dir := t.TempDir()
	for i, tc := range agreeCases {
		path := filepath.Join(dir, "case.bt")
		if err := os.WriteFile(path, []byte(tc.src+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := emitELF(t, path)
		btErr := err != nil || strings.Contains(firstError(out), "ERROR")
		var ours []string
		for _, f := range Check(tc.src, Options{KB: k, Version: version}) {
			if f.Severity == analysis.Error || f.Code == analysis.KG503 {
				ours = append(ours, string(f.Code)+" "+f.Message)
			}
		}
		if btErr != tc.error {
			t.Errorf("case %d %q: bpftrace error=%v (%s), the case says %v", i, tc.src, btErr, firstError(out), tc.error)
		}
		if (len(ours) > 0) != tc.error {
			t.Errorf("case %d %q: kgent errors %q, the case says error=%v (bpftrace: %s)", i, tc.src, ours, tc.error, firstError(out))
		}
	}
}
