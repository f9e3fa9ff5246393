package kb

import (
	"sort"
	"strings"
)

// SecDef is one libbpf SEC() prefix: the program type it loads as, the
// attach kind it needs from the kernel, and the target it takes. Facts
// follow libbpf's section table (newest libbpf), with the version each
// prefix appeared in where known.
type SecDef struct {
	Prefix   string // "kprobe", "tp", "fentry", ... (without the '/')
	ProgType string // program type name, as in ProgTypeNames
	Attach   string // attach kind (AttachKprobe, ...); "" when none matters
	Target   string // form of the target after the '/', "" when none
	Optional bool   // the target may be omitted
	Sleep    bool   // sleepable variant (.s)
	Since    string // libbpf version
}

var secDefs = []SecDef{
	{Prefix: "socket", ProgType: "socket_filter"},
	{Prefix: "sk_reuseport/migrate", ProgType: "sk_reuseport"},
	{Prefix: "sk_reuseport", ProgType: "sk_reuseport"},
	{Prefix: "kprobe", ProgType: "kprobe", Attach: AttachKprobe, Target: "FUNC[+OFFSET]", Optional: true},
	{Prefix: "uprobe", ProgType: "kprobe", Attach: AttachUprobe, Target: "BINARY:SYMBOL[+OFFSET]", Optional: true},
	{Prefix: "uprobe.s", ProgType: "kprobe", Attach: AttachUprobe, Target: "BINARY:SYMBOL", Optional: true, Sleep: true, Since: "1.0"},
	{Prefix: "kretprobe", ProgType: "kprobe", Attach: AttachKprobe, Target: "FUNC", Optional: true},
	{Prefix: "uretprobe", ProgType: "kprobe", Attach: AttachUprobe, Target: "BINARY:SYMBOL", Optional: true},
	{Prefix: "uretprobe.s", ProgType: "kprobe", Attach: AttachUprobe, Target: "BINARY:SYMBOL", Optional: true, Sleep: true, Since: "1.0"},
	{Prefix: "kprobe.multi", ProgType: "kprobe", Attach: AttachKprobeMulti, Target: "PATTERN", Optional: true, Since: "1.0"},
	{Prefix: "kretprobe.multi", ProgType: "kprobe", Attach: AttachKprobeMulti, Target: "PATTERN", Optional: true, Since: "1.0"},
	{Prefix: "kprobe.session", ProgType: "kprobe", Attach: AttachKprobeMulti, Target: "PATTERN", Optional: true, Since: "1.5"},
	{Prefix: "uprobe.multi", ProgType: "kprobe", Attach: AttachUprobe, Target: "BINARY:PATTERN", Optional: true, Since: "1.3"},
	{Prefix: "uretprobe.multi", ProgType: "kprobe", Attach: AttachUprobe, Target: "BINARY:PATTERN", Optional: true, Since: "1.3"},
	{Prefix: "uprobe.multi.s", ProgType: "kprobe", Attach: AttachUprobe, Target: "BINARY:PATTERN", Optional: true, Sleep: true, Since: "1.3"},
	{Prefix: "uretprobe.multi.s", ProgType: "kprobe", Attach: AttachUprobe, Target: "BINARY:PATTERN", Optional: true, Sleep: true, Since: "1.3"},
	{Prefix: "ksyscall", ProgType: "kprobe", Attach: AttachKprobe, Target: "SYSCALL", Since: "1.0"},
	{Prefix: "kretsyscall", ProgType: "kprobe", Attach: AttachKprobe, Target: "SYSCALL", Since: "1.0"},
	{Prefix: "usdt", ProgType: "kprobe", Attach: AttachUSDT, Target: "BINARY:PROVIDER:NAME", Optional: true, Since: "0.8"},
	{Prefix: "usdt.s", ProgType: "kprobe", Attach: AttachUSDT, Target: "BINARY:PROVIDER:NAME", Optional: true, Sleep: true, Since: "1.3"},
	{Prefix: "tc/ingress", ProgType: "sched_cls", Attach: AttachTC, Since: "1.3"},
	{Prefix: "tc/egress", ProgType: "sched_cls", Attach: AttachTC, Since: "1.3"},
	{Prefix: "tcx/ingress", ProgType: "sched_cls", Attach: AttachTC, Since: "1.3"},
	{Prefix: "tcx/egress", ProgType: "sched_cls", Attach: AttachTC, Since: "1.3"},
	{Prefix: "netkit/primary", ProgType: "sched_cls", Attach: AttachTC, Since: "1.3"},
	{Prefix: "netkit/peer", ProgType: "sched_cls", Attach: AttachTC, Since: "1.3"},
	{Prefix: "tc", ProgType: "sched_cls", Attach: AttachTC},
	{Prefix: "classifier", ProgType: "sched_cls", Attach: AttachTC},
	{Prefix: "action", ProgType: "sched_act", Attach: AttachTC},
	{Prefix: "tracepoint", ProgType: "tracepoint", Attach: AttachTracepoint, Target: "CATEGORY/NAME", Optional: true},
	{Prefix: "tp", ProgType: "tracepoint", Attach: AttachTracepoint, Target: "CATEGORY/NAME", Optional: true},
	{Prefix: "raw_tracepoint", ProgType: "raw_tracepoint", Attach: AttachRawTP, Target: "NAME", Optional: true},
	{Prefix: "raw_tp", ProgType: "raw_tracepoint", Attach: AttachRawTP, Target: "NAME", Optional: true},
	{Prefix: "raw_tracepoint.w", ProgType: "raw_tracepoint_writable", Attach: AttachRawTP, Target: "NAME", Optional: true},
	{Prefix: "raw_tp.w", ProgType: "raw_tracepoint_writable", Attach: AttachRawTP, Target: "NAME", Optional: true},
	{Prefix: "tp_btf", ProgType: "tracing", Attach: AttachTpBTF, Target: "NAME"},
	{Prefix: "fentry", ProgType: "tracing", Attach: AttachFentry, Target: "FUNC"},
	{Prefix: "fmod_ret", ProgType: "tracing", Attach: AttachFentry, Target: "FUNC"},
	{Prefix: "fexit", ProgType: "tracing", Attach: AttachFexit, Target: "FUNC"},
	{Prefix: "fentry.s", ProgType: "tracing", Attach: AttachFentry, Target: "FUNC", Sleep: true},
	{Prefix: "fmod_ret.s", ProgType: "tracing", Attach: AttachFentry, Target: "FUNC", Sleep: true},
	{Prefix: "fexit.s", ProgType: "tracing", Attach: AttachFexit, Target: "FUNC", Sleep: true},
	{Prefix: "freplace", ProgType: "ext", Target: "FUNC"},
	{Prefix: "lsm", ProgType: "lsm", Attach: AttachLSM, Target: "HOOK"},
	{Prefix: "lsm.s", ProgType: "lsm", Attach: AttachLSM, Target: "HOOK", Sleep: true},
	{Prefix: "lsm_cgroup", ProgType: "lsm", Attach: AttachLSM, Target: "HOOK", Since: "1.0"},
	{Prefix: "iter", ProgType: "tracing", Attach: AttachIter, Target: "NAME"},
	{Prefix: "iter.s", ProgType: "tracing", Attach: AttachIter, Target: "NAME", Sleep: true},
	{Prefix: "syscall", ProgType: "syscall", Sleep: true},
	{Prefix: "xdp.frags/devmap", ProgType: "xdp", Attach: AttachXDP},
	{Prefix: "xdp/devmap", ProgType: "xdp", Attach: AttachXDP},
	{Prefix: "xdp.frags/cpumap", ProgType: "xdp", Attach: AttachXDP},
	{Prefix: "xdp/cpumap", ProgType: "xdp", Attach: AttachXDP},
	{Prefix: "xdp.frags", ProgType: "xdp", Attach: AttachXDP},
	{Prefix: "xdp", ProgType: "xdp", Attach: AttachXDP},
	{Prefix: "perf_event", ProgType: "perf_event", Attach: AttachPerfEvent},
	{Prefix: "lwt_in", ProgType: "lwt_in"},
	{Prefix: "lwt_out", ProgType: "lwt_out"},
	{Prefix: "lwt_xmit", ProgType: "lwt_xmit"},
	{Prefix: "lwt_seg6local", ProgType: "lwt_seg6local"},
	{Prefix: "sockops", ProgType: "sock_ops"},
	{Prefix: "sk_skb/stream_parser", ProgType: "sk_skb"},
	{Prefix: "sk_skb/stream_verdict", ProgType: "sk_skb"},
	{Prefix: "sk_skb/verdict", ProgType: "sk_skb"},
	{Prefix: "sk_skb", ProgType: "sk_skb"},
	{Prefix: "sk_msg", ProgType: "sk_msg"},
	{Prefix: "lirc_mode2", ProgType: "lirc_mode2"},
	{Prefix: "flow_dissector", ProgType: "flow_dissector"},
	{Prefix: "cgroup_skb/ingress", ProgType: "cgroup_skb", Attach: AttachCgroupSKB},
	{Prefix: "cgroup_skb/egress", ProgType: "cgroup_skb", Attach: AttachCgroupSKB},
	{Prefix: "cgroup/skb", ProgType: "cgroup_skb", Attach: AttachCgroupSKB},
	{Prefix: "cgroup/sock_create", ProgType: "cgroup_sock"},
	{Prefix: "cgroup/sock_release", ProgType: "cgroup_sock"},
	{Prefix: "cgroup/sock", ProgType: "cgroup_sock"},
	{Prefix: "cgroup/post_bind4", ProgType: "cgroup_sock"},
	{Prefix: "cgroup/post_bind6", ProgType: "cgroup_sock"},
	{Prefix: "cgroup/dev", ProgType: "cgroup_device"},
	{Prefix: "cgroup/bind4", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/bind6", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/connect4", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/connect6", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/connect_unix", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/sendmsg4", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/sendmsg6", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/sendmsg_unix", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/recvmsg4", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/recvmsg6", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/recvmsg_unix", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/getpeername4", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/getpeername6", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/getsockname4", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/getsockname6", ProgType: "cgroup_sock_addr"},
	{Prefix: "cgroup/sysctl", ProgType: "cgroup_sysctl"},
	{Prefix: "cgroup/getsockopt", ProgType: "cgroup_sockopt"},
	{Prefix: "cgroup/setsockopt", ProgType: "cgroup_sockopt"},
	{Prefix: "struct_ops", ProgType: "struct_ops", Target: "NAME", Optional: true},
	{Prefix: "struct_ops.s", ProgType: "struct_ops", Target: "NAME", Optional: true, Sleep: true},
	{Prefix: "sk_lookup", ProgType: "sk_lookup"},
	{Prefix: "netfilter", ProgType: "netfilter"},
}

