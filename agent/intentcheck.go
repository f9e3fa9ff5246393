package agent

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/bpfc"
	"github.com/kgent/kgent/analysis/bpftrace"
	"github.com/kgent/kgent/kb"
)

// Verdict is the intent check's answer: whether a program traces and
// measures what the request asks.
type Verdict struct {
	// Fits: every requested event is traced, with the measurement, keys
	// and filters asked for. False also when kgent could not read the
	// request (Understood false): then nothing was compared.
	Fits       bool `json:"fits"`
	Understood bool `json:"understood"`
	// Asked are the request's events, Traced the program's probes.
	Asked  []string `json:"asked,omitempty"`
	Traced []string `json:"traced,omitempty"`
	// Missing are requested events no probe of the program traces; Extra
	// probes that trace nothing requested.
	Missing []string `json:"missing,omitempty"`
	Extra   []string `json:"extra,omitempty"`
	// Measure is what the request wants measured and MeasureOK whether
	// the program does; MissingKeys and MissingFilters what it lacks.
	Measure        string   `json:"measure,omitempty"`
	MeasureOK      bool     `json:"measure_ok"`
	MissingKeys    []string `json:"missing_keys,omitempty"`
	MissingFilters []string `json:"missing_filters,omitempty"`
	// Substituted: the program traces a substitute the request's event
	// (kprobe on vfs_read → the read syscall tracepoints).
	Substituted []string `json:"substituted,omitempty"`
	// Unavailable: requested events the program traces but the target
	// cannot (hardware:cache-misses without a PMU), with why.
	Unavailable []string `json:"unavailable,omitempty"`
	// Sentence says it in words.
	Sentence string `json:"sentence"`
}

// facts are what a program traces and measures.
type facts struct {
	probes []string
	// rets are the probes among probes that also attach at return
	// (kretprobe, fexit, uretprobe): entry and return are two events.
	rets     map[string]bool
	aggs     map[string]bool // count, hist, lhist, sum, avg, min, max, stats, map (C)
	timed    bool            // a difference of timestamps
	printed  bool            // prints or sends each event
	interval bool
	keys     map[string]bool // comm, pid, cpu, uid, stack, cgroup, field:NAME
	filters  map[string]bool // pid, comm, cgroup, threshold
}

var swAlias = map[string]string{"cs": "context-switches", "faults": "page-faults", "cpu": "cpu-clock", "cycles": "cpu-cycles", "branches": "branch-instructions"}

// probeID is the canonical id of an attach point (see Event.Want).
func probeID(typ string, parts []string) string {
	canon := probeAliases[typ]
	if canon == "" {
		canon = typ
	}
	last := ""
	if len(parts) > 0 {
		last = parts[len(parts)-1]
	}
	switch canon {
	case "tracepoint":
		if len(parts) >= 2 {
			return "tracepoint:" + parts[0] + ":" + parts[1]
		}
	case "raw_tp", "tp_btf":
		return "tracepoint:*:" + last
	case "kprobe", "kretprobe", "fentry", "fexit":
		return "func:" + strings.TrimPrefix(strings.TrimPrefix(last, "__x64_"), "__arm64_")
	case "uprobe", "uretprobe":
		if i := strings.IndexByte(last, '+'); i > 0 {
			last = last[:i]
		}
		return "uprobe:" + last
	case "usdt":
		return "usdt:" + last
	case "hardware", "software":
		ev := ""
		if len(parts) > 0 {
			ev = parts[0]
		}
		if a, ok := swAlias[ev]; ok {
			ev = a
		}
		return canon + ":" + ev
	case "profile", "interval", "BEGIN", "END":
		return canon
	}
	return canon
}

