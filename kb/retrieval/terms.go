package retrieval

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Terms turns text into the terms the local embedding counts: lowercase
// words; identifiers split into their parts (tcp_v4_connect -> tcp, v4,
// connect, and the whole identifier as one more term, so a query naming a
// function exactly finds it first); plurals and -ing/-ed forms folded;
// words of one meaning in this domain folded into one concept (open,
// openat and fopen; latency, duration and "how long"); English filler
// dropped. Han runs (Chinese requests) yield the concepts they contain.
func Terms(text string) []string {
	if mayHavePhrase(text) {
		text = phraseRe.ReplaceAllStringFunc(text, func(m string) string {
			return phrases[strings.Join(strings.Fields(strings.ToLower(m)), " ")]
		})
	}
	var out []string
	emit := func(w string) {
		if w == "" || stopWords[w] {
			return
		}
		if c, ok := concepts[w]; ok {
			out = append(out, c)
			return
		}
		s := stem(w)
		if c, ok := concepts[s]; ok {
			out = append(out, c)
			return
		}
		if stopWords[s] {
			return
		}
		out = append(out, s)
	}
	runes := []rune(text)
	for i := 0; i < len(runes); {
		r := runes[i]
		switch {
		case unicode.Is(unicode.Han, r):
			j := i
			for j < len(runes) && unicode.Is(unicode.Han, runes[j]) {
				j++
			}
			run := string(runes[i:j])
			for _, hw := range hanWords {
				if strings.Contains(run, hw.word) {
					out = append(out, hw.concepts...)
				}
			}
			i = j
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'):
			j := i
			for j < len(runes) && runes[j] < unicode.MaxASCII && (unicode.IsLetter(runes[j]) || unicode.IsDigit(runes[j]) || runes[j] == '_') {
				j++
			}
			word := string(runes[i:j])
			parts := splitIdent(word)
			whole := strings.ToLower(strings.Trim(word, "_"))
			if len(parts) > 1 {
				out = append(out, "="+whole)
			}
			out = append(out, hints[whole]...)
			for _, p := range parts {
				emit(p)
			}
			i = j
		default:
			i++
		}
	}
	return out
}

// splitIdent splits an identifier at underscores and lower-to-upper case
// changes: sys_enter_openat -> sys, enter, openat; getAddrInfo -> get,
// addr, info. Parts are lowercase; pure numbers are dropped.
func splitIdent(w string) []string {
	var parts []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			p := strings.ToLower(string(cur))
			if len(p) > 1 && strings.Trim(p, "0123456789") != "" {
				parts = append(parts, p)
			}
			cur = cur[:0]
		}
	}
	rs := []rune(w)
	for i, r := range rs {
		switch {
		case r == '_':
			flush()
		case unicode.IsUpper(r) && i > 0 && unicode.IsLower(rs[i-1]):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return parts
}

// stem folds common English endings: opens -> open, processes ->
// process, failing -> fail, dropped -> drop, latencies -> latency.
func stem(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		return w[:n-3] + "y"
	case n > 5 && strings.HasSuffix(w, "sses"):
		return w[:n-2]
	case n > 4 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "xes")):
		return w[:n-2]
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:n-1]
	case n > 5 && strings.HasSuffix(w, "ing"):
		s := w[:n-3]
		if len(s) > 2 && s[len(s)-1] == s[len(s)-2] && !strings.HasSuffix(s, "ll") && !strings.HasSuffix(s, "ss") {
			s = s[:len(s)-1] // dropping -> drop
		}
		return s
	case n > 4 && strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "eed"):
		s := w[:n-2]
		if len(s) > 2 && s[len(s)-1] == s[len(s)-2] && !strings.HasSuffix(s, "ll") && !strings.HasSuffix(s, "ss") {
			s = s[:len(s)-1]
		}
		return s
	}
	return w
}

