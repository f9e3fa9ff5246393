package agent

import (
	"regexp"
	"strings"
)

// keyword is a word of the request the program should honour, with the
// spellings that count as mentioning it.
type keyword struct {
	Kind string // event, field, filter
	Word string
	Alts []string
}

// keyWords: events and fields a request names, in English and a few
// Chinese words, with the spellings an explanation may use.
var keyWords = []keyword{
	{"event", "open", []string{"open"}}, {"event", "read", []string{"read"}}, {"event", "write", []string{"write"}},
	{"event", "connect", []string{"connect"}}, {"event", "accept", []string{"accept"}}, {"event", "exec", []string{"exec"}},
	{"event", "exit", []string{"exit"}}, {"event", "fork", []string{"fork", "clone", "new process"}},
	{"event", "kill", []string{"kill", "signal"}}, {"event", "signal", []string{"signal", "kill"}},
	{"event", "tcp", []string{"tcp"}}, {"event", "udp", []string{"udp"}}, {"event", "unlink", []string{"unlink", "delet", "remov"}},
	{"event", "rename", []string{"rename"}}, {"event", "mmap", []string{"mmap", "map"}}, {"event", "page fault", []string{"fault"}},
	{"event", "disk", []string{"disk", "block", "i/o", "io "}}, {"event", "block", []string{"block", "disk", "i/o"}},
	{"event", "malloc", []string{"malloc", "alloc"}}, {"event", "readline", []string{"readline", "bash", "shell"}},
	{"event", "context switch", []string{"switch", "sched"}}, {"event", "packet", []string{"packet", "skb", "xdp", "traffic"}},
	{"event", "irq", []string{"irq", "interrupt"}}, {"event", "retransmit", []string{"retransmi"}},
	{"field", "latency", []string{"latency", "duration", "time", "elapsed"}}, {"field", "bytes", []string{"byte", "size", "length"}},
	{"field", "filename", []string{"file", "path"}}, {"field", "error", []string{"error", "errno", "fail", "return"}},
	{"field", "uid", []string{"uid", "user"}}, {"field", "stack", []string{"stack"}},
	{"field", "pid", []string{"pid", "process id", "process"}}, {"field", "comm", []string{"comm", "command", "process name", "name"}},
	{"field", "port", []string{"port"}}, {"field", "address", []string{"address", "ip", "addr"}},
	// Chinese requests.
	{"event", "打开", []string{"open"}}, {"event", "连接", []string{"connect"}}, {"event", "信号", []string{"signal", "kill"}},
	{"event", "磁盘", []string{"disk", "block", "i/o"}}, {"field", "延迟", []string{"latency", "duration", "time"}},
	{"event", "执行", []string{"exec"}}, {"event", "退出", []string{"exit"}}, {"event", "读", []string{"read"}}, {"event", "写", []string{"write"}},
}

var (
	reqWordRe = regexp.MustCompile(`[\p{L}\p{N}_]+`)
	quotedRe  = regexp.MustCompile(`["'“]([^"'”]{1,40})["'”]`)
)

// requestKeywords finds the events, fields and filters a request names.
func requestKeywords(request string) []keyword {
	rq := strings.ToLower(request)
	words := map[string]bool{}
	for _, w := range reqWordRe.FindAllString(rq, -1) {
		words[w] = true
	}
	has := func(w string) bool {
		if strings.ContainsRune(w, ' ') || !isASCII(w) {
			return strings.Contains(rq, w)
		}
		// A word or its inflections: open, opens, opened, opening.
		for got := range words {
			if got == w || strings.HasPrefix(got, w) && len(got) <= len(w)+3 {
				return true
			}
		}
		return false
	}
	var out []keyword
	for _, k := range keyWords {
		if has(k.Word) {
			out = append(out, k)
		}
	}
	if m := pidRe.FindStringSubmatch(request); m != nil {
		out = append(out, keyword{"filter", "pid " + m[1], []string{m[1]}})
	}
	if m := commRe.FindStringSubmatch(request); m != nil {
		out = append(out, keyword{"filter", m[1], []string{strings.ToLower(m[1])}})
	} else if m := quotedRe.FindStringSubmatch(request); m != nil {
		out = append(out, keyword{"filter", m[1], []string{strings.ToLower(m[1])}})
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// mismatches lists the request's key words that neither the explanation
// nor the program mentions; a filter must be in the program.
func mismatches(request, explanation, program string) []string {
	ex, prog := strings.ToLower(explanation), strings.ToLower(program)
	var out []string
	for _, k := range requestKeywords(request) {
		found := false
		for _, a := range k.Alts {
			if k.Kind == "filter" {
				found = found || strings.Contains(prog, a)
			} else {
				found = found || strings.Contains(ex, a) || strings.Contains(prog, a)
			}
		}
		if !found {
			out = append(out, k.Kind+" "+k.Word)
		}
	}
	return out
}

// mismatchNote is the note shown beside the program.
func mismatchNote(ms []string) string {
	return "the description does not match the request: no mention of " + strings.Join(ms, ", ") + "; check the program does what was asked"
}
