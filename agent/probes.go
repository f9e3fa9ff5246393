package agent

import (
	"regexp"
	"sort"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/bpftrace"
)

// probeAliases maps bpftrace's short probe types and libbpf's SEC()
// prefixes to one name per attach kind.
var probeAliases = map[string]string{
	"t": "tracepoint", "tp": "tracepoint", "tracepoint": "tracepoint",
	"k": "kprobe", "kprobe": "kprobe", "kr": "kretprobe", "kretprobe": "kretprobe",
	"u": "uprobe", "uprobe": "uprobe", "ur": "uretprobe", "uretprobe": "uretprobe",
	"U": "usdt", "usdt": "usdt", "i": "interval", "interval": "interval", "p": "profile", "profile": "profile",
	"rt": "raw_tp", "rawtracepoint": "raw_tp", "raw_tp": "raw_tp", "raw_tracepoint": "raw_tp",
	"tp_btf": "tp_btf", "f": "fentry", "kfunc": "fentry", "fentry": "fentry", "fr": "fexit", "kretfunc": "fexit", "fexit": "fexit",
	"s": "software", "software": "software", "h": "hardware", "hardware": "hardware", "w": "watchpoint", "watchpoint": "watchpoint",
	"it": "iter", "iter": "iter", "BEGIN": "BEGIN", "END": "END", "xdp": "xdp", "tc": "tc", "classifier": "tc",
	"tcx": "tc", "cgroup_skb": "cgroup_skb", "lsm": "lsm", "perf_event": "perf_event", "socket": "socket",
	"ksyscall": "kprobe", "kretsyscall": "kretprobe", "uprobe.multi": "uprobe", "kprobe.multi": "kprobe",
}

var secRe = regexp.MustCompile(`SEC\(\s*"([^"]*)"\s*\)`)

// ProbeKinds lists the attach kinds a program uses ("tracepoint",
// "kprobe", "uretprobe", "xdp", ...), sorted and without repeats.
func ProbeKinds(program string, lang analysis.Dialect) []string {
	set := map[string]bool{}
	add := func(raw string) {
		if k, ok := probeAliases[raw]; ok {
			set[k] = true
		} else if raw != "" {
			set[raw] = true
		}
	}
	if lang == analysis.DialectC {
		for _, m := range secRe.FindAllStringSubmatch(program, -1) {
			sec := m[1]
			if sec == "license" || strings.HasPrefix(sec, ".") {
				continue
			}
			prefix, _, _ := strings.Cut(sec, "/")
			if strings.HasPrefix(prefix, "cgroup_skb") || strings.HasPrefix(prefix, "cgroup") && strings.Contains(sec, "skb") {
				prefix = "cgroup_skb"
			}
			add(prefix)
		}
	} else {
		f, _ := bpftrace.Parse(program)
		for _, p := range f.Probes {
			for _, ap := range p.Attach {
				add(ap.Type)
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
