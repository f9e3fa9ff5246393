package examples

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// Scored is a search result.
type Scored struct {
	Example Example
	Score   float64
}

// synonyms maps words of requests to the words examples use.
var synonyms = map[string][]string{
	"open": {"openat"}, "opens": {"openat", "open"}, "opened": {"openat", "open"}, "file": {"files", "vfs"},
	"connect": {"connection", "connections", "syn"}, "connection": {"connect"}, "connections": {"connect"},
	"latency": {"time", "duration", "histogram"}, "slow": {"latency"}, "delay": {"latency"}, "duration": {"latency"},
	"process": {"processes", "task", "pid", "comm"}, "started": {"exec"}, "start": {"exec"},
	"packet": {"packets", "skb", "networking"}, "packets": {"skb", "networking"}, "dropped": {"drops", "drop"},
	"kill": {"signal", "signals"}, "signal": {"kill", "signals"}, "memory": {"memory", "allocation", "page"},
	"disk": {"block", "io"}, "io": {"block", "disk"}, "syscall": {"syscalls"}, "call": {"syscalls"}, "calls": {"syscalls"}, "system": {"syscalls"},
	"retransmit": {"retransmits", "retransmissions"}, "tcp": {"tcp", "networking"}, "cpu": {"cpu", "scheduling", "profile"},
	"malloc": {"malloc", "libc", "allocation"}, "typed": {"readline", "bash"}, "shell": {"bash", "readline"},
	"container": {"cgroup", "containers"}, "interrupt": {"irq", "interrupts"}, "lock": {"locks", "contention"},
	"delete": {"unlink", "deletions"}, "rename": {"renames"}, "heap": {"brk", "malloc"},
	// A few common Chinese words.
	"打开": {"open", "openat"}, "文件": {"file", "files"}, "进程": {"process", "processes"}, "延迟": {"latency"},
	"连接": {"connect", "connection", "connections"}, "网络": {"networking"}, "磁盘": {"block", "disk"}, "信号": {"signal", "signals"},
	"内存": {"memory"}, "系统调用": {"syscalls"}, "统计": {"count"}, "直方图": {"histogram", "hist"},
}

// tokens splits text into lowercase words, identifiers into their parts
// (tcp_v4_connect -> tcp, v4, connect) and keeps CJK runs whole and as
// known words.
func tokens(text string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) == 0 {
			return
		}
		w := strings.ToLower(string(cur))
		cur = cur[:0]
		out = append(out, w)
		if len(w) > 4 && strings.HasSuffix(w, "s") {
			out = append(out, strings.TrimSuffix(w, "s"))
		}
	}
	runes := []rune(text)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case unicode.Is(unicode.Han, r):
			flush()
			j := i
			for j < len(runes) && unicode.Is(unicode.Han, runes[j]) {
				j++
			}
			run := string(runes[i:j])
			for w := range synonyms {
				if strings.Contains(run, w) {
					out = append(out, w)
				}
			}
			i = j - 1
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur = append(cur, r)
		default:
			flush()
		}
	}
	flush()
	return out
}

func expand(ws []string) []string {
	out := append([]string(nil), ws...)
	for _, w := range ws {
		out = append(out, synonyms[w]...)
	}
	return out
}

// Search ranks examples for a natural-language query: words of the
// title, description, tags and probes, weighted by rarity. dialect ""
// searches both.
func Search(all []Example, query, dialect string, n int) []Scored {
	docs := make([]map[string]float64, len(all))
	df := map[string]int{}
	for i, e := range all {
		tf := map[string]float64{}
		add := func(text string, w float64) {
			for _, t := range tokens(text) {
				tf[t] += w
			}
		}
		add(e.Title, 3)
		add(e.Description, 1)
		add(strings.Join(e.Tags, " "), 2)
		add(strings.Join(e.Probes, " "), 2)
		docs[i] = tf
		for t := range tf {
			df[t]++
		}
	}
	q := expand(tokens(query))
	var out []Scored
	for i, e := range all {
		if dialect != "" && e.Dialect != dialect {
			continue
		}
		score := 0.0
		for _, t := range q {
			if tf, ok := docs[i][t]; ok {
				idf := math.Log(1 + float64(len(all))/float64(df[t]))
				score += idf * (1 + math.Log(tf))
			}
		}
		if score > 0 {
			out = append(out, Scored{Example: e, Score: score})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
