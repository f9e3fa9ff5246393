package verify

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"

	"github.com/kgent/kgent/analysis"
)

// Classes of a rejection: what has to change.
const (
	// ClassBug: the program is wrong; the fix is in its logic.
	ClassBug = "program bug"
	// ClassLowering: the source is right but clang's code hides what
	// it proves from the verifier.
	ClassLowering = "compiler lowering"
	// ClassLimit: the verifier gives up (size, complexity, stack).
	ClassLimit = "verifier limit"
	// ClassEnv: this kernel or this program type does not offer what
	// the program uses.
	ClassEnv = "environment"
)

// explanation is why the verifier rejected a program, read back from its
// log: the class, advice that names the cause, and the source lines that
// matter besides the rejected one.
type explanation struct {
	class   string
	advice  string // "" keeps the key sentence's advice
	related []relatedLine
}

type relatedLine struct {
	line int // 1-based line in the program file
	msg  string
}

// explainer holds what explaining one rejection needs.
type explainer struct {
	ps    *ebpf.ProgramSpec
	src   string
	text  string
	idx   *analysis.LineIndex
	log   []string
	path  []step
	key   string
	tail  []string // the log's lines after the last instruction
	fail  int      // the failing step's index in path, -1 when none
	ex    explanation
	lines map[int]bool
}

// helpers that change packet data: every packet pointer is invalid
// after them (the kernel's bpf_helper_changes_pkt_data).
var pktChangers = map[string]bool{
	"bpf_xdp_adjust_head": true, "bpf_xdp_adjust_tail": true, "bpf_xdp_adjust_meta": true,
	"bpf_skb_change_proto": true, "bpf_skb_change_type": true, "bpf_skb_change_tail": true,
	"bpf_skb_change_head": true, "bpf_skb_adjust_room": true, "bpf_skb_pull_data": true,
	"bpf_skb_store_bytes": true, "bpf_skb_vlan_push": true, "bpf_skb_vlan_pop": true,
	"bpf_l3_csum_replace": true, "bpf_l4_csum_replace": true, "bpf_clone_redirect": true,
	"bpf_msg_pull_data": true, "bpf_msg_push_data": true, "bpf_msg_pop_data": true,
	"bpf_lwt_push_encap": true, "bpf_lwt_seg6_store_bytes": true, "bpf_lwt_seg6_adjust_srh": true,
	"bpf_lwt_seg6_action": true, "bpf_skb_ecn_set_ce": true, "bpf_xdp_store_bytes": true,
}

// releases are calls that end a reference: the pointer is invalid after.
func isRelease(fn string) bool {
	return fn == "bpf_ringbuf_submit" || fn == "bpf_ringbuf_discard" || fn == "bpf_ringbuf_submit_dynptr" ||
		fn == "bpf_ringbuf_discard_dynptr" || fn == "bpf_sk_release" || fn == "bpf_obj_drop_impl" ||
		strings.HasSuffix(fn, "_release") || strings.HasSuffix(fn, "_put")
}

var (
	regInKeyRe     = regexp.MustCompile(`(?:^|[ ,(])R(\d+)\b`)
	unreleasedRe   = regexp.MustCompile(`Unreleased reference id=(\d+) alloc_insn=(\d+)`)
	mapValueRe     = regexp.MustCompile(`invalid access to map value, value_size=(\d+) off=(-?\d+) size=(\d+)`)
	memRe          = regexp.MustCompile(`invalid access to memory, mem_size=(\d+) off=(-?\d+) size=(\d+)`)
	pktRe          = regexp.MustCompile(`invalid access to packet, off=(-?\d+) size=(\d+), R\d+\(id=\d+,off=-?\d+,r=(\d+)\)`)
	mapTypeRe      = regexp.MustCompile(`(?m)cannot pass map_type (\d+) into func (\w+?)(?:#\d+)?$`)
	mapNameRe      = regexp.MustCompile(`map_ptr\(map=([^,)]+)`)
	umaxRe         = regexp.MustCompile(`umax=(\d+|0x[0-9a-f]+)`)
	uminRe         = regexp.MustCompile(`umin=(\d+|0x[0-9a-f]+)`)
	smaxRe         = regexp.MustCompile(`smax=(-?\d+|0x[0-9a-f]+)`)
	stackReadRe    = regexp.MustCompile(`invalid (?:indirect )?read from stack (?:R\d+ )?off (-\d+)\+(\d+) size (\d+)`)
	addrOfRe       = regexp.MustCompile(`&\s*([A-Za-z_]\w*)`)
	loopInsnRe     = regexp.MustCompile(`infinite loop detected at insn (\d+)|back-edge from insn (\d+) to (\d+)`)
	sectionAdvice  = regexp.MustCompile(`program of this type cannot use helper|unknown func|cannot call|not allowed in|calling kernel function .* is not allowed|invalid bpf_context access|R0 leaks addr|At program exit`)
	limitRe        = regexp.MustCompile(`BPF program is too large|program is too complex|too many states|jumps is too complex|combined stack size|stack size of|the call stack of \d+ frames is too deep|loop is not bounded`)
	envRe          = regexp.MustCompile(`program of this type cannot use helper|unknown func|cannot call GPL-restricted|calling kernel function .* is not allowed|invalid func unknown#|gpl_only|GPL-incompatible|helper call is not allowed`)
	loweringRe     = regexp.MustCompile(`dereference of modified ctx ptr|modified ctx ptr|pointer arithmetic on pkt_end|variable ctx access`)
	boundsKeyRe    = regexp.MustCompile(`min value is negative|max value is outside|min value is outside|unbounded min value|unbounded memory access|invalid variable-offset|invalid access to map value|invalid access to memory|invalid unbounded variable-offset`)
	pktKeyRe       = regexp.MustCompile(`invalid access to packet|offset is outside of the packet`)
	nullKeyRe      = regexp.MustCompile(`invalid mem access '(\w+?)_or_null\w*'|Possibly NULL pointer passed|type=(\w+)_or_null expected`)
	scalarDerefRe  = regexp.MustCompile(`invalid mem access '(scalar|inv)'`)
	keyValueRe     = regexp.MustCompile(`__type\((key|value),|__uint\((key|value)_size,`)
	argNRe         = regexp.MustCompile(`passed to (?:trusted )?arg(\d+)`)
	orNullRe       = regexp.MustCompile(`(\w+?)_or_null`)
	wrongTailMapRe = regexp.MustCompile(`expected prog array map for tail call`)
)

