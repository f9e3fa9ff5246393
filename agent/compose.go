package agent

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/kb"
)

// Refusal is the honest answer when the target lacks what a request
// asks for: what is missing, why, and what it offers instead. No program
// comes with it.
type Refusal struct {
	Missing      []string // "cache misses: the target has no hardware PMU ..."
	Alternatives []string
}

func (r *Refusal) Error() string {
	s := "the target cannot trace what the request asks, so kgent wrote no program: " + strings.Join(r.Missing, "; ")
	if len(r.Alternatives) > 0 {
		s += ". Closest alternatives on this target: " + strings.Join(r.Alternatives, "; ")
	}
	return s
}

// refusalFor is the refusal for an intent with an event the target
// cannot trace, nil when every event can be traced.
func refusalFor(in Intent) *Refusal {
	var r Refusal
	for _, e := range in.Events {
		if e.Available() {
			continue
		}
		r.Missing = append(r.Missing, e.Name+" ("+strings.Join(first(e.Want, 3), ", ")+"): "+e.Missing)
		r.Alternatives = append(r.Alternatives, e.Alternatives...)
	}
	if len(r.Missing) == 0 {
		return nil
	}
	return &r
}

// errCannotCompose: the intent has nothing the composer can write.
var errCannotCompose = errors.New("nothing to compose")

// chosen is an event with the probe the composed program uses.
type chosen struct {
	ev    Event
	probe string // probe id
	subst bool
}

// choose picks the probe of e the composer writes: the first available
// one it can spell, or a substitute.
func choose(k *kb.KB, e Event, lang analysis.Dialect) (chosen, bool) {
	try := func(ps []string) (string, bool) {
		for _, p := range ps {
			typ, _, _ := strings.Cut(p, ":")
			switch typ {
			case "tracepoint":
				return p, true
			case "func":
				if k == nil || k.AttachSupport(kb.AttachKprobe).Supported != kb.No || k.AttachSupport(kb.AttachFentry).Supported != kb.No {
					return p, true
				}
			case "hardware", "software", "profile":
				if lang != analysis.DialectC {
					return p, true
				}
			case "uprobe", "uretprobe":
				if e.Binary != "" && lang != analysis.DialectC {
					return p, true
				}
			}
		}
		return "", false
	}
	if p, ok := try(e.Probes); ok {
		return chosen{ev: e, probe: p}, true
	}
	if p, ok := try(e.Subst); ok {
		return chosen{ev: e, probe: p, subst: true}, true
	}
	return chosen{}, false
}

// btAttach spells a probe id as a bpftrace attach point.
func btAttach(k *kb.KB, id, binary string, ret bool) string {
	typ, rest, _ := strings.Cut(id, ":")
	switch typ {
	case "tracepoint":
		return id
	case "func":
		kp := k == nil || k.AttachSupport(kb.AttachKprobe).Supported != kb.No
		if kp {
			if ret {
				return "kretprobe:" + rest
			}
			return "kprobe:" + rest
		}
		if ret {
			return "kretfunc:" + rest
		}
		return "kfunc:" + rest
	case "hardware":
		return "hardware:" + rest + ":1000000"
	case "software":
		n := "1000"
		if rest == "cpu-clock" || rest == "task-clock" {
			n = "1000000"
		}
		return "software:" + rest + ":" + n
	case "profile":
		return "profile:hz:99"
	case "uprobe", "uretprobe":
		if ret || typ == "uretprobe" {
			return "uretprobe:" + binary + ":" + rest
		}
		return "uprobe:" + binary + ":" + rest
	}
	return id
}

// tpFields are a tracepoint's fields, nil for other probes.
func tpFields(k *kb.KB, id string) []kb.Field {
	if k == nil || !strings.HasPrefix(id, "tracepoint:") {
		return nil
	}
	parts := strings.Split(id, ":")
	if len(parts) != 3 || strings.Contains(parts[2], "*") {
		return nil
	}
	tp, ok := k.Tracepoint(parts[1], parts[2])
	if !ok {
		return nil
	}
	return tp.Fields
}

func isStr(f kb.Field) bool {
	return strings.Contains(f.Type, "char") && (strings.Contains(f.Type, "*") || strings.Contains(f.Type, "[") || strings.Contains(f.Type, "__data_loc"))
}

