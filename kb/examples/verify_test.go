package examples

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/verify"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

var secRe = regexp.MustCompile(`SEC\("([^"/]+)`)

// TestCExamplesLoad compiles every C example with clang and loads every
// program through the kernel verifier (never attached). Programs of a kind
// this kernel refuses to load (fentry, fexit, lsm: EPERM even as root)
// still compile, and their result names the refusal (KG604); any other
// program must load, with no error or warning (USDT programs built on
// libbpf's <bpf/usdt.bpf.h> too: kgent loads them as libbpf does).
func TestCExamplesLoad(t *testing.T) {
	k := testenv.HostKB(t, testenv.BPF, testenv.Clang, testenv.Bpftool, testenv.Headers)
	v := verify.New(verify.Options{KB: k, CacheDir: filepath.Join(os.TempDir(), "kgent-examples-verify")})
	exs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	n, refusedKinds := 0, map[string]bool{}
	for _, e := range exs {
		if e.Dialect != "c" {
			continue
		}
		n++
		// Which of its program kinds does this kernel refuse to load?
		refused := 0
		for _, m := range secRe.FindAllStringSubmatch(e.Source, -1) {
			def, _, ok := kb.LookupSEC(m[1] + "/x")
			if !ok {
				def, _, ok = kb.LookupSEC(m[1])
			}
			if ok && def.Attach != "" && k.AttachSupport(def.Attach).Supported == kb.No && strings.Contains(k.AttachSupport(def.Attach).Reason, "EPERM") {
				refused++
				refusedKinds[def.Attach] = true
			}
		}
		r := v.Verify(context.Background(), filepath.Join(e.Slug, e.FileName()), e.Source, analysis.DialectC)
		named := 0
		for _, f := range r.Findings {
			switch {
			case f.Severity == analysis.Error || f.Severity == analysis.Warning:
				t.Errorf("%s: %s %s", e.Slug, f.Code, f.Message)
			case f.Code == analysis.KG604 && strings.Contains(f.Message, "refuses to load"):
				named++
			case f.Code == analysis.KG604:
				t.Errorf("%s: not verified: %s", e.Slug, f.Message)
			}
		}
		if named != refused {
			t.Errorf("%s: %d programs of kinds this kernel refuses, %d refusals named: %v", e.Slug, refused, named, r.Findings)
		}
	}
	if n < 40 {
		t.Fatalf("only %d C examples", n)
	}
	t.Logf("%d C examples; kinds refused by this kernel and named: %v", n, refusedKinds)
}