// explain reads the log back into the cause of the rejection. It never
// fails: what it cannot tell leaves the class from the key sentence and
// no related lines.
func explain(ps *ebpf.ProgramSpec, log []string, src, text string, idx *analysis.LineIndex) explanation {
	e := &explainer{ps: ps, src: src, text: text, idx: idx, log: log, key: keySentence(log), fail: -1, lines: map[int]bool{}}
	e.path = pathTo(parseTrace(log))
	if n := len(e.path); n > 0 && e.path[n-1].insn == failingInsn(log) {
		e.fail = n - 1
	}
	for i := len(log) - 1; i >= 0; i-- {
		if insnRe.MatchString(strings.TrimSpace(log[i])) {
			e.tail = log[i+1:]
			break
		}
	}
	if e.tail == nil {
		e.tail = log
	}
	e.ex.class = classOf(e.key, e.tailText())
	switch all := e.tailText(); {
	case unreleasedRe.MatchString(all):
		e.leak(unreleasedRe.FindStringSubmatch(all))
	case nullKeyRe.MatchString(all):
		e.null()
	case scalarDerefRe.MatchString(all):
		e.scalarDeref()
	case wrongTailMapRe.MatchString(all) || mapTypeRe.MatchString(all):
		e.mapType()
	case pktKeyRe.MatchString(all):
		e.packet()
	case boundsKeyRe.MatchString(all):
		e.bounds()
	case stackReadRe.MatchString(all):
		e.uninitStack()
	case loopInsnRe.MatchString(all) || limitRe.MatchString(all):
		e.loop()
	case strings.Contains(all, "modified ctx ptr"):
		e.ctxLowering()
	case sectionAdvice.MatchString(all):
		e.section()
	}
	return e.ex
}

func (e *explainer) tailText() string { return strings.Join(e.tail, "\n") }

// classOf is the class the verifier's words alone give.
func classOf(key, all string) string {
	switch {
	case envRe.MatchString(all):
		return ClassEnv
	case strings.Contains(all, "infinite loop detected"):
		return ClassBug
	case limitRe.MatchString(all) || strings.Contains(all, "back-edge"):
		return ClassLimit
	case loweringRe.MatchString(all):
		return ClassLowering
	}
	return ClassBug
}

// line is the source line of path step i's instruction.
func (e *explainer) stepLine(i int) int {
	if i < 0 || i >= len(e.path) {
		return 0
	}
	return e.insnLine(e.path[i].insn)
}

func (e *explainer) insnLine(insn int) int {
	l := insnLine(e.ps, insn, e.src)
	if l <= 0 || l > e.idx.Lines() {
		return 0
	}
	return l
}

// relate adds a related line once.
func (e *explainer) relate(line int, msg string) {
	if line <= 0 || e.lines[line] {
		return
	}
	e.lines[line] = true
	e.ex.related = append(e.ex.related, relatedLine{line, msg})
}

// failReg is the register the rejection is about: named by the key
// sentence, else the failing instruction's memory operand.
func (e *explainer) failReg() string {
	for _, l := range append([]string{e.key}, e.tail...) {
		if m := regInKeyRe.FindStringSubmatch(l); m != nil {
			return "R" + m[1]
		}
	}
	if m := argNRe.FindStringSubmatch(strings.Join(e.tail, "\n")); m != nil {
		// "Possibly NULL pointer passed to trusted arg0": a call's
		// arguments are R1 to R5.
		if n, err := strconv.Atoi(m[1]); err == nil && n < 5 {
			return "R" + strconv.Itoa(n+1)
		}
	}
	if e.fail >= 0 {
		t := e.path[e.fail].text
		if m := memOpRe.FindStringSubmatch(t); m != nil {
			return regKey(m[1])
		}
		if m := aluRegRe.FindStringSubmatch(t); m != nil {
			// "math between map_value pointer and register with
			// unbounded min value": the register added.
			return regKey(m[2])
		}
	}
	return ""
}

