package agent

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kgent/kgent/kb"
)

// Intent is what a request asks for, read from its words (English or
// Chinese) and grounded in the target's kb: the events to trace, what to
// measure, the keys to break it down by and the filters. It is built
// without a model or the network, so it is as good as its lexicon: when
// it recognises no event, Understood is false and nothing is judged
// against it.
type Intent struct {
	Events []Event `json:"events"`
	// Measure is one of count, rate, hist, latency, top, sum, print, or
	// "" when the request does not say.
	Measure string `json:"measure,omitempty"`
	// Hist is set when a latency or size is wanted as a distribution.
	Hist bool `json:"hist,omitempty"`
	// Keys the result is broken down by or printed with: comm, pid, cpu,
	// dev, file, stack, uid, port, or field:NAME of the traced event.
	Keys    []string `json:"keys,omitempty"`
	Filters []Filter `json:"filters,omitempty"`
	// Every is the reporting interval in seconds of a rate (1 unless
	// the request says "every 5 seconds").
	Every      int  `json:"every,omitempty"`
	Understood bool `json:"understood"`
	// Explicit: the request names a kernel-function attach kind
	// (kprobe, fentry, ...), which it gets even where the target cannot
	// attach it.
	Explicit bool `json:"explicit,omitempty"`
}

// Event is one thing the request wants traced.
type Event struct {
	// Name is the concept as the request says it ("openat", "cache
	// misses", "kvm exits").
	Name string `json:"name"`
	// Want are the probes that trace it, preferred first, as probe ids
	// (see probeID): tracepoint:CAT:NAME, func:NAME (kprobe, kretprobe,
	// fentry, fexit), uprobe:SYMBOL, usdt:NAME, hardware:EVENT,
	// software:EVENT, profile; globs allowed.
	Want []string `json:"want"`
	// Probes are the Want probes the target has and can attach.
	Probes []string `json:"probes,omitempty"`
	// Subst are close substitutes the target has when it has none of
	// Want (the read syscalls for vfs_read without kprobes).
	Subst []string `json:"subst,omitempty"`
	// Missing says why the target has none of Want; Alternatives are
	// what it offers instead, in words.
	Missing      string   `json:"missing,omitempty"`
	Alternatives []string `json:"alternatives,omitempty"`
	// Pair is an entry and an exit probe for latency; PairKey what ties
	// them (tid unless said).
	Pair    [2]string `json:"pair,omitempty"`
	PairKey string    `json:"pair_key,omitempty"`
	// Size is the field that is a size in bytes, for hist or sum.
	Size string `json:"size,omitempty"`
	// Binary holds the uprobe's binary path.
	Binary string `json:"binary,omitempty"`
	// Syscall is set for the syscall family concepts.
	Syscall bool `json:"syscall,omitempty"`
	// Pred narrows a probe to the event, by probe id.
	Pred map[string]string `json:"pred,omitempty"`
	// implied is the measurement the concept implies.
	implied   string
	progType  bool
	subsystem bool
}

// coveredByEarlier: every probe of want is a whole tracepoint category
// ("tracepoint:kvm:*") an earlier event already traces part of, as in
// "KVM exit reasons", where "KVM" adds nothing to "exit reasons".
func coveredByEarlier(events []Event, want []string) bool {
	for _, w := range want {
		cat, ok := strings.CutSuffix(strings.TrimPrefix(w, "tracepoint:"), ":*")
		if !ok || !strings.HasPrefix(w, "tracepoint:") {
			return false
		}
		hit := false
		for _, e := range events {
			for _, p := range e.Want {
				hit = hit || strings.HasPrefix(p, "tracepoint:"+cat+":") || strings.HasPrefix(p, "tracepoint:"+strings.TrimSuffix(cat, "mmu")+":")
			}
		}
		if hit {
			return true
		}
	}
	return false
}

// Available reports whether the target can trace e (or a substitute).
func (e Event) Available() bool { return len(e.Probes) > 0 || len(e.Subst) > 0 }

// Matches lists the probes a program may use to trace e.
func (e Event) Matches() []string {
	out := append(append([]string{}, e.Want...), e.Subst...)
	return out
}

// Filter is a condition the request puts on events.
type Filter struct {
	Kind  string `json:"kind"` // pid, comm, cgroup, threshold
	Value string `json:"value,omitempty"`
}

// concept is an entry of the lexicon.
type concept struct {
	name    string
	re      *regexp.Regexp
	want    []string
	pair    [2]string
	pairKey string
	subst   []string
	alts    []string
	size    string
	binary  string
	syscall bool
	// measure is what the concept itself implies ("off-cpu time" is a
	// latency) when the request says no more than count.
	measure string
	// pred narrows a probe to the concept ("unshare" to new network
	// namespaces), by probe id.
	pred map[string]string
	// ifNone: only when no event was found before (the syscall family as
	// a whole).
	ifNone bool
	// progType: a program type (tc, xdp, iterator, LSM): what else the
	// request names happens inside it, and is not traced apart.
	progType bool
}

func rx(s string) *regexp.Regexp { return regexp.MustCompile(`(?i)` + s) }

// sc is a syscall concept: every named syscall's enter and exit
// tracepoints, the first pair for latency.
func sc(name, words string, calls ...string) concept {
	c := concept{name: name, re: rx(words), syscall: true}
	for _, s := range calls {
		c.want = append(c.want, "tracepoint:syscalls:sys_enter_"+s, "tracepoint:syscalls:sys_exit_"+s)
	}
	c.pair = [2]string{"tracepoint:syscalls:sys_enter_" + calls[0], "tracepoint:syscalls:sys_exit_" + calls[0]}
	return c
}

