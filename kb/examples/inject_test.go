package examples

import (
	"strings"
	"testing"
)

// eventCounter is the map countEvents adds; bpftrace prints it at exit.
const eventCounter = "@kgent_test_events"

// countEvents inserts "@kgent_test_events = count();" at the start of the
// action block of every probe that is not BEGIN, END or interval, and
// returns the new source and how many blocks it instrumented. It scans
// the top level only: strings, comments and preprocessor lines are
// copied as they are.
func countEvents(src string) (string, int) {
	var b strings.Builder
	n, depth, headerStart := 0, 0, 0
	skipTo := func(i, j int) int { // copies src[i:j] and returns the new i
		j = min(j, len(src))
		b.WriteString(src[i:j])
		return j - 1
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			i = skipTo(i, j+1)
			continue
		case strings.HasPrefix(src[i:], "//"), depth == 0 && c == '#':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			i = skipTo(i, i+j)
			if depth == 0 {
				headerStart = i + 1
			}
			continue
		case strings.HasPrefix(src[i:], "/*"):
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				j = len(src)
			}
			i = skipTo(i, i+2+j+2)
			if depth == 0 {
				headerStart = i + 1
			}
			continue
		case c == '{':
			depth++
			b.WriteByte(c)
			if depth == 1 && isEventProbe(src[headerStart:i]) {
				b.WriteString(" " + eventCounter + " = count(); ")
				n++
			}
			continue
		case c == '}':
			depth--
			if depth == 0 {
				headerStart = i + 1
			}
		}
		b.WriteByte(c)
	}
	return b.String(), n
}

// isEventProbe says whether a probe header (attach points, maybe a
// predicate) names an event rather than only BEGIN, END or timers.
func isEventProbe(header string) bool {
	// The predicate starts at the first '/' after whitespace (uprobe
	// paths hold slashes too, but always right after a ':').
	for i := 1; i < len(header); i++ {
		if header[i] == '/' && strings.ContainsRune(" \t\n", rune(header[i-1])) {
			header = header[:i]
			break
		}
	}
	for _, ap := range strings.Split(header, ",") {
		ap = strings.TrimSpace(ap)
		if ap == "" || ap == "BEGIN" || ap == "END" || strings.HasPrefix(ap, "interval:") || strings.HasPrefix(ap, "i:") {
			continue
		}
		return true
	}
	return false
}

func TestCountEvents(t *testing.T) {
	src := "#include <linux/sched.h>\nBEGIN { printf(\"Tracing {\\n\"); }\n// a { comment\nuretprobe:/bin/bash:readline /pid == 1/ { @[comm] = count(); }\n" +
		"tracepoint:a:b, interval:s:1 { if (1) { x(); } }\ninterval:s:1 { print(@); }\nEND { clear(@); }\n"
	got, n := countEvents(src)
	want := "#include <linux/sched.h>\nBEGIN { printf(\"Tracing {\\n\"); }\n// a { comment\nuretprobe:/bin/bash:readline /pid == 1/ { " + eventCounter + " = count();  @[comm] = count(); }\n" +
		"tracepoint:a:b, interval:s:1 { " + eventCounter + " = count();  if (1) { x(); } }\ninterval:s:1 { print(@); }\nEND { clear(@); }\n"
	if n != 2 || got != want {
		t.Fatalf("%d blocks:\n%s", n, got)
	}
	// Every example with a trigger has an event probe to count.
	exs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exs {
		if e.Dialect == "bpftrace" && e.Trigger != "" {
			if _, n := countEvents(e.Source); n == 0 {
				t.Errorf("%s: no event probe found", e.Slug)
			}
		}
	}
}