// fieldExpr reads a tracepoint field in bpftrace.
func fieldExpr(f kb.Field) string {
	if isStr(f) {
		return "str(args->" + f.Name + ")"
	}
	return "args->" + f.Name
}

func fieldConv(f kb.Field) string {
	if isStr(f) {
		return "%s"
	}
	return "%d"
}

// findField is the first field of fs whose name pred accepts.
func findField(fs []kb.Field, pred func(kb.Field) bool) (kb.Field, bool) {
	for _, f := range fs {
		if pred(f) {
			return f, true
		}
	}
	return kb.Field{}, false
}

// keyExprs are the bpftrace expressions of the intent's keys on a probe.
func keyExprs(in Intent, c chosen, fs []kb.Field) []string {
	var out []string
	add := func(s string) {
		if s != "" && !contains(out, s) {
			out = append(out, s)
		}
	}
	for _, key := range in.Keys {
		switch key {
		case "comm":
			add("comm")
		case "pid":
			add("pid")
		case "cpu":
			add("cpu")
		case "uid":
			add("uid")
		case "stack":
			if strings.HasPrefix(c.probe, "uprobe:") {
				add("ustack")
			} else {
				add("kstack")
			}
		case "dev", "file", "port":
			if f, ok := findField(fs, func(f kb.Field) bool { return keyOK(key, map[string]bool{"field:" + f.Name: true}) }); ok {
				add(fieldExpr(f))
			}
		default:
			if name, ok := strings.CutPrefix(key, "field:"); ok {
				if f, ok := findField(fs, func(f kb.Field) bool { return f.Name == name }); ok {
					add(fieldExpr(f))
				}
			}
		}
	}
	return out
}

var threshNumRe = regexp.MustCompile(`(\d+)\s*(ns|us|µs|ms|s|seconds?|milliseconds?|microseconds?|毫秒|微秒|秒)?`)

// thresholdNS reads a time threshold in nanoseconds ("longer than 10 ms").
func thresholdNS(in Intent) (int64, bool) {
	for _, f := range in.Filters {
		if f.Kind != "threshold" {
			continue
		}
		m := threshNumRe.FindStringSubmatch(f.Value)
		if m == nil {
			continue
		}
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > 1e12 {
			continue
		}
		switch m[2] {
		case "ns":
		case "us", "µs", "microsecond", "microseconds", "微秒":
			n *= 1000
		case "s", "second", "seconds", "秒":
			n *= 1e9
		default:
			n *= 1e6
		}
		return n, true
	}
	return 0, false
}

// predicate is the bpftrace predicate of the intent's filters.
func predicate(in Intent) string {
	var ps []string
	for _, f := range in.Filters {
		switch f.Kind {
		case "pid":
			ps = append(ps, "pid == "+f.Value)
		case "comm":
			ps = append(ps, `comm == "`+f.Value+`"`)
		case "cgroup":
			ps = append(ps, "cgroup == $1")
		}
	}
	if len(ps) == 0 {
		return ""
	}
	return " /" + strings.Join(ps, " && ") + "/"
}