// lexicon: the most specific concepts first; a later concept does not
// take words an earlier one matched.
var lexicon = func() []concept {
	c := []concept{
		// Program types that are not tracing: the request names them
		// when it wants one.
		{name: "tc program", re: rx(`\btc\b|traffic control|\bclassifier\b|\btcx\b`), want: []string{"tc"}, progType: true},
		{name: "xdp program", re: rx(`\bxdp\b`), want: []string{"xdp"}, progType: true},
		{name: "iterator", re: rx(`\biter(ator)?s?\b|迭代器`), want: []string{"iter:*"}, progType: true},
		{name: "lsm program", re: rx(`\blsm\b|security hooks?|安全模块`), want: []string{"lsm:*"}, progType: true},
		{name: "cgroup sock_addr program", re: rx(`cgroup/connect\d?|cgroup (connect|bind) hooks?|connect\w*.{0,40}\bcgroup|cgroup.{0,40}\bconnect\w*`), want: []string{"cgroup:*"}, progType: true},
		{name: "cgroup skb program", re: rx(`cgroup[_ ]skb|(ingress|egress|packets?|traffic).{0,30}\bcgroup|\bcgroup.{0,30}(ingress|egress|packets?|traffic)`), want: []string{"cgroup_skb:*"}, progType: true},
		{name: "sockops program", re: rx(`sock_?ops`), want: []string{"sockops"}, progType: true},
		// Hardware and software perf events.
		{name: "cache misses", re: rx(`(llc|last[- ]level cache|l3)?[ -]?cache[ -]?miss(es)?|\bllc\b|last[- ]level cache|缓存未命中|缓存缺失|cache 未命中`), want: []string{"hardware:cache-misses"},
			alts: []string{"software:cpu-clock samples of where each process runs (profile:hz:99 with kstack/ustack)", "software:page-faults and software:major-faults counts per process"}},
		{name: "cache references", re: rx(`cache[ -]?(references|accesses)|缓存访问`), want: []string{"hardware:cache-references"},
			alts: []string{"software:cpu-clock samples per process"}},
		{name: "branch misses", re: rx(`branch[ -]?(mis(s|predict)\w*)|分支预测失败|分支未命中`), want: []string{"hardware:branch-misses"},
			alts: []string{"software:cpu-clock samples per process"}},
		{name: "cpu cycles", re: rx(`cpu[ -]?cycles|\bcycles\b|instructions? (counts?|retired|executed)|\bIPC\b|hardware (performance )?counters?|\bpmu\b|cpu\s*周期|时钟周期|指令数|硬件计数器`), want: []string{"hardware:cpu-cycles", "hardware:instructions"},
			alts: []string{"software:cpu-clock samples per process (profile:hz:99)", "software:task-clock"}},
		{name: "major faults", re: rx(`major (page )?faults?|hard (page )?faults?|主缺页`), want: []string{"software:major-faults"}},
		{name: "swap-ins", re: rx(`swap[ -]?ins?\b|swapp?ed in|swap(ping)? in|pages? read from swap|换入`), want: []string{"func:swap_read_folio", "func:swap_readpage", "func:do_swap_page"},
			alts: []string{"software:major-faults (major page faults include every swap-in, and file reads)", "vmscan:mm_vmscan_* tracepoints (reclaim, which swaps out)"}},
		{name: "swap-outs", re: rx(`swap[ -]?outs?\b|swapped out|换出`), want: []string{"func:swap_writepage", "func:swap_writeout"},
			subst: []string{"tracepoint:vmscan:mm_vmscan_write_folio"}},
		{name: "page faults", re: rx(`page[ -]?faults?|缺页`), want: []string{"tracepoint:exceptions:page_fault_user", "tracepoint:exceptions:page_fault_kernel", "software:page-faults", "software:faults", "software:minor-faults", "software:major-faults", "tracepoint:filemap:mm_filemap_fault"}},
		{name: "cpu clock", re: rx(`cpu[ -]clock|task[ -]clock`), want: []string{"software:cpu-clock", "software:task-clock", "profile"}},
		{name: "cpu samples", re: rx(`\bsampl\w*|\bprofil\w*|on[ -]cpu|hot (code|functions?|paths?)|where .{0,20}(cpu|time) (is )?(spent|goes)|burn\w* cpu|采样|热点`), want: []string{"profile", "software:cpu-clock", "software:task-clock", "hardware:cpu-cycles"}},
		// Virtualisation, namespaces, IPC.
		{name: "kvm exits", re: rx(`(kvm|vm|guest|vcpu|virtual machine)[ -]?(exits?|exit reasons?)|虚拟机退出|vm ?exit`), want: []string{"tracepoint:kvm:kvm_exit", "tracepoint:kvm:kvm_userspace_exit"}, pair: [2]string{"tracepoint:kvm:kvm_exit", "tracepoint:kvm:kvm_entry"}},
		{name: "kvm", re: rx(`\bkvm\b|hypervisor|虚拟化`), want: []string{"tracepoint:kvm:*", "tracepoint:kvmmmu:*"}},
		{name: "network namespaces", re: rx(`(net(work)?) namespaces?|netns|网络命名空间`), want: []string{"func:copy_net_ns", "func:setup_net"},
			pred:  map[string]string{"tracepoint:syscalls:sys_enter_unshare": "args->unshare_flags & 0x40000000", "tracepoint:syscalls:sys_enter_clone3": "", "tracepoint:syscalls:sys_enter_clone": "args->clone_flags & 0x40000000"},
			subst: []string{"tracepoint:syscalls:sys_enter_unshare", "tracepoint:syscalls:sys_enter_setns", "tracepoint:syscalls:sys_enter_clone", "tracepoint:syscalls:sys_enter_clone3"}},
		sc("namespaces", `namespaces?|\bunshare\b|\bsetns\b|命名空间`, "unshare", "setns", "clone3"),
		sc("shared memory", `shared memory|\bshm\w*|system v (shm|shared)|sysv shm|共享内存`, "shmget", "shmat", "shmdt", "shmctl"),
		sc("message queues", `message queues?|\bmsgsnd|\bmsgrcv|\bmsgget|\bmq_\w+|消息队列`, "msgsnd", "msgrcv", "msgget", "mq_timedsend", "mq_timedreceive", "mq_open"),
		sc("semaphores", `semaphores?|\bsemop\b|\bsemget\b|信号量`, "semop", "semtimedop", "semget"),
		// Scheduler.
		{name: "run queue latency", re: rx(`run[ -]?queue|runq|scheduler? (latency|delay)|scheduling (latency|delay)|wait(ing|ed)? (for|on) (a )?cpu|调度延迟|运行队列`), want: []string{"tracepoint:sched:sched_wakeup", "tracepoint:sched:sched_wakeup_new", "tracepoint:sched:sched_switch"}, pair: [2]string{"tracepoint:sched:sched_wakeup", "tracepoint:sched:sched_switch"}, measure: "latency"},
		{name: "off-cpu time", re: rx(`off[ -]cpu|blocked time|time (spent )?(blocked|sleeping|off)|阻塞时间|离开cpu`), want: []string{"tracepoint:sched:sched_switch"}, pair: [2]string{"tracepoint:sched:sched_switch", "tracepoint:sched:sched_switch"}, measure: "latency"},
		{name: "context switches", re: rx(`context[ -]?switch\w*|switch(es|ing)? (between )?tasks|task switch\w*|上下文切换|任务切换|\bswitch(es|ed)? (in|out)\b|preempt\w*`), want: []string{"tracepoint:sched:sched_switch", "software:context-switches", "software:cs"}},
		{name: "cpu migrations", re: rx(`migrat\w* (between|across) cpus|cpu migrations?|moved? between cpus|迁移`), want: []string{"tracepoint:sched:sched_migrate_task", "software:cpu-migrations"}},
		{name: "wakeups", re: rx(`wake[ -]?ups?|woken|唤醒`), want: []string{"tracepoint:sched:sched_wakeup", "tracepoint:sched:sched_waking", "tracepoint:sched:sched_wakeup_new"}},
		{name: "process exits", re: rx(`(process|task|program|thread)(es|s)? (that )?(exit|die|terminat)\w*|exit (codes?|status)|进程退出|退出码`), want: []string{"tracepoint:sched:sched_process_exit", "tracepoint:syscalls:sys_enter_exit_group", "tracepoint:syscalls:sys_enter_exit", "tracepoint:sched:sched_process_free"}},
		{name: "process lifetime", re: rx(`(process|task)(es)? (life ?time|how long .{0,20}(live|run))|short[- ]lived|(how long|lifetime).{0,30}process|进程(的)?(生命周期|存活)`), want: []string{"tracepoint:sched:sched_process_exec", "tracepoint:sched:sched_process_fork", "tracepoint:sched:sched_process_exit"}, pair: [2]string{"tracepoint:sched:sched_process_exec", "tracepoint:sched:sched_process_exit"}, pairKey: "pid", measure: "latency"},
		{name: "exec", re: rx(`\bexec\w*|new programs?|programs? (being )?(started|launched|run)|commands? (being )?(run|executed|launched)|launch\w*|spawned programs?|执行|启动`), want: []string{"tracepoint:sched:sched_process_exec", "tracepoint:syscalls:sys_enter_execve", "tracepoint:syscalls:sys_exit_execve", "tracepoint:syscalls:sys_enter_execveat"}},
		{name: "fork", re: rx(`\bfork\w*|\bclone\w*|new process\w*|process creation|processes (are )?(created|spawned)|spawn\w*|创建(的)?进程|新进程`), want: []string{"tracepoint:sched:sched_process_fork", "tracepoint:syscalls:sys_enter_clone", "tracepoint:syscalls:sys_enter_clone3", "tracepoint:syscalls:sys_enter_fork", "tracepoint:syscalls:sys_enter_vfork", "tracepoint:syscalls:sys_exit_clone", "tracepoint:task:task_newtask"}},
		// Memory.
		{name: "oom kills", re: rx(`\boom\b|out[ -]of[ -]memory|oom[ -]?kill\w*|内存不足|内存溢出`), want: []string{"tracepoint:oom:mark_victim", "func:oom_kill_process", "tracepoint:oom:oom_score_adj_update", "tracepoint:oom:wake_reaper", "tracepoint:oom:start_task_reaping"}},
		{name: "direct reclaim", re: rx(`direct (memory )?reclaim|reclaim (stall|latency)|memory reclaim|内存回收|直接回收`), want: []string{"tracepoint:vmscan:mm_vmscan_direct_reclaim_begin", "tracepoint:vmscan:mm_vmscan_direct_reclaim_end"}, pair: [2]string{"tracepoint:vmscan:mm_vmscan_direct_reclaim_begin", "tracepoint:vmscan:mm_vmscan_direct_reclaim_end"}},
		{name: "kswapd", re: rx(`kswapd`), want: []string{"tracepoint:vmscan:mm_vmscan_kswapd_wake", "tracepoint:vmscan:mm_vmscan_kswapd_sleep", "tracepoint:vmscan:mm_vmscan_wakeup_kswapd"}},
		{name: "kernel allocations", re: rx(`kmalloc|kernel (memory )?allocat\w*|slab|kmem_cache|内核(内存)?分配`), want: []string{"tracepoint:kmem:kmalloc", "tracepoint:kmem:kmem_cache_alloc", "tracepoint:kmem:kfree", "tracepoint:kmem:kmem_cache_free"}, size: "bytes_alloc"},
		{name: "page allocations", re: rx(`page allocat\w*|pages? (being )?allocated|mm_page_alloc|页(面)?分配`), want: []string{"tracepoint:kmem:mm_page_alloc", "tracepoint:kmem:mm_page_free"}},
		{name: "writeback", re: rx(`writeback|write[ -]back|dirty (pages|inodes?)|flush(ing|er)? (of )?(dirty|the page cache)|回写|脏页`), want: []string{"tracepoint:writeback:*"}},
		{name: "page cache", re: rx(`page cache|页缓存`), want: []string{"tracepoint:filemap:*"}},
		{name: "compaction", re: rx(`compaction|内存规整`), want: []string{"tracepoint:compaction:*"}},
		{name: "huge pages", re: rx(`huge ?pages?|\bthp\b|大页`), want: []string{"tracepoint:huge_memory:*", "tracepoint:thp:*", "tracepoint:hugetlbfs:*"}},
		{name: "tlb flushes", re: rx(`\btlb\b`), want: []string{"tracepoint:tlb:tlb_flush"}},
		{name: "user allocations", re: rx(`\bmalloc\w*|\bcalloc\b|\brealloc\b|heap allocat\w*|libc allocat\w*|用户态内存分配|内存分配`), want: []string{"uprobe:malloc", "uprobe:calloc", "uprobe:realloc"}, binary: "libc", size: "arg0"},
		{name: "frees", re: rx(`\bfree\(|\bfree\b calls|libc free|calls to free`), want: []string{"uprobe:free"}, binary: "libc"},
		// Block and file systems.
		{name: "block I/O", re: rx(`block (i/?o|device|request|layer)|disk (i/?o|latency|requests?|reads?|writes?|operations?|activity)|\bdisks?\b|\bi/o\b|\bio (requests?|latency|size)|\biops\b|nvme|\bssd\b|磁盘|块设备|块 ?i/?o`), want: []string{"tracepoint:block:block_rq_issue", "tracepoint:block:block_rq_complete", "tracepoint:block:block_rq_insert", "tracepoint:block:block_io_start", "tracepoint:block:block_io_done", "tracepoint:block:block_bio_queue", "tracepoint:block:block_bio_complete", "tracepoint:block:block_rq_error"}, pair: [2]string{"tracepoint:block:block_rq_issue", "tracepoint:block:block_rq_complete"}, pairKey: "dev,sector", size: "bytes"},
		{name: "io_uring", re: rx(`io[_ ]uring`), want: []string{"tracepoint:io_uring:*", "tracepoint:syscalls:sys_enter_io_uring_enter", "tracepoint:syscalls:sys_exit_io_uring_enter"}},
		// Networking.
		{name: "tcp retransmits", re: rx(`retransmi\w*|重传`), want: []string{"tracepoint:tcp:tcp_retransmit_skb", "tracepoint:tcp:tcp_retransmit_synack"}},
		{name: "tcp resets", re: rx(`\b(tcp )?resets?\b|\brst\b|复位`), want: []string{"tracepoint:tcp:tcp_send_reset", "tracepoint:tcp:tcp_receive_reset"}},
		{name: "tcp state changes", re: rx(`tcp (socket )?states?|state (changes|transitions)|状态变化|状态变迁`), want: []string{"tracepoint:sock:inet_sock_set_state", "tracepoint:tcp:tcp_set_state"}},
		{name: "tcp connects", re: rx(`(outgoing|outbound|new|active) (tcp )?connections?|tcp connect\w*|connect\w* (to|attempts?)|\bconnect\(|建立(的)?(tcp )?连接|发起(的)?连接|连接`), want: []string{"tracepoint:sock:inet_sock_set_state", "tracepoint:syscalls:sys_enter_connect", "tracepoint:syscalls:sys_exit_connect", "func:tcp_v4_connect", "func:tcp_v6_connect", "func:tcp_connect"}, pair: [2]string{"tracepoint:syscalls:sys_enter_connect", "tracepoint:syscalls:sys_exit_connect"}},
		{name: "accepts", re: rx(`\baccept\w*|incoming (tcp )?connections?|inbound connections?|接受(的)?连接`), want: []string{"tracepoint:syscalls:sys_exit_accept4", "tracepoint:syscalls:sys_enter_accept4", "tracepoint:syscalls:sys_exit_accept", "tracepoint:syscalls:sys_enter_accept", "tracepoint:sock:inet_sock_set_state", "func:inet_csk_accept"}, pair: [2]string{"tracepoint:syscalls:sys_enter_accept4", "tracepoint:syscalls:sys_exit_accept4"}},
		{name: "packet drops", re: rx(`(packets?|skbs?) (being )?drop\w*|drop(ped)? packets?|packet (loss|drops?)|丢包|丢弃`), want: []string{"tracepoint:skb:kfree_skb"}},
		{name: "packets received", re: rx(`(packets?|frames?|traffic) (received|arriv\w*|coming in|in)|receiv\w* (packets?|frames?)|\brx\b|incoming (packets?|traffic)|收到的?(数据)?包|接收(的)?(数据)?包`), want: []string{"tracepoint:net:netif_receive_skb", "tracepoint:net:netif_receive_skb_entry", "tracepoint:net:napi_gro_receive_entry", "tracepoint:net:netif_rx", "tracepoint:napi:napi_poll"}},
		{name: "packets sent", re: rx(`(packets?|frames?|traffic) (sent|transmitted|going out|out)|transmit\w*|\btx\b|outgoing (packets?|traffic)|发送(的)?(数据)?包|发出(的)?(数据)?包`), want: []string{"tracepoint:net:net_dev_xmit", "tracepoint:net:net_dev_queue", "tracepoint:net:net_dev_start_xmit"}, size: "len"},
		{name: "dns lookups", re: rx(`\bdns\b|getaddrinfo|gethostbyname|name (resolution|lookups?)|resolv\w* (host ?names?|names)|域名解析`), want: []string{"uprobe:getaddrinfo", "uprobe:gethostbyname"}, binary: "libc", pair: [2]string{"uprobe:getaddrinfo", "uretprobe:getaddrinfo"}},
		{name: "tls", re: rx(`\b(open)?ssl\b|\btls\b|SSL_(read|write)|加密流量`), want: []string{"uprobe:SSL_write", "uprobe:SSL_read"}, binary: "libssl", pair: [2]string{"uprobe:SSL_read", "uretprobe:SSL_read"}},
		// Interrupts, timers, locks, workqueues.
		{name: "softirqs", re: rx(`soft[ -]?irqs?|软中断`), want: []string{"tracepoint:irq:softirq_entry", "tracepoint:irq:softirq_exit", "tracepoint:irq:softirq_raise"}, pair: [2]string{"tracepoint:irq:softirq_entry", "tracepoint:irq:softirq_exit"}, pairKey: "cpu"},
		{name: "hardware interrupts", re: rx(`(hard(ware)? )?interrupts?|\birqs?\b|硬中断|中断`), want: []string{"tracepoint:irq:irq_handler_entry", "tracepoint:irq:irq_handler_exit"}, pair: [2]string{"tracepoint:irq:irq_handler_entry", "tracepoint:irq:irq_handler_exit"}, pairKey: "cpu"},
		{name: "timers", re: rx(`hrtimers?|high[- ]resolution timers?|kernel timers?|\btimers?\b (expir|fir|start)\w*|定时器`), want: []string{"tracepoint:timer:timer_start", "tracepoint:timer:timer_expire_entry", "tracepoint:timer:hrtimer_expire_entry", "tracepoint:timer:hrtimer_start", "tracepoint:timer:*"}},
		{name: "lock contention", re: rx(`lock contention|contended (kernel )?locks?|locks? (contention|waits?)|waiting (for|on) (a |kernel )?locks?|锁竞争|锁等待|锁争用`), want: []string{"tracepoint:lock:contention_begin", "tracepoint:lock:contention_end"}, pair: [2]string{"tracepoint:lock:contention_begin", "tracepoint:lock:contention_end"}},
		{name: "workqueue", re: rx(`work ?queues?|kworker|工作队列`), want: []string{"tracepoint:workqueue:workqueue_execute_start", "tracepoint:workqueue:workqueue_execute_end", "tracepoint:workqueue:workqueue_queue_work", "tracepoint:workqueue:workqueue_activate_work"}, pair: [2]string{"tracepoint:workqueue:workqueue_execute_start", "tracepoint:workqueue:workqueue_execute_end"}},
		{name: "capability checks", re: rx(`capabilit(y|ies)|cap_capable|\bCAP_[A-Z_]+|权限检查|能力检查`), want: []string{"tracepoint:capability:cap_capable", "func:cap_capable"}},
		{name: "cpu frequency", re: rx(`cpu (frequency|freq)|p-states?|cpufreq|频率`), want: []string{"tracepoint:power:cpu_frequency", "tracepoint:power:pstate_sample"}},
		{name: "cpu idle", re: rx(`cpu idle|idle states?|c-states?|空闲`), want: []string{"tracepoint:power:cpu_idle"}},
		{name: "signals", re: rx(`\bsignals?\b|\bkill\w*|\bsig(int|term|kill|segv|chld)\b|信号|杀死`), want: []string{"tracepoint:signal:signal_generate", "tracepoint:signal:signal_deliver", "tracepoint:syscalls:sys_enter_kill", "tracepoint:syscalls:sys_exit_kill", "tracepoint:syscalls:sys_enter_tkill", "tracepoint:syscalls:sys_enter_tgkill"}},
		{name: "kernel modules", re: rx(`(kernel )?modules? (being )?(load|unload|insert)\w*|\b(insmod|modprobe)\b|(load|insert)\w* (a |kernel )?modules?|内核模块`), want: []string{"tracepoint:module:module_load", "tracepoint:module:module_free", "func:do_init_module"},
			subst: []string{"tracepoint:syscalls:sys_enter_finit_module", "tracepoint:syscalls:sys_enter_init_module", "tracepoint:syscalls:sys_enter_delete_module"}},
		{name: "python gc", re: rx(`python.{0,30}(garbage|\bgc\b)|(garbage collect\w*|\bgc\b).{0,30}python`), want: []string{"usdt:gc__start", "usdt:gc__done"}},
		{name: "bash commands", re: rx(`bash|commands? (typed|entered)|shell commands?|readline|命令行输入|输入的命令`), want: []string{"uretprobe:readline", "uprobe:readline"}, binary: "bash"},
		// Syscall families (after the specific concepts).
		sc("open", `\bopen(s|ed|ing)?\b|\bopenat2?\b|打开`, "openat", "open", "openat2"),
		sc("read", `\breads?\b|\bread\(|\bpread\w*|\breadv\b|reading|读取|读操作|读`, "read", "pread64", "readv", "preadv"),
		sc("write", `\bwrites?\b|\bwrite\(|\bpwrite\w*|\bwritev\b|writing|写入|写操作|写`, "write", "pwrite64", "writev", "pwritev"),
		sc("close", `\bclose[sd]?\b|closing|关闭`, "close", "close_range"),
		sc("delete", `delet\w*|remov\w*|\bunlink\w*|\brmdir\b|删除`, "unlinkat", "unlink", "rmdir"),
		sc("rename", `renam\w*|重命名|改名`, "renameat2", "renameat", "rename"),
		sc("mkdir", `mkdir\w*|(directories|directory|folders?) (being )?(created|made)|(creat|mak)\w* (a )?(new )?(directories|directory|folders?)|创建目录`, "mkdirat", "mkdir"),
		sc("mmap", `\bmmap\w*|memory mappings?|map(ped|s)? memory|内存映射`, "mmap", "munmap"),
		sc("mprotect", `mprotect|memory protection changes?`, "mprotect"),
		sc("brk", `\bbrk\b|heap (growth|grows|size)|program break`, "brk"),
		sc("fsync", `\bf(data)?sync\w*|flush\w* to disk|sync(s|ing)? (files?|data) to disk|刷盘`, "fsync", "fdatasync", "sync", "syncfs"),
		sc("sleep", `nanosleep|\bsleeps?\b|sleeping|睡眠|休眠`, "clock_nanosleep", "nanosleep"),
		sc("chmod", `chmod|permission changes?|file (modes?|permissions?) (change|changed)|change\w* (file )?permissions?|修改权限|权限修改`, "fchmodat", "chmod", "fchmod", "fchmodat2"),
		sc("chown", `chown|ownership|change\w* (the )?owner\w*|所有者|属主`, "fchownat", "chown", "fchown", "lchown"),
		sc("setuid", `setuid|setresuid|setreuid|setgid|uid changes?|changes? (of )?(user )?ids?|privilege (changes?|escalation|drops?)|提权`, "setuid", "setresuid", "setreuid", "setgid", "setresgid"),
		sc("mount", `\bmount\w*|\bumount\w*|挂载`, "mount", "umount2", "fsmount", "move_mount"),
		sc("ioctl", `\bioctls?\b`, "ioctl"),
		sc("bpf syscalls", `\bbpf\(|\bbpf (system )?calls?|\bbpf syscalls?|bpf (programs?|maps?) (being )?(load|creat)\w*|loads? of bpf programs?`, "bpf"),
		sc("ptrace", `ptrace|debugger attach\w*`, "ptrace"),
		sc("socket creation", `\bsocket\(|sockets? (being )?(created|opened)|creat\w* sockets?|new sockets?|创建(的)?套接字`, "socket", "socketpair"),
		sc("bind", `\bbind\w*|绑定`, "bind"),
		sc("listen", `\blisten\w*|监听`, "listen"),
		sc("send", `\bsend(to|msg|mmsg)\b|\bsend\(|datagrams? sent|bytes sent|messages? sent|sending (data|datagrams?|messages?|bytes)|发送(的)?(数据|消息|字节)`, "sendto", "sendmsg", "sendmmsg"),
		sc("receive", `\brecv(from|msg|mmsg)?\b|receiv\w* (data|datagrams?|messages?|bytes)|bytes received|接收(的)?(数据|消息|字节)`, "recvfrom", "recvmsg", "recvmmsg"),
		sc("epoll", `epoll\w*`, "epoll_wait", "epoll_pwait", "epoll_ctl", "epoll_pwait2"),
		sc("poll", `\bpoll\b|\bppoll\b|\bselect\(|\bpselect\w*`, "poll", "ppoll", "pselect6"),
		sc("futex", `futex\w*`, "futex"),
		sc("truncate", `truncat\w*|截断`, "truncate", "ftruncate"),
		sc("dup", `\bdup[23]?\b|duplicat\w* (file )?descriptors?`, "dup", "dup2", "dup3"),
		sc("pipe", `\bpipes?\b|管道`, "pipe2", "pipe"),
		sc("chdir", `chdir|change\w* (the )?(working )?director(y|ies)|切换目录`, "chdir", "fchdir"),
		sc("stat", `\bstat\w*\b|file metadata lookups?`, "newfstatat", "statx", "newstat", "newlstat", "newfstat"),
		sc("getdents", `getdents\w*|directory listings?|list(s|ing)? director(y|ies)|readdir|列目录`, "getdents64", "getdents"),
		sc("link", `\b(sym)?links?\b|\blinkat\b|\bsymlinkat\b|符号链接|硬链接`, "linkat", "symlinkat", "link", "symlink"),
		sc("access", `\baccess\(|\bfaccessat\w*|permission checks? on files|access checks?`, "faccessat", "faccessat2", "access"),
		sc("madvise", `madvise`, "madvise"),
		sc("mlock", `\bmlock\w*|\bmunlock\w*|lock\w* memory`, "mlock", "mlock2", "munlock", "mlockall"),
		sc("getrandom", `getrandom|random (bytes|numbers)`, "getrandom"),
		sc("memfd", `memfd`, "memfd_create"),
		sc("inotify", `inotify|file watch(es|ers)?`, "inotify_add_watch", "inotify_init1"),
		sc("sendfile", `sendfile|splice|zero[- ]copy`, "sendfile64", "splice"),
		sc("prctl", `prctl`, "prctl"),
		sc("reboot", `reboot`, "reboot"),
		sc("sync", `\bsync\(`, "sync", "syncfs"),
		sc("fcntl", `fcntl|file locks?|\bflock\b`, "fcntl", "flock"),
		sc("wait", `\bwait4\b|\bwaitid\b|\bwaitpid\b|waits? for (a )?child`, "wait4", "waitid"),
		sc("capset", `capset`, "capset"),
		sc("personality", `personality`, "personality"),
		sc("getpid", `getpid`, "getpid"),
		sc("uname", `\buname\b`, "newuname"),
	}
	c = append(c, concept{name: "all syscalls", re: rx(`system[ -]?calls?|syscalls?|系统调用`), want: []string{"tracepoint:raw_syscalls:sys_enter", "tracepoint:raw_syscalls:sys_exit", "tracepoint:syscalls:*"}, pair: [2]string{"tracepoint:raw_syscalls:sys_enter", "tracepoint:raw_syscalls:sys_exit"}, ifNone: true})
	return c
}()