// probeMatch reports whether a program's probe have traces want.
func probeMatch(want, have string) bool {
	if want == have {
		return true
	}
	if strings.HasPrefix(want, "uretprobe:") {
		want = "uprobe:" + strings.TrimPrefix(want, "uretprobe:")
	}
	if want == have {
		return true
	}
	if strings.Contains(want, "*") && !strings.HasPrefix(want, "tracepoint:syscalls:") && kb.Glob(want, have) {
		return true
	}
	if strings.Contains(have, "*") && kb.Glob(have, want) {
		return true
	}
	if have == "perf_event" {
		return strings.HasPrefix(want, "hardware:") || strings.HasPrefix(want, "software:") || want == "profile"
	}
	if want == "profile" && (have == "software:cpu-clock" || have == "software:task-clock") {
		return true
	}
	return false
}

var (
	timeIdents = map[string]bool{"nsecs": true, "elapsed": true}
	keyIdents  = map[string]string{"comm": "comm", "pid": "pid", "tid": "pid", "cpu": "cpu", "uid": "uid", "kstack": "stack", "ustack": "stack",
		"cgroup": "cgroup", "username": "uid", "func": "func", "probe": "probe", "retval": "retval", "curtask": "task"}
)

// btFacts reads a bpftrace program.
func btFacts(src string) facts {
	f, _ := bpftrace.Parse(src)
	fa := facts{aggs: map[string]bool{}, keys: map[string]bool{}, filters: map[string]bool{}, rets: map[string]bool{}}
	for _, p := range f.Probes {
		eventProbe := false
		for _, ap := range p.Attach {
			id := probeID(ap.Type, ap.Parts)
			switch id {
			case "BEGIN", "END":
				continue
			case "interval":
				fa.interval = true
				continue
			}
			eventProbe = true
			switch probeAliases[ap.Type] {
			case "kretprobe", "fexit", "uretprobe":
				fa.rets[id] = true
			}
			if !contains(fa.probes, id) {
				fa.probes = append(fa.probes, id)
			}
		}
		// Keys: what maps are keyed by and printf prints.
		keysOf := func(e bpftrace.Expr) {
			bpftrace.Walk(e, func(n bpftrace.Node) {
				switch x := n.(type) {
				case *bpftrace.Ident:
					if k, ok := keyIdents[x.Name]; ok {
						fa.keys[k] = true
					}
				case *bpftrace.Call:
					if k, ok := keyIdents[x.Name]; ok {
						fa.keys[k] = true
					}
				case *bpftrace.FieldAccess:
					fa.keys["field:"+x.Name] = true
				}
			})
		}
		condOf := func(e bpftrace.Expr) {
			bpftrace.Walk(e, func(n bpftrace.Node) {
				switch x := n.(type) {
				case *bpftrace.Ident:
					switch x.Name {
					case "pid", "tid":
						fa.filters["pid"] = true
					case "comm":
						fa.filters["comm"] = true
					case "cgroup":
						fa.filters["cgroup"] = true
					}
				case *bpftrace.Binary:
					if x.Op == ">" || x.Op == ">=" || x.Op == "<" || x.Op == "<=" {
						_, l := bpftrace.Unparen(x.L).(*bpftrace.IntLit)
						_, r := bpftrace.Unparen(x.R).(*bpftrace.IntLit)
						if l || r {
							fa.filters["threshold"] = true
						}
					}
				case *bpftrace.Call:
					if x.Name == "strncmp" || x.Name == "strcontains" {
						fa.filters["comm"] = true
					}
				}
			})
		}
		if p.Pred != nil {
			condOf(p.Pred)
		}
		var walkFn func(n bpftrace.Node)
		walkFn = func(n bpftrace.Node) {
			switch x := n.(type) {
			case *bpftrace.IfStmt:
				condOf(x.Cond)
			case *bpftrace.Assign:
				if m, ok := x.LHS.(*bpftrace.MapRef); ok {
					for _, k := range m.Keys {
						keysOf(k)
					}
					if c, ok := bpftrace.Unparen(x.RHS).(*bpftrace.Call); ok {
						switch c.Name {
						case "count", "hist", "lhist", "sum", "avg", "min", "max", "stats":
							fa.aggs[c.Name] = true
							for _, a := range c.Args {
								keysOf(a)
							}
						}
					}
					if x.Op == "+=" || x.Op == "++" {
						fa.aggs["sum"] = true
					}
				}
			case *bpftrace.Unary:
				if m, ok := x.X.(*bpftrace.MapRef); ok && (x.Op == "++" || x.Op == "--") {
					fa.aggs["count"] = true
					for _, k := range m.Keys {
						keysOf(k)
					}
				}
			case *bpftrace.Binary:
				if x.Op == "-" {
					if isTime(x.L) || isTime(x.R) {
						fa.timed = true
					}
				}
			case *bpftrace.Call:
				switch x.Name {
				case "printf", "print", "cat", "join", "time":
					if eventProbe && (x.Name != "print" || len(x.Args) == 0 || !isMap(x.Args[0])) {
						fa.printed = true
						for _, a := range x.Args {
							keysOf(a)
						}
					}
				}
			}
		}
		if p.Body != nil {
			bpftrace.Walk(p.Body, walkFn)
		}
	}
	sort.Strings(fa.probes)
	return fa
}

