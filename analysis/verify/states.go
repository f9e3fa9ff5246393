package verify

import (
	"regexp"
	"strconv"
	"strings"
)

// The verifier's log at level 1 is a trace of the paths it walked: each
// instruction as "N: (op) text" followed, on kernels since about 5.18,
// by "; R0_w=scalar(...) R6=map_value(...)" (the registers and stack
// slots the instruction changed); "N: R1=ctx() R10=fp0" lines with a
// whole state; and "from X to Y: R..." where it goes back to a branch it
// left for later. This file reads that trace back into the path that
// reached the rejected instruction, with the state of every register on
// it. Nothing here trusts the log: any text parses to something, maybe
// an empty path.

// event is one line of the trace: an instruction (insn >= 0, text set),
// a whole state at an instruction (full), or a branch resumed (from >= 0,
// insn is the branch's target).
type event struct {
	insn   int
	from   int
	op     string // the opcode byte, "85" for a call
	text   string // the instruction, "r6 += r0"
	full   bool   // states is the whole state, not changes
	states map[string]string
}

var (
	evInsnRe   = regexp.MustCompile(`^(\d+): \(([0-9a-f]{2})\) (.*)$`)
	evStateRe  = regexp.MustCompile(`^(\d+): ((?:frame\d+: )?R\d.*)$`)
	evFromRe   = regexp.MustCompile(`^from (\d+) to (\d+): (.*)$`)
	stateSepRe = regexp.MustCompile(`\s+;(?:\s+|$)`)
	jumpThenRe = regexp.MustCompile(` (\d+): ((?:frame\d+: )?R\d.*)$`)
	stateKey   = regexp.MustCompile(`^(R\d+|fp-\d+)(?:_[a-zA-Z]+)?=(.*)$`)
)

// Bounds on the work an explanation does on a huge log (the verifier
// stops at a million instructions walked; a loop's bound is often set at
// the path's start, so the path is kept whole up to that).
const (
	maxTraceLines = 1 << 21
	maxPathSteps  = 1 << 20
)

// parseTrace reads the log's lines into events.
func parseTrace(log []string) []event {
	if len(log) > maxTraceLines {
		// A program the verifier gave up on logs a line per
		// instruction it walked (a million): what explains the end is
		// near the end.
		log = log[len(log)-maxTraceLines:]
	}
	var evs []event
	for _, raw := range log {
		l := strings.TrimSpace(raw)
		if m := evInsnRe.FindStringSubmatch(l); m != nil {
			n, err := strconv.Atoi(m[1])
			if err != nil {
				continue
			}
			text, st := m[3], ""
			if loc := stateSepRe.FindStringIndex(text); loc != nil {
				text, st = text[:loc[0]], text[loc[1]:]
			}
			var then *event
			if j := jumpThenRe.FindStringSubmatchIndex(text); j != nil {
				// "if r0 == 0x1 goto pc+6 16: R0=1 ...": the verifier
				// followed the branch at once and printed the target's
				// state on the same line.
				if to, err := strconv.Atoi(text[j[2]:j[3]]); err == nil {
					then = &event{insn: to, from: -1, full: true, states: parseStates(text[j[4]:j[5]])}
				}
				text = text[:j[0]]
			}
			evs = append(evs, event{insn: n, from: -1, op: m[2], text: strings.TrimSpace(text), states: parseStates(st)})
			if then != nil {
				evs = append(evs, *then)
			}
			continue
		}
		if m := evFromRe.FindStringSubmatch(l); m != nil {
			from, err1 := strconv.Atoi(m[1])
			to, err2 := strconv.Atoi(m[2])
			if err1 != nil || err2 != nil {
				continue
			}
			evs = append(evs, event{insn: to, from: from, full: true, states: parseStates(m[3])})
			continue
		}
		if m := evStateRe.FindStringSubmatch(l); m != nil {
			n, err := strconv.Atoi(m[1])
			if err != nil {
				continue
			}
			evs = append(evs, event{insn: n, from: -1, full: true, states: parseStates(m[2])})
		}
	}
	return evs
}

