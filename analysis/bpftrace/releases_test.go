package bpftrace

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// The agreement matrix: every script under testdata/bpftrace-releases goes
// through the real bpftrace of each release (0.17 from the system, 0.23.2
// and 0.27.1 from the private prefixes scripts/bpftrace-releases.sh makes)
// and through kgent checking against the same release. The real verdicts
// are committed in expected.json and must not drift; kgent must report no
// error where the release accepts the script and flag at least 95% of the
// scripts the release refuses.
//
// KGENT_UPDATE_RELEASES=1 rewrites expected.json from the real binaries.

const releasesDir = "../../testdata/bpftrace-releases"

// btRelease is a real bpftrace and the way it compiles a script without
// attaching: --emit-elf up to 0.23 (0.27's --emit-elf runs the program),
// --mode codegen from 0.27 on.
type btRelease struct {
	full string // "0.23.2"
	path string
}

func (r btRelease) version() string { return kb.BpftraceMajorMinor(r.full) }

func (r btRelease) args(dir, script string) []string {
	if kb.VersionAtLeast(r.version(), "0.27") {
		return []string{"--mode", "codegen", script}
	}
	return []string{"--emit-elf", filepath.Join(dir, "out.o"), script}
}

// releaseBinaries are the releases the matrix runs: the system's bpftrace
// when it is 0.17, and each private prefix under .cache/bpftrace.
func releaseBinaries(t *testing.T) []btRelease {
	var out []btRelease
	if p, err := exec.LookPath("bpftrace"); err == nil {
		if v, err := kb.ToolVersion(p); err == nil && kb.BpftraceMajorMinor(v) == "0.17" {
			out = append(out, btRelease{full: v, path: p})
		}
	}
	for _, full := range testenv.BpftraceReleases {
		out = append(out, btRelease{full: full, path: testenv.BpftraceRelease(t, full)})
	}
	if len(out) != 3 {
		testenv.Skip(t, "the system's bpftrace is not 0.17 (Debian 12's)")
	}
	return out
}

// resolution are the errors that say an attach point does not resolve on
// this machine (no kprobes, no fentry), not that the script is wrong.
var resolution = []string{"No matches for", "not available for your kernel", "does not support loading an iterator", "Could not resolve",
	"Failed to resolve kernel symbol", "available_filter_functions"}

// verdict runs one script through a real release: "ok", "error: FIRST
// ERROR" or "unresolved: ..." (only resolution errors: judged by the
// language alone, left out of the matrix).
func (r btRelease) verdict(t *testing.T, script string) string {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.path, r.args(dir, script)...)
	cmd.Dir = dir
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return "error: timed out"
	}
	var errs []string
	for _, l := range strings.Split(string(out), "\n") {
		if (strings.Contains(l, "ERROR") || strings.Contains(l, "FATAL") || strings.Contains(l, "BUG:")) && !strings.Contains(l, "RLIMIT_MEMLOCK") {
			errs = append(errs, strings.ReplaceAll(strings.TrimSpace(l), script, filepath.Base(script)))
		}
	}
	if err == nil {
		return "ok"
	}
	if len(errs) == 0 {
		return fmt.Sprintf("error: %v", err)
	}
	unresolved := true
	for _, e := range errs {
		res := false
		for _, m := range resolution {
			res = res || strings.Contains(e, m)
		}
		unresolved = unresolved && res
	}
	if unresolved {
		return "unresolved: " + errs[0]
	}
	return "error: " + errs[0]
}

// kgentVerdict is kgent's answer at the release: the error findings, and
// whether it flags the script (an error, or KG503 for an unsafe builtin,
// which bpftrace refuses without --unsafe).
func kgentVerdict(k *kb.KB, version, path string) (errs []string, flags bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return []string{err.Error()}, true
	}
	for _, f := range Check(string(data), Options{KB: k, Version: version, Path: path}) {
		if f.Severity == analysis.Error {
			errs = append(errs, string(f.Code)+" "+f.Message)
			flags = true
		}
		if f.Code == analysis.KG503 {
			flags = true
		}
	}
	return errs, flags
}