func isMap(e bpftrace.Expr) bool {
	_, ok := bpftrace.Unparen(e).(*bpftrace.MapRef)
	return ok
}

// isTime reports whether e reads the clock.
func isTime(e bpftrace.Expr) bool {
	found := false
	bpftrace.Walk(e, func(n bpftrace.Node) {
		switch x := n.(type) {
		case *bpftrace.Ident:
			found = found || timeIdents[x.Name]
		case *bpftrace.Call:
			found = found || timeIdents[x.Name]
		case *bpftrace.FieldAccess:
			found = found || strings.Contains(x.Name, "delay") || strings.Contains(x.Name, "runtime") || x.Name == "duration"
		}
	})
	return found
}

var (
	cTimeRe    = regexp.MustCompile(`bpf_ktime_get(_boot|_tai)?_ns\s*\(\s*\)\s*-|-\s*\*?\s*\w*(ts|start|begin|time)\w*\b|delta|\w+_ns\s*-`)
	cOutRe     = regexp.MustCompile(`bpf_ringbuf_(output|submit)|bpf_perf_event_output|bpf_printk|bpf_trace_printk|bpf_seq_printf|BPF_SEQ_PRINTF`)
	cCountRe   = regexp.MustCompile(`__sync_fetch_and_add|__atomic_add_fetch|\+\+|\+=\s*1\b|bpf_map_update_elem`)
	cHistRe    = regexp.MustCompile(`log2|slot|bucket|hist`)
	cCommRe    = regexp.MustCompile(`bpf_get_current_comm|->comm\b`)
	cPidRe     = regexp.MustCompile(`bpf_get_current_pid_tgid|->pid\b|->tgid\b`)
	cStackRe   = regexp.MustCompile(`bpf_get_stack(id)?\b`)
	cCPURe     = regexp.MustCompile(`bpf_get_smp_processor_id`)
	cUIDRe     = regexp.MustCompile(`bpf_get_current_uid_gid`)
	cCgroupRe  = regexp.MustCompile(`bpf_get_current_cgroup_id`)
	cFieldRe   = regexp.MustCompile(`(?:ctx|args|\w+)->(\w+)`)
	cFilterRe  = regexp.MustCompile(`if\s*\([^)]*(pid|tgid)[^)]*[!=]=`)
	cThreshRe  = regexp.MustCompile(`if\s*\([^)]*[<>]=?\s*\d{2,}`)
	cCommCmpRe = regexp.MustCompile(`comm\[0\]\s*[!=]=|__builtin_memcmp|bpf_strncmp`)
)