// Special sections that are not programs.
var dataSections = map[string]bool{"license": true, "version": true, ".maps": true, "maps": true,
	".data": true, ".rodata": true, ".bss": true, ".kconfig": true, ".ksyms": true}

// IsDataSection reports whether a SEC() name is a data section.
func IsDataSection(name string) bool {
	return dataSections[name] || strings.HasPrefix(name, ".data.") || strings.HasPrefix(name, ".rodata.") || strings.HasPrefix(name, ".bss.")
}

// LookupSEC finds the definition of a program section name and returns
// the target after the prefix ("" when none).
func LookupSEC(name string) (SecDef, string, bool) {
	// The longest prefix that is the whole name or ends at a '/'.
	for end := len(name); end > 0; {
		if i, ok := secByPrefix[name[:end]]; ok {
			d := secDefs[i]
			return d, strings.TrimPrefix(name[end:], "/"), true
		}
		end = strings.LastIndexByte(name[:end], '/')
	}
	return SecDef{}, "", false
}

// secByPrefix indexes secDefs by prefix (the first definition of a
// prefix wins, as the scan it replaces did).
var secByPrefix = func() map[string]int {
	m := make(map[string]int, len(secDefs))
	for i, d := range secDefs {
		if _, dup := m[d.Prefix]; !dup {
			m[d.Prefix] = i
		}
	}
	return m
}()

// SECNames lists every known prefix, sorted.
func SECNames() []string {
	out := make([]string, 0, len(secDefs))
	for _, d := range secDefs {
		out = append(out, d.Prefix)
	}
	sort.Strings(out)
	return out
}
