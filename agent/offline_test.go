package agent

import (
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

func TestOffline(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Tracefs)
	k, err := kb.Load(kb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Offline(k, Request{Text: "trace files opened by pid 1234", Lang: analysis.DialectBpftrace})
	if err != nil {
		t.Fatal(err)
	}
	if r.Provider != "offline" || !strings.Contains(r.Notes[0], "not a generated program") {
		t.Fatalf("not marked as retrieval: %+v", r.Notes)
	}
	if !strings.Contains(r.Program, "/pid == 1234/") || !r.Clean {
		t.Fatalf("program %q clean %v findings %+v", r.Program, r.Clean, r.Findings)
	}
	if _, err := Offline(k, Request{Text: "   "}); err == nil {
		t.Fatal("empty request accepted")
	}
	if _, err := Offline(k, Request{Text: "zzqx wvvy"}); err != ErrNoMatch {
		t.Fatalf("nonsense request: %v", err)
	}
}
