package pipeline

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// The mistakes corpus (testdata/mistakes): programs of the kind models
// and newcomers write, each with one realistic mistake, and valid
// programs that look suspicious. Each file opens with comment lines:
//
//	// mistake: what is wrong, in a few words   (or: // valid: why it looks wrong but is not)
//	// clang: ok | error: FRAGMENT              (C: what the real clang says)
//	// verifier: loaded | rejected: FRAGMENT | not reached | unavailable: FRAGMENT
//	// release: 0.23                            (bpftrace: the release checked, default 0.17)
//	// bpftrace: ok | error: FRAGMENT           (bpftrace: what that real release says)
//
// FRAGMENT is a piece of the tool's own output. The mistake's line carries
// a `want:` comment (analysis.ParseWants). TestMistakesCaught checks them
// statically (nothing compiled, nothing loaded); TestMistakesVerdicts
// re-runs the real tools and fails when a recorded verdict is not what the
// tool says, and counts how many mistakes `--fix` (FixAll) makes valid.

const mistakesDir = "../../testdata/mistakes"

type mistake struct {
	path, text string
	valid      bool   // a valid program (header "valid:")
	what       string // the header's description
	release    string // bpftrace release checked ("0.17" when not named)
	verdicts   map[string]string
}

var mistakeHeaderRe = regexp.MustCompile(`^\s*(?://|#)\s*(mistake|valid|clang|verifier|bpftrace|release):\s*(.*?)\s*$`)

func readMistakes(t *testing.T) []mistake {
	t.Helper()
	var out []mistake
	for _, glob := range []string{"c/*.bpf.c", "bt/*.bt"} {
		files, err := filepath.Glob(filepath.Join(mistakesDir, glob))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m := mistake{path: path, text: string(data), release: "0.17", verdicts: map[string]string{}}
			kind := ""
			for _, line := range strings.Split(m.text, "\n") {
				h := mistakeHeaderRe.FindStringSubmatch(line)
				if h == nil {
					break
				}
				switch h[1] {
				case "mistake", "valid":
					kind, m.what, m.valid = h[1], h[2], h[1] == "valid"
				case "release":
					m.release = h[2]
				default:
					m.verdicts[h[1]] = h[2]
				}
			}
			if kind == "" || m.what == "" {
				t.Errorf("%s: no `mistake:` or `valid:` header line", path)
			}
			tools := []string{"clang", "verifier"}
			if strings.HasSuffix(path, ".bt") {
				tools = []string{"bpftrace"}
			}
			for _, tool := range tools {
				if m.verdicts[tool] == "" {
					t.Errorf("%s: no `%s:` verdict recorded", path, tool)
				}
			}
			if !kb.BpftraceKnown(m.release) {
				t.Errorf("%s: release %q is not one kgent knows", path, m.release)
			}
			out = append(out, m)
		}
	}
	return out
}

// mistakePipeline checks as `kgent check` does on this machine, with the
// file's bpftrace release configured.
func mistakePipeline(t *testing.T, k *kb.KB, release string) *Pipeline {
	return New(Config{Settings: Settings{BpftraceVersion: release}, Origin: map[string]string{"bpftraceVersion": FromEnv}}, k)
}

// TestMistakesCaught: every mistake is flagged statically on its line
// (an error, or a warning where the tool's rejection depends on what a
// static check cannot know), with nothing else; every valid program gets
// no error and no warning it does not want.
func TestMistakesCaught(t *testing.T) {
	k := testenv.HostKB(t)
	ms := readMistakes(t)
	if len(ms) == 0 {
		t.Fatalf("no programs under %s", mistakesDir)
	}
	var mistakes, valid, asError, asWarning int
	for _, m := range ms {
		t.Run(strings.TrimPrefix(m.path, mistakesDir+"/"), func(t *testing.T) {
			p := mistakePipeline(t, k, m.release)
			snap, err := p.Analyze(context.Background(), Document{Path: m.path, Text: m.text})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range analysis.MatchWants(m.text, snap.Static) {
				t.Error(d)
			}
			wants := analysis.ParseWants(m.text)
			if m.valid {
				valid++
				for _, f := range snap.Static {
					if f.Severity == analysis.Error {
						t.Errorf("a valid program got an error: %s %s", f.Code, f.Message)
					}
				}
				return
			}
			mistakes++
			if len(wants) == 0 {
				t.Fatalf("a mistake with no want: comment on its line")
			}
			lines := map[int]bool{}
			for _, w := range wants {
				lines[w.Line] = true
			}
			sev := analysis.Hint
			for _, f := range snap.Static {
				if lines[snap.Lines().Position(f.Span.Start).Line] && f.Severity < sev {
					sev = f.Severity
				}
			}
			switch sev {
			case analysis.Error:
				asError++
			case analysis.Warning:
				asWarning++
			default:
				t.Errorf("the mistake (%s) is not flagged as an error or a warning on its line", m.what)
			}
		})
	}
	t.Logf("%d mistakes: %d flagged as errors, %d as warnings on the mistake's line; %d valid programs", mistakes, asError, asWarning, valid)
}