// lineText is the source text of a 1-based line, trimmed.
func (e *explainer) lineText(line int) string {
	if line <= 0 || line > e.idx.Lines() {
		return ""
	}
	s, en := lineSpan(e.text, e.idx, line-1)
	return e.text[s:en]
}

// leak: a reference acquired at alloc_insn is held at exit.
func (e *explainer) leak(m []string) {
	alloc, _ := strconv.Atoi(m[2])
	fn := "the acquiring call"
	for _, s := range e.path {
		if s.insn == alloc {
			if c := s.callee(); c != "" {
				fn = c + "()"
			}
		}
	}
	if fn == "the acquiring call" {
		if c := specCallee(e.ps, alloc); c != "" {
			fn = c + "()"
		}
	}
	al := e.insnLine(alloc)
	e.relate(al, "acquired here by "+fn+" (reference id="+m[1]+"); the path to the exit never releases it")
	// The branch that took the path around the release: the last
	// conditional jump after the acquisition.
	seen := false
	branch := 0
	for i, s := range e.path {
		if s.insn == alloc {
			seen = true
			continue
		}
		if seen && condRe.MatchString(s.text) {
			if l := e.stepLine(i); l != al {
				branch = l
			}
		}
	}
	release := "release it"
	if strings.HasPrefix(fn, "bpf_ringbuf_reserve") {
		release = "submit or discard it (bpf_ringbuf_submit/bpf_ringbuf_discard)"
	} else if strings.Contains(fn, "acquire") || strings.Contains(fn, "from_pid") || strings.Contains(fn, "lookup") {
		release = "release it (the matching *_release kfunc or helper)"
	}
	if branch > 0 {
		e.relate(branch, "this branch leads to the exit while the reference is held")
		e.ex.advice = fmt.Sprintf("the reference from %s at line %d leaks on the path through line %d: %s before that path returns", fn, al, branch, release)
	} else if al > 0 {
		e.ex.advice = fmt.Sprintf("the reference from %s at line %d is still held at exit: %s on every path", fn, al, release)
	}
}

// specCallee is the name of the function called at instruction insn of
// the spec, or "".
func specCallee(ps *ebpf.ProgramSpec, insn int) string {
	iter := ps.Instructions.Iterate()
	for iter.Next() {
		if int(iter.Offset) == insn {
			ins := iter.Ins
			if ins.IsBuiltinCall() {
				return asm.BuiltinFunc(ins.Constant).String()
			}
			if ins.IsKfuncCall() || ins.IsFunctionCall() {
				if r := ins.Reference(); r != "" {
					return r
				}
			}
			return ""
		}
	}
	return ""
}

// null: a pointer that may be NULL is used. The call that returned it is
// where the check belongs; a branch on the path that tested something
// else is where it was lost.
func (e *explainer) null() {
	if e.fail < 0 {
		return
	}
	reg := e.failReg()
	st := e.path[e.fail].before[reg]
	id := stateID(st)
	kind := "pointer"
	if m := orNullRe.FindStringSubmatch(st); m != nil && m[1] != "ptr" {
		kind = m[1]
	}
	src := -1
	if id > 0 {
		for i := 0; i < e.fail; i++ {
			for _, v := range e.path[i].after {
				if strings.Contains(v, "_or_null") && stateID(v) == id {
					src = i
					break
				}
			}
			if src >= 0 {
				break
			}
		}
	}
	if src < 0 {
		// No states printed: the register's origin by data flow.
		sources(e.path, e.fail, []string{reg}, func(j int, set map[string]bool) bool {
			if e.path[j].op == "85" && set["R0"] {
				src = j
				return true
			}
			return false
		})
	}
	fn := "the call"
	if src >= 0 {
		if c := e.path[src].callee(); c != "" {
			fn = c + "()"
		}
		sl := e.stepLine(src)
		e.relate(sl, fn+" returns a "+kind+" that may be NULL here; check it before the use at line "+strconv.Itoa(e.stepLine(e.fail)))
		// Branches between the call and the use that test another value.
		for i := e.fail - 1; i > src; i-- {
			m := condRe.FindStringSubmatch(e.path[i].text)
			if m == nil {
				continue
			}
			other := e.path[i].before[regKey(m[1])]
			l := e.stepLine(i)
			if l == sl {
				continue
			}
			if strings.Contains(other, "_or_null") && stateID(other) != id || strings.Contains(m[3], "0x0") || m[3] == "0" {
				e.relate(l, "this NULL check tests another pointer, not the one used at line "+strconv.Itoa(e.stepLine(e.fail)))
			} else {
				e.relate(l, "the path reaches the use through this branch without a NULL check of the pointer")
			}
			break
		}
		e.ex.advice = fmt.Sprintf("the %s from %s at line %d may be NULL: it must be checked for NULL before this use, and this path has no check", kind, fn, sl)
	}
}