// subsystemRes are the subsystems' words, compiled.
var subsystemRes = func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(subsystems))
	for i, s := range subsystems {
		out[i] = rx(s.word)
	}
	return out
}()

// subsystems are kernel subsystems a request may name; each is traced by
// its tracepoint category or its functions' prefix.
var subsystems = []struct {
	word, category, prefix, alt string
}{
	{`\bzfs\b|openzfs`, "zfs", "zfs_", "the VFS-level syscalls (read, write, fsync, openat) of the processes using the pool, and the block:block_rq_* tracepoints of its disks"},
	{`\bnfs\b`, "nfs", "nfs_", "the VFS-level syscalls of the processes using the mount"},
	{`\bnfsd\b`, "nfsd", "nfsd_", "the sunrpc tracepoints if present, else socket syscalls of the nfsd threads"},
	{`\bxfs\b`, "xfs", "xfs_", "the VFS-level syscalls and block:block_rq_* tracepoints"},
	{`\bbtrfs\b`, "btrfs", "btrfs_", "the VFS-level syscalls and block:block_rq_* tracepoints"},
	{`\bext4\b`, "ext4", "ext4_", "the VFS-level syscalls and block:block_rq_* tracepoints"},
	{`\bf2fs\b`, "f2fs", "f2fs_", "the VFS-level syscalls and block:block_rq_* tracepoints"},
	{`\bfuse\b`, "fuse", "fuse_", "the VFS-level syscalls of the processes using the mount"},
	{`\bceph\b`, "ceph", "ceph_", "socket syscalls to the cluster's hosts"},
	{`\bcifs\b|\bsmb\b`, "cifs", "cifs_", "the VFS-level syscalls of the processes using the mount"},
	{`\bnvme\b`, "nvme", "nvme_", "the block:block_rq_* tracepoints"},
	{`\bscsi\b`, "scsi", "scsi_", "the block:block_rq_* tracepoints"},
	{`\bjbd2\b|\bjournal\w*`, "jbd2", "jbd2_", "fsync syscalls"},
	{`\bwireguard\b`, "wireguard", "wg_", "net:net_dev_xmit and net:netif_receive_skb on the wg interface"},
	{`\bmptcp\b|multipath tcp`, "mptcp", "mptcp_", "tcp and sock tracepoints"},
	{`\bsctp\b`, "sctp", "sctp_", "socket syscalls"},
	{`\bxen\b`, "xen", "xen_", "nothing close: this kernel does not run under Xen"},
	{`\bgpu\b|\bdrm\b|\bi915\b|\bamdgpu\b|\bnvidia\b`, "drm", "drm_", "ioctl syscalls on the GPU device files"},
	{`\bbluetooth\b`, "bluetooth", "hci_", "nothing close"},
	{`\bwifi\b|\bwi-fi\b|\bwireless\b|\b80211\b|\biwlwifi\b`, "cfg80211", "cfg80211_", "net:net_dev_xmit and net:netif_receive_skb"},
	{`\bthermal\b`, "thermal", "thermal_", "power:cpu_frequency"},
	{`\busb\b`, "xhci-hcd", "usb_", "nothing close"},
	{`\bsunrpc\b|\brpc\b`, "sunrpc", "rpc_", "socket syscalls"},
}

