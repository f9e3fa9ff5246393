package agent

import (
	"errors"
	"regexp"
	"strings"

	"github.com/kgent/kgent/analysis"
)

// Why a reply has no usable program. The agent feeds the message back to
// the model and counts the reply as a failed attempt.
var (
	errNoCode    = errors.New("no fenced code block in the reply")
	errUnclosed  = errors.New("the code block is not closed (was the reply cut off?)")
	errEmptyCode = errors.New("the code block is empty")
)

// wrongLang is a reply in the other language.
type wrongLang struct{ got, want analysis.Dialect }

func (e wrongLang) Error() string {
	name := func(d analysis.Dialect) string {
		if d == analysis.DialectC {
			return "C"
		}
		return "bpftrace"
	}
	return "the reply is " + name(e.got) + ", not " + name(e.want)
}

var (
	fenceRe = regexp.MustCompile("(?s)```[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n(.*?)```")
	cHint   = regexp.MustCompile(`(?m)SEC\s*\(|^\s*#\s*include\b|\bbpf_helpers\.h\b|^\s*(static\s+)?(__always_inline\s+)?(int|void|long|__u32|u32)\s+\w+\s*\(`)
	btHint  = regexp.MustCompile(`(?m)^\s*(BEGIN|END|tracepoint:|t:|kprobe:|k:|kretprobe:|kr:|uprobe:|u:|uretprobe:|ur:|usdt:|U:|interval:|i:|profile:|p:|software:|s:|hardware:|h:|rawtracepoint:|rt:|kfunc:|f:|fentry:|kretfunc:|fr:|fexit:|watchpoint:|w:|iter:|it:)`)
)

// guessLang says which language code is in; DialectNone when unclear.
func guessLang(code string) analysis.Dialect {
	c, bt := cHint.MatchString(code), btHint.MatchString(code)
	switch {
	case c && !bt:
		return analysis.DialectC
	case bt && !c:
		return analysis.DialectBpftrace
	case c && bt:
		// bpftrace scripts may #include kernel headers; SEC() settles it.
		if strings.Contains(code, "SEC(") {
			return analysis.DialectC
		}
		return analysis.DialectBpftrace
	}
	return analysis.DialectNone
}

func tagLang(tag string) analysis.Dialect {
	switch strings.ToLower(tag) {
	case "c", "bpf", "ebpf", "cpp", "h":
		return analysis.DialectC
	case "bpftrace", "bt":
		return analysis.DialectBpftrace
	}
	return analysis.DialectNone
}

// extractCode takes the program in lang out of a model's reply: the
// first fenced block in that language (by its tag, else by its content).
func extractCode(reply string, lang analysis.Dialect) (string, error) {
	blocks := fenceRe.FindAllStringSubmatch(reply, -1)
	if len(blocks) == 0 {
		if strings.Count(reply, "```") == 1 {
			return "", errUnclosed
		}
		return "", errNoCode
	}
	var firstErr error
	for _, m := range blocks {
		tag, code := m[1], m[2]
		if strings.TrimSpace(code) == "" {
			if firstErr == nil {
				firstErr = errEmptyCode
			}
			continue
		}
		got := tagLang(tag)
		if g := guessLang(code); g != analysis.DialectNone {
			got = g
		} else if got == analysis.DialectNone && tag != "" {
			continue // a shell command, a JSON sample, output
		}
		if got == lang || got == analysis.DialectNone {
			return code, nil
		}
		if firstErr == nil {
			firstErr = wrongLang{got: got, want: lang}
		}
	}
	if firstErr == nil {
		firstErr = errNoCode // only blocks of other languages (shell, output)
	}
	return "", firstErr
}