// scalarDeref: a register used as a pointer holds a number. Usually a
// pointer the program had, invalidated by a call: a helper that changes
// packet data, or a release (ring buffer submit or discard, a kfunc's
// release).
func (e *explainer) scalarDeref() {
	if e.fail < 0 {
		return
	}
	reg := e.failReg()
	var call, ptrAt = -1, -1
	sources(e.path, e.fail, []string{reg}, func(j int, set map[string]bool) bool {
		s := e.path[j]
		if call < 0 && s.op == "85" {
			fn := s.callee()
			if pktChangers[fn] || isRelease(fn) {
				call = j
			}
		}
		if call >= 0 && j < call {
			for k := range set {
				if v := s.before[k]; v != "" && !strings.HasPrefix(v, "scalar") && !strings.HasPrefix(v, "inv") && v != "P0" {
					ptrAt = j
					return true
				}
				if v := s.after[k]; v != "" && !strings.HasPrefix(v, "scalar") && !strings.HasPrefix(v, "inv") {
					ptrAt = j
					return true
				}
			}
		}
		return false
	})
	if call < 0 {
		e.ex.advice = ""
		return
	}
	fn := e.path[call].callee()
	cl := e.stepLine(call)
	ul := e.stepLine(e.fail)
	if pktChangers[fn] {
		e.relate(cl, fn+"() may move the packet: every packet pointer taken before it is invalid after it")
		if ptrAt >= 0 {
			e.relate(e.stepLine(ptrAt), "the pointer used at line "+strconv.Itoa(ul)+" was derived from the packet here, before the call")
		}
		e.ex.advice = fmt.Sprintf("the packet pointer used here was invalidated by %s() at line %d: after that call, load ctx->data and ctx->data_end again and re-check the bounds before any packet access", fn, cl)
		return
	}
	e.relate(cl, fn+"() releases the reference: the pointer is invalid after this call")
	e.ex.advice = fmt.Sprintf("the pointer used here was released by %s() at line %d: finish every access to it before that call", fn, cl)
}

// mapType: a helper got a map of a type it does not take; the map's
// definition is where the fix goes.
func (e *explainer) mapType() {
	name := ""
	if e.fail >= 0 {
		st := e.path[e.fail].before
		for _, r := range []string{"R2", "R1", "R3", "R4", "R5"} {
			if m := mapNameRe.FindStringSubmatch(st[r]); m != nil {
				name = m[1]
				break
			}
		}
	}
	fn := "the helper"
	if e.fail >= 0 {
		if c := e.path[e.fail].callee(); c != "" {
			fn = c + "()"
		}
	}
	want := ""
	switch strings.TrimSuffix(fn, "()") {
	case "bpf_tail_call":
		want = "BPF_MAP_TYPE_PROG_ARRAY"
	case "bpf_perf_event_output", "bpf_perf_event_read", "bpf_perf_event_read_value", "bpf_skb_output", "bpf_xdp_output":
		want = "BPF_MAP_TYPE_PERF_EVENT_ARRAY"
	case "bpf_ringbuf_output", "bpf_ringbuf_reserve", "bpf_ringbuf_query", "bpf_ringbuf_reserve_dynptr":
		want = "BPF_MAP_TYPE_RINGBUF"
	case "bpf_get_stackid":
		want = "BPF_MAP_TYPE_STACK_TRACE"
	case "bpf_redirect_map":
		want = "BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_CPUMAP or BPF_MAP_TYPE_XSKMAP"
	case "bpf_sk_storage_get", "bpf_sk_storage_delete":
		want = "BPF_MAP_TYPE_SK_STORAGE"
	case "bpf_task_storage_get", "bpf_task_storage_delete":
		want = "BPF_MAP_TYPE_TASK_STORAGE"
	}
	need := "a map of the type " + fn + " takes"
	if want != "" {
		need = want
	}
	line := e.mapDefLine(name)
	if line > 0 {
		e.relate(line, "map "+name+" is defined here with a type "+fn+" does not take; it needs "+need)
		e.ex.advice = fmt.Sprintf("%s needs %s, and map %s (line %d) is not one: change the map's type", fn, need, name, line)
		if want == "BPF_MAP_TYPE_RINGBUF" {
			// A ring buffer has neither key nor value.
			for l := line + 1; l <= e.idx.Lines(); l++ {
				t := e.lineText(l)
				if strings.HasPrefix(t, "}") {
					break
				}
				if keyValueRe.MatchString(t) {
					e.relate(l, "a ring buffer has no key or value: this line goes when the type changes")
				}
			}
		}
	} else {
		e.ex.advice = fmt.Sprintf("%s needs %s: the map passed to it is another type", fn, need)
	}
}