// parseStates splits "R0_w=scalar(smin=0,var_off=(0x0; 0xff)) R6=fp-8
// fp-8=mmmm????" into R0, R6 and fp-8 (the liveness suffix dropped),
// separating at spaces outside parentheses.
func parseStates(s string) map[string]string {
	out := map[string]string{}
	depth, start := 0, 0
	flush := func(tok string) {
		tok = strings.TrimPrefix(strings.TrimSpace(tok), "frame0: ")
		if m := stateKey.FindStringSubmatch(tok); m != nil {
			out[m[1]] = m[2]
		}
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case ' ':
			if depth == 0 {
				flush(s[start:i])
				start = i + 1
			}
		}
	}
	flush(s[start:])
	return out
}

// step is an instruction on the path to the rejection with the state
// before it (what the path's trace last printed of each register and
// slot) and the changes it printed after it.
type step struct {
	insn   int
	op     string
	text   string
	before map[string]string
	after  map[string]string
}

// pathTo is the path the verifier walked to the last instruction of the
// trace: the last walk from its last resumed branch, preceded by the walk
// that reached that branch, and so on back to the program's start.
func pathTo(evs []event) []step {
	// Collect segments backwards: from the end to the last "from X to
	// Y" before it, then from the instruction X where that branch was
	// taken (its last occurrence before the resumption) to the
	// resumption before that, and so on.
	var segs [][]event
	end := len(evs)
	for guard := 0; end > 0 && guard < 10000; guard++ {
		m := -1
		for i := end - 1; i >= 0; i-- {
			if evs[i].from >= 0 {
				m = i
				break
			}
		}
		if m < 0 {
			segs = append(segs, evs[:end])
			break
		}
		segs = append(segs, evs[m:end])
		// The branch instruction itself, on the earlier walk.
		x := -1
		for i := m - 1; i >= 0; i-- {
			if evs[i].from < 0 && !evs[i].full && evs[i].insn == evs[m].from {
				x = i
				break
			}
		}
		if x < 0 {
			break
		}
		end = x + 1
		// The branch's own changes describe the fall-through; the
		// resumed state replaces them.
	}
	// Only the last maxPathSteps instructions are kept.
	// segs[0] is the last segment; the oldest one kept keeps its end.
	first, n := len(segs)-1, 0
	for i := 0; i < len(segs); i++ {
		n += len(segs[i])
		if n > maxPathSteps {
			segs[i] = segs[i][n-maxPathSteps:]
			first = i
			break
		}
	}
	var path []step
	cur := map[string]string{}
	for i := first; i >= 0; i-- {
		for _, e := range segs[i] {
			if e.full {
				if e.from >= 0 || len(cur) == 0 {
					cur = copyStates(e.states)
				} else {
					for k, v := range e.states {
						cur[k] = v
					}
				}
				continue
			}
			s := step{insn: e.insn, op: e.op, text: e.text, before: copyStates(cur), after: e.states}
			if e.op == "85" {
				// A call clobbers the caller-saved registers.
				for _, r := range []string{"R0", "R1", "R2", "R3", "R4", "R5"} {
					delete(cur, r)
				}
			}
			for k, v := range e.states {
				cur[k] = v
			}
			path = append(path, s)
		}
	}
	return path
}