// cFacts reads a libbpf C program: its programs' sections (bpfc's
// Summary) and, from the text, the helpers that time, count and send.
func cFacts(src string) facts {
	fa := facts{aggs: map[string]bool{}, keys: map[string]bool{}, filters: map[string]bool{}, rets: map[string]bool{}}
	d := bpfc.NewDoc([]byte(src))
	sum := d.Summary()
	d.Close()
	for _, p := range sum.Programs {
		sec := p.Section.Name
		prefix, rest, _ := strings.Cut(sec, "/")
		var id string
		switch probeAliases[prefix] {
		case "tracepoint":
			cat, name, _ := strings.Cut(rest, "/")
			id = "tracepoint:" + cat + ":" + name
		case "raw_tp", "tp_btf":
			id = "tracepoint:*:" + rest
		case "kprobe", "kretprobe", "fentry", "fexit":
			id = probeID(prefix, []string{rest})
		case "uprobe", "uretprobe":
			parts := strings.Split(rest, ":")
			id = "uprobe:" + parts[len(parts)-1]
		case "usdt":
			parts := strings.Split(rest, ":")
			id = "usdt:" + parts[len(parts)-1]
		case "perf_event":
			id = "perf_event"
		default:
			id = probeAliases[prefix]
			if id == "" {
				id = prefix
			}
			if rest != "" {
				id += ":" + rest
			}
		}
		switch probeAliases[prefix] {
		case "kretprobe", "fexit", "uretprobe":
			fa.rets[id] = true
		}
		if id != "" && !contains(fa.probes, id) {
			fa.probes = append(fa.probes, id)
		}
	}
	if len(sum.Maps) > 0 && cCountRe.MatchString(src) {
		fa.aggs["count"] = true
		fa.aggs["sum"] = true
	}
	if cHistRe.MatchString(src) && len(sum.Maps) > 0 {
		fa.aggs["hist"] = true
	}
	fa.timed = strings.Count(src, "bpf_ktime_get") >= 1 && cTimeRe.MatchString(src)
	fa.printed = cOutRe.MatchString(src)
	for re, k := range map[*regexp.Regexp]string{cCommRe: "comm", cPidRe: "pid", cStackRe: "stack", cCPURe: "cpu", cUIDRe: "uid", cCgroupRe: "cgroup"} {
		if re.MatchString(src) {
			fa.keys[k] = true
		}
	}
	for _, m := range cFieldRe.FindAllStringSubmatch(src, -1) {
		fa.keys["field:"+m[1]] = true
	}
	if cFilterRe.MatchString(src) {
		fa.filters["pid"] = true
	}
	if cCommCmpRe.MatchString(src) {
		fa.filters["comm"] = true
	}
	if cThreshRe.MatchString(src) {
		fa.filters["threshold"] = true
	}
	if cCgroupRe.MatchString(src) {
		fa.filters["cgroup"] = true
	}
	sort.Strings(fa.probes)
	return fa
}

// keyOK reports whether the program's keys cover a wanted key.
func keyOK(want string, keys map[string]bool) bool {
	if keys[want] {
		return true
	}
	has := func(pred func(string) bool) bool {
		for k := range keys {
			if f, ok := strings.CutPrefix(k, "field:"); ok && pred(f) {
				return true
			}
		}
		return false
	}
	switch want {
	case "comm":
		return keys["pid"] || has(func(f string) bool { return strings.Contains(f, "comm") || f == "pid" || f == "tgid" })
	case "pid":
		return keys["pid"] || has(func(f string) bool { return strings.HasSuffix(f, "pid") || f == "tgid" })
	case "dev":
		return has(func(f string) bool {
			return strings.Contains(f, "dev") || f == "name" || strings.Contains(f, "disk") || f == "ifindex"
		})
	case "file":
		return has(func(f string) bool {
			return strings.Contains(f, "filename") || strings.Contains(f, "path") || f == "name" || f == "oldname" || f == "newname" || f == "ino" || f == "i_ino"
		})
	case "port":
		return has(func(f string) bool {
			return strings.Contains(f, "port") || f == "skc_num" || f == "dest" || f == "source"
		})
	case "uid":
		return has(func(f string) bool { return strings.Contains(f, "uid") })
	case "cpu":
		return has(func(f string) bool { return f == "cpu" || f == "cpu_id" || f == "dest_cpu" || f == "orig_cpu" })
	case "stack":
		return false
	}
	if f, ok := strings.CutPrefix(want, "field:"); ok {
		return keys["field:"+f] || has(func(g string) bool { return strings.Contains(g, f) || strings.Contains(f, g) && len(g) >= 4 })
	}
	return false
}

