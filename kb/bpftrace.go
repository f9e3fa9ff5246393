package kb

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Language facts of bpftrace, re-expressed as data from bpftrace's own
// documentation at its release tags: probe types with aliases, builtin variables, functions
// with arities. The newest known release adds to 0.17 (the version Debian
// ships); checks use the facts of the version they are told.

// BTFunc is a bpftrace function: its arity (Max -1: variadic), whether it
// is an aggregation, unsafe (needs --unsafe), takes a printf format first,
// the release it appeared in ("" for 0.17 and before) and the first
// release without it ("" while it exists). A spec's copy has the arity of
// its release (arity changes are in bpftraceArity).
type BTFunc struct {
	Min, Max int
	Agg      bool
	Unsafe   bool
	Format   bool
	Since    string
	Until    string
	Sig      string // signature at the spec's release, filled in by BpftraceSpec
	Desc     string // one line, filled in by BpftraceSpec
}

// BpftraceFunctions are bpftrace's functions by name, every release
// together: Since and Until say which releases have each. The releases
// are read from bpftrace's changelog and documentation at each tag and
// checked against the real 0.17, 0.23.2 and 0.27.1 (functions up to
// 0.23 are the compiler's own; from 0.24 on many live in the standard
// library of macros and functions bpftrace ships).
var BpftraceFunctions = map[string]BTFunc{
	"printf": {Min: 1, Max: -1, Format: true}, "time": {Min: 0, Max: 1},
	"join": {Min: 1, Max: 2}, "str": {Min: 1, Max: 2}, "ksym": {Min: 1, Max: 1}, "usym": {Min: 1, Max: 1},
	"kaddr": {Min: 1, Max: 1}, "uaddr": {Min: 1, Max: 1}, "reg": {Min: 1, Max: 1},
	"system": {Min: 1, Max: -1, Unsafe: true, Format: true}, "exit": {Min: 0, Max: 0},
	"cgroupid": {Min: 1, Max: 1}, "kstack": {Min: 0, Max: 2}, "ustack": {Min: 0, Max: 2},
	"ntop": {Min: 1, Max: 2}, "pton": {Min: 1, Max: 1}, "cat": {Min: 1, Max: -1, Format: true},
	"signal": {Min: 1, Max: 1, Unsafe: true}, "strncmp": {Min: 3, Max: 3}, "override": {Min: 1, Max: 1, Unsafe: true},
	"buf": {Min: 1, Max: 2}, "sizeof": {Min: 1, Max: 1}, "print": {Min: 1, Max: 3}, "strftime": {Min: 2, Max: 2},
	"path": {Min: 1, Max: 1}, "uptr": {Min: 1, Max: 1}, "kptr": {Min: 1, Max: 1}, "macaddr": {Min: 1, Max: 1},
	"cgroup_path": {Min: 1, Max: 2}, "skboutput": {Min: 4, Max: 4}, "bswap": {Min: 1, Max: 1},
	"unwatch": {Min: 1, Max: 1}, "strerror": {Min: 1, Max: 1}, "debugf": {Min: 1, Max: -1, Format: true},
	"count": {Min: 0, Max: 0, Agg: true}, "sum": {Min: 1, Max: 1, Agg: true}, "avg": {Min: 1, Max: 1, Agg: true},
	"min": {Min: 1, Max: 1, Agg: true}, "max": {Min: 1, Max: 1, Agg: true}, "stats": {Min: 1, Max: 1, Agg: true},
	"hist": {Min: 1, Max: 1, Agg: true}, "lhist": {Min: 4, Max: 4, Agg: true},
	"delete": {Min: 1, Max: 1}, "clear": {Min: 1, Max: 1}, "zero": {Min: 1, Max: 1},
	"strcontains": {Min: 2, Max: 2},
	// Added after 0.17.
	"offsetof": {Min: 2, Max: 2, Since: "0.18"},
	"nsecs":    {Min: 0, Max: 1, Since: "0.19"}, // nsecs([monotonic|boot|tai|sw_tai])
	"len":      {Min: 1, Max: 1, Since: "0.20"},
	"has_key":  {Min: 2, Max: 2, Since: "0.22"}, "percpu_kaddr": {Min: 1, Max: 2, Since: "0.22"},
	"errorf": {Min: 1, Max: -1, Format: true, Since: "0.24"}, "warnf": {Min: 1, Max: -1, Format: true, Since: "0.24"},
	"tseries": {Min: 3, Max: 4, Agg: true, Since: "0.24"}, "pid": {Min: 0, Max: 1, Since: "0.24"}, "tid": {Min: 0, Max: 1, Since: "0.24"},
	"getopt": {Min: 1, Max: 2, Since: "0.24"}, "socket_cookie": {Min: 1, Max: 1, Since: "0.24"},
	"assert": {Min: 1, Max: 2, Since: "0.24"}, "ppid": {Min: 1, Max: 1, Since: "0.24"},
	// 0.24 made builtins callable: comm(), cpu(), ...
	"comm": {Min: 0, Max: 0, Since: "0.24"}, "cpu": {Min: 0, Max: 0, Since: "0.24"}, "elapsed": {Min: 0, Max: 0, Since: "0.24"},
	"uid": {Min: 0, Max: 0, Since: "0.24"}, "gid": {Min: 0, Max: 0, Since: "0.24"}, "ncpus": {Min: 0, Max: 0, Since: "0.24"},
	"jiffies": {Min: 0, Max: 0, Since: "0.24"}, "usermode": {Min: 0, Max: 0, Since: "0.24"}, "username": {Min: 0, Max: 0, Since: "0.24"},
	"cgroup": {Min: 0, Max: 0, Since: "0.24"}, "numaid": {Min: 0, Max: 0, Since: "0.24"}, "rand": {Min: 0, Max: 0, Since: "0.24"},
	"cpid": {Min: 0, Max: 0, Since: "0.24"}, "curtask": {Min: 0, Max: 0, Since: "0.24"}, "func": {Min: 0, Max: 0, Since: "0.24"},
	"probe": {Min: 0, Max: 0, Since: "0.24"}, "retval": {Min: 0, Max: 0, Since: "0.24"},
	// The standard library of 0.25 and later.
	"assert_str": {Min: 1, Max: 2, Since: "0.25"}, "find": {Min: 2, Max: 3, Since: "0.25"},
	"has_cpid": {Min: 0, Max: 0, Since: "0.25"}, "is_array": {Min: 1, Max: 1, Since: "0.25"},
	"is_integer": {Min: 1, Max: 1, Since: "0.25"}, "is_literal": {Min: 1, Max: 1, Since: "0.25"},
	"is_ptr": {Min: 1, Max: 1, Since: "0.25"}, "is_str": {Min: 1, Max: 1, Since: "0.25"},
	"is_unsigned_integer": {Min: 1, Max: 1, Since: "0.25"}, "kfunc_allowed": {Min: 1, Max: 1, Since: "0.25"},
	"kfunc_exist": {Min: 1, Max: 1, Since: "0.25"}, "memcmp": {Min: 3, Max: 3, Since: "0.25"},
	"pcomm": {Min: 0, Max: 1, Since: "0.25"}, "probetype": {Min: 0, Max: 0, Since: "0.25"},
	"signal_thread": {Min: 1, Max: 1, Unsafe: true, Since: "0.25"}, "static_assert": {Min: 1, Max: 2, Since: "0.25"},
	"strcap": {Min: 1, Max: 1, Since: "0.25"}, "strlen": {Min: 1, Max: 1, Since: "0.25"}, "strstr": {Min: 2, Max: 2, Since: "0.25"},
	"syscall_name": {Min: 1, Max: 1, Since: "0.25"}, "default_str_length": {Min: 0, Max: 0, Since: "0.25"},
	"fail":        {Min: 1, Max: -1, Format: true, Since: "0.25"},
	"leader_comm": {Min: 0, Max: 1, Since: "0.26"}, "leader_tid": {Min: 0, Max: 1, Since: "0.26"},
	"signal_name": {Min: 1, Max: 1, Since: "0.26"}, "dw_ustack": {Min: 0, Max: 2, Since: "0.26"},
	"write_user": {Min: 3, Max: 3, Unsafe: true, Since: "0.26"}, "is_err": {Min: 1, Max: 1, Since: "0.26"},
	"str_concat": {Min: 2, Max: -1, Since: "0.27"}, "container_of": {Min: 3, Max: 3, Since: "0.27"},
	"config": {Min: 1, Max: 1, Since: "0.27"},
	// Map declarations (let @m = hash(N);), not callable elsewhere.
	"hash": {Min: 1, Max: 1, Since: "0.24"}, "lruhash": {Min: 1, Max: 1, Since: "0.24"},
	"percpuhash": {Min: 1, Max: 1, Since: "0.24"}, "percpulruhash": {Min: 1, Max: 1, Since: "0.24"},
	"percpuarray": {Min: 1, Max: 1, Since: "0.24"},
}