func copyStates(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// An instruction's shape, as the verifier prints it.
var (
	movRegRe   = regexp.MustCompile(`^([rw]\d+) = ([rw]\d+)$`)
	aluRegRe   = regexp.MustCompile(`^([rw]\d+) (?:[-+*/%&|^]|<<|>>|s>>)= ([rw]\d+)$`)
	aluImmRe   = regexp.MustCompile(`^([rw]\d+) (?:[-+*/%&|^]|<<|>>|s>>)= (-?(?:0x)?[0-9a-f]+)$`)
	defRe      = regexp.MustCompile(`^([rw]\d+) = `)
	loadRe     = regexp.MustCompile(`^([rw]\d+) = \*\(\w+ \*\)\((r\d+) ([-+]\d+)\)$`)
	storeRe    = regexp.MustCompile(`^\*\(\w+ \*\)\((r\d+) ([-+]\d+)\) = ([rw]\d+)$`)
	condRe     = regexp.MustCompile(`^if ([rw]\d+) (\S+) ([rw]\d+|-?(?:0x)?[0-9a-f]+) goto`)
	callRe     = regexp.MustCompile(`^call (\w+?)(?:#\d+)?$`)
	memOpRe    = regexp.MustCompile(`\*\(\w+ \*\)\((r\d+) [-+]\d+\)`)
	regNameRe  = regexp.MustCompile(`^[rw](\d+)$`)
	stateIDRe  = regexp.MustCompile(`[(,]id=(\d+)`)
	stateRefRe = regexp.MustCompile(`ref_obj_id=(\d+)`)
)

// regKey is the state key of an instruction's register name: "w3" and
// "r3" are both R3.
func regKey(r string) string {
	if m := regNameRe.FindStringSubmatch(r); m != nil {
		return "R" + m[1]
	}
	return ""
}

// slotKey is the state key of the stack slot at r10+off ("fp-8"), for
// an 8-byte aligned offset.
func slotKey(base, off string) string {
	if base != "r10" {
		return ""
	}
	n, err := strconv.Atoi(off)
	if err != nil || n >= 0 {
		return ""
	}
	n = -n
	n = (n + 7) / 8 * 8
	return "fp-" + strconv.Itoa(n)
}

// callee is the function a call instruction calls, "bpf_map_lookup_elem".
func (s step) callee() string {
	if m := callRe.FindStringSubmatch(s.text); m != nil {
		return m[1]
	}
	return ""
}

// stateID is the id= of a register state, 0 when none.
func stateID(st string) int {
	if m := stateIDRe.FindStringSubmatch(st); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// sources walks the path back from step i (exclusive) and calls visit
// for each earlier step with the set of registers and slots whose values
// flow into the keys of want at step i. visit returning true stops the
// walk. Moves and arithmetic with a register extend the set; a
// definition from a constant, a load or a call ends its key.
func sources(path []step, i int, want []string, visit func(j int, set map[string]bool) bool) {
	set := map[string]bool{}
	for _, k := range want {
		if k != "" {
			set[k] = true
		}
	}
	for j := i - 1; j >= 0 && len(set) > 0; j-- {
		if visit(j, set) {
			return
		}
		t := path[j].text
		switch {
		case condRe.MatchString(t):
		case movRegRe.MatchString(t):
			m := movRegRe.FindStringSubmatch(t)
			if d := regKey(m[1]); set[d] {
				delete(set, d)
				set[regKey(m[2])] = true
			}
		case aluRegRe.MatchString(t):
			m := aluRegRe.FindStringSubmatch(t)
			if set[regKey(m[1])] {
				set[regKey(m[2])] = true
			}
		case aluImmRe.MatchString(t):
		case loadRe.MatchString(t):
			m := loadRe.FindStringSubmatch(t)
			if d := regKey(m[1]); set[d] {
				delete(set, d)
				if sk := slotKey(m[2], m[3]); sk != "" {
					set[sk] = true
				}
			}
		case storeRe.MatchString(t):
			m := storeRe.FindStringSubmatch(t)
			if sk := slotKey(m[1], m[2]); sk != "" && set[sk] {
				delete(set, sk)
				set[regKey(m[3])] = true
			}
		case defRe.MatchString(t):
			delete(set, regKey(defRe.FindStringSubmatch(t)[1]))
		case path[j].op == "85":
			delete(set, "R0")
		}
	}
}