// groups are words of one meaning in eBPF requests and programs; the
// first word of each is the concept they all become.
var groups = [][]string{
	{"open", "openat", "openat2", "fopen", "opening", "opened", "opens"},
	{"connect", "connection", "connecting", "connected", "connects", "dial", "session", "sessions"},
	{"accept", "accepted", "accepts", "accepting", "listen", "listener"},
	{"latency", "latencies", "duration", "delay", "slow", "slowness", "elapsed", "took", "lag", "wait", "waiting", "waited", "long", "time", "timing"},
	{"count", "counts", "counting", "number", "tally", "frequency", "often", "many", "rate", "per"},
	{"exec", "execve", "execveat", "execution", "executed", "launch", "launched", "started", "spawned", "bprm"},
	{"fork", "forks", "clone", "clone3", "vfork", "child", "children", "spawn"},
	{"enter", "entry", "entering", "entered", "entries"},
	{"exit", "exits", "exited", "terminate", "terminated", "died", "die", "dies", "quit", "finish", "finished", "ends", "ended", "lifetime", "lifespan"},
	{"signal", "signals", "kill", "killed", "sigkill", "sigterm", "tgkill", "sig"},
	{"process", "processes", "task", "tasks", "pid", "pids", "thread", "threads", "application", "app"},
	{"command", "commands", "comm", "cmd", "cmdline"},
	{"uid", "uids", "setuid", "setresuid", "seteuid", "euid", "credential", "credentials", "cred"},
	{"file", "files", "vfs", "path", "filename", "pathname"},
	{"read", "reads", "reading", "readv", "pread", "pread64"},
	{"write", "writes", "writing", "written", "writev", "pwrite", "pwrite64"},
	{"delete", "deletes", "deleted", "deletion", "unlink", "unlinkat", "remove", "removed", "rm"},
	{"rename", "renames", "renamed", "renameat", "renameat2", "move", "moved", "mv"},
	{"memory", "mem", "ram"},
	{"alloc", "allocation", "allocations", "allocate", "allocated", "allocating", "allocator", "kmalloc", "malloc", "calloc", "heap"},
	{"fault", "faults", "pagefault", "faulting"},
	{"swap", "swapping", "swapped", "reclaim", "reclaiming", "vmscan", "kswapd", "pressure", "oom"},
	{"block", "disk", "disks", "bio", "storage", "nvme", "ssd", "rq", "blk"},
	{"network", "networking", "net", "packet", "packets", "skb", "traffic"},
	{"device", "devices", "interface", "interfaces", "nic", "netdev"},
	{"ipv4", "v4", "inet", "ip4"},
	{"ipv6", "v6", "inet6", "ip6"},
	{"drop", "drops", "dropped", "discard", "discarded", "lost", "loss"},
	{"retransmit", "retransmits", "retransmission", "retransmissions", "retransmitted", "resend", "resent"},
	{"cpu", "cpus", "processor", "core", "cores", "oncpu"},
	{"contextswitch", "cswitch", "cswitches"},
	{"schedule", "scheduler", "scheduling", "sched", "runqueue", "runq", "preempt", "preempted", "wakeup", "woken", "wake"},
	{"offcpu", "blocked", "sleep", "sleeping", "asleep"},
	{"lock", "locks", "mutex", "spinlock", "contention", "contended", "futex"},
	{"irq", "irqs", "interrupt", "interrupts", "hardirq"},
	{"softirq", "softirqs", "bottom"},
	{"timer", "timers", "hrtimer", "timeout"},
	{"syscall", "syscalls", "sys"},
	{"error", "errors", "fail", "fails", "failed", "failing", "failure", "failures", "errno", "enoent", "eacces", "unsuccessful"},
	{"histogram", "distribution", "hist", "log2", "lhist", "bucket", "buckets", "percentile"},
	{"uprobe", "uprobes", "uretprobe", "uretprobes"},
	{"userspace", "user"},
	{"bash", "shell", "readline", "typed", "prompt"},
	{"cgroup", "cgroups", "container", "containers", "docker", "pod", "pods", "kubernetes"},
	{"capability", "capabilities", "cap", "capable", "privilege", "privileges", "permission", "permissions", "root"},
	{"lsm", "security", "audit", "deny", "enforce", "policy"},
	{"dns", "hostname", "hostnames", "resolve", "resolution", "getaddrinfo", "gethostbyname"},
	{"size", "sizes", "bytes", "byte", "length", "len", "amount", "volume", "throughput", "big", "large"},
	{"stack", "stacks", "backtrace", "callchain", "kstack", "ustack"},
	{"profile", "profiling", "sample", "sampling", "hot", "flame"},
	{"usdt", "sdt", "stapsdt"},
	{"program", "programs", "prog", "progs"},
	{"load", "loads", "loaded", "loading", "loader"},
	{"bpf", "ebpf", "bpftrace"},
	{"xdp", "driver", "express"},
	{"tc", "qdisc", "egress", "clsact"},
	{"iterator", "iter", "iterate", "enumerate", "dump"},
	{"mmap", "mapping", "mappings", "munmap", "mapped"},
	{"brk", "sbrk"},
	{"python", "interpreter", "gc", "garbage"},
	{"migrate", "migration", "migrations", "migrated", "bounce", "bouncing", "hop", "hopping"},
	{"writeback", "dirty", "flush", "flushing", "fsync", "sync"},
	{"state", "states", "transition", "transitions"},
	{"send", "sends", "sending", "sent", "sendto", "sendmsg", "transmit", "transmitted", "xmit", "tx", "outgoing", "outbound"},
	{"receive", "receives", "received", "receiving", "recv", "recvfrom", "recvmsg", "rx", "ingress", "incoming", "inbound", "arriving", "arrive"},
	{"udp", "datagram", "datagrams"},
	{"tcp"},
	{"socket", "sockets", "sock", "sk"},
	{"ringbuf", "ringbuffer", "ring"},
	{"perfbuf", "perf_event_array"},
}