// MapDeclTypes are the map kinds `let @m = KIND(N);` declares.
var MapDeclTypes = map[string]bool{"hash": true, "lruhash": true, "percpuhash": true, "percpulruhash": true, "percpuarray": true}

// arityFrom is a function's arity from a release on.
type arityFrom struct {
	since    string
	min, max int
}

// bpftraceArity records arity changes: exit(code) from 0.21, delete with
// several maps in 0.21 only (0.22 made it delete(@map, key) and removed
// the multi-map form), path(p, size) from 0.22, nsecs() with no mode and
// ppid() with none once builtins became callable.
var bpftraceArity = map[string][]arityFrom{
	"exit":   {{"0.21", 0, 1}},
	"delete": {{"0.21", 1, -1}, {"0.22", 1, 2}},
	"path":   {{"0.22", 1, 2}},
	"hist":   {{"0.20", 1, 2}},
	"ppid":   {{"0.25", 0, 1}},
}

// bpftraceSig are signatures for hover and completion, by release: the
// newest entry at or below the spec's release applies.
var bpftraceSig = map[string][]struct{ since, sig string }{
	"printf": {{"", "printf(fmt, ...)"}}, "time": {{"", "time([fmt])"}}, "join": {{"", "join(argv [, sep])"}},
	"str": {{"", "str(ptr [, len]) -> string"}}, "ksym": {{"", "ksym(addr) -> string"}}, "usym": {{"", "usym(addr) -> string"}},
	"kaddr": {{"", "kaddr(\"name\") -> uint64"}}, "uaddr": {{"", "uaddr(\"name\") -> pointer"}}, "reg": {{"", "reg(\"name\") -> uint64"}},
	"system": {{"", "system(fmt, ...)"}}, "exit": {{"", "exit()"}, {"0.21", "exit([code])"}},
	"cgroupid": {{"", "cgroupid(\"path\") -> uint64"}}, "kstack": {{"", "kstack([mode,] [limit])"}}, "ustack": {{"", "ustack([mode,] [limit])"}},
	"ntop": {{"", "ntop([af,] addr) -> string"}}, "pton": {{"", "pton(\"addr\") -> uint8[]"}}, "cat": {{"", "cat(fmt, ...)"}},
	"signal": {{"", "signal(sig)"}}, "strncmp": {{"", "strncmp(a, b, n) -> int"}}, "override": {{"", "override(rc)"}},
	"buf": {{"", "buf(ptr [, len]) -> buffer"}}, "sizeof": {{"", "sizeof(type|expr) -> uint64"}}, "print": {{"", "print(value [, top [, div]])"}},
	"strftime": {{"", "strftime(fmt, nsecs) -> timestamp"}}, "path": {{"", "path(struct path *) -> string"}, {"0.22", "path(struct path * [, size]) -> string"}},
	"uptr": {{"", "uptr(ptr)"}}, "kptr": {{"", "kptr(ptr)"}}, "macaddr": {{"", "macaddr(ptr) -> string"}},
	"cgroup_path": {{"", "cgroup_path(id [, filter]) -> string"}}, "skboutput": {{"", "skboutput(path, skb, len, offset)"}},
	"bswap": {{"", "bswap(int) -> int"}}, "offsetof": {{"", "offsetof(struct T, field) -> uint64"}, {"0.23", "offsetof(struct T, field[.sub...]) -> uint64"}},
	"unwatch": {{"", "unwatch(addr)"}}, "strerror": {{"", "strerror(errno) -> string"}}, "debugf": {{"", "debugf(fmt, ...)"}},
	"count": {{"", "count()"}}, "sum": {{"", "sum(int)"}}, "avg": {{"", "avg(int)"}}, "min": {{"", "min(int)"}}, "max": {{"", "max(int)"}},
	"stats": {{"", "stats(int)"}}, "hist": {{"", "hist(int)"}, {"0.20", "hist(int [, bits])"}}, "lhist": {{"", "lhist(int, min, max, step)"}},
	"delete": {{"", "delete(@map[key])"}, {"0.21", "delete(@map[key], ...)"}, {"0.22", "delete(@map, key) or delete(@map[key])"}},
	"clear":  {{"", "clear(@map)"}}, "zero": {{"", "zero(@map)"}}, "strcontains": {{"", "strcontains(haystack, needle) -> int"}, {"0.24", "strcontains(haystack, needle) -> bool"}},
	"nsecs":        {{"", "nsecs(monotonic|boot|tai|sw_tai) -> uint64"}, {"0.24", "nsecs([monotonic|boot|tai|sw_tai]) -> uint64"}},
	"len":          {{"", "len(@map) -> int64"}, {"0.23", "len(@map|kstack|ustack) -> int64"}},
	"has_key":      {{"", "has_key(@map, key) -> int"}, {"0.24", "has_key(@map, key) -> bool"}},
	"percpu_kaddr": {{"", "percpu_kaddr(\"name\" [, cpu]) -> uint64"}},
	"errorf":       {{"", "errorf(fmt, ...)"}}, "warnf": {{"", "warnf(fmt, ...)"}},
	"tseries": {{"", "tseries(value, interval, num_intervals [, agg])"}},
	"pid":     {{"", "pid([curr_ns|init]) -> uint32"}}, "tid": {{"", "tid([curr_ns|init]) -> uint32"}},
	"getopt": {{"", "getopt(\"name\" [, default])"}}, "socket_cookie": {{"", "socket_cookie(struct sock *) -> uint64"}},
	"assert": {{"", "assert(cond [, msg])"}}, "ppid": {{"", "ppid(task) -> uint32"}, {"0.25", "ppid([task]) -> uint32"}},
	"find": {{"", "find(@map, key [, $out]) -> bool"}}, "strlen": {{"", "strlen(str) -> uint64"}}, "strstr": {{"", "strstr(haystack, needle) -> int64"}},
	"syscall_name": {{"", "syscall_name(nr) -> string"}}, "signal_name": {{"", "signal_name(sig) -> string"}},
	"write_user": {{"", "write_user(dst, src, len)"}}, "str_concat": {{"", "str_concat(a, b, ...) -> string"}},
	"container_of": {{"", "container_of(ptr, type, member)"}}, "config": {{"", "config(name)"}},
	"hash": {{"", "let @m = hash(max_entries);"}}, "lruhash": {{"", "let @m = lruhash(max_entries);"}},
	"percpuhash": {{"", "let @m = percpuhash(max_entries);"}}, "percpulruhash": {{"", "let @m = percpulruhash(max_entries);"}},
	"percpuarray": {{"", "let @m = percpuarray(max_entries);"}},
}

