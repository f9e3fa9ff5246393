package verify

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/kgent/kgent/analysis"
)

// bpftrace prints errors as FILE:LINE:COL[-COL]: ERROR: message.
var btErrRe = regexp.MustCompile(`^(?:[^:\n]*):(\d+):(\d+)(?:-(\d+))?: ERROR: (.*)$`)
var btPlainErrRe = regexp.MustCompile(`^ERROR: (.*)$`)

func (v *Verifier) verifyBpftrace(ctx context.Context, path, text string) Result {
	var r Result
	bt, err := lookTool(v.opts.BpftracePath, "bpftrace")
	if err != nil {
		r.Findings = []analysis.Finding{unavailable("bpftrace is not installed (apt-get install bpftrace)")}
		return r
	}
	if os.Geteuid() != 0 {
		r.Findings = []analysis.Finding{unavailable("bpftrace's semantic pass needs root (it reads kernel BTF and tracefs as root); run as root")}
		return r
	}
	tmp, err := os.MkdirTemp("", "kgent-bt-")
	if err != nil {
		r.Findings = []analysis.Finding{unavailable(err.Error())}
		return r
	}
	defer os.RemoveAll(tmp)
	name := "script.bt"
	if path != "" && path != "-" {
		name = filepath.Base(path)
	}
	src := filepath.Join(tmp, name)
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		r.Findings = []analysis.Finding{unavailable(err.Error())}
		return r
	}
	out, runErr := v.run(ctx, tmp, bt, "--emit-elf", filepath.Join(tmp, "out.o"), src)
	r.Log = out
	idx := analysis.NewLineIndex(text)
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "RLIMIT_MEMLOCK") {
			continue // printed on every run, even successful ones
		}
		if m := btErrRe.FindStringSubmatch(line); m != nil {
			ln, _ := strconv.Atoi(m[1])
			c1, _ := strconv.Atoi(m[2])
			c2 := c1 + 1
			if m[3] != "" {
				c2, _ = strconv.Atoi(m[3])
			}
			start := idx.LineStart(ln-1) + c1 - 1
			end := idx.LineStart(ln-1) + c2 - 1
			if end <= start {
				end = start + 1
			}
			f := analysis.New(analysis.KG603, analysis.Span{Start: start, End: min(end, idx.LineEnd(ln-1))}, m[4])
			f.Source = analysis.SourceBpftrace
			r.Findings = append(r.Findings, f)
			continue
		}
		if m := btPlainErrRe.FindStringSubmatch(strings.TrimSpace(line)); m != nil && runErr != nil {
			f := analysis.New(analysis.KG603, analysis.Span{}, m[1])
			f.Source = analysis.SourceBpftrace
			r.Findings = append(r.Findings, f)
		}
	}
	if runErr != nil && !analysis.HasErrors(r.Findings) {
		f := analysis.New(analysis.KG603, analysis.Span{}, "bpftrace failed: "+firstLine(strings.TrimSpace(out+" "+runErr.Error())))
		f.Source = analysis.SourceBpftrace
		r.Findings = append(r.Findings, f)
	}
	return r
}
