package bpftrace

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// The parser differential: generated programs (gen_test.go) and mutants
// of real scripts go through the parser of each real release and through
// kgent checking against that release, and the two verdicts on the syntax
// must agree. A release's parse verdict is read from its debug output:
// the AST after parsing is printed (0.17: -d, 0.23: -d ast, 0.27: -d ast,
// each in a mode that does not attach) only when the parser accepted the
// script (0.27's attach points after their own pass, parse-attachpoints), and a refusal by the parser is an error of the lexer or the
// grammar ("syntax error, unexpected ..." up to 0.23, "syntax: ..." from
// 0.27, an unterminated string or comment, an invalid character). Other
// errors before the AST come from the attach point parser, which 0.17
// and 0.23 run once the grammar accepted the script (a wrong argument
// count, an invalid probe type: these releases drop white space inside
// attach points, so `BEGIN assert {` is the probe type BEGINassert):
// refused, but not by the grammar, so kgent's verdict is not judged
// there. An unknown function (0.17 and 0.23 stop parsing there) or a
// failing preprocessor leaves the script unjudged.
//
// Every disagreement found becomes a case under testdata/parse (its
// first line records each release's verdict), which TestParseCases checks
// without bpftrace.

// parseMarkers are the lines 0.17 and 0.23 print with the AST after
// parsing.
var parseMarkers = []string{"AST after: parser"}

// parseArgs runs the release's parser and prints the AST, without
// attaching anything.
func (r btRelease) parseArgs(dir, script string) []string {
	switch {
	case strings.HasPrefix(r.full, "0.17"):
		return []string{"-d", script} // -d is a dry run in 0.17
	case strings.HasPrefix(r.full, "0.23"):
		return []string{"-d", "ast", "--emit-elf", filepath.Join(dir, "out.o"), script}
	}
	return []string{"-d", "ast", "--mode", "codegen", script}
}

// syntaxMessages are the errors of a release's lexer and grammar.
// Up to 0.23 some come from the grammar's actions (an increment of
// something else than a variable or a map).
var syntaxMessages = regexp.MustCompile(`ERROR: (syntax error|syntax:|unterminated string|end of file during comment|unterminated comment|invalid character|unexpected end of file|Invalid escape|invalid escape|Invalid integer|invalid integer|The (\+\+|--) operator must be applied to a map or variable)`)

// attachMessages are errors of the attach point parser, which 0.17 and
// 0.23 run once the grammar accepted the whole script.
var attachMessages = regexp.MustCompile(`probe type requires|is not an accepted unit|Invalid probe type|No attach points for probe|tracepoint not found|could not read traceable functions`)

// parseVerdict is the release's verdict on the script's syntax:
// "parsed", "syntax: FIRST ERROR", "attach: FIRST ERROR" or
// "unjudged: WHY".
func (r btRelease) parseVerdict(dir, script string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.path, r.parseArgs(dir, script)...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return "unjudged: " + err.Error()
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); pw.Close(); close(done) }()
	var errs []string
	parsed := false
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	// 0.27 parses attach points in a pass of their own, after the
	// grammar's (and the config's and the imports'): a script is judged
	// once that pass is over, as the older releases' AST comes after
	// theirs.
	newer := kb.VersionAtLeast(r.version(), "0.27")
	grammar := false
	for sc.Scan() {
		l := sc.Text()
		if newer && !grammar && l == "AST after: parse" {
			grammar = true
		}
		if !parsed && (!newer && slicesHasPrefix(l, parseMarkers) || newer && l == "AST after: parse-attachpoints") {
			// Past the parser: the rest (semantics, codegen) is not
			// wanted.
			parsed = true
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		if strings.Contains(l, "ERROR") && !strings.Contains(l, "RLIMIT_MEMLOCK") {
			errs = append(errs, strings.TrimSpace(strings.ReplaceAll(l, script, filepath.Base(script))))
		}
	}
	io.Copy(io.Discard, pr)
	<-done
	if ctx.Err() != nil && !parsed {
		return "unjudged: timed out"
	}
	for _, e := range errs {
		if syntaxMessages.MatchString(e) {
			return "syntax: " + e
		}
	}
	if parsed {
		return "parsed"
	}
	if len(errs) == 0 {
		return "unjudged: no AST and no error"
	}
	if attachMessages.MatchString(errs[0]) {
		return "attach: " + errs[0]
	}
	if grammar {
		// The grammar took it; the config's or the imports' pass did
		// not.
		return "parsed"
	}
	return "unjudged: " + errs[0]
}

func slicesHasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// postParse are kgent's KG100 findings on rules bpftrace checks after
// parsing (in its semantic passes): they do not count as kgent's syntax
// verdict.
var postParse = regexp.MustCompile(`^(unroll takes|exit\(\) inside a loop|break and continue in for loops|.* is not a map kind|import .*: no such file|unknown config key|config key )`)

// syntaxErrors are kgent's syntax findings on src checked against
// release (major.minor): the parser's and the release rules' KG100.
func syntaxErrors(src, release string) []string {
	var out []string
	for _, f := range Check(src, Options{Version: release}) {
		if f.Code == analysis.KG100 && !postParse.MatchString(f.Message) {
			out = append(out, fmt.Sprintf("%d: %s", f.Span.Start, f.Message))
		}
	}
	return out
}

// diffProgram is one program of the differential.
type diffProgram struct {
	name, src, origin string
}

// diffPrograms are n generated programs and m mutants of the scripts
// under the given directories.
func diffPrograms(t *testing.T, n, m int, corpus []string) []diffProgram {
	var out []diffProgram
	from := envInt("KGENT_DIFF_FROM", 0) // the first seed
	for i := from; i < from+n; i++ {
		out = append(out, diffProgram{name: fmt.Sprintf("gen%05d.bt", i), src: genProgram(uint64(i)), origin: fmt.Sprintf("generated, seed %d", i)})
	}
	if len(corpus) == 0 {
		return out
	}
	srcs := make([]string, len(corpus))
	for i, p := range corpus {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		srcs[i] = string(data)
	}
	for i := from; i < from+m; i++ {
		k := i % len(corpus)
		src, what := mutate(srcs[k], uint64(i))
		out = append(out, diffProgram{name: fmt.Sprintf("mut%05d.bt", i), src: src, origin: fmt.Sprintf("mutant %d of %s (%s)", i, corpus[k], what)})
	}
	return out
}

// mutationCorpus are the scripts the mutants come from: the release
// matrix's scripts, the examples, this package's fixtures and the tools
// each release ships.
func mutationCorpus(rels []btRelease) []string {
	var out []string
	for _, g := range []string{"../../testdata/bpftrace-releases/*.bt", "../../kb/examples/*/prog.bt", "testdata/*.bt"} {
		m, _ := filepath.Glob(g)
		out = append(out, m...)
	}
	for _, r := range rels {
		if !strings.HasPrefix(r.path, "/usr/") {
			m, _ := filepath.Glob(filepath.Join(filepath.Dir(r.path), "root", "usr", "sbin", "*.bt"))
			out = append(out, m...)
		}
	}
	sort.Strings(out)
	return out
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v >= 0 {
		return v
	}
	return def
}

// diffOutcome counts one release's verdicts against kgent's.
type diffOutcome struct {
	parsed, refused, attach, unjudged int
	falseErrs, missed                 int
	report                            []string
}

