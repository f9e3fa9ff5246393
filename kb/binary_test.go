package kb_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// TestUSDTProbes reads python3's SDT notes and compares them with what
// readelf -n prints, when both are installed.
func TestUSDTProbes(t *testing.T) {
	const bin = "/usr/bin/python3"
	testenv.Require(t, testenv.Readelf)
	out, err := exec.Command("readelf", "-n", bin).Output()
	if err != nil {
		t.Fatalf("readelf -n %s: %v", bin, err)
	}
	var want []string
	var prov string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(l, "Provider: "); ok {
			prov = v
		}
		if v, ok := strings.CutPrefix(l, "Name: "); ok && prov != "" {
			want = append(want, prov+":"+v)
			prov = ""
		}
	}
	probes, err := (&kb.KB{}).USDTProbes(bin)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, p := range probes {
		got[p.Provider+":"+p.Name] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing %s", w)
		}
	}
	uniq := map[string]bool{}
	for _, w := range want {
		uniq[w] = true
	}
	if len(want) > 0 && (len(got) != len(uniq) || !got["python:function__entry"]) {
		t.Errorf("python3 probes %v, readelf %v", probes, want)
	}
	if len(want) == 0 && len(probes) != 0 {
		t.Errorf("readelf sees no notes, we see %v", probes)
	}
	if _, err := (&kb.KB{}).USDTProbes("/no/such/binary"); err == nil {
		t.Error("no error for a missing binary")
	}
}