func TestReleasesAgreement(t *testing.T) {
	testenv.Short(t, "runs every script through three real bpftrace releases (minutes)")
	testenv.Require(t, testenv.BPF)
	k := testenv.HostKB(t)
	rels := releaseBinaries(t)
	dir, _ := filepath.Abs(releasesDir)
	scripts, _ := filepath.Glob(filepath.Join(dir, "*.bt"))
	if len(scripts) < 150 {
		t.Fatalf("only %d scripts under %s, want at least 150", len(scripts), releasesDir)
	}
	expPath := filepath.Join(releasesDir, "expected.json")
	expected := map[string]map[string]string{}
	if data, err := os.ReadFile(expPath); err == nil {
		if err := json.Unmarshal(data, &expected); err != nil {
			t.Fatalf("%s: %v", expPath, err)
		}
	}
	update := os.Getenv("KGENT_UPDATE_RELEASES") == "1"
	got := map[string]map[string]string{}
	for _, s := range scripts {
		got[filepath.Base(s)] = map[string]string{}
	}
	for _, r := range rels {
		verdicts := make([]string, len(scripts))
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					verdicts[i] = r.verdict(t, scripts[i])
				}
			}()
		}
		for i := range scripts {
			next <- i
		}
		close(next)
		wg.Wait()
		var realErrs, flagged, falseErrs, unresolved, drift int
		var report []string
		for i, s := range scripts {
			name := filepath.Base(s)
			v := verdicts[i]
			got[name][r.full] = v
			if want, ok := expected[name][r.full]; !update && (!ok || class(want) != class(v)) {
				drift++
				report = append(report, fmt.Sprintf("DRIFT %s: bpftrace %s now says %q, committed %q", name, r.full, v, want))
			}
			errs, flags := kgentVerdict(k, r.version(), s)
			switch class(v) {
			case "unresolved":
				unresolved++
			case "ok":
				if len(errs) > 0 {
					falseErrs++
					report = append(report, fmt.Sprintf("FALSE ERROR %s at %s: kgent %q", name, r.full, errs))
				}
			case "error":
				realErrs++
				if flags {
					flagged++
				} else {
					report = append(report, fmt.Sprintf("MISSED %s at %s: bpftrace %q", name, r.full, v))
				}
			}
		}
		sort.Strings(report)
		pct := 100.0
		if realErrs > 0 {
			pct = 100 * float64(flagged) / float64(realErrs)
		}
		t.Logf("bpftrace %s: %d scripts, %d refused (kgent flags %d, %.1f%%), %d accepted (kgent false errors %d), %d unresolved here",
			r.full, len(scripts), realErrs, flagged, pct, len(scripts)-realErrs-unresolved, falseErrs, unresolved)
		for _, l := range report {
			t.Log(l)
		}
		if falseErrs > 0 || pct < 95 || drift > 0 {
			t.Errorf("bpftrace %s: %d false errors, %.1f%% of real errors flagged (want 0 and at least 95%%), %d verdicts drifted from expected.json", r.full, falseErrs, pct, drift)
		}
	}
	if update {
		data, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(expPath, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", expPath)
	}
}