var concepts = func() map[string]string {
	m := map[string]string{}
	for _, g := range groups {
		for _, w := range g {
			if _, dup := m[w]; !dup {
				m[w] = g[0]
			}
		}
	}
	return m
}()

// stopWords carry no meaning in a request for a program.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the of to in on at by for from with without into onto and or but not no
		is are was were be been being it its this that these those there here than then as so if when while where
		which what who whom whose why how do does did done doing can could should would will shall may might must
		me my we our you your i he she they them their his her us show shows showing print prints printing printed
		display displays tell tells give gives get gets want wants need needs like let lets see watch watching
		monitor monitoring observe trace traces tracing traced log logs logging logged report reports reporting
		list lists listing find finds measure measures measuring record records recording track tracks tracking
		every each all any some other one two also just only about over under up down out via using use used
		instead something thing things whenever happen happens happening occur occurs kernel linux machine system
		systemwide wide live real realtime which whichever exists exist field fields has have having`) {
		m[w] = true
	}
	return m
}()

// hanWords are Chinese words of requests and the concepts they name.
var hanWords = []struct {
	word     string
	concepts []string
}{
	{"打开", []string{"open"}}, {"文件", []string{"file"}}, {"进程", []string{"process"}}, {"延迟", []string{"latency"}},
	{"耗时", []string{"latency"}}, {"连接", []string{"connect"}}, {"网络", []string{"network"}}, {"磁盘", []string{"block"}},
	{"信号", []string{"signal"}}, {"内存", []string{"memory"}}, {"系统调用", []string{"syscall"}}, {"统计", []string{"count"}},
	{"次数", []string{"count"}}, {"直方图", []string{"histogram"}}, {"分布", []string{"histogram"}}, {"删除", []string{"delete"}},
	{"重命名", []string{"rename"}}, {"执行", []string{"exec"}}, {"退出", []string{"exit"}}, {"错误", []string{"error"}},
	{"失败", []string{"error"}}, {"读", []string{"read"}}, {"写", []string{"write"}}, {"锁", []string{"lock"}},
	{"中断", []string{"irq"}}, {"调度", []string{"schedule"}}, {"丢包", []string{"drop", "network"}}, {"重传", []string{"retransmit"}},
	{"容器", []string{"cgroup"}}, {"缺页", []string{"fault"}}, {"分配", []string{"alloc"}}, {"大小", []string{"size"}},
}

// phrases are several words of one meaning, folded before splitting.
var phrases = map[string]string{
	"look up": "lookup", "looks up": "lookup", "looking up": "lookup",
	"how long": "latency", "how much time": "latency", "time spent": "latency", "response time": "latency",
	"off cpu": "offcpu", "off-cpu": "offcpu", "off the cpu": "offcpu", "on cpu": "oncpu", "on-cpu": "oncpu",
	"page fault": "pagefault", "page faults": "pagefault",
	"run queue": "runqueue", "run-queue": "runqueue", "context switch": "contextswitch", "context switches": "contextswitch",
	"system call": "syscall", "system calls": "syscall",
	"user space": "userspace", "user-space": "userspace", "user land": "userspace",
	"process id": "pid", "process ids": "pid", "user id": "uid", "user ids": "uid", "thread id": "tid", "parent process": "ppid",
	"out of memory": "oom", "garbage collection": "gc", "garbage collector": "gc",
	"name resolution": "dns", "host name": "hostname", "domain name": "dns",
	"ring buffer": "ringbuf", "perf buffer": "perfbuf", "hash map": "hash", "per cpu": "percpu", "per-cpu": "percpu",
	"round trip": "rtt", "round-trip": "rtt",
	"stay open": "lifetime", "stays open": "lifetime", "remain open": "lifetime", "remains open": "lifetime", "kept open": "lifetime",
}

// phraseStarts are the first words of phrases, lowercase.
var phraseStarts = func() map[string]bool {
	m := map[string]bool{}
	for p := range phrases {
		w, _, _ := strings.Cut(strings.ReplaceAll(p, "-", " "), " ")
		m[w] = true
	}
	return m
}()

// mayHavePhrase is a cheap test before the phrase expression runs: text
// of one word, or without a word that starts a phrase, has none.
func mayHavePhrase(text string) bool {
	if !strings.ContainsAny(text, " \t\n-") {
		return false
	}
	start := -1
	for i := 0; i <= len(text); i++ {
		letter := i < len(text) && (text[i]|0x20 >= 'a' && text[i]|0x20 <= 'z')
		switch {
		case letter && start < 0:
			start = i
		case !letter && start >= 0:
			if i-start <= 8 && phraseStarts[strings.ToLower(text[start:i])] {
				return true
			}
			start = -1
		}
	}
	return false
}

var phraseRe = func() *regexp.Regexp {
	var alts []string
	for p := range phrases {
		alts = append(alts, strings.ReplaceAll(regexp.QuoteMeta(p), " ", `\s+`))
	}
	// Longest first, so "system calls" wins over "system call".
	sortByLenDesc(alts)
	return regexp.MustCompile(`(?i)\b(?:` + strings.Join(alts, "|") + `)\b`)
}()

func sortByLenDesc(ss []string) {
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && (len(ss[j]) > len(ss[j-1]) || len(ss[j]) == len(ss[j-1]) && ss[j] < ss[j-1]); j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
}

// hints are what well-known kernel names are about when their words do
// not say it: kfree_skb is where packets are dropped.
var hints = map[string][]string{
	"kfree_skb":                      {"drop", "network"},
	"consume_skb":                    {"network"},
	"sched_switch":                   {"contextswitch", "schedule", "offcpu", "cpu"},
	"finish_task_switch":             {"schedule", "offcpu"},
	"sched_wakeup":                   {"latency", "runqueue"},
	"sched_wakeup_new":               {"latency", "runqueue"},
	"tcp_retransmit_skb":             {"retransmit"},
	"inet_sock_set_state":            {"tcp", "state", "connect"},
	"tcp_set_state":                  {"tcp", "state"},
	"block_rq_issue":                 {"block", "size"},
	"block_rq_complete":              {"block", "latency"},
	"block_io_start":                 {"block"},
	"page_fault_user":                {"fault", "memory"},
	"page_fault_kernel":              {"fault", "memory"},
	"handle_mm_fault":                {"fault", "memory"},
	"mm_page_alloc":                  {"alloc", "memory"},
	"kmem_cache_alloc":               {"alloc", "memory"},
	"oom_kill_process":               {"swap", "signal", "memory"},
	"mark_victim":                    {"swap", "memory"},
	"do_unlinkat":                    {"delete", "file"},
	"vfs_unlink":                     {"delete", "file"},
	"task_newtask":                   {"fork", "process"},
	"net_dev_xmit":                   {"send", "network"},
	"net_dev_queue":                  {"send", "network"},
	"netif_receive_skb":              {"receive", "network"},
	"napi_gro_receive_entry":         {"receive", "network"},
	"cap_capable":                    {"capability"},
	"security_file_open":             {"open", "lsm"},
	"file_open":                      {"open", "file"},
	"bprm_check_security":            {"exec", "lsm"},
	"contention_begin":               {"lock", "latency"},
	"contention_end":                 {"lock", "latency"},
	"mm_vmscan_direct_reclaim_begin": {"swap", "memory", "latency"},
	"writeback_dirty_page":           {"writeback", "file"},
	"tcp_probe":                      {"tcp", "rtt", "latency"},
	"srtt_us":                        {"rtt", "latency"},
	"tcp_rcv_established":            {"tcp", "receive", "rtt"},
	"bpf_get_current_pid_tgid":       {"pid"},
	"bpf_map_lookup_elem":            {"lookup"},
	"bpf_map_update_elem":            {"update", "insert"},
	"bpf_map_delete_elem":            {"delete"},
	"bpf_ktime_get_ns":               {"latency", "timestamp"},
	"bpf_get_stackid":                {"stack"},
	"bpf_probe_read_kernel":          {"read", "copy"},
	"bpf_probe_read_user":            {"read", "copy", "userspace"},
	"bpf_probe_read_user_str":        {"read", "copy", "userspace", "string"},
	"bpf_probe_read_kernel_str":      {"read", "copy", "string"},
	"bpf_ringbuf_output":             {"ringbuf", "send", "event"},
	"bpf_ringbuf_reserve":            {"ringbuf", "event"},
	"bpf_perf_event_output":          {"perfbuf", "send", "event"},
	"bpf_send_signal":                {"signal"},
	"bpf_override_return":            {"error", "inject"},
	"bpf_redirect":                   {"xdp", "tc", "send"},
}

// termsDigest fingerprints the tables above, so a persisted index is
// rebuilt when they change.
var termsDigest = func() string {
	h := sha256.New()
	fmt.Fprint(h, groups)
	for _, m := range []map[string]string{phrases} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprint(h, k, "=", m[k], ";")
		}
	}
	keys := make([]string, 0, len(hints)+len(stopWords))
	for k, v := range hints {
		keys = append(keys, k+"="+strings.Join(v, ","))
	}
	for k := range stopWords {
		keys = append(keys, "-"+k)
	}
	for _, hw := range hanWords {
		keys = append(keys, hw.word+"="+strings.Join(hw.concepts, ","))
	}
	sort.Strings(keys)
	fmt.Fprint(h, keys)
	return hex.EncodeToString(h.Sum(nil))[:16]
}()