var (
	measureRes = []struct {
		measure string
		re      *regexp.Regexp
	}{
		{"latency", rx(`latenc\w*|how long|duration|time (spent|taken|it takes)|takes? how much time|elapsed|response time|wait time|stall\w*|\bslow\w*|耗时|延迟|时长|多长时间|花费.{0,4}时间|用时|等待时间|执行时间|运行时间`)},
		{"rate", rx(`per[- ]second|each second|every second|every \d+ ?(s|sec|secs|seconds?|minutes?)\b|每\s*\d*\s*秒|/s\b|a second|\brate\b|throughput|每秒|速率|频率`)},
		{"top", rx(`\btop[ -]?\d*\b|\bmost\b|busiest|heaviest|biggest|largest|hottest|worst|leaderboard|rank\w*|最多|最频繁|最大|最忙|排行|排名|前\s*\d+|前[十五三]`)},
		{"sum", rx(`total (bytes|size|amount|time|number of bytes)|\bsum\b|how much (data|memory|bytes)|bytes (in total|per)|总(字节|量|数|和|大小)|累计`)},
		{"count", rx(`\bcount\w*|how many|how often|number of|how frequent\w*|tally|tallies|统计|次数|计数|多少|数量`)},
		{"print", rx(`\bprint\w*|\bshow (each|every|me each|me every)|\bevery\b|\beach\b|\blog\b|\blogs\b|as (it|they) happen|\blist\b|\bsnoop\w*|\bdump\w*|打印|输出每|每一个|每个|每次|实时|显示每`)},
	}
	histRe = rx(`histogram|distribution|spread|buckets?|percentiles?|分布|直方图`)
	sizeRe = rx(`\bsizes?\b|\bbytes\b|\blength\b|how (big|large)|大小|字节`)
	keyRes = []struct {
		key string
		re  *regexp.Regexp
	}{
		{"comm", rx(`(per|by|for each|each|every|which|what)[- ](process|command|program|task|application|app|daemon|service|binar)\w*|\btop \d* ?(process|command|program|task|app)\w*|process(es)? (names?|that|doing|making|with)|command names?|\bcomm\b|\bwho\b|\bwhom\b|(按|每个|哪个|哪些)(进程|程序|命令)|进程名`)},
		{"pid", rx(`\bpids?\b|process ids?|\btids?\b|thread ids?|(per|by|each|which|every)[- ]threads?|进程号|进程\s*id|线程`)},
		{"cpu", rx(`(per|by|on each|each|every|which) cpus?|cpu numbers?|(per|each|by) cores?|每个\s*cpu|按\s*cpu|哪个\s*cpu`)},
		{"dev", rx(`(per|by|each|every|which) (disks?|devices?|drives?|interfaces?|nics?)|device names?|interface names?|(按|每个)(磁盘|设备|网卡)`)},
		{"file", rx(`file ?names?|\bpaths?\b|which files|文件名|路径|哪些文件`)},
		{"stack", rx(`stack\w*|call (chains?|paths?|sites?)|backtraces?|调用栈|堆栈|栈`)},
		{"uid", rx(`(per|by|each|which) users?|\buids?\b|user ids?|按用户|用户\s*id`)},
		{"port", rx(`\bports?\b|端口`)},
	}
	pidFilterRe  = rx(`\b(?:pid|process id|process)\s*(?:=|==|is|of)?\s*(\d+)\b|进程\s*(?:号|id)?\s*(?:为|是)?\s*(\d+)`)
	commFilterRe = rx(`(?:comm|command|process(?: named)?|program(?: named)?|binary|named|called|命令|进程|程序)\s*(?:=|==|is|named|called|为|是|名为)?\s*["'“「]([A-Za-z0-9_.\-]+)["'”」]`)
	cgroupRe     = rx(`cgroup|container|容器`)
	threshRe     = rx(`(longer|slower|more|larger|bigger|greater|over|above|exceed\w*|at least|超过|大于|多于)\s*(than)?\s*\d+\s*(ns|us|µs|ms|s|seconds?|milliseconds?|microseconds?|bytes|kb|mb|kib|mib|毫秒|微秒|秒|字节)?`)
)

