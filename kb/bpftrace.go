package kb

// Language facts of bpftrace, re-expressed as data from bpftrace's own
// documentation at its release tags: probe types with aliases, builtin variables, functions
// with arities. The newest known release adds to 0.17 (the version Debian
// ships); checks use the facts of the version they are told.

// BTFunc is a bpftrace function: its arity (Max -1: variadic), whether it
// is an aggregation, unsafe (needs --unsafe), takes a printf format first,
// and the version it appeared in ("" for 0.17 and before).
type BTFunc struct {
	Min, Max int
	Agg      bool
	Unsafe   bool
	Format   bool
	Since    string
}

// BpftraceFunctions are bpftrace's functions by name.
var BpftraceFunctions = map[string]BTFunc{
	"printf": {Min: 1, Max: -1, Format: true}, "time": {Min: 0, Max: 1},
	"join": {Min: 1, Max: 2}, "str": {Min: 1, Max: 2}, "ksym": {Min: 1, Max: 1}, "usym": {Min: 1, Max: 1},
	"kaddr": {Min: 1, Max: 1}, "uaddr": {Min: 1, Max: 1}, "reg": {Min: 1, Max: 1},
	"system": {Min: 1, Max: -1, Unsafe: true, Format: true}, "exit": {Min: 0, Max: 1},
	"cgroupid": {Min: 1, Max: 1}, "kstack": {Min: 0, Max: 2}, "ustack": {Min: 0, Max: 2},
	"ntop": {Min: 1, Max: 2}, "pton": {Min: 1, Max: 1}, "cat": {Min: 1, Max: -1, Format: true},
	"signal": {Min: 1, Max: 1, Unsafe: true}, "strncmp": {Min: 3, Max: 3}, "override": {Min: 1, Max: 1, Unsafe: true},
	"buf": {Min: 1, Max: 2}, "sizeof": {Min: 1, Max: 1}, "print": {Min: 1, Max: 3}, "strftime": {Min: 2, Max: 2},
	"path": {Min: 1, Max: 2}, "uptr": {Min: 1, Max: 1}, "kptr": {Min: 1, Max: 1}, "macaddr": {Min: 1, Max: 1},
	"cgroup_path": {Min: 1, Max: 2}, "skboutput": {Min: 4, Max: 4}, "bswap": {Min: 1, Max: 1},
	"offsetof": {Min: 2, Max: 2}, "unwatch": {Min: 1, Max: 1},
	"count": {Min: 0, Max: 0, Agg: true}, "sum": {Min: 1, Max: 1, Agg: true}, "avg": {Min: 1, Max: 1, Agg: true},
	"min": {Min: 1, Max: 1, Agg: true}, "max": {Min: 1, Max: 1, Agg: true}, "stats": {Min: 1, Max: 1, Agg: true},
	"hist": {Min: 1, Max: 2, Agg: true}, "lhist": {Min: 4, Max: 4, Agg: true},
	"delete": {Min: 1, Max: 2}, "clear": {Min: 1, Max: 1}, "zero": {Min: 1, Max: 1},
	// Added after 0.17.
	"strcontains": {Min: 2, Max: 2, Since: "0.19"}, "len": {Min: 1, Max: 1, Since: "0.21"},
	"errorf": {Min: 1, Max: -1, Format: true, Since: "0.19"}, "warnf": {Min: 1, Max: -1, Format: true, Since: "0.19"},
	"debugf": {Min: 1, Max: -1, Format: true, Since: "0.19"}, "has_key": {Min: 2, Max: 2, Since: "0.21"},
	"nsecs": {Min: 0, Max: 1, Since: "0.21"}, "percpu_kaddr": {Min: 1, Max: 2, Since: "0.21"},
	"tseries": {Min: 3, Max: 4, Agg: true, Since: "0.23"}, "pid": {Min: 0, Max: 1, Since: "0.23"}, "tid": {Min: 0, Max: 1, Since: "0.23"},
	// The standard library of the newest release line (0.26 and its
	// development head), by name and arity.
	"assert": {Min: 1, Max: 2, Since: "0.26"}, "assert_str": {Min: 1, Max: 2, Since: "0.26"},
	"container_of": {Min: 3, Max: 3, Since: "0.26"}, "dw_ustack": {Min: 0, Max: 2, Since: "0.26"},
	"fail": {Min: 1, Max: -1, Format: true, Since: "0.26"}, "find": {Min: 2, Max: 2, Since: "0.26"},
	"getopt": {Min: 1, Max: 3, Since: "0.26"}, "has_cpid": {Min: 0, Max: 0, Since: "0.26"},
	"is_array": {Min: 1, Max: 1, Since: "0.26"}, "is_err": {Min: 1, Max: 1, Since: "0.26"},
	"is_integer": {Min: 1, Max: 1, Since: "0.26"}, "is_literal": {Min: 1, Max: 1, Since: "0.26"},
	"is_ptr": {Min: 1, Max: 1, Since: "0.26"}, "is_str": {Min: 1, Max: 1, Since: "0.26"},
	"is_unsigned_integer": {Min: 1, Max: 1, Since: "0.26"}, "kfunc_allowed": {Min: 1, Max: 1, Since: "0.26"},
	"kfunc_exist": {Min: 1, Max: 1, Since: "0.26"}, "leader_comm": {Min: 0, Max: 0, Since: "0.26"},
	"leader_tid": {Min: 0, Max: 0, Since: "0.26"}, "memcmp": {Min: 3, Max: 3, Since: "0.26"},
	"pcomm": {Min: 0, Max: 0, Since: "0.26"}, "ppid": {Min: 0, Max: 0, Since: "0.26"},
	"probetype": {Min: 0, Max: 0, Since: "0.26"}, "signal_name": {Min: 1, Max: 1, Since: "0.26"},
	"signal_thread": {Min: 1, Max: 1, Unsafe: true, Since: "0.26"}, "socket_cookie": {Min: 1, Max: 1, Since: "0.26"},
	"static_assert": {Min: 1, Max: 2, Since: "0.26"}, "str_concat": {Min: 2, Max: -1, Since: "0.26"},
	"strcap": {Min: 1, Max: 1, Since: "0.26"}, "strerror": {Min: 1, Max: 1, Since: "0.26"},
	"strlen": {Min: 1, Max: 1, Since: "0.26"}, "strstr": {Min: 2, Max: 2, Since: "0.26"},
	"syscall_name": {Min: 1, Max: 1, Since: "0.26"}, "typeof": {Min: 1, Max: 1, Since: "0.26"},
	"write_user": {Min: 2, Max: 3, Unsafe: true, Since: "0.26"},
	"hash":       {Min: 1, Max: 1, Since: "0.26"}, "lruhash": {Min: 1, Max: 1, Since: "0.26"},
	"percpuhash": {Min: 1, Max: 1, Since: "0.26"}, "percpulruhash": {Min: 1, Max: 1, Since: "0.26"},
	"percpuarray": {Min: 1, Max: 1, Since: "0.26"},
}