// TestParserDifferential runs generated programs and mutants
// (KGENT_DIFF_GEN and KGENT_DIFF_MUT of them, from seed KGENT_DIFF_FROM;
// KGENT_DIFF_OUT=dir keeps
// the disagreeing programs there) and the committed cases through each
// release's parser and through kgent at that release. kgent must report
// no syntax error on a program the release parses, and flag at least
// minSyntaxFlagged of those its parser refuses. The committed cases'
// recorded verdicts must not drift.
//
// A program that no release parses is as useful as one they all do:
// the generator writes each program mostly in one release's language,
// and the mutants are mostly refused.
func TestParserDifferential(t *testing.T) {
	testenv.Short(t, "runs some thousand programs through three real bpftrace releases (minutes)")
	testenv.Require(t, testenv.BPF)
	rels := releaseBinaries(t)
	progs := diffPrograms(t, envInt("KGENT_DIFF_GEN", 360), envInt("KGENT_DIFF_MUT", 240), mutationCorpus(rels))
	cases := parseCases(t)
	for _, c := range cases {
		progs = append(progs, diffProgram{name: "case-" + c.name, src: c.src, origin: "testdata/parse/" + c.name})
	}
	dir := t.TempDir()
	for _, p := range progs {
		if err := os.WriteFile(filepath.Join(dir, p.name), []byte(p.src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	type job struct{ r, p int }
	verdicts := make([][]string, len(rels))
	for i := range verdicts {
		verdicts[i] = make([]string, len(progs))
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work := filepath.Join(dir, fmt.Sprintf("w%d", w))
			os.MkdirAll(work, 0o755)
			for j := range jobs {
				verdicts[j.r][j.p] = rels[j.r].parseVerdict(work, filepath.Join(dir, progs[j.p].name))
			}
		}()
	}
	for p := range progs {
		for r := range rels {
			jobs <- job{r, p}
		}
	}
	close(jobs)
	wg.Wait()

	if os.Getenv("KGENT_UPDATE_PARSE") == "1" {
		// Record the releases' verdicts on the cases' first lines.
		for _, c := range cases {
			var vs []string
			for ri, r := range rels {
				v := verdicts[ri][len(progs)-len(cases)+indexOf(cases, c.name)]
				if class(v) == "unjudged" {
					t.Fatalf("testdata/parse/%s: bpftrace %s: %s", c.name, r.full, v)
				}
				vs = append(vs, r.full+"="+class(v))
			}
			_, body, _ := strings.Cut(c.src, "\n")
			path := filepath.Join("testdata", "parse", c.name)
			if err := os.WriteFile(path, []byte("// parse: "+strings.Join(vs, " ")+"\n"+body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("recorded the verdicts of %d cases", len(cases))
		return
	}
	out := os.Getenv("KGENT_DIFF_OUT")
	byName := map[string]parseCase{}
	for _, c := range cases {
		byName["case-"+c.name] = c
	}
	for ri, r := range rels {
		var o diffOutcome
		for pi, p := range progs {
			v := verdicts[ri][pi]
			if c, ok := byName[p.name]; ok {
				if want := c.verdicts[r.full]; want != class(v) {
					t.Errorf("testdata/parse/%s: bpftrace %s now says %q, the case records %q", c.name, r.full, v, want)
				}
			}
			ours := syntaxErrors(p.src, r.version())
			switch class(v) {
			case "unjudged":
				o.unjudged++
			case "attach":
				o.attach++
			case "parsed":
				o.parsed++
				if len(ours) > 0 {
					o.falseErrs++
					o.report = append(o.report, fmt.Sprintf("FALSE ERROR %s (%s) at %s: kgent %q", p.name, p.origin, r.full, ours))
					keep(t, out, p, r.full, v)
				}
			case "syntax":
				o.refused++
				if len(ours) == 0 {
					o.missed++
					o.report = append(o.report, fmt.Sprintf("MISSED %s (%s) at %s: %s", p.name, p.origin, r.full, v))
					keep(t, out, p, r.full, v)
				}
			}
		}
		sort.Strings(o.report)
		if testing.Verbose() {
			why := map[string]int{}
			for pi := range progs {
				if v := verdicts[ri][pi]; class(v) == "unjudged" || class(v) == "attach" {
					why[class(v)+": "+regexp.MustCompile(`^.*ERROR: `).ReplaceAllString(v, "")]++
				}
			}
			for w, n := range why {
				t.Logf("unjudged by %s %d times: %s", r.full, n, w)
			}
		}
		pct := 100 * float64(o.refused-o.missed) / float64(max(o.refused, 1))
		t.Logf("bpftrace %s: %d programs: the release parses %d (kgent false syntax errors: %d), refuses %d (kgent flags %d, %.1f%%), refuses %d for their attach points, %d unjudged",
			r.full, len(progs), o.parsed, o.falseErrs, o.refused, o.refused-o.missed, pct, o.attach, o.unjudged)
		for i, l := range o.report {
			if i == 60 {
				t.Logf("... %d more", len(o.report)-i)
				break
			}
			t.Log(l)
		}
		if o.falseErrs > 0 || pct < minSyntaxFlagged {
			t.Errorf("bpftrace %s: %d false syntax errors (want 0), %.1f%% of the release's syntax errors flagged (want at least %.0f%%)", r.full, o.falseErrs, pct, minSyntaxFlagged)
		}
		if o.unjudged > len(progs)/4 {
			t.Errorf("bpftrace %s: %d of %d programs unjudged: the generator or the verdict reading is off", r.full, o.unjudged, len(progs))
		}
	}
}

func indexOf(cases []parseCase, name string) int {
	for i, c := range cases {
		if c.name == name {
			return i
		}
	}
	return -1
}

// minSyntaxFlagged is the share (%) of the programs a release's parser
// refuses that kgent must flag with a syntax error.
const minSyntaxFlagged = 90.0

// keep writes a disagreeing program to dir (KGENT_DIFF_OUT), to be made a
// case.
func keep(t *testing.T, dir string, p diffProgram, release, verdict string) {
	if dir == "" {
		return
	}
	os.MkdirAll(dir, 0o755)
	text := fmt.Sprintf("// %s\n// bpftrace %s: %s\n%s", p.origin, release, verdict, p.src)
	if err := os.WriteFile(filepath.Join(dir, release+"-"+p.name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// parseCase is a committed case of the differential: a script and each
// release's parse verdict, recorded on its first line as
// `// parse: 0.17.0=parsed 0.23.2=syntax 0.27.1=parsed`.
//
// A line `// kgent misses at RELEASE: WHY` marks a syntax error of that
// release kgent knowingly does not report (a miss, never a false error):
// TestParseCases then wants none, so that fixing it drops the line.
type parseCase struct {
	name, src string
	verdicts  map[string]string
	misses    map[string]bool
}

var missLine = regexp.MustCompile(`(?m)^// kgent misses at ([0-9.]+):`)

func parseCases(t *testing.T) []parseCase {
	files, _ := filepath.Glob("testdata/parse/*.bt")
	var out []parseCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		first, _, _ := strings.Cut(src, "\n")
		rest, ok := strings.CutPrefix(first, "// parse:")
		if !ok {
			t.Fatalf("%s: the first line must be // parse: RELEASE=VERDICT ...", f)
		}
		c := parseCase{name: filepath.Base(f), src: src, verdicts: map[string]string{}, misses: map[string]bool{}}
		for _, m := range missLine.FindAllStringSubmatch(src, -1) {
			c.misses[m[1]] = true
		}
		for _, kv := range strings.Fields(rest) {
			rel, v, _ := strings.Cut(kv, "=")
			if kv == "?" {
				continue
			}
			if v != "parsed" && v != "syntax" && v != "attach" {
				t.Fatalf("%s: verdict %q of %s is not parsed, syntax or attach", f, v, rel)
			}
			c.verdicts[rel] = v
		}
		for _, rel := range []string{"0.17.0", "0.23.2", "0.27.1"} {
			if c.verdicts[rel] == "" && os.Getenv("KGENT_UPDATE_PARSE") != "1" {
				t.Fatalf("%s: no verdict of %s", f, rel)
			}
		}
		out = append(out, c)
	}
	return out
}

// TestParseCases checks kgent's syntax verdict on each committed case of
// the differential at each release against the release's recorded one,
// without bpftrace.
func TestParseCases(t *testing.T) {
	cases := parseCases(t)
	if len(cases) < 1 {
		t.Fatal("no cases under testdata/parse")
	}
	for _, c := range cases {
		for rel, want := range c.verdicts {
			ours := syntaxErrors(c.src, rel[:strings.LastIndexByte(rel, '.')])
			switch {
			case want == "parsed" && len(ours) > 0:
				t.Errorf("%s: bpftrace %s parses it; kgent reports %q", c.name, rel, ours)
			case want == "syntax" && c.misses[rel] && len(ours) > 0:
				t.Errorf("%s: kgent now reports the syntax error of %s (%q): drop the case's 'kgent misses at %s' line", c.name, rel, ours, rel)
			case want == "syntax" && !c.misses[rel] && len(ours) == 0:
				t.Errorf("%s: bpftrace %s refuses its syntax; kgent reports no syntax error", c.name, rel)
			}
		}
	}
}