// identRe finds names written as identifiers (vfs_read, tcp_sendmsg).
var (
	identRe        = regexp.MustCompile(`\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b`)
	explicitRe     = rx(`\b(kprobes?|kretprobes?|fentry|fexit|kfuncs?|kretfuncs?)\b`)
	syscallNameRe  = regexp.MustCompile(`\b([a-z][a-z0-9]{2,})(\(2\)|\s+(system )?calls?|\s+syscalls?)?`)
	everyRe        = rx(`every (\d+) ?(s|sec|secs|seconds?|minutes?)\b|每\s*(\d+)\s*秒`)
	frequencyRe    = rx(`(cpu )?frequency`)
	perSecondRe    = rx(`per second|每秒|rate`)
	cgroupFilterRe = rx(`(in|of|for|inside|within) (a |the |one )?(specific |given )?(cgroup|container)|cgroup (id|path)? ?\d+|(容器|cgroup)(内|中|里)`)
)

// commonWords are syscall names that are also plain English: a request
// must name them as a call for them to count.
var commonWords = map[string]bool{"read": true, "write": true, "open": true, "close": true, "kill": true, "exit": true, "time": true,
	"sync": true, "pause": true, "select": true, "poll": true, "alarm": true, "link": true, "mount": true, "stat": true,
	"access": true, "wait": true, "times": true, "socket": true, "bind": true, "listen": true, "connect": true, "accept": true,
	"pipe": true, "dup": true, "reboot": true, "send": true, "sendfile": false, "rename": true, "truncate": true, "fork": true,
	"clone": true, "brk": false, "umask": true, "sysinfo": true, "shutdown": true, "uname": true, "chroot": true, "acct": true,
	"syslog": true, "flock": true, "kcmp": true, "tee": true, "splice": true, "bpf": true, "uretprobe": true, "personality": true, "ioctl": false, "signal": true}