// BpftraceHints name the right idea for names borrowed from other tools.
var BpftraceHints = map[string]string{
	"log2":      "hist(x) is the power-of-2 histogram",
	"log":       "hist(x) is the power-of-2 histogram",
	"quantize":  "hist(x) is the power-of-2 histogram (quantize is DTrace)",
	"lquantize": "lhist(x, min, max, step) is the linear histogram (lquantize is DTrace)",
	"histogram": "hist(x) is the power-of-2 histogram",
	"sprintf":   "bpftrace has no sprintf: printf prints, and str()/buf() make strings",
	"strlen":    "strlen is new in bpftrace 0.26",
	"trace":     "printf(fmt, ...) prints",
	"println":   "printf(\"...\\n\", ...) prints a line",
	"execname":  "the builtin comm holds the command name",
	"ppid":      "the parent pid is curtask->real_parent->tgid (ppid is new in bpftrace 0.26)",
	"now":       "nsecs is the current time in nanoseconds",
	"timestamp": "nsecs is the current time in nanoseconds",
}

// BpftraceBuiltins are builtin variables and the version they appeared in.
var BpftraceBuiltins = map[string]string{
	"pid": "", "tid": "", "uid": "", "gid": "", "nsecs": "", "elapsed": "", "numaid": "", "cpu": "",
	"comm": "", "kstack": "", "ustack": "", "retval": "", "func": "", "probe": "", "curtask": "",
	"rand": "", "cgroup": "", "cpid": "", "args": "", "username": "", "jiffies": "", "ctx": "",
	"usermode": "0.19", "ncpus": "0.20", "__builtin_probe": "", "true": "0.20", "false": "0.20",
	"ppid": "0.26", "pcomm": "0.26", "leader_comm": "0.26", "leader_tid": "0.26", "probetype": "0.26",
	"has_cpid": "0.26", "default_str_length": "0.26",
}