// composeBpftrace writes a bpftrace program for the intent from the kb:
// the chosen probe of each event with its real fields, an entry/exit
// pair for latency. notes say what was chosen and substituted.
func composeBpftrace(k *kb.KB, in Intent) (string, []string, error) {
	if !in.Understood {
		return "", nil, errCannotCompose
	}
	var cs []chosen
	var notes []string
	for _, e := range in.Events {
		c, ok := choose(k, e, analysis.DialectBpftrace)
		if !ok {
			return "", nil, fmt.Errorf("%w: no probe kgent can write for %s", errCannotCompose, e.Name)
		}
		if c.subst {
			notes = append(notes, fmt.Sprintf("%s: %s; traced %s instead", e.Name, e.Missing, c.probe))
		}
		cs = append(cs, c)
	}
	pred := predicate(in)
	var b strings.Builder
	if strings.Contains(pred, "$1") {
		b.WriteString("// Run with the cgroup id as the first argument (the inode number of its directory under /sys/fs/cgroup).\n")
	}
	measure := in.Measure
	if measure == "latency" {
		c := cs[0]
		if c.subst || c.ev.Pair[0] == "" || !probeAvailable(k, c.ev.Pair[0], c.ev.Binary) || !probeAvailable(k, c.ev.Pair[1], c.ev.Binary) {
			if c.probe != "" && strings.HasPrefix(c.probe, "tracepoint:syscalls:sys_") {
				name := strings.TrimPrefix(strings.TrimPrefix(c.probe, "tracepoint:syscalls:sys_enter_"), "tracepoint:syscalls:sys_exit_")
				c.ev.Pair = [2]string{"tracepoint:syscalls:sys_enter_" + name, "tracepoint:syscalls:sys_exit_" + name}
			} else if strings.HasPrefix(c.probe, "func:") {
				c.ev.Pair = [2]string{c.probe, "ret:" + c.probe}
			} else {
				return "", nil, fmt.Errorf("%w: no entry and exit pair known for %s", errCannotCompose, c.ev.Name)
			}
		}
		writeLatency(&b, k, in, c, pred)
		return b.String(), notes, nil
	}
	for _, c := range cs {
		probe := c.probe
		if strings.HasPrefix(probe, "uretprobe:") {
			probe = "uprobe:" + strings.TrimPrefix(probe, "uretprobe:")
		}
		fs := tpFields(k, probe)
		attach := btAttach(k, probe, c.ev.Binary, false)
		pred := pred
		if cond := c.ev.Pred[probe]; cond != "" {
			pred = joinPred(pred, cond)
		}
		// A category glob counts per tracepoint.
		keys := keyExprs(in, c, fs)
		name := mapName(c.ev.Name)
		// A family of syscalls (shmget, shmat, shmdt, shmctl) is traced
		// whole when counted or printed: one probe for all their entries.
		if family := syscallFamily(c); len(family) > 1 && measure != "hist" && measure != "sum" {
			attach = strings.Join(family, ",\n")
			if measure == "print" {
				// Each syscall printed with its own fields.
				for _, p := range family {
					writePrint(&b, in, chosen{ev: c.ev, probe: p}, p, pred, tpFields(k, p))
				}
				continue
			}
			keys = append([]string{"probe"}, keys...)
			if measure == "rate" {
				keys = keys[1:]
			}
		}
		switch measure {
		case "print":
			writePrint(&b, in, c, attach, pred, fs)
		case "hist", "sum":
			size := sizeExpr(in, c, fs)
			if size == "" {
				if measure == "hist" {
					return "", nil, fmt.Errorf("%w: no size field of %s to make a histogram of", errCannotCompose, c.probe)
				}
				fmt.Fprintf(&b, "%s%s\n{\n  @%s[%s] = count();\n}\n\n", attach, pred, name, keyList(keys, "comm"))
				continue
			}
			fn := "hist"
			if measure == "sum" {
				fn = "sum"
			}
			cond := pred
			if strings.HasPrefix(size, "args->ret") {
				cond = joinPred(pred, "args->ret > 0")
			}
			fmt.Fprintf(&b, "%s%s\n{\n  @%s[%s] = %s(%s);\n}\n\n", attach, cond, name, keyList(keys, "comm"), fn, size)
		case "rate":
			fmt.Fprintf(&b, "%s%s\n{\n  @%s%s = count();\n}\n\n", attach, pred, name, optKeys(keys))
		default: // count, top, ""
			if strings.Contains(attach, "*") {
				keys = append([]string{"probe"}, keys...)
			}
			fmt.Fprintf(&b, "%s%s\n{\n  @%s[%s] = count();\n}\n\n", attach, pred, name, keyList(keys, "comm"))
		}
	}
	switch measure {
	case "rate":
		fmt.Fprintf(&b, "interval:s:%d\n{\n  time(\"%%H:%%M:%%S \");\n", in.Every)
		for _, c := range cs {
			fmt.Fprintf(&b, "  print(@%s);\n  clear(@%s);\n", mapName(c.ev.Name), mapName(c.ev.Name))
		}
		b.WriteString("}\n")
	case "top":
		b.WriteString("END\n{\n")
		for _, c := range cs {
			fmt.Fprintf(&b, "  print(@%s, 10);\n  clear(@%s);\n", mapName(c.ev.Name), mapName(c.ev.Name))
		}
		b.WriteString("}\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n", notes, nil
}

func joinPred(pred, cond string) string {
	if pred == "" {
		return " /" + cond + "/"
	}
	return strings.TrimSuffix(pred, "/") + " && " + cond + "/"
}

func keyList(keys []string, def string) string {
	if len(keys) == 0 {
		return def
	}
	return strings.Join(keys, ", ")
}

func optKeys(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return "[" + strings.Join(keys, ", ") + "]"
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

func mapName(s string) string {
	s = strings.Trim(nonWord.ReplaceAllString(strings.ToLower(s), "_"), "_")
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		s = "n" + s
	}
	return s
}

// sizeExpr is the size the intent measures on a probe: a field it names,
// else the event's size field, else a field that holds bytes.
func sizeExpr(in Intent, c chosen, fs []kb.Field) string {
	for _, k := range in.Keys {
		if name, ok := strings.CutPrefix(k, "field:"); ok {
			if f, ok := findField(fs, func(f kb.Field) bool { return f.Name == name && !isStr(f) }); ok {
				return "args->" + f.Name
			}
		}
	}
	if strings.HasPrefix(c.probe, "uprobe:") && c.ev.Size == "arg0" {
		return "arg0"
	}
	for _, name := range []string{c.ev.Size, "bytes", "bytes_alloc", "len", "count", "size", "bytes_req", "nr_bytes", "length", "order"} {
		if name == "" {
			continue
		}
		if f, ok := findField(fs, func(f kb.Field) bool { return f.Name == name && !isStr(f) }); ok {
			return "args->" + f.Name
		}
	}
	if strings.Contains(c.probe, ":sys_exit_") {
		return "args->ret"
	}
	return ""
}

// writePrint prints each event with its fields.
func writePrint(b *strings.Builder, in Intent, c chosen, attach, pred string, fs []kb.Field) {
	format := []string{"%-16s", "%-7d"}
	args := []string{"comm", "pid"}
	want := keyExprs(in, c, fs)
	for _, w := range want {
		if w == "comm" || w == "pid" || contains(args, w) {
			continue
		}
		conv := "%d"
		if strings.HasPrefix(w, "str(") || w == "kstack" || w == "ustack" {
			conv = "%s"
		}
		if name, ok := strings.CutPrefix(strings.TrimPrefix(w, "str("), "args->"); ok {
			conv = strings.TrimSuffix(name, ")") + "=" + conv
		}
		format, args = append(format, conv), append(args, w)
	}
	n := 0
	for _, f := range fs {
		if n >= 5 || contains(args, fieldExpr(f)) || strings.HasPrefix(f.Name, "__") || f.Name == "__syscall_nr" {
			continue
		}
		if strings.Contains(f.Type, "[") && !isStr(f) {
			continue
		}
		format = append(format, f.Name+"="+fieldConv(f))
		args = append(args, fieldExpr(f))
		n++
	}
	if strings.HasPrefix(c.probe, "uprobe:") && c.ev.Size == "arg0" {
		format, args = append(format, "size=%d"), append(args, "arg0")
	}
	fmt.Fprintf(b, "%s%s\n{\n  time(\"%%H:%%M:%%S \");\n  printf(\"%s\\n\", %s);\n}\n\n", attach, pred, strings.Join(format, " "), strings.Join(args, ", "))
}

// writeLatency times the event from its entry to its exit probe.
func writeLatency(b *strings.Builder, k *kb.KB, in Intent, c chosen, pred string) {
	entry, exit := c.ev.Pair[0], c.ev.Pair[1]
	var entryAttach, exitAttach string
	if strings.HasPrefix(exit, "ret:") {
		entryAttach = btAttach(k, entry, c.ev.Binary, false)
		exitAttach = btAttach(k, entry, c.ev.Binary, true)
	} else {
		entryAttach = btAttach(k, entry, c.ev.Binary, false)
		exitAttach = btAttach(k, exit, c.ev.Binary, strings.HasPrefix(exit, "uretprobe:"))
	}
	startKey, endKey := "tid", "tid"
	switch {
	case strings.HasSuffix(entry, "sched_wakeup") && strings.HasSuffix(exit, "sched_switch"):
		startKey, endKey = "args->pid", "args->next_pid"
	case entry == exit && strings.HasSuffix(entry, "sched_switch"):
		startKey, endKey = "args->prev_pid", "args->next_pid"
	case c.ev.PairKey == "cpu":
		startKey, endKey = "cpu", "cpu"
	case c.ev.PairKey == "pid":
		startKey, endKey = "pid", "pid"
	case c.ev.PairKey == "dev,sector":
		startKey, endKey = "args->dev, args->sector", "args->dev, args->sector"
	}
	exitFields := tpFields(k, exit)
	keys := keyExprs(in, chosen{ev: c.ev, probe: exit}, exitFields)
	if len(keys) == 0 {
		keys = []string{"comm"}
		if startKey != "tid" && startKey != "pid" {
			keys = nil
		}
	}
	// Keys read at the exit probe must exist there (comm is the task
	// that runs the exit probe, which is right for tid-keyed pairs).
	unit, div := "us", "1000"
	if rx(`milli|\bms\b|毫秒`).MatchString(strings.Join(filterValues(in), " ")) {
		unit, div = "ms", "1000000"
	}
	thr, hasThr := thresholdNS(in)
	if entry == exit {
		fmt.Fprintf(b, "%s\n{\n  @start[%s] = nsecs;\n  $s = @start[%s];\n  if ($s) {\n    $d = nsecs - $s;\n", entryAttach, startKey, endKey)
	} else {
		fmt.Fprintf(b, "%s%s\n{\n  @start[%s] = nsecs;\n}\n\n%s\n{\n  $s = @start[%s];\n  if ($s) {\n    $d = nsecs - $s;\n", entryAttach, pred, startKey, exitAttach, endKey)
	}
	body := ""
	switch {
	case in.Measure == "latency" && !in.Hist && hasPrint(in):
		body = fmt.Sprintf("      printf(\"%%-16s %%-7d %%d %s\\n\", comm, pid, $d / %s);\n", unit, div)
	default:
		body = fmt.Sprintf("      @%s_%s[%s] = hist($d / %s);\n", mapName(c.ev.Name), unit, keyList(keys, "comm"), div)
		if len(keys) == 0 {
			body = fmt.Sprintf("      @%s_%s = hist($d / %s);\n", mapName(c.ev.Name), unit, div)
		}
	}
	if hasThr {
		fmt.Fprintf(b, "    if ($d > %d) {\n%s    }\n", thr, body)
	} else {
		b.WriteString(strings.Replace(body, "      ", "    ", 1))
	}
	fmt.Fprintf(b, "    delete(@start[%s]);\n  }\n}\n\nEND\n{\n  clear(@start);\n}\n", endKey)
}

func hasPrint(in Intent) bool {
	for _, f := range in.Filters {
		if f.Kind == "threshold" {
			return true
		}
	}
	return false
}

func filterValues(in Intent) []string {
	var out []string
	for _, f := range in.Filters {
		out = append(out, f.Value)
	}
	return out
}

const cHead = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";
`

// cSection spells a probe id as a libbpf section, "" when the composer
// does not write C for it.
func cSection(k *kb.KB, id string, ret bool) string {
	typ, rest, _ := strings.Cut(id, ":")
	switch typ {
	case "tracepoint":
		cat, name, _ := strings.Cut(rest, ":")
		if strings.Contains(name, "*") {
			return ""
		}
		return "tp/" + cat + "/" + name
	case "func":
		if k == nil || k.AttachSupport(kb.AttachKprobe).Supported != kb.No {
			if ret {
				return "kretprobe/" + rest
			}
			return "kprobe/" + rest
		}
		if ret {
			return "fexit/" + rest
		}
		return "fentry/" + rest
	}
	return ""
}

// composeC writes libbpf C for the intent: counts per process in a hash
// map, latency as a log2 histogram between an entry and an exit, or each
// event sent through a ring buffer with pid and command.
func composeC(k *kb.KB, in Intent) (string, []string, error) {
	if !in.Understood {
		return "", nil, errCannotCompose
	}
	var cs []chosen
	var notes []string
	for _, e := range in.Events {
		c, ok := choose(k, e, analysis.DialectC)
		if !ok || cSection(k, c.probe, false) == "" {
			return "", nil, fmt.Errorf("%w: no probe kgent writes in C for %s", errCannotCompose, e.Name)
		}
		if c.subst {
			notes = append(notes, fmt.Sprintf("%s: %s; traced %s instead", e.Name, e.Missing, c.probe))
		}
		cs = append(cs, c)
	}
	var b strings.Builder
	b.WriteString(cHead)
	filter := ""
	for _, f := range in.Filters {
		if f.Kind == "pid" {
			filter = "\tif ((bpf_get_current_pid_tgid() >> 32) != " + f.Value + ")\n\t\treturn 0;\n"
		}
	}
	switch in.Measure {
	case "latency":
		c := cs[0]
		entry, exit := c.ev.Pair[0], c.ev.Pair[1]
		if c.subst || entry == "" || entry == exit || strings.Contains(entry, "sched_wakeup") || c.ev.PairKey != "" && c.ev.PairKey != "tid" {
			if strings.HasPrefix(c.probe, "tracepoint:syscalls:sys_") {
				name := strings.TrimPrefix(strings.TrimPrefix(c.probe, "tracepoint:syscalls:sys_enter_"), "tracepoint:syscalls:sys_exit_")
				entry, exit = "tracepoint:syscalls:sys_enter_"+name, "tracepoint:syscalls:sys_exit_"+name
			} else {
				return "", nil, fmt.Errorf("%w: no thread-keyed entry and exit pair for %s", errCannotCompose, c.ev.Name)
			}
		}
		es, xs := cSection(k, entry, false), cSection(k, exit, false)
		if es == "" || xs == "" || !probeAvailable(k, entry, "") || !probeAvailable(k, exit, "") {
			return "", nil, fmt.Errorf("%w: no entry and exit pair for %s", errCannotCompose, c.ev.Name)
		}
		fmt.Fprintf(&b, `
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

/* log2 histogram of microseconds: slot i counts latencies in [2^i, 2^(i+1)) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32);
	__type(key, u32);
	__type(value, u64);
} hist_us SEC(".maps");

SEC("%s")
int on_entry(void *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u64 ts = bpf_ktime_get_ns();
%s
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("%s")
int on_exit(void *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u64 *tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	u64 delta_us = (bpf_ktime_get_ns() - *tsp) / 1000;
	bpf_map_delete_elem(&start, &tid);
	u32 slot = 0;
	while (delta_us > 1 && slot < 31) {
		delta_us >>= 1;
		slot++;
	}
	u64 *count = bpf_map_lookup_elem(&hist_us, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
	return 0;
}
`, es, filter, xs)
	case "print":
		fmt.Fprintf(&b, `
struct event {
	u32 pid;
	u32 probe;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");
`)
		for i, c := range cs {
			fmt.Fprintf(&b, `
SEC("%s")
int on_event_%d(void *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
%s	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = id >> 32;
	e->probe = %d;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
`, cSection(k, c.probe, false), i, filter, i)
		}
	default:
		b.WriteString(`
struct count_key {
	u32 pid;
	u32 probe;
	char comm[16];
};

/* events per process (and per probe) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct count_key);
	__type(value, u64);
} counts SEC(".maps");
`)
		for i, c := range cs {
			fmt.Fprintf(&b, `
SEC("%s")
int on_event_%d(void *ctx)
{
	struct count_key key = {};
	u64 one = 1, *count;

%s	key.pid = bpf_get_current_pid_tgid() >> 32;
	key.probe = %d;
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	count = bpf_map_lookup_elem(&counts, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	return 0;
}
`, cSection(k, c.probe, false), i, filter, i)
		}
	}
	return b.String(), notes, nil
}

// syscallFamily lists the entry tracepoints of a syscall concept the
// target has ("tracepoint:syscalls:sys_enter_shmget", ...).
func syscallFamily(c chosen) []string {
	if !c.ev.Syscall || c.subst || !strings.HasPrefix(c.probe, "tracepoint:syscalls:sys_enter_") {
		return nil
	}
	var out []string
	for _, p := range c.ev.Probes {
		if strings.HasPrefix(p, "tracepoint:syscalls:sys_enter_") {
			out = append(out, p)
		}
	}
	return out
}