// ParseIntent reads a request into an Intent grounded in k (nil: not
// grounded; every probe counts as available).
func ParseIntent(k *kb.KB, request string) Intent {
	var in Intent
	text := strings.ToLower(request)
	used := make([]bool, len(text))
	taken := func(loc []int) bool {
		for i := loc[0]; i < loc[1]; i++ {
			if used[i] {
				return true
			}
		}
		return false
	}
	take := func(loc []int) {
		for i := loc[0]; i < loc[1]; i++ {
			used[i] = true
		}
	}
	// A request that names the attach kind ("with a kprobe on X") wants
	// that program even where the target cannot attach it: it gets it,
	// with a note, rather than a substitute.
	in.Explicit = explicitRe.MatchString(text)
	seen := map[string]bool{}
	add := func(e Event) {
		if seen[e.Name] {
			return
		}
		seen[e.Name] = true
		ground(k, &e, in.Explicit)
		in.Events = append(in.Events, e)
	}
	// Subsystems named by their module's name.
	for i, s := range subsystems {
		loc := subsystemRes[i].FindStringIndex(text)
		if loc == nil || taken(loc) {
			continue
		}
		take(loc)
		e := Event{Name: s.category, Want: []string{"tracepoint:" + s.category + ":*", "func:" + s.prefix + "*"}}
		words := wordsNear(text, loc)
		if k != nil {
			// The category's tracepoints whose names carry another word
			// of the request narrow the event ("ext4 writes").
			var narrow []string
			for cat, name := range k.TracepointNames() {
				if cat != s.category {
					continue
				}
				for _, w := range words {
					if len(w) >= 4 && strings.Contains(name, w) {
						narrow = append(narrow, "tracepoint:"+cat+":"+name)
						break
					}
				}
			}
			if len(narrow) > 0 && len(narrow) < 40 {
				e.Want = append(narrow, e.Want...)
			}
		}
		e.Alternatives = []string{s.alt}
		e.subsystem = true
		add(e)
	}
	for _, c := range lexicon {
		if c.ifNone && len(in.Events) > 0 {
			continue
		}
		locs := c.re.FindAllStringIndex(text, -1)
		hit := false
		for _, loc := range locs {
			if loc[1] > loc[0] && !taken(loc) {
				take(loc)
				hit = true
			}
		}
		if !hit {
			continue
		}
		e := Event{Name: c.name, Want: c.want, Pair: c.pair, PairKey: c.pairKey, Subst: c.subst, Alternatives: c.alts,
			Size: c.size, Syscall: c.syscall, Pred: c.pred, implied: c.measure, progType: c.progType}
		if coveredByEarlier(in.Events, c.want) {
			continue
		}
		if c.binary != "" {
			e.Binary = binaryPath(k, c.binary)
		}
		add(e)
	}
	// Kernel functions, syscalls and tracepoints spelled out.
	for _, loc := range identRe.FindAllStringIndex(text, -1) {
		w := text[loc[0]:loc[1]]
		if taken(loc) || seen[w] {
			continue
		}
		if tps := tracepointsNamed(k, w); len(tps) > 0 {
			take(loc)
			add(Event{Name: w, Want: tps})
			continue
		}
		if k != nil {
			if _, t := k.KernelFunc(w); t == kb.Yes {
				take(loc)
				add(Event{Name: w, Want: []string{"func:" + w}, Subst: funcSubst(k, w), Alternatives: funcAlternatives(k, w)})
			}
		}
	}
	for _, loc := range syscallNameRe.FindAllStringSubmatchIndex(text, -1) {
		w := text[loc[2]:loc[3]]
		if taken(loc[:2]) || seen[w] || k == nil {
			continue
		}
		if _, ok := k.Tracepoint("syscalls", "sys_enter_"+w); !ok {
			continue
		}
		if commonWords[w] && loc[4] < 0 {
			continue
		}
		take(loc[:2])
		add(Event{Name: w, Syscall: true, Want: []string{"tracepoint:syscalls:sys_enter_" + w, "tracepoint:syscalls:sys_exit_" + w},
			Pair: [2]string{"tracepoint:syscalls:sys_enter_" + w, "tracepoint:syscalls:sys_exit_" + w}})
	}
	// "ZFS reads": the subsystem is the event, the syscall words say
	// which of its operations.
	subsys := false
	for _, e := range in.Events {
		subsys = subsys || e.subsystem
	}
	if subsys {
		var keep []Event
		for _, e := range in.Events {
			if !e.Syscall {
				keep = append(keep, e)
			}
		}
		in.Events = keep
	}
	// "fentry on udp_sendmsg counting bytes sent": the function is the
	// event, the syscall words describe it.
	if in.Explicit {
		var funcs, rest []Event
		for _, e := range in.Events {
			if len(e.Want) == 1 && strings.HasPrefix(e.Want[0], "func:") {
				funcs = append(funcs, e)
			} else if !e.Syscall {
				rest = append(rest, e)
			}
		}
		if len(funcs) > 0 {
			in.Events = append(funcs, rest...)
		}
	}
	var prog []Event
	for _, e := range in.Events {
		if e.progType {
			prog = append(prog, e)
		}
	}
	if len(prog) > 0 {
		in.Events = prog
	}
	in.Understood = len(in.Events) > 0
	in.Every = 1
	if m := everyRe.FindStringSubmatch(text); m != nil {
		n, _ := strconv.Atoi(m[1] + m[3])
		if strings.HasPrefix(m[2], "m") {
			n *= 60
		}
		if n > 0 && n <= 3600 {
			in.Every = n
		}
	}
	// What to measure.
	for _, m := range measureRes {
		if m.re.MatchString(text) {
			in.Measure = m.measure
			break
		}
	}
	if histRe.MatchString(text) {
		in.Hist = true
		if in.Measure == "" || in.Measure == "count" || in.Measure == "print" || in.Measure == "top" {
			in.Measure = "hist"
		}
	}
	if in.Measure == "rate" && frequencyRe.MatchString(text) && !perSecondRe.MatchString(text) {
		in.Measure = "print"
	}
	for _, kr := range keyRes {
		if kr.re.MatchString(text) {
			in.Keys = append(in.Keys, kr.key)
		}
	}
	// Fields of the events the request names as a key ("by exit reason").
	for _, f := range namedFields(k, in.Events, text) {
		in.Keys = append(in.Keys, "field:"+f)
	}
	if m := pidFilterRe.FindStringSubmatch(request); m != nil {
		v := m[1]
		if v == "" {
			v = m[2]
		}
		in.Filters = append(in.Filters, Filter{Kind: "pid", Value: v})
		in.Keys = without(in.Keys, "pid")
	}
	if m := commFilterRe.FindStringSubmatch(request); m != nil {
		in.Filters = append(in.Filters, Filter{Kind: "comm", Value: m[1]})
	}
	if cgroupFilterRe.MatchString(text) && !cgroupProgram(in.Events) {
		in.Filters = append(in.Filters, Filter{Kind: "cgroup"})
	}
	if m := threshRe.FindString(text); m != "" {
		in.Filters = append(in.Filters, Filter{Kind: "threshold", Value: m})
	}
	for _, e := range in.Events {
		if e.implied != "" && (in.Measure == "" || in.Measure == "count" || in.Measure == "sum" || in.Measure == "top") {
			in.Measure = e.implied
		}
	}
	if in.Measure == "" && breakdown(text) {
		in.Measure = "count"
	}
	if in.Measure == "" && sizeRe.MatchString(text) {
		in.Measure = "hist"
		in.Hist = true
	}
	return in
}