// BpftraceHints name the right idea for names borrowed from other tools.
var BpftraceHints = map[string]string{
	"log2":      "hist(x) is the power-of-2 histogram",
	"log":       "hist(x) is the power-of-2 histogram",
	"quantize":  "hist(x) is the power-of-2 histogram (quantize is DTrace)",
	"lquantize": "lhist(x, min, max, step) is the linear histogram (lquantize is DTrace)",
	"histogram": "hist(x) is the power-of-2 histogram",
	"sprintf":   "bpftrace has no sprintf: printf prints, and str()/buf() make strings",
	"trace":     "printf(fmt, ...) prints",
	"println":   "printf(\"...\\n\", ...) prints a line",
	"execname":  "the builtin comm holds the command name",
	"ppid":      "the parent pid is curtask->real_parent->tgid (ppid is new in bpftrace 0.25)",
	"now":       "nsecs is the current time in nanoseconds",
	"timestamp": "nsecs is the current time in nanoseconds",
}

// BpftraceBuiltins are builtin variables and the release they appeared in.
var BpftraceBuiltins = map[string]string{
	"pid": "", "tid": "", "uid": "", "gid": "", "nsecs": "", "elapsed": "", "numaid": "", "cpu": "",
	"comm": "", "kstack": "", "ustack": "", "retval": "", "func": "", "probe": "", "curtask": "",
	"rand": "", "cgroup": "", "cpid": "", "args": "", "username": "", "ctx": "", "__builtin_probe": "",
	"true": "", "false": "", "jiffies": "0.20", "usermode": "0.24", "ncpus": "0.24",
	"ppid": "0.25", "pcomm": "0.25", "probetype": "0.25", "has_cpid": "0.25", "default_str_length": "0.25",
	"leader_comm": "0.26", "leader_tid": "0.26",
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
	"begin": "BEGIN", "end": "END", "self": "self", "test": "test", "bench": "bench",
}