// measureOK reports whether the program measures what is asked.
func measureOK(in Intent, fa facts) bool {
	agg := len(fa.aggs) > 0
	hist := fa.aggs["hist"] || fa.aggs["lhist"]
	switch in.Measure {
	case "latency":
		if !fa.timed {
			return false
		}
		return !in.Hist || hist
	case "hist":
		return hist
	case "rate":
		return fa.interval && agg || fa.printed && fa.interval
	case "top", "count":
		return agg
	case "sum":
		return fa.aggs["sum"] || fa.aggs["avg"] || fa.aggs["stats"] || hist
	case "print":
		return fa.printed
	}
	return true
}

// CheckIntent compares what a program traces and measures with the
// request's intent. k grounds the check (nil: not grounded).
func CheckIntent(in Intent, program string, lang analysis.Dialect) Verdict {
	return checkFacts(in, programFacts(program, lang))
}

// programFacts reads what a program in lang traces and measures.
func programFacts(program string, lang analysis.Dialect) facts {
	if lang == analysis.DialectC {
		return cFacts(program)
	}
	return btFacts(program)
}

func checkFacts(in Intent, fa facts) Verdict {
	v := Verdict{Understood: in.Understood, Traced: fa.probes, Measure: in.Measure}
	for _, e := range in.Events {
		v.Asked = append(v.Asked, e.Name)
	}
	if !in.Understood {
		v.MeasureOK = measureOK(in, fa)
		v.Sentence = "kgent could not tell which events the request means, so it did not check that the program traces them; the program traces " + listOr(fa.probes, "nothing") + ": check it does what you asked"
		return v
	}
	used := map[string]bool{}
	for _, e := range in.Events {
		found, subst := false, false
		// A grounded event is traced by the probes the target can
		// attach; Want counts only when grounding found none of them.
		want := e.Probes
		if len(want) == 0 && len(e.Subst) == 0 {
			want = e.Want
		}
		// A latency between two events needs both ends: two probes of
		// the event, or a probe at entry and at return.
		ends := 0
		for _, h := range fa.probes {
			hit := false
			for _, w := range want {
				if probeMatch(w, h) {
					found, used[h], hit = true, true, true
				}
			}
			if hit {
				ends++
				if fa.rets[h] {
					ends++
				}
			}
			for _, w := range e.Subst {
				if probeMatch(w, h) {
					found, subst, used[h] = true, true, true
				}
			}
		}
		if found && !e.Available() {
			v.Unavailable = append(v.Unavailable, e.Name+": "+e.Missing)
		}
		if found && !subst && in.Measure == "latency" && e.Pair[0] != "" && e.Pair[0] != e.Pair[1] && ends < 2 {
			v.Missing = append(v.Missing, e.Name+" (both its start and its end)")
		} else if !found {
			v.Missing = append(v.Missing, e.Name)
		} else if subst {
			v.Substituted = append(v.Substituted, e.Name)
		}
	}
	for _, h := range fa.probes {
		if !used[h] && h != "profile" {
			v.Extra = append(v.Extra, h)
		}
	}
	v.MeasureOK = measureOK(in, fa)
	for _, k := range in.Keys {
		if !keyOK(k, fa.keys) {
			v.MissingKeys = append(v.MissingKeys, k)
		}
	}
	for _, f := range in.Filters {
		if !fa.filters[f.Kind] {
			v.MissingFilters = append(v.MissingFilters, f.Kind)
		}
	}
	v.Fits = len(v.Missing) == 0 && v.MeasureOK && len(v.MissingKeys) == 0 && len(v.MissingFilters) == 0
	v.Sentence = v.sentence(in)
	return v
}