// TestReleasesCommitted is the matrix against the committed verdicts of
// the real releases, for machines without the private prefixes: kgent at
// each release against what that release said.
func TestReleasesCommitted(t *testing.T) {
	k := testenv.HostKB(t)
	dir, _ := filepath.Abs(releasesDir)
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	expected := map[string]map[string]string{}
	if err := json.Unmarshal(data, &expected); err != nil {
		t.Fatal(err)
	}
	if len(expected) < 150 {
		t.Fatalf("expected.json judges %d scripts, want at least 150", len(expected))
	}
	for _, full := range []string{"0.17.0", "0.23.2", "0.27.1"} {
		var realErrs, flagged, falseErrs int
		var report []string
		names := keys(expected)
		sort.Strings(names)
		for _, name := range names {
			v, ok := expected[name][full]
			if !ok {
				t.Fatalf("%s: no verdict of %s", name, full)
			}
			errs, flags := kgentVerdict(k, kb.BpftraceMajorMinor(full), filepath.Join(dir, name))
			switch class(v) {
			case "ok":
				if len(errs) > 0 {
					falseErrs++
					report = append(report, fmt.Sprintf("FALSE ERROR %s at %s: kgent %q", name, full, errs))
				}
			case "error":
				realErrs++
				if flags {
					flagged++
				} else {
					report = append(report, fmt.Sprintf("MISSED %s at %s: bpftrace %q", name, full, v))
				}
			}
		}
		pct := 100 * float64(flagged) / float64(max(realErrs, 1))
		t.Logf("bpftrace %s (committed): %d refused, kgent flags %d (%.1f%%), %d false errors", full, realErrs, flagged, pct, falseErrs)
		for _, l := range report {
			t.Log(l)
		}
		if falseErrs > 0 || pct < 95 {
			t.Errorf("bpftrace %s: %d false errors, %.1f%% of real errors flagged (want 0 and at least 95%%)", full, falseErrs, pct)
		}
	}
}

// class is a verdict's kind: ok, error or unresolved.
func class(v string) string {
	c, _, _ := strings.Cut(v, ":")
	return c
}

// kernelFacts are the codes that say the target kernel or machine lacks
// something (a function, a tracepoint, kprobes, a header), not that the
// script is wrong for the release.
var kernelFacts = map[string]bool{analysis.KG302: true, analysis.KG304: true, analysis.KG305: true, analysis.KG306: true,
	analysis.KG307: true, analysis.KG308: true, analysis.KG506: true}

// TestReleaseTools checks the tools each release ships (/usr/sbin/*.bt of
// its package) at that release: kgent reports no language error on a tool
// the release itself accepts (or refuses only because an attach point
// does not resolve on this machine). Kernel-fact findings are counted,
// not judged (cmd/kgent's tools test judges them for the installed
// release against kallsyms and tracefs).
func TestReleaseTools(t *testing.T) {
	testenv.Short(t, "runs every shipped tool through three real bpftrace releases")
	testenv.Require(t, testenv.BPF)
	k := testenv.HostKB(t)
	for _, r := range releaseBinaries(t) {
		root := "/"
		if !strings.HasPrefix(r.path, "/usr/") {
			root = filepath.Join(filepath.Dir(r.path), "root")
		}
		tools, _ := filepath.Glob(filepath.Join(root, "usr", "sbin", "*.bt"))
		if len(tools) < 20 {
			t.Fatalf("bpftrace %s ships %d tools under %s", r.full, len(tools), root)
		}
		var refused, langErrs, factErrs int
		for _, tool := range tools {
			data, err := os.ReadFile(tool)
			if err != nil {
				t.Fatal(err)
			}
			var lang []string
			for _, f := range Check(string(data), Options{KB: k, Version: r.version(), Path: tool}) {
				if f.Severity != analysis.Error {
					continue
				}
				if kernelFacts[f.Code] {
					factErrs++
					continue
				}
				lang = append(lang, fmt.Sprintf("%s %s", f.Code, f.Message))
			}
			v := r.verdict(t, tool)
			if class(v) == "error" {
				refused++
				t.Logf("%s %s: refused by the release (%s); kgent: %q", r.full, filepath.Base(tool), v, lang)
				continue
			}
			langErrs += len(lang)
			for _, l := range lang {
				t.Errorf("%s %s: false error %s (the release says %s)", r.full, filepath.Base(tool), l, v)
			}
		}
		t.Logf("bpftrace %s: %d tools, %d refused by the release itself; kgent: %d language errors on the others, %d kernel-fact errors in all", r.full, len(tools), refused, langErrs, factErrs)
	}
}