// mapDefLine is the line of the __uint(type, ...) of map name's
// definition (the log truncates names to 15 characters), else the line
// of its name, else 0.
func (e *explainer) mapDefLine(name string) int {
	if name == "" {
		return 0
	}
	sp := mapSpan(e.text, name)
	if sp == (analysis.Span{}) {
		// A truncated name: the first map whose name starts with it.
		re := regexp.MustCompile(`\b(` + regexp.QuoteMeta(name) + `\w*)\s+SEC\(\s*"\.maps"`)
		if m := re.FindStringSubmatch(e.text); m != nil {
			sp = mapSpan(e.text, m[1])
		}
	}
	if sp == (analysis.Span{}) {
		return 0
	}
	nameLine := e.idx.Position(sp.Start).Line + 1
	// The definition's struct { ... }: its type line.
	open := strings.LastIndex(e.text[:sp.Start], "struct {")
	if open < 0 {
		open = strings.LastIndex(e.text[:sp.Start], "struct{")
	}
	if open >= 0 {
		if i := strings.Index(e.text[open:sp.Start], "__uint(type,"); i >= 0 {
			return e.idx.Position(open+i).Line + 1
		}
	}
	return nameLine
}

// packet: a packet access beyond what the last check against data_end
// proved.
func (e *explainer) packet() {
	if e.fail < 0 {
		return
	}
	need := ""
	if m := pktRe.FindStringSubmatch(e.tailText()); m != nil {
		off, _ := strconv.Atoi(m[1])
		size, _ := strconv.Atoi(m[2])
		need = fmt.Sprintf("proves %s bytes from the packet pointer are there, the access needs %d (offset %d, size %d)", m[3], off+size, off, size)
	}
	for i := e.fail - 1; i >= 0; i-- {
		m := condRe.FindStringSubmatch(e.path[i].text)
		if m == nil {
			continue
		}
		a, b := e.path[i].before[regKey(m[1])], e.path[i].before[regKey(m[3])]
		if strings.HasPrefix(a, "pkt_end") || strings.HasPrefix(b, "pkt_end") || strings.HasPrefix(e.path[i].after[regKey(m[1])], "pkt_end") || strings.HasPrefix(e.path[i].after[regKey(m[3])], "pkt_end") {
			l := e.stepLine(i)
			if !ownLine(e.ps, e.path[i].insn, e.src) {
				// clang gave the comparison no line of its own (it
				// inherits an earlier statement's): the check the
				// verifier saw is the last comparison with data_end
				// in the source between that line and the access.
				ul := e.stepLine(e.fail)
				for k := ul - 1; k > l; k-- {
					if strings.Contains(e.lineText(k), "data_end") {
						l = k
						break
					}
				}
			}
			msg := "bounds checked here against data_end"
			if need != "" {
				msg += ": " + need
			}
			e.relate(l, msg)
			e.ex.advice = fmt.Sprintf("the packet access reads past what the bounds check at line %d proves: extend that check to cover it (data + offset + size of what is read <= data_end)", l)
			return
		}
	}
	e.ex.advice = "no check against data_end covers this packet access on this path: compare data + offset + size with data_end before reading"
}

// bounds: an index or size the verifier cannot bound to the memory it
// reaches. The conditional jump that bounded the value (the last one on
// its data flow) is where the fix goes; a jump on a value derived from
// it, which tells the verifier nothing of the value itself, is clang's
// lowering.
func (e *explainer) bounds() {
	if e.fail < 0 {
		return
	}
	reg := e.failReg()
	want := []string{reg}
	if e.path[e.fail].op == "85" && reg != "" {
		// A helper's memory argument: its size is the next register.
		if n, err := strconv.Atoi(strings.TrimPrefix(reg, "R")); err == nil && n < 5 {
			want = append(want, "R"+strconv.Itoa(n+1))
		}
	}
	need := ""
	all := e.tailText()
	if m := mapValueRe.FindStringSubmatch(all); m != nil {
		need = fmt.Sprintf("the access reaches offset %s size %s of a %s-byte map value", m[2], m[3], m[1])
	} else if m := memRe.FindStringSubmatch(all); m != nil {
		need = fmt.Sprintf("the access reaches offset %s size %s of %s bytes of memory", m[2], m[3], m[1])
	} else if strings.Contains(all, "variable-offset") {
		need = "the offset can reach past the stack variable"
	} else if strings.Contains(all, "negative") || strings.Contains(all, "unbounded min") {
		need = "the value can still be negative"
	}
	jump, derived, origin := -1, -1, -1
	sources(e.path, e.fail, want, func(j int, set map[string]bool) bool {
		s := e.path[j]
		if m := condRe.FindStringSubmatch(s.text); m != nil {
			a, b := regKey(m[1]), regKey(m[3])
			if set[a] || set[b] || e.sharesID(j, a, set) || e.sharesID(j, b, set) {
				jump = j
				return true
			}
			if derived < 0 && e.derivedFrom(j, a, set) {
				derived = j
			}
		}
		for k := range set {
			if d := defRe.FindStringSubmatch(s.text); d != nil && regKey(d[1]) == k {
				origin = j
			}
			if k == "R0" && s.op == "85" {
				origin = j
			}
		}
		return false
	})
	ul := e.stepLine(e.fail)
	switch {
	case jump >= 0:
		l := e.stepLine(jump)
		m := condRe.FindStringSubmatch(e.path[jump].text)
		proved := e.proved(jump, regKey(m[1]))
		msg := "bounds checked here"
		if proved != "" {
			msg += ": " + proved
		}
		if need != "" {
			msg += "; " + need
		}
		if l == ul {
			// The check is on the rejected line itself: nothing to add.
			msg = ""
		}
		if msg != "" {
			e.relate(l, msg)
		}
		if strings.Contains(m[2], "s") && strings.Contains(need, "negative") {
			e.ex.advice = fmt.Sprintf("the bounds check at line %d compares signed and bounds the value from above only: it can still be negative; make the value unsigned or also check it is >= 0", l)
		} else {
			e.ex.advice = fmt.Sprintf("the bounds check at line %d is too narrow for the access at line %d: bound the index or size by the size of what it reaches", l, ul)
		}
	case derived >= 0:
		l := e.stepLine(derived)
		e.ex.class = ClassLowering
		e.relate(l, "clang tests a value computed from the index here, not the register the access uses: the verifier learns no bound for it")
		e.ex.advice = fmt.Sprintf("the check at line %d does not bound the register the access uses (clang lowered it onto a copy or a derived value): re-check or mask the index right before the access (idx &= SIZE-1, or if (idx >= SIZE) return)", l)
	case origin >= 0:
		l := e.stepLine(origin)
		if l != ul {
			e.relate(l, "the value comes from here and is never bounded before the access at line "+strconv.Itoa(ul))
		}
		e.ex.advice = "the index or size is not bounded on this path: check it against the size of what it reaches before the access"
	}
}