func listOr(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	return strings.Join(xs, ", ")
}

func (v Verdict) sentence(in Intent) string {
	if v.Fits {
		s := "fits the request: it traces " + strings.Join(v.Asked, ", ")
		if in.Measure != "" {
			s += " (" + measureWord(in) + ")"
		}
		if len(v.Substituted) > 0 {
			s += "; " + strings.Join(v.Substituted, ", ") + " through a substitute the target supports"
		}
		if len(v.Unavailable) > 0 {
			s += "; but the target cannot trace " + strings.Join(v.Unavailable, "; ")
		}
		return s
	}
	var why []string
	if len(v.Missing) > 0 {
		why = append(why, "it does not trace "+strings.Join(v.Missing, ", ")+" (it traces "+listOr(v.Traced, "nothing")+")")
	}
	if !v.MeasureOK {
		why = append(why, "it does not measure "+measureWord(in))
	}
	if len(v.MissingKeys) > 0 {
		why = append(why, "it does not break down or print by "+strings.Join(v.MissingKeys, ", "))
	}
	if len(v.MissingFilters) > 0 {
		why = append(why, "it lacks the "+strings.Join(v.MissingFilters, ", ")+" filter")
	}
	return "does not fit the request: " + strings.Join(why, "; ")
}

func measureWord(in Intent) string {
	switch in.Measure {
	case "latency":
		if in.Hist {
			return "a latency histogram"
		}
		return "latency"
	case "hist":
		return "a histogram"
	case "rate":
		return "a rate per interval"
	case "top":
		return "the top entries of a count"
	case "sum":
		return "a sum"
	case "count":
		return "a count"
	case "print":
		return "each event printed"
	}
	return in.Measure
}

// feedbackIntent tells the model how its program misses the request.
func feedbackIntent(v Verdict, in Intent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The program passes the checks but does not do what was asked: %s.\n", strings.TrimPrefix(v.Sentence, "does not fit the request: "))
	for _, e := range in.Events {
		if contains(v.Missing, e.Name) {
			ps := e.Probes
			if len(ps) == 0 {
				ps = e.Subst
			}
			if len(ps) > 0 {
				fmt.Fprintf(&b, "- %s: attach to %s\n", e.Name, strings.Join(first(ps, 4), " or "))
			}
		}
	}
	b.WriteString("Reply with the complete corrected program in one fenced code block.")
	return b.String()
}

func first(xs []string, n int) []string {
	if len(xs) > n {
		return xs[:n]
	}
	return xs
}

// intentPrompt tells the model how kgent reads the request, and what the
// target lacks, so that its program is checked against the same reading.
func intentPrompt(in Intent) string {
	if !in.Understood {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nkgent reads the request as:")
	for _, e := range in.Events {
		ps := e.Probes
		if len(ps) == 0 {
			ps = e.Subst
		}
		if len(ps) > 0 {
			fmt.Fprintf(&b, "\n- %s: %s", e.Name, strings.Join(first(ps, 4), " or "))
		} else {
			fmt.Fprintf(&b, "\n- %s: the target cannot trace it (%s)", e.Name, e.Missing)
			if len(e.Alternatives) > 0 {
				fmt.Fprintf(&b, "; closest: %s", strings.Join(e.Alternatives, "; "))
			}
		}
	}
	if in.Measure != "" {
		fmt.Fprintf(&b, "\n- measure: %s", measureWord(in))
	}
	if len(in.Keys) > 0 {
		fmt.Fprintf(&b, "\n- by or with: %s", strings.Join(in.Keys, ", "))
	}
	for _, f := range in.Filters {
		fmt.Fprintf(&b, "\n- filter: %s %s", f.Kind, f.Value)
	}
	b.WriteString("\nIf the target cannot do what is asked, say so in a comment at the top of the program and write the closest alternative.\n")
	return b.String()
}
