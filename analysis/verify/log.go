package verify

import (
	"regexp"
	"strconv"
	"strings"
)

// insnRe matches an instruction line of a verifier log, "12: (85) call
// bpf_map_lookup_elem#1", giving its index.
var insnRe = regexp.MustCompile(`^(\d+): \(`)

// failingInsn is the index of the last instruction the verifier printed,
// the one it rejected, or -1 when the log names none (rejections after
// the walk, such as the combined stack size).
func failingInsn(log []string) int {
	for i := len(log) - 1; i >= 0; i-- {
		if m := insnRe.FindStringSubmatch(strings.TrimSpace(log[i])); m != nil {
			n, err := strconv.Atoi(m[1])
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// noise are prefixes of log lines that are not the verifier's complaint:
// register states, statistics, back-tracking and source line echoes.
var noise = []string{
	"processed ", "verification time", "stack depth", ";", "from ", "cur state:", "old state:",
	"mark_precise", "last_idx", "regs=", "parent ", "func#", "-- BEGIN PROG LOAD LOG", "-- END PROG LOAD LOG",
	"Validating ", "Func#", "propagating", "live stack update",
}

var stateRe = regexp.MustCompile(`^(?:frame\d+: )?R\d+(?:_\w)?=|^\d+: R\d|^\d+: frame\d|^\d+:\s*$`)

// keySentence is the verifier's complaint: the last log line that is not
// an instruction, a register state, statistics or a source echo.
func keySentence(log []string) string {
	for i := len(log) - 1; i >= 0; i-- {
		l := strings.TrimSpace(log[i])
		if l == "" || insnRe.MatchString(l) || stateRe.MatchString(l) {
			continue
		}
		skip := false
		for _, p := range noise {
			if strings.HasPrefix(l, p) {
				skip = true
				break
			}
		}
		if !skip {
			return l
		}
	}
	return ""
}

type adviceRule struct {
	re *regexp.Regexp
	// advice is the sentence shown first; $1... expand from re.
	advice string
}

// advices translate the verifier's key sentence into what to do. The
// first match wins, so specific rules come before general ones.
var advices = []adviceRule{
	{regexp.MustCompile(`invalid mem access 'map_value_or_null'`), "map lookup result must be checked for NULL before use"},
	{regexp.MustCompile(`invalid mem access '(\w+?)_or_null\w*'`), "pointer that may be NULL ($1) must be checked for NULL before use"},
	{regexp.MustCompile(`invalid mem access '(scalar|inv)'`), "dereferences a number as a pointer: read kernel memory with bpf_probe_read_kernel() or BPF_CORE_READ()"},
	{regexp.MustCompile(`invalid access to packet|offset is outside of the packet|packet.*out of range`), "packet access out of bounds: compare data + offset with data_end before reading"},
	{regexp.MustCompile(`back-edge|infinite loop detected|loop is not bounded|unbounded loop`), "the verifier cannot prove this loop ends: give it a constant bound, or use bpf_loop() or bpf_for()"},
	{regexp.MustCompile(`BPF program is too large|program is too complex|too many states|jumps is too complex`), "the program is too complex for the verifier: bound loops more tightly, or split the program"},
	{regexp.MustCompile(`invalid (?:indirect |variable-offset )?read from stack`), "reads uninitialised stack memory: initialise the variable (or zero the buffer) before use"},
	{regexp.MustCompile(`R0 !read_ok`), "the program must set a return value before exit (R0 is uninitialised)"},
	{regexp.MustCompile(`(R\d+) !read_ok`), "reads an uninitialised value: $1 was never written before this use"},
	{regexp.MustCompile(`invalid func unknown#233685214`), "calls a __weak kfunc this kernel does not have, on a path the verifier reaches: guard the call with if (kfunc_name) so that the verifier removes it"},
	{regexp.MustCompile(`invalid func unknown#195896080|r10 = 0xbad2310`), "a CO-RE relocation failed: a field or type this line uses does not exist in the target kernel"},
	{regexp.MustCompile(`program of this type cannot use helper (\w+)`), "helper $1 is not allowed in this program type"},
	{regexp.MustCompile(`unknown func (\w+)`), "helper $1 is not allowed in this program type, or unknown to this kernel"},
	{regexp.MustCompile(`helper call is not allowed|cannot call \w+ from|not allowed in \w+ programs`), "this helper is not allowed here"},
	{regexp.MustCompile(`calling kernel function (\w+) is not allowed`), "kfunc $1 is not allowed in this program type"},
	{regexp.MustCompile(`combined stack size`), "the program uses more than 512 bytes of stack, counting every nested call"},
	{regexp.MustCompile(`stack size of \d+|invalid (?:write|read) to stack R10 off=-\d+|invalid stack off`), "the program uses more than 512 bytes of stack"},
	{regexp.MustCompile(`invalid bpf_context access|invalid ctx access|dereference of modified ctx ptr|modified ctx ptr`), "invalid access to the program context: this field cannot be accessed here, or not with this size or offset"},
	{regexp.MustCompile(`cannot call GPL-restricted function|GPL-incompatible|gpl_only`), `a GPL-only helper needs a GPL-compatible license: char LICENSE[] SEC("license") = "GPL"`},
	{regexp.MustCompile(`Unreleased reference`), "a reference is not released on every path: submit or discard each bpf_ringbuf_reserve(), release each acquired pointer"},
	{regexp.MustCompile(`min value is negative|unbounded memory access|value is outside of the allowed memory range|max value is outside`), "an index or offset is not bounded: check it against the size of the buffer or map value before the access"},
	{regexp.MustCompile(`At program exit the register R0`), "the program returns a value its program type does not allow"},
	{regexp.MustCompile(`unreachable insn`), "the program has an instruction no path reaches"},
	{regexp.MustCompile(`(R\d+) type=(\S+) expected=(\S+)`), "a helper argument has the wrong type: $1 is $2, expected $3"},
}

// advice turns the key sentence into a finding message: the advice, then
// the verifier's own words.
func advice(key string) string {
	if key == "" {
		return "the verifier rejected the program"
	}
	for _, a := range advices {
		if m := a.re.FindStringSubmatchIndex(key); m != nil {
			return string(a.re.ExpandString(nil, a.advice, key, m)) + " (verifier: " + key + ")"
		}
	}
	return "the verifier rejected the program: " + key
}

// glueRe finds the verifier's closing statistics where they follow a
// message the kernel printed without a newline ("expected prog array map
// for tail callprocessed 10 insns (limit 1000000) ...").
var glueRe = regexp.MustCompile(`(?:processed \d+ insns \(limit|verification time \d+ usec)`)

// splitLog is log with each glued message on a line of its own.
func splitLog(log []string) []string {
	var out []string
	for _, l := range log {
		for {
			loc := glueRe.FindStringIndex(l)
			if loc == nil || loc[0] == 0 {
				break
			}
			out = append(out, l[:loc[0]])
			l = l[loc[0]:]
		}
		out = append(out, l)
	}
	return out
}