// BpftraceProbeSince records spellings newer than 0.17.
var BpftraceProbeSince = map[string]string{"fentry": "0.20", "fexit": "0.20", "rawtracepoint": "0.18", "rt": "0.18",
	"begin": "0.24", "end": "0.24", "self": "0.22", "test": "0.25", "bench": "0.24"}

// BpftraceProbeUntil records spellings a release dropped.
var BpftraceProbeUntil = map[string]string{"asyncwatchpoint": "0.25", "aw": "0.25"}

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
	v, want = strings.TrimPrefix(v, "v"), strings.TrimPrefix(want, "v")
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
			} else {
				*y = n
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

// BpftraceVersions are the bpftrace releases whose facts are recorded,
// oldest first: 0.17 (Debian 12) to 0.27 (Debian sid), every minor
// release between. Patch releases share their minor release's language.
var BpftraceVersions = []string{"0.17", "0.18", "0.19", "0.20", "0.21", "0.22", "0.23", "0.24", "0.25", "0.26", "0.27"}

// BpftraceReleases are the known releases, oldest first (a copy).
func BpftraceReleases() []string { return append([]string(nil), BpftraceVersions...) }

// BpftraceNewest is the newest known release: the one checked against
// when no binary, setting or flag says otherwise.
func BpftraceNewest() string { return BpftraceVersions[len(BpftraceVersions)-1] }

// BpftraceMajorMinor cuts a release to the "0.23" the language facts
// are keyed by: "0.23.2" and "v0.23.2" are 0.23; "" stays "".
func BpftraceMajorMinor(v string) string {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	if i := strings.IndexByte(v, '.'); i >= 0 {
		if j := strings.IndexByte(v[i+1:], '.'); j >= 0 {
			return v[:i+1+j]
		}
	}
	return v
}

// BpftraceBinaryVersion is the release ("0.23") of the bpftrace binary at
// path (or a name looked up in PATH), detected once per binary and cached
// by path, size and modification time (ToolVersion).
func BpftraceBinaryVersion(path string) (string, error) {
	v, err := ToolVersion(path)
	if err != nil {
		return "", err
	}
	return BpftraceMajorMinor(v), nil
}

// BpftraceKnown answers whether v names a recorded release ("0.23",
// "0.23.2", "v0.23.2").
func BpftraceKnown(v string) bool {
	mm := BpftraceMajorMinor(v)
	for _, k := range BpftraceVersions {
		if k == mm {
			return true
		}
	}
	return false
}

// BTProbeType is a bpftrace probe type and what its programs may read.
type BTProbeType struct {
	Name    string   // canonical name ("kprobe")
	Aliases []string // other spellings ("k")
	Since   string   // first release with it ("" for 0.17 and before)
	Until   string   // first release without it ("" while it exists)
	Format  string   // how an attach point is written
	Desc    string
	// Builtins that only some probe types provide.
	Args   bool // args (tracepoint fields, BTF or DWARF arguments)
	ArgN   bool // arg0, arg1, ...
	SargN  bool // sarg0, sarg1, ... (stack arguments; removed in 0.25)
	Retval bool // retval
	Func   bool // func
}

// bpftraceProbes are the probe types; Since marks what 0.17 lacks (0.17
// has no rawtracepoint: its attach-point parser stops with a fatal error).
var bpftraceProbes = []BTProbeType{
	{Name: "kprobe", Aliases: []string{"k"}, Format: "kprobe:FUNCTION[+OFFSET]", Desc: "entry of a kernel function (dynamic tracing)", ArgN: true, SargN: true, Func: true},
	{Name: "kretprobe", Aliases: []string{"kr"}, Format: "kretprobe:FUNCTION", Desc: "return of a kernel function", Retval: true, Func: true},
	{Name: "uprobe", Aliases: []string{"u"}, Format: "uprobe:BINARY:FUNCTION", Desc: "entry of a user-space function", Args: true, ArgN: true, SargN: true, Func: true},
	{Name: "uretprobe", Aliases: []string{"ur"}, Format: "uretprobe:BINARY:FUNCTION", Desc: "return of a user-space function", Retval: true, Func: true},
	{Name: "tracepoint", Aliases: []string{"t"}, Format: "tracepoint:CATEGORY:NAME", Desc: "kernel static tracepoint with the fields of its format", Args: true},
	{Name: "rawtracepoint", Aliases: []string{"rt"}, Since: "0.18", Format: "rawtracepoint:NAME", Desc: "kernel tracepoint with its raw arguments", ArgN: true},
	{Name: "usdt", Aliases: []string{"U"}, Format: "usdt:BINARY:[PROVIDER:]NAME", Desc: "user-space static tracepoint (SDT note)", ArgN: true},
	{Name: "profile", Aliases: []string{"p"}, Format: "profile:hz:RATE", Desc: "timed sampling on every CPU"},
	{Name: "interval", Aliases: []string{"i"}, Format: "interval:s:SECONDS", Desc: "timed output on one CPU"},
	{Name: "software", Aliases: []string{"s"}, Format: "software:EVENT[:COUNT]", Desc: "kernel software event (page faults, context switches, ...)"},
	{Name: "hardware", Aliases: []string{"h"}, Format: "hardware:EVENT[:COUNT]", Desc: "processor performance counter event"},
	{Name: "watchpoint", Aliases: []string{"w"}, Format: "watchpoint:ADDRESS:LENGTH:MODE", Desc: "memory watchpoint on an address", Func: true},
	{Name: "asyncwatchpoint", Aliases: []string{"aw"}, Format: "asyncwatchpoint:ADDRESS:LENGTH:MODE", Until: "0.25", Desc: "memory watchpoint reported asynchronously", Func: true},
	{Name: "kfunc", Aliases: []string{"f", "fentry"}, Format: "kfunc:FUNCTION", Desc: "entry of a kernel function through BTF (fentry)", Args: true},
	{Name: "kretfunc", Aliases: []string{"fr", "fexit"}, Format: "kretfunc:FUNCTION", Desc: "return of a kernel function through BTF (fexit)", Args: true, Retval: true},
	{Name: "iter", Aliases: []string{"it"}, Format: "iter:ITERATOR", Desc: "BPF iterator over kernel objects (tasks, files, ...)"},
	{Name: "BEGIN", Aliases: []string{"begin"}, Format: "BEGIN", Desc: "runs once before the other probes attach"},
	{Name: "END", Aliases: []string{"end"}, Format: "END", Desc: "runs once after the other probes detach"},
	{Name: "self", Since: "0.22", Format: "self:signal:SIGUSR1", Desc: "an event of the bpftrace process itself"},
	{Name: "test", Since: "0.25", Format: "test:NAME", Desc: "a test run by bpftrace --test"},
	{Name: "bench", Since: "0.24", Format: "bench:NAME", Desc: "a micro benchmark run by bpftrace --bench"},
}

// Facts that changed between releases, by version.
var (
	// func in kfunc/kretfunc probes came with 0.19, args in rawtracepoint
	// probes with 0.24; sargN went away in 0.25.
	btFuncInKfuncSince = "0.19"
	btArgsInRawTPSince = "0.24"
	btSargRemovedIn    = "0.25"
)

// BpftraceSyntaxSince records language constructs newer than 0.17, by
// the release that first parses them.
var BpftraceSyntaxSince = map[string]string{
	"array-cast":  "0.19", // (uint8[4])x
	"config":      "0.20", // config = { key = value }
	"for":         "0.21", // for ($kv : @map)
	"tuple-key":   "0.22", // @m[$tuple] with a tuple variable as one key
	"let":         "0.22", // let $x; let $x: type = v
	"block-scope": "0.22", // variables live in their block
	"if-noparen":  "0.24", // if $x { } (no parentheses)
	"for-range":   "0.24", // for ($i : 0..10)
	"map-decl":    "0.24", // let @m = hash(N); (behind unstable_map_decl in 0.24)
	"macro":       "0.24", // macro name(args) { ... } (behind unstable_macro in 0.24)
	"bool":        "0.24", // true / false as booleans
	"duration":    "0.24", // 1s, 10ms
	"block-expr":  "0.24", // { stmts; expr } as a value
	"record":      "0.25", // (a = 1, b = 2)
	"addr-of":     "0.25", // &$x (behind unstable_addr until 0.26)
	"import":      "0.26", // import "file.bt";
	"elvis":       "0.26", // a ?: b
	// Refused by 0.23 and parsed by 0.27 (the parser differential of
	// analysis/bpftrace); tied to block expressions, new in 0.24.
	"block-semicolon": "0.24", // if (x) { }; and { }; (an if and a block are expressions)
	"tuple-comma":     "0.24", // (), (1,), (1, 2,)
	"unroll-expr":     "0.24", // unroll(N), unroll(2+1): 0.23 takes an integer or $1
	"colon-glued":     "0.24", // a ? b :c (0.23's lexer reads ":c" as a path)
}

// BpftraceSyntaxUntil records spellings a release stopped parsing, by
// the first release known to refuse them.
var BpftraceSyntaxUntil = map[string]string{
	"upper-int-suffix": "0.27", // 7LL, 3ULL (0.23 parses them, 0.27 does not)
	"struct-words":     "0.27", // (struct a b *), sizeof(struct a b)
}

// BpftraceUnstable are features that a release parses only when the
// script's config enables them (flag = enable); Stable is the release
// that no longer needs the flag ("" while it still does). bpftrace
// warns when a feature is used without its flag.
var BpftraceUnstable = map[string]struct{ Flag, Since, Stable string }{
	"map-decl": {"unstable_map_decl", "0.24", "0.25"},
	"macro":    {"unstable_macro", "0.24", "0.25"},
	"addr-of":  {"unstable_addr", "0.24", "0.26"},
	"import":   {"unstable_import", "0.24", "0.26"},
	"tseries":  {"unstable_tseries", "0.24", ""},
}

// bpftraceConfig are the keys a config block sets, by the release that
// added them and the first release without them; keys may also be
// written as their environment variable (BPFTRACE_MAX_MAP_KEYS).
var bpftraceConfig = map[string]struct{ since, until string }{
	"cache_user_symbols": {"0.20", ""}, "cpp_demangle": {"0.20", ""}, "log_size": {"0.20", ""},
	"max_bpf_progs": {"0.20", ""}, "max_cat_bytes": {"0.20", ""}, "max_map_keys": {"0.20", ""},
	"max_probes": {"0.20", ""}, "max_strlen": {"0.20", ""}, "max_type_res_iterations": {"0.20", ""},
	"perf_rb_pages": {"0.20", ""}, "stack_mode": {"0.20", ""}, "str_trunc_trailer": {"0.20", ""},
	"lazy_symbolication": {"0.21", ""}, "missing_probes": {"0.21", ""}, "probe_inline": {"0.21", ""},
	"on_stack_limit": {"0.22", ""}, "print_maps_on_exit": {"0.22", ""}, "symbol_source": {"0.22", ""},
	"use_blazesym": {"0.23", ""}, "license": {"0.24", ""}, "show_debug_info": {"0.24", ""},
	// Old names kept as aliases.
	"strlen": {"0.20", ""}, "no_cpp_demangle": {"0.20", ""}, "cat_bytes_max": {"0.20", ""}, "map_keys_max": {"0.20", ""},
	"unstable_map_decl": {"0.24", ""}, "unstable_macro": {"0.24", ""}, "unstable_addr": {"0.24", ""},
	"unstable_import": {"0.24", ""}, "unstable_tseries": {"0.24", ""}, "unstable_typeinfo": {"0.25", ""},
	"unstable_import_statement": {"0.25", ""}, "unstable_dw_ustack": {"0.26", ""},
}

// BpftraceConfigKey answers whether a config block of release v may set
// key, and the release that added it ("" when no release has it).
func BpftraceConfigKey(v, key string) (ok bool, since string) {
	k := strings.ToLower(key)
	k = strings.TrimPrefix(k, "bpftrace_")
	c, known := bpftraceConfig[k]
	if !known {
		return false, ""
	}
	return VersionAtLeast(v, c.since) && (c.until == "" || !VersionAtLeast(v, c.until)), c.since
}

// BpftraceConfigKeys are the keys release v's config block takes.
func BpftraceConfigKeys(v string) []string {
	var out []string
	for k := range bpftraceConfig {
		if ok, _ := BpftraceConfigKey(v, k); ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// BTSpec is what one bpftrace version knows.
type BTSpec struct {
	Version string
	probes  map[string]*BTProbeType // every spelling
	funcs   map[string]BTFunc
}

var (
	btSpecs  = map[string]*BTSpec{}
	btSpecMu sync.Mutex
)

// BpftraceSpec returns the facts of the nearest recorded version at or
// below version; an unknown or empty version gets the newest.
func BpftraceSpec(version string) *BTSpec {
	v := BpftraceNewest()
	if mm := BpftraceMajorMinor(version); versionLike(mm) {
		for _, known := range BpftraceVersions {
			if VersionAtLeast(mm, known) {
				v = known
			}
		}
		if !VersionAtLeast(mm, BpftraceVersions[0]) {
			v = BpftraceVersions[0]
		}
	}
	btSpecMu.Lock()
	defer btSpecMu.Unlock()
	if s, ok := btSpecs[v]; ok {
		return s
	}
	s := &BTSpec{Version: v, probes: map[string]*BTProbeType{}, funcs: map[string]BTFunc{}}
	for i := range bpftraceProbes {
		p := bpftraceProbes[i] // a copy per version
		if !VersionAtLeast(v, p.Since) || p.Until != "" && VersionAtLeast(v, p.Until) {
			continue
		}
		var al []string
		for _, a := range p.Aliases {
			if u := BpftraceProbeUntil[a]; u != "" && VersionAtLeast(v, u) {
				continue
			}
			if VersionAtLeast(v, BpftraceProbeSince[a]) {
				al = append(al, a)
			}
		}
		p.Aliases = al
		switch p.Name {
		case "kfunc", "kretfunc":
			p.Func = VersionAtLeast(v, btFuncInKfuncSince)
		case "rawtracepoint":
			p.Args = VersionAtLeast(v, btArgsInRawTPSince)
		}
		if p.SargN && VersionAtLeast(v, btSargRemovedIn) {
			p.SargN = false
		}
		pp := &p
		s.probes[p.Name] = pp
		for _, a := range p.Aliases {
			s.probes[a] = pp
		}
	}
	for n, f := range BpftraceFunctions {
		if !VersionAtLeast(v, f.Since) || f.Until != "" && VersionAtLeast(v, f.Until) {
			continue
		}
		for _, a := range bpftraceArity[n] {
			if VersionAtLeast(v, a.since) {
				f.Min, f.Max = a.min, a.max
			}
		}
		for _, sg := range bpftraceSig[n] {
			if VersionAtLeast(v, sg.since) {
				f.Sig = sg.sig
			}
		}
		f.Desc = bpftraceFuncDesc[n]
		if f.Desc == "" && bpftraceBuiltinDesc[n] != "" {
			f.Desc = bpftraceBuiltinDesc[n] + " (the builtin, called as a function)"
		}
		s.funcs[n] = f
	}
	btSpecs[v] = s
	return s
}

// versionLike tells whether v starts like a release number ("0.23").
func versionLike(v string) bool {
	i := strings.IndexByte(v, '.')
	return i > 0 && i < len(v)-1 && v[0] >= '0' && v[0] <= '9' && v[i+1] >= '0' && v[i+1] <= '9'
}

// ProbeType looks a probe type up by any spelling.
func (s *BTSpec) ProbeType(name string) (*BTProbeType, bool) {
	p, ok := s.probes[name]
	return p, ok
}

// ProbeTypeNames are every spelling this version accepts.
func (s *BTSpec) ProbeTypeNames() []string {
	out := make([]string, 0, len(s.probes))
	for n := range s.probes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Function looks a function up.
func (s *BTSpec) Function(name string) (BTFunc, bool) {
	f, ok := s.funcs[name]
	return f, ok
}

// FunctionNames are the functions of this version.
func (s *BTSpec) FunctionNames() []string {
	out := make([]string, 0, len(s.funcs))
	for n := range s.funcs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Builtin answers whether name is a builtin variable of this version
// (arg0..argN and sarg0..sargN included).
func (s *BTSpec) Builtin(name string) bool {
	if n, ok := argIndex(name, "arg"); ok && n >= 0 {
		return true
	}
	if _, ok := argIndex(name, "sarg"); ok {
		return !VersionAtLeast(s.Version, btSargRemovedIn)
	}
	since, ok := BpftraceBuiltins[name]
	return ok && VersionAtLeast(s.Version, since)
}

// BuiltinNames are the builtin variables of this version (argN as arg0).
func (s *BTSpec) BuiltinNames() []string {
	var out []string
	for n, since := range BpftraceBuiltins {
		if VersionAtLeast(s.Version, since) {
			out = append(out, n)
		}
	}
	out = append(out, "arg0")
	sort.Strings(out)
	return out
}

// Provides answers whether a probe type (any spelling) provides a
// builtin. Builtins every probe has (pid, comm, nsecs, ...) are provided
// everywhere; unknown probe types provide everything (no false alarms).
func (s *BTSpec) Provides(probeType, builtin string) bool {
	p, ok := s.probes[probeType]
	if !ok {
		return true
	}
	if _, ok := argIndex(builtin, "arg"); ok {
		return p.ArgN
	}
	if _, ok := argIndex(builtin, "sarg"); ok {
		return p.SargN
	}
	switch builtin {
	case "args":
		return p.Args
	case "retval":
		return p.Retval
	case "func":
		return p.Func
	}
	return true
}

// bpftraceNotes are changes of meaning a release made to a name, shown
// with its documentation for the releases from then on.
var bpftraceNotes = map[string][]struct{ since, note string }{
	"pid":         {{"0.22", "a uint32 since bpftrace 0.22 (a uint64 before)"}},
	"tid":         {{"0.22", "a uint32 since bpftrace 0.22 (a uint64 before)"}},
	"probe":       {{"0.23", "a string since bpftrace 0.23"}},
	"args":        {{"", "a pointer: read fields with args->FIELD"}, {"0.19", "a struct since bpftrace 0.19: read fields with args.FIELD"}},
	"delete":      {{"0.21", "0.21 deletes from several maps in one call"}, {"0.22", "delete(@map, key) since bpftrace 0.22; the several-map form is gone"}},
	"strcontains": {{"0.24", "returns a bool since bpftrace 0.24"}},
	"has_key":     {{"0.24", "returns a bool since bpftrace 0.24"}},
	"len":         {{"0.23", "takes kstack and ustack too since bpftrace 0.23"}},
	"offsetof":    {{"0.23", "takes sub-fields (a.b.c) since bpftrace 0.23"}},
	"sarg0":       {{"0.21", "deprecated since bpftrace 0.21, removed in 0.25: read *(reg(\"sp\") + OFFSET)"}},
	"exit":        {{"0.21", "takes an exit code since bpftrace 0.21"}, {"0.25", "not allowed inside loops since bpftrace 0.25"}},
	"tseries":     {{"", "unstable: enable with config = { unstable_tseries = enable }"}},
}

// Notes are the changes of meaning of a builtin or function up to release
// s.Version ("a uint32 since bpftrace 0.22"), oldest first.
func (s *BTSpec) Notes(name string) []string {
	if _, ok := argIndex(name, "sarg"); ok {
		name = "sarg0"
	}
	var out []string
	for _, n := range bpftraceNotes[name] {
		if n.since == "" || VersionAtLeast(s.Version, n.since) {
			out = append(out, n.note)
		}
	}
	return out
}

// Doc is the hover documentation of a builtin or function as release
// s.Version knows it: signature, description, the release that added it,
// changes of meaning up to this release, and, for a name this release
// lacks, the releases that have it. "" for a name no release knows.
func (s *BTSpec) Doc(name string) string {
	var b strings.Builder
	note := func(key string) {
		for _, n := range bpftraceNotes[key] {
			if n.since == "" || VersionAtLeast(s.Version, n.since) {
				b.WriteString("\n\n" + n.note)
			}
		}
	}
	if f, ok := s.funcs[name]; ok {
		sig := f.Sig
		if sig == "" {
			sig = name + "()"
		}
		fmt.Fprintf(&b, "**%s** (bpftrace %s)\n\n%s", sig, s.Version, f.Desc)
		if f.Agg {
			b.WriteString(" (aggregation)")
		}
		if f.Unsafe {
			b.WriteString(" (unsafe: needs --unsafe)")
		}
		if f.Since != "" {
			fmt.Fprintf(&b, "\n\nnew in bpftrace %s", f.Since)
		}
		note(name)
		return b.String()
	}
	if s.Builtin(name) {
		fmt.Fprintf(&b, "**%s** (bpftrace %s builtin)\n\n%s", name, s.Version, BuiltinDesc(name))
		if since := BpftraceBuiltins[name]; since != "" {
			fmt.Fprintf(&b, "\n\nnew in bpftrace %s", since)
		}
		key := name
		if _, ok := argIndex(name, "sarg"); ok {
			key = "sarg0"
		}
		note(key)
		return b.String()
	}
	if f, ok := BpftraceFunctions[name]; ok {
		if f.Until != "" && VersionAtLeast(s.Version, f.Until) {
			return fmt.Sprintf("**%s**: removed in bpftrace %s (checking against %s)", name, f.Until, s.Version)
		}
		return fmt.Sprintf("**%s**: new in bpftrace %s (checking against %s)", name, f.Since, s.Version)
	}
	if since, ok := BpftraceBuiltins[name]; ok {
		return fmt.Sprintf("**%s**: builtin new in bpftrace %s (checking against %s)", name, since, s.Version)
	}
	if _, ok := argIndex(name, "sarg"); ok {
		return fmt.Sprintf("**%s**: removed in bpftrace %s (checking against %s): read *(reg(\"sp\") + OFFSET)", name, btSargRemovedIn, s.Version)
	}
	return ""
}

// Hint names the right idea for a name borrowed from another tool ("" if
// none).
func (s *BTSpec) Hint(name string) string { return BpftraceHints[name] }

// BuiltinDesc is a one-line description of a builtin variable.
func BuiltinDesc(name string) string {
	if _, ok := argIndex(name, "arg"); ok {
		return "an argument of the traced function, as a 64-bit integer"
	}
	if _, ok := argIndex(name, "sarg"); ok {
		return "an argument passed on the stack, as a 64-bit integer"
	}
	return bpftraceBuiltinDesc[name]
}

// argIndex parses prefix+N ("arg3" -> 3).
func argIndex(name, prefix string) (int, bool) {
	if !strings.HasPrefix(name, prefix) || len(name) == len(prefix) {
		return 0, false
	}
	n := 0
	for _, c := range name[len(prefix):] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > 1<<20 {
			return 0, false
		}
	}
	return n, true
}

var bpftraceBuiltinDesc = map[string]string{
	"pid": "process id (the kernel's tgid)", "tid": "thread id (the kernel's pid)",
	"uid": "user id of the current task", "gid": "group id of the current task",
	"nsecs": "monotonic timestamp in nanoseconds", "elapsed": "nanoseconds since bpftrace started",
	"numaid": "NUMA node of the current CPU", "cpu": "CPU the probe fires on",
	"comm": "command name of the current task (16 bytes)", "kstack": "kernel stack trace",
	"ustack": "user stack trace", "retval": "return value of the traced function",
	"func": "name of the traced function", "probe": "full name of the probe that fired",
	"curtask": "pointer to the current struct task_struct", "rand": "random 32-bit number",
	"cgroup": "cgroup v2 id of the current task", "cpid": "pid of the child started with -c",
	"args":     "the arguments of the probe as a struct (tracepoint fields, BTF arguments)",
	"username": "user name of the current task", "jiffies": "kernel jiffies counter",
	"ctx": "the raw context pointer of the program", "usermode": "1 when the CPU was in user mode",
	"ncpus": "number of CPUs", "__builtin_probe": "the probe name (internal form)",
	"true": "boolean true", "false": "boolean false", "ppid": "parent process id",
	"pcomm": "command name of the parent", "leader_comm": "command name of the thread group leader",
	"leader_tid": "thread id of the thread group leader", "probetype": "the type of the probe that fired",
	"has_cpid": "whether a child was started with -c", "default_str_length": "the configured string length",
}

var bpftraceFuncDesc = map[string]string{
	"printf": "print a formatted line", "time": "print the current wall-clock time",
	"join": "print the strings of an argv-style array joined", "str": "read a NUL-terminated string from a pointer",
	"ksym": "kernel symbol name of an address", "usym": "user symbol name of an address",
	"kaddr": "address of a kernel symbol", "uaddr": "address of a user symbol",
	"reg": "value of a named CPU register", "system": "run a shell command (unsafe)",
	"exit": "stop bpftrace", "cgroupid": "cgroup id of a cgroup path",
	"kstack": "kernel stack trace with a mode and depth", "ustack": "user stack trace with a mode and depth",
	"ntop": "IPv4/IPv6 address as text", "pton": "text address as bytes",
	"cat": "print the contents of a file", "signal": "send a signal to the current task (unsafe)",
	"strncmp": "compare the first n bytes of two strings", "override": "change a kprobed function's return value (unsafe)",
	"buf": "hex-escaped bytes read from a pointer", "sizeof": "size of a type or expression",
	"print": "print a value or map", "strftime": "format a timestamp",
	"path": "full path of a struct path", "uptr": "mark a pointer as user memory",
	"kptr": "mark a pointer as kernel memory", "macaddr": "MAC address as text",
	"cgroup_path": "cgroup path of a cgroup id", "skboutput": "write an skb to a pcap file",
	"bswap": "reverse the byte order of an integer", "offsetof": "offset of a field in a struct",
	"unwatch": "remove a watchpoint", "count": "count events (aggregation)",
	"sum": "sum values (aggregation)", "avg": "average of values (aggregation)",
	"min": "minimum of values (aggregation)", "max": "maximum of values (aggregation)",
	"stats": "count, average and total (aggregation)", "hist": "power-of-2 histogram (aggregation)",
	"lhist": "linear histogram with min, max and step (aggregation)", "delete": "remove a map element",
	"clear": "remove every element of a map", "zero": "set every value of a map to zero",
	"strcontains": "whether a string contains another", "len": "number of elements of a map",
	"errorf": "print an error message", "warnf": "print a warning", "debugf": "print a debug message",
	"has_key": "whether a map has a key", "nsecs": "timestamp from a chosen clock",
	"percpu_kaddr": "address of a per-CPU kernel variable", "tseries": "time series of values (aggregation)",
	"pid": "process id in a chosen pid namespace", "tid": "thread id in a chosen pid namespace",
	"assert": "fail the program when a condition is false", "assert_str": "assert on a string condition",
	"container_of": "the struct that contains a member", "dw_ustack": "user stack unwound with DWARF",
	"fail": "stop compilation with a message", "find": "whether a map has a key, with its value",
	"getopt": "a named command-line parameter", "has_cpid": "whether a child was started with -c",
	"is_array": "whether an expression is an array", "is_err": "whether a pointer is an ERR_PTR",
	"is_integer": "whether an expression is an integer", "is_literal": "whether an expression is a literal",
	"is_ptr": "whether an expression is a pointer", "is_str": "whether an expression is a string",
	"is_unsigned_integer": "whether an expression is an unsigned integer", "kfunc_allowed": "whether a kfunc may be called here",
	"kfunc_exist": "whether a kfunc exists", "leader_comm": "command name of the thread group leader",
	"leader_tid": "thread id of the thread group leader", "memcmp": "compare n bytes of two values",
	"pcomm": "command name of the parent", "ppid": "parent process id",
	"probetype": "the type of the probe that fired", "signal_name": "name of a signal number",
	"signal_thread": "send a signal to the current thread (unsafe)", "socket_cookie": "the cookie of a socket",
	"static_assert": "check a condition at compile time", "str_concat": "concatenate strings",
	"strcap": "a string with capacity information", "strerror": "text of an errno value",
	"strlen": "length of a string", "strstr": "index of a substring",
	"syscall_name": "name of a syscall number", "typeof": "the type of an expression",
	"write_user": "write to user memory (unsafe)", "hash": "declare a hash map of a size",
	"lruhash": "declare an LRU hash map of a size", "percpuhash": "declare a per-CPU hash map of a size",
	"percpulruhash": "declare a per-CPU LRU hash map of a size", "percpuarray": "declare a per-CPU array of a size",
	"config": "the value of a bpftrace configuration variable",
}