// toolVerdicts runs the real tools on text: clang and the host's verifier
// for C, the file's bpftrace release for a script.
func toolVerdicts(t *testing.T, v *verify.Verifier, path, text string) (map[string]string, string) {
	d := analysis.Detect(path, text)
	r := v.Verify(context.Background(), path, text, d)
	got := map[string]string{}
	first := func(src string) (string, bool) {
		for _, f := range r.Findings {
			if f.Source == src && f.Severity == analysis.Error {
				return f.Message, true
			}
		}
		return "", false
	}
	if d == analysis.DialectBpftrace {
		if msg, bad := first(analysis.SourceBpftrace); bad {
			got["bpftrace"] = "error: " + msg
		} else if r.Unavailable != "" {
			got["bpftrace"] = "unavailable: " + r.Unavailable
		} else {
			got["bpftrace"] = "ok"
		}
		return got, r.Log
	}
	switch msg, bad := first(analysis.SourceClang); {
	case bad:
		got["clang"], got["verifier"] = "error: "+msg, "not reached"
	case r.Unavailable != "":
		got["clang"], got["verifier"] = "ok", "unavailable: "+r.Unavailable
	default:
		got["clang"] = "ok"
		if msg, bad := first(analysis.SourceVerifier); bad {
			got["verifier"] = "rejected: " + msg
		} else {
			got["verifier"] = "loaded"
		}
	}
	return got, r.Log
}

// verdictMatches: the recorded verdict names the same outcome, and its
// fragment is in the tool's output.
func verdictMatches(recorded, got, log string) bool {
	rk, rfrag, _ := strings.Cut(recorded, ":")
	gk, _, _ := strings.Cut(got, ":")
	if strings.TrimSpace(rk) != strings.TrimSpace(gk) {
		return false
	}
	frag := strings.TrimSpace(rfrag)
	return frag == "" || strings.Contains(got, frag) || strings.Contains(log, frag)
}

// TestMistakesVerdicts re-runs the real tools on every program of the
// corpus and compares with the recorded verdicts; then applies FixAll to
// each mistake and counts the fixed programs the real tools accept.
func TestMistakesVerdicts(t *testing.T) {
	k := testenv.HostKB(t, testenv.BPF, testenv.Clang, testenv.Headers, testenv.Bpftrace)
	sys, err := exec.LookPath("bpftrace")
	if err != nil {
		t.Fatal(err)
	}
	bins := map[string]string{kb.BpftraceMajorMinor(mustToolVersion(t, sys)): sys}
	for _, full := range testenv.BpftraceReleases {
		bins[kb.BpftraceMajorMinor(full)] = testenv.BpftraceRelease(t, full)
	}
	verifiers := map[string]*verify.Verifier{}
	verifierFor := func(release string) *verify.Verifier {
		if v, ok := verifiers[release]; ok {
			return v
		}
		bin, ok := bins[release]
		if !ok {
			t.Fatalf("no real bpftrace %s here (have %v)", release, bins)
		}
		v := verify.New(verify.Options{KB: k, BpftracePath: bin, CacheDir: filepath.Join(os.TempDir(), "kgent-verify-test")})
		verifiers[release] = v
		return v
	}
	var mistakes, fixedSome, madeValid int
	var stillBad []string
	for _, m := range readMistakes(t) {
		t.Run(strings.TrimPrefix(m.path, mistakesDir+"/"), func(t *testing.T) {
			v := verifierFor(m.release)
			got, log := toolVerdicts(t, v, m.path, m.text)
			tools := make([]string, 0, len(got))
			for tool := range got {
				tools = append(tools, tool)
			}
			sort.Strings(tools)
			accepted := true
			for _, tool := range tools {
				if !verdictMatches(m.verdicts[tool], got[tool], log) {
					t.Errorf("%s: recorded %q, the real tool says %q\n%s", tool, m.verdicts[tool], got[tool], log)
				}
				if g := got[tool]; g != "ok" && g != "loaded" {
					accepted = false
				}
			}
			if m.valid {
				if !accepted {
					t.Errorf("a valid program is not accepted by the real tools: %v", got)
				}
				return
			}
			mistakes++
			p := mistakePipeline(t, k, m.release)
			fixed, applied, _, err := p.FixAll(context.Background(), Document{Path: m.path, Text: m.text}, FixOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(applied) == 0 {
				stillBad = append(stillBad, filepath.Base(m.path)+" (no fix)")
				return
			}
			fixedSome++
			after, _ := toolVerdicts(t, v, m.path, fixed)
			ok := true
			for _, g := range after {
				ok = ok && (g == "ok" || g == "loaded")
			}
			if ok {
				madeValid++
			} else {
				stillBad = append(stillBad, fmt.Sprintf("%s (after %d fixes: %v)", filepath.Base(m.path), len(applied), after))
			}
		})
	}
	t.Logf("--fix: %d mistakes, %d got fixes, %d of them accepted by the real tools afterwards", mistakes, fixedSome, madeValid)
	for _, s := range stillBad {
		t.Logf("  not made valid: %s", s)
	}
}

func mustToolVersion(t *testing.T, path string) string {
	v, err := kb.ToolVersion(path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
