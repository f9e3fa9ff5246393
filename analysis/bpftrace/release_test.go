package bpftrace

import (
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
)

// With no release given and no bpftrace in PATH, the check assumes the
// newest known release and the release-dependent findings say so.
func TestNoReleaseNotesTheNewest(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	fs := Check("BEGIN { $x = nosuchfn(); }\nbegin { exit(); }\nBEGIN { @x = sarg0; }\n", Options{})
	noted := 0
	for _, f := range fs {
		for _, n := range f.Notes {
			if strings.Contains(n, "newest known, 0.27") {
				noted++
			}
		}
	}
	if noted == 0 {
		t.Errorf("no finding notes the assumed release: %+v", fs)
	}
	for _, f := range Check("begin { exit(); }\n", Options{Version: "0.23"}) {
		if len(f.Notes) > 0 && strings.Contains(f.Notes[0], "newest known") {
			t.Errorf("a given release is noted as assumed: %+v", f)
		}
	}
}

// Attach point forms older releases accept: white space after a colon
// (0.27 refuses it) and a comma after the last attach point.
func TestAttachForms(t *testing.T) {
	f, errs := Parse("kretprobe: kmem_cache_alloc* { @ = count(); }\nBEGIN, END, { exit(); }\n")
	if len(errs) != 0 || len(f.Probes) != 2 {
		t.Fatalf("errors %v, %d probes", errs, len(f.Probes))
	}
	ap := f.Probes[0].Attach[0]
	if ap.Type != "kretprobe" || len(ap.Parts) != 1 || ap.Parts[0] != "kmem_cache_alloc*" || ap.Raw != "kretprobe:kmem_cache_alloc*" || !ap.SpaceAfterColon {
		t.Errorf("attach point %+v", ap)
	}
	if n := len(f.Probes[1].Attach); n != 2 {
		t.Errorf("BEGIN, END, : %d attach points", n)
	}
	has := func(version, code string) bool {
		for _, fd := range Check("tracepoint: syscalls:sys_enter_read { @ = count(); }\n", Options{Version: version}) {
			if fd.Code == code && fd.Severity == analysis.Error {
				return true
			}
		}
		return false
	}
	if has("0.23", analysis.KG100) || !has("0.27", analysis.KG100) {
		t.Error("white space after the colon: accepted by 0.23, refused by 0.27")
	}
}

func TestIntegerLiteralsByRelease(t *testing.T) {
	for src, bad := range map[string]bool{"1_000": false, "0x1f": false, "10u": false, "5ul": false, "1e6": false,
		"5s": false, "10ms": false, "10u8": true, "0xfg": true, "1e": true} {
		_, errs := Parse("BEGIN { $x = " + src + "; }")
		if (len(errs) > 0) != bad {
			t.Errorf("%s: errors %v, want bad=%v", src, errs, bad)
		}
	}
	// Durations are a 0.24 feature.
	for v, want := range map[string]bool{"0.23": true, "0.24": false} {
		got := false
		for _, f := range Check("BEGIN { $d = 5s; }", Options{Version: v}) {
			got = got || f.Code == analysis.KG100
		}
		if got != want {
			t.Errorf("5s at %s: error=%v", v, got)
		}
	}
}

// Scoping changed in 0.22: a variable first assigned in a block is not
// visible after it; let declares it before.
func TestScopesByRelease(t *testing.T) {
	for _, tc := range []struct {
		src, version string
		err          bool
	}{
		{"BEGIN { if (1) { $b = 1; } printf(\"%d\\n\", $b); }", "0.21", false},
		{"BEGIN { if (1) { $b = 1; } printf(\"%d\\n\", $b); }", "0.22", true},
		{"BEGIN { let $b; if (1) { $b = 1; } printf(\"%d\\n\", $b); }", "0.22", false},
		{"BEGIN { $b = 0; if (1) { $b = 1; } printf(\"%d\\n\", $b); }", "0.27", false},
		{"BEGIN { let $x = 1; let $x = 2; }", "0.27", true},
		{"BEGIN { let $x; $x = 3; }", "0.27", false},
		{"BEGIN { $v = { let $b = 1; $b + 1 }; printf(\"%d\\n\", $v); }", "0.27", false},
		{"BEGIN { printf(\"%d\\n\", $nope); }", "0.17", true},
		{"BEGIN { @m[1] = 1; for ($kv : @m) { } printf(\"%d\\n\", $kv.0); }", "0.23", true},
		{"BEGIN { let $x: uint8 = \"s\"; }", "0.27", true},
	} {
		got := false
		for _, f := range Check(tc.src, Options{Version: tc.version}) {
			got = got || f.Severity == analysis.Error
		}
		if got != tc.err {
			t.Errorf("%s at %s: error=%v, want %v", tc.src, tc.version, got, tc.err)
		}
	}
}
