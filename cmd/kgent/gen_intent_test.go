package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
)

// gen says on stderr whether the program does what was asked, and
// refuses, with the reason, what the target cannot trace.
func TestGenIntentShown(t *testing.T) {
	testenv.Require(t, testenv.BTF, testenv.Tracefs)
	t.Setenv("KGENT_LLM_BASE_URL", "")
	t.Setenv("OPENAI_API_KEY", "")
	var out, errb bytes.Buffer
	if code := run([]string{"gen", "--no-verify", "count page faults for each process"}, &out, &errb); code != 0 ||
		!strings.Contains(errb.String(), "kgent gen: intent: the program fits the request") || !strings.Contains(out.String(), "page_fault") {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"gen", "--no-verify", "--json", "histogram of block I/O latency per disk"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var g jsonGen
	if err := json.Unmarshal(out.Bytes(), &g); err != nil || g.Intent == nil || !g.Intent.Fits {
		t.Fatalf("%v %+v", err, g.Intent)
	}
	if _, err := os.Stat("/sys/module/zfs"); err == nil {
		testenv.Skip(t, "this host has ZFS: the refusal of a ZFS request cannot be shown here")
	}
	out.Reset()
	errb.Reset()
	code := run([]string{"gen", "--no-verify", "measure ZFS read latency"}, &out, &errb)
	if code != 1 || out.Len() != 0 || !strings.Contains(errb.String(), "zfs") || !strings.Contains(errb.String(), "no program") {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
}