// sharesID reports whether register r at step j holds a scalar linked
// (same id=) to one of set: the verifier bounds them together.
func (e *explainer) sharesID(j int, r string, set map[string]bool) bool {
	if r == "" {
		return false
	}
	id := stateID(e.path[j].before[r])
	if id == 0 {
		return false
	}
	for k := range set {
		if stateID(e.path[j].before[k]) == id {
			return true
		}
	}
	return false
}

// derivedFrom reports whether register r compared at step j was computed
// from one of set (within the steps before j).
func (e *explainer) derivedFrom(j int, r string, set map[string]bool) bool {
	if r == "" {
		return false
	}
	found := false
	sources(e.path, j, []string{r}, func(k int, rs map[string]bool) bool {
		if j-k > 16 {
			return true
		}
		t := e.path[k].text
		if m := movRegRe.FindStringSubmatch(t); m != nil && rs[regKey(m[1])] && set[regKey(m[2])] {
			found = true
			return true
		}
		if m := aluRegRe.FindStringSubmatch(t); m != nil && rs[regKey(m[1])] && set[regKey(m[2])] {
			found = true
			return true
		}
		return false
	})
	return found
}

// proved says what the verifier knew of register r after the jump at
// step j on the path: the state printed with it, or the next one.
func (e *explainer) proved(j int, r string) string {
	st := e.path[j].after[r]
	if st == "" && j+1 < len(e.path) {
		st = e.path[j+1].before[r]
	}
	if st == "" {
		return ""
	}
	var parts []string
	if m := uminRe.FindStringSubmatch(st); m != nil {
		parts = append(parts, "at least "+num(m[1]))
	}
	if m := umaxRe.FindStringSubmatch(st); m != nil {
		parts = append(parts, "at most "+num(m[1]))
	} else if m := smaxRe.FindStringSubmatch(st); m != nil {
		parts = append(parts, "at most "+num(m[1])+" (signed: no lower bound)")
	}
	if len(parts) == 0 {
		if n, err := strconv.ParseInt(strings.TrimSpace(st), 0, 64); err == nil {
			return "proves the value is " + strconv.FormatInt(n, 10)
		}
		return ""
	}
	return "proves the value is " + strings.Join(parts, " and ")
}

// num is a verifier number in decimal.
func num(s string) string {
	if n, err := strconv.ParseUint(s, 0, 64); err == nil {
		return strconv.FormatUint(n, 10)
	}
	if n, err := strconv.ParseInt(s, 0, 64); err == nil {
		return strconv.FormatInt(n, 10)
	}
	return s
}

// uninitStack: a helper reads stack bytes never written. The variable's
// declaration, found from the rejected line's &name, is where the
// initialiser goes.
func (e *explainer) uninitStack() {
	ul := 0
	if e.fail >= 0 {
		ul = e.stepLine(e.fail)
	}
	if ul <= 0 {
		return
	}
	lt := e.lineText(ul)
	var names []string
	for _, m := range addrOfRe.FindAllStringSubmatch(lt, -1) {
		names = append(names, m[1])
	}
	// Also plain array names passed as arguments.
	for _, w := range regexp.MustCompile(`[(,]\s*([A-Za-z_]\w*)\s*[,)]`).FindAllStringSubmatch(lt, -1) {
		names = append(names, w[1])
	}
	start := e.idx.LineStart(ul - 1)
	for _, n := range names {
		if d := e.declLine(n, start); d > 0 && d != ul {
			e.relate(d, n+" is declared here without an initialiser; the helper at line "+strconv.Itoa(ul)+" reads bytes of it that were never written (padding counts)")
			e.ex.advice = fmt.Sprintf("the helper reads stack memory of %s that was never written: initialise it where it is declared (line %d: = {} or __builtin_memset)", n, d)
			return
		}
	}
	e.ex.advice = "a helper reads stack memory that was never written: initialise the variable (or zero the buffer) before the call"
}