// migrationCases are spellings of one release checked against another:
// kgent's finding carries a fix to the checked release's spelling.
var migrationCases = []struct {
	release, src string
	code         string
}{
	{"0.17.0", `tracepoint:syscalls:sys_enter_openat { printf("%s\n", str(args.filename)); exit(); }`, analysis.KG405},
	{"0.17.0", `BEGIN { @a[1] = 1; delete(@a, 1); exit(); }`, analysis.KG206},
	{"0.17.0", `begin { printf("hi\n"); exit(); }`, analysis.KG301},
	{"0.17.0", `BEGIN { $x = 1; if $x { exit(); } }`, analysis.KG100},
	{"0.17.0", `BEGIN { printf("%s\n", comm()); exit(); }`, analysis.KG201},
	{"0.17.0", `BEGIN { errorf("failed\n"); exit(); }`, analysis.KG201},
	{"0.17.0", `BEGIN { printf("%d\n", nsecs(monotonic)); exit(); }`, analysis.KG201},
	{"0.23.2", `BEGIN { let $x: uint8 = 7; printf("%d\n", $x); exit(); }`, analysis.KG406},
	{"0.23.2", `BEGIN { @a[1] = 1; @b[2] = 2; delete(@a[1], @b[2]); exit(); }`, analysis.KG206},
	{"0.23.2", `uprobe:/bin/bash:readline { printf("%d\n", sarg0); exit(); }`, analysis.KG204},
	{"0.23.2", `tracepoint:syscalls:sys_enter_openat { printf("%s\n", str(args->filename)); exit(); }`, analysis.KG204},
	{"0.23.2", `config = { strlen = 64 }` + "\n" + `BEGIN { exit(); }`, analysis.KG204},
	{"0.27.1", `tracepoint: syscalls:sys_enter_read { @ = count(); exit(); }`, analysis.KG100},
	{"0.27.1", `uprobe:/bin/bash:readline { printf("%d\n", sarg0); exit(); }`, analysis.KG202},
	{"0.27.1", `asyncwatchpoint:0x10000000:8:w { exit(); }`, analysis.KG301},
	{"0.27.1", `BEGIN { @a[1] = 1; @b[2] = 2; delete(@a[1], @b[2]); exit(); }`, analysis.KG206},
}

// TestMigrationFixesAcceptedByRelease applies the fix of each migration
// finding and runs the result through the real release: it must accept
// it, and kgent must then report no error.
func TestMigrationFixesAcceptedByRelease(t *testing.T) {
	testenv.Require(t, testenv.BPF)
	k := testenv.HostKB(t)
	rels := map[string]btRelease{}
	for _, r := range releaseBinaries(t) {
		rels[r.full] = r
	}
	dir := t.TempDir()
	for i, tc := range migrationCases {
		r := rels[tc.release]
		var fix *analysis.Fix
		for _, f := range Check(tc.src, Options{KB: k, Version: r.version()}) {
			if f.Code == tc.code && len(f.Fixes) > 0 {
				fix = &f.Fixes[0]
				break
			}
		}
		if fix == nil {
			t.Errorf("%s %q: no %s finding with a fix", tc.release, tc.src, tc.code)
			continue
		}
		fixed := applyEdits(tc.src, fix.Edits)
		path := filepath.Join(dir, fmt.Sprintf("m%d.bt", i))
		if err := os.WriteFile(path, []byte(fixed+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if v := r.verdict(t, path); class(v) != "ok" {
			t.Errorf("%s: the fix %q gives %q, which the release refuses: %s", tc.release, fix.Title, fixed, v)
		}
		for _, f := range Check(fixed, Options{KB: k, Version: r.version()}) {
			if f.Severity == analysis.Error {
				t.Errorf("%s: after the fix %q: %s %s", tc.release, fixed, f.Code, f.Message)
			}
		}
	}
}

// applyEdits applies non-overlapping edits, last first.
func applyEdits(src string, edits []analysis.Edit) string {
	es := append([]analysis.Edit(nil), edits...)
	sort.Slice(es, func(i, j int) bool { return es[i].Span.Start > es[j].Span.Start })
	for _, e := range es {
		src = src[:e.Span.Start] + e.NewText + src[e.Span.End:]
	}
	return src
}
