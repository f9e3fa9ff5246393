package bpftrace

// Language facts of bpftrace, re-expressed as data from bpftrace's own
// documentation: probe types with aliases, builtin variables, functions
// with arities. The newest known release adds to 0.17 (the version Debian
// ships); checks use the facts of the version they are told.

type fnInfo struct {
	min, max int // max -1: variadic
	agg      bool
	unsafe   bool
	format   bool // first argument is a printf format
	since    string
}

var functions = map[string]fnInfo{
	"printf": {min: 1, max: -1, format: true}, "time": {0, 1, false, false, false, ""},
	"join": {min: 1, max: 2}, "str": {min: 1, max: 2}, "ksym": {min: 1, max: 1}, "usym": {min: 1, max: 1},
	"kaddr": {min: 1, max: 1}, "uaddr": {min: 1, max: 1}, "reg": {min: 1, max: 1},
	"system": {min: 1, max: -1, unsafe: true, format: true}, "exit": {min: 0, max: 1},
	"cgroupid": {min: 1, max: 1}, "kstack": {min: 0, max: 2}, "ustack": {min: 0, max: 2},
	"ntop": {min: 1, max: 2}, "pton": {min: 1, max: 1}, "cat": {min: 1, max: -1, format: true},
	"signal": {min: 1, max: 1, unsafe: true}, "strncmp": {min: 3, max: 3}, "override": {min: 1, max: 1, unsafe: true},
	"buf": {min: 1, max: 2}, "sizeof": {min: 1, max: 1}, "print": {min: 1, max: 3}, "strftime": {min: 2, max: 2},
	"path": {min: 1, max: 2}, "uptr": {min: 1, max: 1}, "kptr": {min: 1, max: 1}, "macaddr": {min: 1, max: 1},
	"cgroup_path": {min: 1, max: 2}, "skboutput": {min: 4, max: 4}, "bswap": {min: 1, max: 1},
	"offsetof": {min: 2, max: 2}, "unwatch": {min: 1, max: 1},
	"count": {min: 0, max: 0, agg: true}, "sum": {min: 1, max: 1, agg: true}, "avg": {min: 1, max: 1, agg: true},
	"min": {min: 1, max: 1, agg: true}, "max": {min: 1, max: 1, agg: true}, "stats": {min: 1, max: 1, agg: true},
	"hist": {min: 1, max: 2, agg: true}, "lhist": {min: 4, max: 4, agg: true},
	"delete": {min: 1, max: 2}, "clear": {min: 1, max: 1}, "zero": {min: 1, max: 1},
	// Added after 0.17.
	"strcontains": {min: 2, max: 2, since: "0.19"}, "len": {min: 1, max: 1, since: "0.21"},
	"errorf": {min: 1, max: -1, format: true, since: "0.19"}, "warnf": {min: 1, max: -1, format: true, since: "0.19"},
	"debugf": {min: 1, max: -1, format: true, since: "0.19"}, "has_key": {min: 2, max: 2, since: "0.21"},
	"nsecs": {min: 0, max: 1, since: "0.21"}, "percpu_kaddr": {min: 1, max: 2, since: "0.21"},
	"tseries": {min: 3, max: 4, agg: true, since: "0.23"}, "pid": {min: 0, max: 1, since: "0.23"}, "tid": {min: 0, max: 1, since: "0.23"},
	// The standard library of the newest release line (0.26 and its
	// development head), by name and arity.
	"assert": {min: 1, max: 2, since: "0.26"}, "assert_str": {min: 1, max: 2, since: "0.26"},
	"container_of": {min: 3, max: 3, since: "0.26"}, "dw_ustack": {min: 0, max: 2, since: "0.26"},
	"fail": {min: 1, max: -1, format: true, since: "0.26"}, "find": {min: 2, max: 2, since: "0.26"},
	"getopt": {min: 1, max: 3, since: "0.26"}, "has_cpid": {min: 0, max: 0, since: "0.26"},
	"is_array": {min: 1, max: 1, since: "0.26"}, "is_err": {min: 1, max: 1, since: "0.26"},
	"is_integer": {min: 1, max: 1, since: "0.26"}, "is_literal": {min: 1, max: 1, since: "0.26"},
	"is_ptr": {min: 1, max: 1, since: "0.26"}, "is_str": {min: 1, max: 1, since: "0.26"},
	"is_unsigned_integer": {min: 1, max: 1, since: "0.26"}, "kfunc_allowed": {min: 1, max: 1, since: "0.26"},
	"kfunc_exist": {min: 1, max: 1, since: "0.26"}, "leader_comm": {min: 0, max: 0, since: "0.26"},
	"leader_tid": {min: 0, max: 0, since: "0.26"}, "memcmp": {min: 3, max: 3, since: "0.26"},
	"pcomm": {min: 0, max: 0, since: "0.26"}, "ppid": {min: 0, max: 0, since: "0.26"},
	"probetype": {min: 0, max: 0, since: "0.26"}, "signal_name": {min: 1, max: 1, since: "0.26"},
	"signal_thread": {min: 1, max: 1, unsafe: true, since: "0.26"}, "socket_cookie": {min: 1, max: 1, since: "0.26"},
	"static_assert": {min: 1, max: 2, since: "0.26"}, "str_concat": {min: 2, max: -1, since: "0.26"},
	"strcap": {min: 1, max: 1, since: "0.26"}, "strerror": {min: 1, max: 1, since: "0.26"},
	"strlen": {min: 1, max: 1, since: "0.26"}, "strstr": {min: 2, max: 2, since: "0.26"},
	"syscall_name": {min: 1, max: 1, since: "0.26"}, "typeof": {min: 1, max: 1, since: "0.26"},
	"write_user": {min: 2, max: 3, unsafe: true, since: "0.26"},
	"hash":       {min: 1, max: 1, since: "0.26"}, "lruhash": {min: 1, max: 1, since: "0.26"},
	"percpuhash": {min: 1, max: 1, since: "0.26"}, "percpulruhash": {min: 1, max: 1, since: "0.26"},
	"percpuarray": {min: 1, max: 1, since: "0.26"},
}