func without(xs []string, x string) []string {
	var out []string
	for _, y := range xs {
		if y != x {
			out = append(out, y)
		}
	}
	return out
}

// wordsNear lists the words of text other than the one at loc.
func wordsNear(text string, loc []int) []string {
	var out []string
	for _, w := range reqWordRe.FindAllString(text[:loc[0]]+" "+text[loc[1]:], -1) {
		w = strings.TrimSuffix(strings.TrimSuffix(w, "s"), "e")
		if len(w) >= 4 && !stopWord[w] {
			out = append(out, w)
		}
	}
	return out
}

var stopWord = map[string]bool{"trace": true, "show": true, "count": true, "print": true, "each": true, "every": true, "with": true,
	"which": true, "that": true, "time": true, "measur": true, "operation": true, "latency": true, "histogram": true, "process": true,
	"from": true, "this": true, "what": true, "when": true, "kernel": true, "call": true, "function": true, "event": true, "many": true}

// tracepointsNamed finds "cat:name" or a bare tracepoint name.
func tracepointsNamed(k *kb.KB, w string) []string {
	if k == nil {
		return nil
	}
	var out []string
	for _, tp := range k.TracepointsNamed(w) {
		out = append(out, "tracepoint:"+tp.Category+":"+tp.Name)
	}
	return out
}

// funcSubst are tracepoints close to a kernel function, for targets
// without kprobes and fentry: the syscalls a vfs_ or ksys_ function
// serves, or a tracepoint of the same name.
func funcSubst(k *kb.KB, fn string) []string {
	var out []string
	for _, pre := range []string{"vfs_", "ksys_", "__x64_sys_", "__se_sys_", "do_sys_", "__sys_", "do_"} {
		if s, ok := strings.CutPrefix(fn, pre); ok {
			for _, name := range []string{s, s + "64", s + "at"} {
				if _, ok := k.Tracepoint("syscalls", "sys_enter_"+name); ok {
					out = append(out, "tracepoint:syscalls:sys_enter_"+name, "tracepoint:syscalls:sys_exit_"+name)
				}
			}
		}
	}
	switch {
	case strings.HasPrefix(fn, "tcp_v4_connect"), strings.HasPrefix(fn, "tcp_v6_connect"), fn == "tcp_connect":
		out = append(out, "tracepoint:sock:inet_sock_set_state")
	case fn == "oom_kill_process":
		out = append(out, "tracepoint:oom:mark_victim")
	case fn == "tcp_sendmsg":
		out = append(out, "tracepoint:tcp:tcp_sendmsg_locked", "tracepoint:sock:sock_send_length")
	case fn == "tcp_recvmsg" || fn == "tcp_cleanup_rbuf":
		out = append(out, "tracepoint:sock:sock_recv_length")
	case fn == "schedule" || fn == "finish_task_switch":
		out = append(out, "tracepoint:sched:sched_switch")
	case fn == "try_to_wake_up":
		out = append(out, "tracepoint:sched:sched_waking", "tracepoint:sched:sched_wakeup")
	case fn == "submit_bio" || fn == "blk_mq_start_request":
		out = append(out, "tracepoint:block:block_bio_queue", "tracepoint:block:block_rq_issue")
	}
	for _, tp := range tracepointsNamed(k, fn) {
		out = append(out, tp)
	}
	var ok []string
	for _, p := range out {
		if probeAvailable(k, p, "") {
			ok = append(ok, p)
		}
	}
	return ok
}

// binaryPath finds a library or program on the target; only a kb of this
// host can say (other targets: the usual Debian path).
func binaryPath(k *kb.KB, name string) string {
	var cands []string
	switch name {
	case "libc":
		cands = []string{"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "/usr/lib/libc.so.6"}
	case "libssl":
		cands = []string{"/lib/x86_64-linux-gnu/libssl.so.3", "/usr/lib/x86_64-linux-gnu/libssl.so.3", "/lib64/libssl.so.3", "/lib/aarch64-linux-gnu/libssl.so.3", "/usr/lib/libssl.so.3"}
	case "bash":
		cands = []string{"/bin/bash", "/usr/bin/bash"}
	}
	if k != nil && k.Meta.Source == "host" {
		for _, c := range cands {
			if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
				return c
			}
		}
		return ""
	}
	if len(cands) > 0 {
		return cands[0]
	}
	return ""
}