// BpftraceProbeTypes maps every spelling to the canonical probe type.
var BpftraceProbeTypes = map[string]string{
	"kprobe": "kprobe", "k": "kprobe", "kretprobe": "kretprobe", "kr": "kretprobe",
	"uprobe": "uprobe", "u": "uprobe", "uretprobe": "uretprobe", "ur": "uretprobe",
	"usdt": "usdt", "U": "usdt", "tracepoint": "tracepoint", "t": "tracepoint",
	"rawtracepoint": "rawtracepoint", "rt": "rawtracepoint", "profile": "profile", "p": "profile",
	"interval": "interval", "i": "interval", "software": "software", "s": "software",
	"hardware": "hardware", "h": "hardware", "watchpoint": "watchpoint", "w": "watchpoint",
	"asyncwatchpoint": "asyncwatchpoint", "aw": "asyncwatchpoint",
	"kfunc": "kfunc", "f": "kfunc", "kretfunc": "kretfunc", "fr": "kretfunc",
	"iter": "iter", "it": "iter", "BEGIN": "BEGIN", "END": "END",
	"fentry": "kfunc", "fexit": "kretfunc",
}

// BpftraceProbeSince records spellings newer than 0.17.
var BpftraceProbeSince = map[string]string{"fentry": "0.20", "fexit": "0.20"}

// BpftraceSoftwareEvents and BpftraceHardwareEvents are the event names.
var BpftraceSoftwareEvents = []string{"cpu-clock", "cpu", "task-clock", "page-faults", "faults", "context-switches", "cs",
	"cpu-migrations", "minor-faults", "major-faults", "alignment-faults", "emulation-faults", "dummy", "bpf-output"}

var BpftraceHardwareEvents = []string{"cpu-cycles", "cycles", "instructions", "cache-references", "cache-misses",
	"branch-instructions", "branches", "branch-misses", "bus-cycles", "frontend-stalls", "backend-stalls", "ref-cycles"}

// BpftraceKeywords are identifiers that are not builtins but are fine bare.
var BpftraceKeywords = map[string]bool{"if": true, "else": true, "while": true, "for": true, "unroll": true, "return": true,
	"break": true, "continue": true, "struct": true, "union": true, "enum": true, "sizeof": true, "offsetof": true,
	"config": true, "import": true, "let": true, "macro": true}

// VersionAtLeast compares dotted versions ("0.17" < "0.21"); "" is any.
func VersionAtLeast(v, want string) bool {
	if v == "" || want == "" {
		return true
	}
	var a1, a2, b1, b2 int
	parse2(v, &a1, &a2)
	parse2(want, &b1, &b2)
	return a1 > b1 || (a1 == b1 && a2 >= b2)
}

func parse2(v string, x, y *int) {
	n := 0
	part := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '.' {
			if part == 0 {
				*x = n
			}
			part++
			n = 0
			if part > 1 {
				break
			}
			continue
		}
		if c >= '0' && c <= '9' {
			n = n*10 + int(c-'0')
		} else {
			break
		}
	}
	if part == 0 {
		*x = n
	} else if part == 1 {
		*y = n
	}
}