// declLine is the line, before offset before and after the enclosing
// function's start, that declares name as a local ("T name;",
// "T name[N];"), or 0.
var declRe = func(name string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^[ \t]+(?:struct\s+)?[A-Za-z_][\w \t*]*[ \t*]` + regexp.QuoteMeta(name) + `(?:\[[^\]]*\])?\s*;`)
}

func (e *explainer) declLine(name string, before int) int {
	body := e.text[:before]
	if i := strings.LastIndex(body, "SEC("); i >= 0 {
		body = body[i:]
	} else {
		return 0
	}
	off := before - len(body)
	locs := declRe(name).FindAllStringIndex(body, -1)
	if len(locs) == 0 {
		return 0
	}
	return e.idx.Position(off+locs[len(locs)-1][0]).Line + 1
}

// loop: the verifier gave up on a loop or on the program's size. The
// loop around the rejected instruction (a backward jump in the program
// that spans it) is where a bound goes.
func (e *explainer) loop() {
	at := failingInsn(e.log)
	if m := loopInsnRe.FindStringSubmatch(e.tailText()); m != nil {
		if m[1] != "" {
			at, _ = strconv.Atoi(m[1])
		} else {
			at, _ = strconv.Atoi(m[2])
		}
	}
	type edge struct{ from, to int }
	var edges []edge
	iter := e.ps.Instructions.Iterate()
	for iter.Next() {
		ins := iter.Ins
		if jop := ins.OpCode.JumpOp(); !ins.OpCode.Class().IsJump() || jop == asm.InvalidJumpOp || jop == asm.Call || jop == asm.Exit {
			continue
		}
		target := int(iter.Offset) + int(ins.Offset) + 1
		if target <= int(iter.Offset) {
			edges = append(edges, edge{int(iter.Offset), target})
		}
	}
	best := -1
	for i, ed := range edges {
		if at < 0 || (ed.to <= at && at <= ed.from) {
			if best < 0 || edges[best].from-edges[best].to > ed.from-ed.to {
				best = i
			}
		}
	}
	if best < 0 && len(edges) > 0 {
		best = 0
	}
	if best < 0 {
		return
	}
	l := e.insnLine(edges[best].from)
	if l <= 0 {
		l = e.insnLine(edges[best].to)
	}
	e.relate(e.loopBound(), "the loop's bound comes from here: the verifier cannot tell it is small, so it walks every possible iteration")
	if strings.Contains(e.tailText(), "infinite loop") {
		e.relate(l, "this loop comes back to the same state: it never ends")
		e.ex.advice = fmt.Sprintf("the loop at line %d never ends on this path: make its condition change on every iteration", l)
		return
	}
	e.relate(l, "the verifier walks this loop once per iteration: its bound decides how many instructions it checks")
	e.ex.advice = fmt.Sprintf("the verifier gave up walking the loop at line %d: give the loop a small constant bound (clamp its limit, or i < n && i < MAX), or use bpf_loop() or bpf_for()", l)
}

// loopBound is the line where a value the failing conditional jump
// compares comes from (a load or a call, not a constant), or 0.
func (e *explainer) loopBound() int {
	if e.fail < 0 {
		return 0
	}
	m := condRe.FindStringSubmatch(e.path[e.fail].text)
	if m == nil {
		return 0
	}
	line := 0
	for _, r := range []string{regKey(m[1]), regKey(m[3])} {
		if r == "" || line > 0 {
			continue
		}
		sources(e.path, e.fail, []string{r}, func(j int, set map[string]bool) bool {
			t := e.path[j].text
			if lm := loadRe.FindStringSubmatch(t); lm != nil && set[regKey(lm[1])] && lm[2] != "r10" {
				line = e.stepLine(j)
				return true
			}
			if e.path[j].op == "85" && set["R0"] {
				line = e.stepLine(j)
				return true
			}
			return false
		})
	}
	return line
}

// ctxLowering: clang computed a context field's address (ctx + a
// register) and loaded through it, where the verifier wants ctx +
// constant: the lines that chose the offset are the field reads it
// merged.
func (e *explainer) ctxLowering() {
	if e.fail < 0 {
		return
	}
	reg := e.failReg()
	ul := e.stepLine(e.fail)
	var lines []int
	sources(e.path, e.fail, []string{reg}, func(j int, set map[string]bool) bool {
		if d := defRe.FindStringSubmatch(e.path[j].text); d != nil && set[regKey(d[1])] {
			if l := e.stepLine(j); l != ul && l > 0 {
				lines = append(lines, l)
			}
		}
		return false
	})
	// The other arms: instructions of the program that load a constant
	// into the same register on other lines are the merged reads.
	for _, l := range lines {
		e.relate(l, "clang merged this context field read with another and computes the field's offset at run time; the verifier only allows ctx + constant offset")
	}
	e.ex.advice = "clang merged context field reads into one load through a computed address, which the verifier refuses (the source is fine): read each field in its own statement and keep clang from merging them, e.g. an asm volatile(\"\" ::: \"memory\") barrier after each read, or read both fields before the branch"
	// clang often leaves the merged arms without line info of their
	// own: the field the offset names, read in the function's source.
	if m := ctxOffRe.FindStringSubmatch(e.tailText()); m != nil {
		off, _ := strconv.Atoi(m[1])
		if field := ctxField(e.ps, off); field != "" {
			for _, l := range e.fieldUses(field) {
				if l != ul {
					e.relate(l, "this reads context field "+field+" (offset "+m[1]+"), which clang turned into a load through a computed address")
				}
			}
		}
	}
}

var ctxOffRe = regexp.MustCompile(`modified ctx ptr R\d+ off=(\d+)`)

// ctxField is the name of the member at byte offset off of the struct
// the program's context argument points to, or "".
func ctxField(ps *ebpf.ProgramSpec, off int) string {
	if len(ps.Instructions) == 0 {
		return ""
	}
	fn := btf.FuncMetadata(&ps.Instructions[0])
	if fn == nil {
		return ""
	}
	proto, ok := fn.Type.(*btf.FuncProto)
	if !ok || len(proto.Params) == 0 {
		return ""
	}
	ptr, ok := btf.UnderlyingType(proto.Params[0].Type).(*btf.Pointer)
	if !ok {
		return ""
	}
	st, ok := btf.UnderlyingType(ptr.Target).(*btf.Struct)
	if !ok {
		return ""
	}
	for _, m := range st.Members {
		if int(m.Offset.Bytes()) == off && m.Name != "" {
			return m.Name
		}
	}
	return ""
}

// fieldUses are the lines of the program's function that use ->field
// or .field.
func (e *explainer) fieldUses(field string) []int {
	from := e.insnLine(0)
	if from <= 0 {
		return nil
	}
	re := regexp.MustCompile(`(->|\.)\s*` + regexp.QuoteMeta(field) + `\b`)
	var out []int
	for l := from; l <= e.idx.Lines(); l++ {
		t := e.lineText(l)
		if l > from && strings.HasPrefix(t, "SEC(") {
			break
		}
		if re.MatchString(t) {
			out = append(out, l)
		}
	}
	return out
}

// section: the program's type decides what it may call or touch; its
// SEC() line is where that is chosen.
func (e *explainer) section() {
	i := strings.Index(e.text, `SEC("`+e.ps.SectionName+`")`)
	if i < 0 {
		return
	}
	l := e.idx.Position(i).Line + 1
	e.relate(l, fmt.Sprintf("the program's type is chosen here: SEC(%q) makes it a %s program", e.ps.SectionName, e.ps.Type))
	sec := fmt.Sprintf("SEC(%q) at line %d", e.ps.SectionName, l)
	all := e.tailText()
	switch {
	case strings.Contains(all, "bpf_context access") || strings.Contains(all, "ctx access"):
		field := ""
		if m := ctxAccessRe.FindStringSubmatch(all); m != nil {
			off, _ := strconv.Atoi(m[1])
			if f := ctxField(e.ps, off); f != "" {
				field = " " + f
			}
		}
		e.ex.advice = fmt.Sprintf("a %s program may not access context field%s this way: the program type comes from %s; use a type that allows the access (writing __sk_buff fields needs tc, for instance) or leave the field alone", e.ps.Type, field, sec)
	case envRe.MatchString(all):
		e.ex.advice = fmt.Sprintf("%s is not allowed in %s programs on this kernel: the program type comes from %s; use a program type that has it, or another way to do the same", calledName(e, all), e.ps.Type, sec)
	}
}

var (
	ctxAccessRe  = regexp.MustCompile(`(?:bpf_context|ctx) access off=(\d+)`)
	helperNameRe = regexp.MustCompile(`(?:helper|func|function) (\w+?)(?:#\d+)?(?:\s|$)`)
)