// hints name the right idea for names borrowed from other tools.
var hints = map[string]string{
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

var builtins = map[string]string{
	"pid": "", "tid": "", "uid": "", "gid": "", "nsecs": "", "elapsed": "", "numaid": "", "cpu": "",
	"comm": "", "kstack": "", "ustack": "", "retval": "", "func": "", "probe": "", "curtask": "",
	"rand": "", "cgroup": "", "cpid": "", "args": "", "username": "", "jiffies": "", "ctx": "",
	"usermode": "0.19", "ncpus": "0.20", "__builtin_probe": "", "true": "0.20", "false": "0.20",
	"ppid": "0.26", "pcomm": "0.26", "leader_comm": "0.26", "leader_tid": "0.26", "probetype": "0.26",
	"has_cpid": "0.26", "default_str_length": "0.26",
}

// probeTypes maps every spelling to the canonical probe type.
var probeTypes = map[string]string{
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

// probeSince records spellings newer than 0.17.
var probeSince = map[string]string{"fentry": "0.20", "fexit": "0.20"}

var softwareEvents = []string{"cpu-clock", "cpu", "task-clock", "page-faults", "faults", "context-switches", "cs",
	"cpu-migrations", "minor-faults", "major-faults", "alignment-faults", "emulation-faults", "dummy", "bpf-output"}

var hardwareEvents = []string{"cpu-cycles", "cycles", "instructions", "cache-references", "cache-misses",
	"branch-instructions", "branches", "branch-misses", "bus-cycles", "frontend-stalls", "backend-stalls", "ref-cycles"}

// keywords are identifiers that are not builtins but are fine bare.
var keywords = map[string]bool{"if": true, "else": true, "while": true, "for": true, "unroll": true, "return": true,
	"break": true, "continue": true, "struct": true, "union": true, "enum": true, "sizeof": true, "offsetof": true,
	"config": true, "import": true, "let": true, "macro": true}

// versionAtLeast compares dotted versions ("0.17" < "0.21").
func versionAtLeast(v, want string) bool {
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