// ground fills e.Probes with the Want probes the target has and can
// attach, and says why when there are none.
func ground(k *kb.KB, e *Event, explicit bool) {
	var why []string
	for _, p := range e.Want {
		if probeAvailable(k, p, e.Binary) || explicit && strings.HasPrefix(p, "func:") && funcExists(k, strings.TrimPrefix(p, "func:")) {
			e.Probes = append(e.Probes, p)
		} else if r := unavailableWhy(k, p, e.Binary); r != "" && !contains(why, r) {
			why = append(why, r)
		}
	}
	var subst []string
	for _, p := range e.Subst {
		if probeAvailable(k, p, "") {
			subst = append(subst, p)
		}
	}
	e.Subst = subst
	if len(e.Probes) == 0 {
		e.Missing = strings.Join(why, "; ")
		if e.Missing == "" {
			e.Missing = "the target has none of " + strings.Join(e.Want, ", ")
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// probeAvailable answers whether the target has probe id p and can
// attach to it.
func probeAvailable(k *kb.KB, p, binary string) bool {
	if k == nil {
		return true
	}
	typ, rest, _ := strings.Cut(p, ":")
	switch typ {
	case "tracepoint":
		if !k.TracepointsKnown() {
			return true
		}
		cat, name, _ := strings.Cut(rest, ":")
		if strings.Contains(name, "*") {
			for c, n := range k.TracepointNames() {
				if c == cat && kb.Glob(name, n) {
					return true
				}
			}
			return false
		}
		_, ok := k.Tracepoint(cat, name)
		return ok
	case "func":
		if k.AttachSupport(kb.AttachKprobe).Supported == kb.No && k.AttachSupport(kb.AttachFentry).Supported == kb.No {
			return false
		}
		if strings.Contains(rest, "*") {
			fs, _ := k.FuncsMatching(rest, 1)
			return len(fs) > 0
		}
		_, t := k.KernelFunc(rest)
		return t != kb.No
	case "hardware":
		return pmu(k) != kb.No
	case "software":
		return k.AttachSupport(kb.AttachPerfEvent).Supported != kb.No
	case "uprobe", "uretprobe", "usdt":
		if k.AttachSupport(kb.AttachUprobe).Supported == kb.No {
			return false
		}
		if typ == "usdt" {
			return true
		}
		if binary == "" {
			return k.Meta.Source != "host"
		}
		syms, err := k.BinarySymbols(binary)
		if err != nil || len(syms) == 0 {
			return err == nil
		}
		_, ok := syms[rest]
		return ok
	}
	return true
}

// unavailableWhy says why probe p is not available.
func unavailableWhy(k *kb.KB, p, binary string) string {
	typ, rest, _ := strings.Cut(p, ":")
	switch typ {
	case "tracepoint":
		cat, name, _ := strings.Cut(rest, ":")
		if name == "*" {
			return fmt.Sprintf("the target has no %s tracepoints", cat)
		}
		return ""
	case "func":
		if strings.Contains(rest, "*") {
			if fs, _ := k.FuncsMatching(rest, 1); len(fs) == 0 {
				return fmt.Sprintf("no %s functions in the kb (the module is not loaded or not built on Linux %s)", rest, k.Meta.Kernel)
			}
		}
		if _, t := k.KernelFunc(rest); t == kb.No {
			return ""
		}
		return "kprobes and fentry cannot attach on this target (kprobe: " + k.AttachSupport(kb.AttachKprobe).Reason + "; fentry: " + k.AttachSupport(kb.AttachFentry).Reason + ")"
	case "hardware":
		return "the target has no hardware PMU for perf events (" + pmuReason(k) + ")"
	case "uprobe", "uretprobe":
		if binary == "" {
			return "the binary or library is not installed on the target"
		}
		return fmt.Sprintf("%s has no symbol %s", binary, rest)
	}
	return ""
}

// pmu answers whether the target has a hardware PMU. The kb records no
// such fact; for a kb of this host the answer is sysfs's (a CPU PMU
// registers an event source such as cpu, cpu_core or armv8_pmuv3),
// elsewhere it is unknown.
func pmu(k *kb.KB) kb.Tri {
	if k == nil || k.Meta.Source != "host" {
		return kb.Unknown
	}
	ents, err := os.ReadDir("/sys/bus/event_source/devices")
	if err != nil {
		return kb.Unknown
	}
	for _, e := range ents {
		n := e.Name()
		if n == "cpu" || strings.HasPrefix(n, "cpu_") || strings.HasPrefix(n, "armv") || strings.Contains(n, "pmu") && !strings.Contains(n, "uncore") {
			return kb.Yes
		}
	}
	return kb.No
}

func pmuReason(k *kb.KB) string {
	ents, _ := os.ReadDir("/sys/bus/event_source/devices")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return "/sys/bus/event_source/devices has only " + strings.Join(names, ", ") + ": a virtual machine without a virtual PMU"
}

// namedFields are fields of the events' tracepoints the request names as
// keys or printed values ("by exit reason" → exit_reason).
func namedFields(k *kb.KB, events []Event, text string) []string {
	if k == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, e := range events {
		for _, p := range e.Probes {
			typ, rest, _ := strings.Cut(p, ":")
			if typ != "tracepoint" || strings.Contains(rest, "*") {
				continue
			}
			cat, name, _ := strings.Cut(rest, ":")
			tp, ok := k.Tracepoint(cat, name)
			if !ok {
				continue
			}
			for _, f := range tp.Fields {
				words := strings.ReplaceAll(f.Name, "_", " ")
				if len(f.Name) < 3 || seen[f.Name] || f.Name == "comm" || f.Name == "pid" || f.Name == "cpu" {
					continue
				}
				re := regexp.MustCompile(`(by|per|with|its|their|and|each|every|keyed|including|showing|show|print\w*|of the)\s+(\w+\s+){0,2}(` + regexp.QuoteMeta(words) + `|` + regexp.QuoteMeta(f.Name) + `)s?\b`)
				if re.MatchString(text) || zhField(text, f.Name) {
					seen[f.Name] = true
					out = append(out, f.Name)
				}
			}
		}
	}
	return out
}

// zhFields are Chinese words for common field names.
var zhFields = map[string][]string{"原因": {"reason", "exit_reason"}, "错误码": {"ret", "error"}, "信号": {"sig"}, "大小": {"bytes", "len", "size"}, "端口": {"dport", "sport"}, "设备": {"dev"}}

func zhField(text, field string) bool {
	for w, fs := range zhFields {
		if strings.Contains(text, w) {
			for _, f := range fs {
				if f == field {
					return true
				}
			}
		}
	}
	return false
}

var byRe = regexp.MustCompile(`\b(?:per|by) (?:the |each |every )?([a-z]+)(?: ([a-z]+))?|按|每个`)

// breakdown reports whether the request breaks events down by a key
// ("per process", "by device"), which implies counting them; "by the
// process named x" is a filter.
func breakdown(text string) bool {
	for _, m := range byRe.FindAllStringSubmatch(text, -1) {
		if m[1] == "" {
			return true
		}
		if m[2] == "named" || m[2] == "called" || m[2] == "with" || m[1] == "the" {
			continue
		}
		return true
	}
	return false
}

// funcAlternatives are the tracepoints of a function's subsystem (the
// category its prefix names) and the syscalls of its suffix, in words.
func funcAlternatives(k *kb.KB, fn string) []string {
	prefix, rest, _ := strings.Cut(fn, "_")
	var tps []string
	for cat, name := range k.TracepointNames() {
		if cat == prefix && len(tps) < 6 {
			tps = append(tps, cat+":"+name)
		}
	}
	var out []string
	if len(tps) > 0 {
		out = append(out, "the "+prefix+" tracepoints ("+strings.Join(tps, ", ")+")")
	}
	for _, s := range []string{rest, strings.TrimSuffix(rest, "msg") + "to", rest + "at"} {
		if _, ok := k.Tracepoint("syscalls", "sys_enter_"+s); ok && s != "" {
			out = append(out, "the "+s+" syscall tracepoints (syscalls:sys_enter_"+s+", sys_exit_"+s+")")
		}
	}
	return out
}

// cgroupProgram: a program attached to a cgroup sees that cgroup only,
// so "of a cgroup" is where it attaches, not a filter.
func cgroupProgram(events []Event) bool {
	for _, e := range events {
		for _, w := range e.Want {
			if strings.HasPrefix(w, "cgroup") || w == "sockops" {
				return true
			}
		}
	}
	return false
}

// funcExists: the kernel has the function (a glob: some function).
func funcExists(k *kb.KB, name string) bool {
	if k == nil {
		return true
	}
	if strings.Contains(name, "*") {
		fs, _ := k.FuncsMatching(name, 1)
		return len(fs) > 0
	}
	_, t := k.KernelFunc(name)
	return t != kb.No
}

// attachNote says that a program on kernel functions will not attach on
// the target, "" when it will (or uses none).
func attachNote(k *kb.KB, probes []string) string {
	if k == nil || k.AttachSupport(kb.AttachKprobe).Supported != kb.No || k.AttachSupport(kb.AttachFentry).Supported != kb.No {
		return ""
	}
	for _, p := range probes {
		if strings.HasPrefix(p, "func:") {
			return "the target cannot attach kprobes or fentry (kprobe: " + k.AttachSupport(kb.AttachKprobe).Reason +
				"): the program is what the request asks for, for a kernel that can run it; it will not attach here"
		}
	}
	return ""
}