// calledName is the helper or kfunc the log's complaint names.
func calledName(e *explainer, all string) string {
	if m := helperNameRe.FindStringSubmatch(all); m != nil {
		return m[1] + "()"
	}
	if e.fail >= 0 {
		if c := e.path[e.fail].callee(); c != "" {
			return c + "()"
		}
	}
	return "the called function"
}

// relatedFor turns the explanation's lines into related locations.
func (x explanation) relatedFor(text string, idx *analysis.LineIndex, sp analysis.Span) []analysis.Related {
	var out []analysis.Related
	for _, r := range x.related {
		if r.line <= 0 || r.line > idx.Lines() {
			continue
		}
		s, en := lineSpan(text, idx, r.line-1)
		if s == sp.Start && en == sp.End {
			continue
		}
		out = append(out, analysis.Related{Span: analysis.Span{Start: s, End: en}, Message: r.msg})
	}
	return out
}

// ownLine reports whether instruction insn has line info of its own in
// the program file (rather than inheriting the line before it).
func ownLine(ps *ebpf.ProgramSpec, insn int, src string) bool {
	iter := ps.Instructions.Iterate()
	for iter.Next() {
		if int(iter.Offset) == insn {
			l, ok := iter.Ins.Source().(*btf.Line)
			return ok && l.LineNumber() > 0 && inFile(l, src)
		}
		if int(iter.Offset) > insn {
			break
		}
	}
	return false
}
