package kb

import (
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
// and the version it appeared in ("" for 0.17 and before).
type BTFunc struct {
	Min, Max int
	Agg      bool
	Unsafe   bool
	Format   bool
	Since    string
	Desc     string // one line, filled in by BpftraceSpec
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
	"strcontains": {Min: 2, Max: 2}, "len": {Min: 1, Max: 1, Since: "0.21"},
	"errorf": {Min: 1, Max: -1, Format: true, Since: "0.19"}, "warnf": {Min: 1, Max: -1, Format: true, Since: "0.19"},
	"debugf": {Min: 1, Max: -1, Format: true, Since: "0.19"}, "has_key": {Min: 2, Max: 2, Since: "0.21"},
	"nsecs": {Min: 0, Max: 1, Since: "0.21"}, "percpu_kaddr": {Min: 1, Max: 2, Since: "0.21"},
	"tseries": {Min: 3, Max: 4, Agg: true, Since: "0.24"}, "pid": {Min: 0, Max: 1, Since: "0.23"}, "tid": {Min: 0, Max: 1, Since: "0.23"},
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
	"begin": "BEGIN", "end": "END", "self": "self", "test": "test", "bench": "bench",
}

// BpftraceProbeSince records spellings newer than 0.17.
var BpftraceProbeSince = map[string]string{"fentry": "0.20", "fexit": "0.20", "rawtracepoint": "0.18", "rt": "0.18",
	"begin": "0.24", "end": "0.24", "self": "0.24", "test": "0.25", "bench": "0.24"}

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
// oldest first: the one Debian 12 ships and the newest release.
var BpftraceVersions = []string{"0.17", "0.26"}

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
	{Name: "self", Since: "0.24", Format: "self:signal:SIGUSR1", Desc: "an event of the bpftrace process itself"},
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

// BpftraceSyntaxSince records language constructs newer than 0.17.
var BpftraceSyntaxSince = map[string]string{
	"for":       "0.21", // for ($kv : @map)
	"for-range": "0.24", // for ($i : 0..10)
	"config":    "0.20", // config = { ... }
	"let":       "0.22", // let $x; let @m = hash(N)
	"macro":     "0.25", // macro name(args) { ... }
	"import":    "0.26",
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
	v := BpftraceVersions[len(BpftraceVersions)-1]
	if version != "" {
		for _, known := range BpftraceVersions {
			if VersionAtLeast(version, known) {
				v = known
			}
		}
		if !VersionAtLeast(version, BpftraceVersions[0]) {
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
		if VersionAtLeast(v, f.Since) {
			f.Desc = bpftraceFuncDesc[n]
			s.funcs[n] = f
		}
	}
	btSpecs[v] = s
	return s
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
}
