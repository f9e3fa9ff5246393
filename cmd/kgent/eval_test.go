package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
)

// The figures the README quotes for the offline provider on each prompt
// set: the number of requests, how many programs passed the verifier (or
// bpftrace's semantic pass) and how many used the attach kinds the request
// implies. eval.json is the set the agent was developed against;
// heldout.json was written after the code and nothing was tuned to it.
var promptSetFigures = []struct {
	file                     string
	total, verified, probeOK int
}{
	{"eval.json", 58, 58, 58},
	{"heldout.json", 45, 43, 45},
}

// TestEvalPromptSets runs `kgent eval --provider offline` on each prompt
// set with the real verifier and bpftrace, as the README tells users to,
// and fails when fewer programs are verified or use the expected probe
// kinds than the README says.
func TestEvalPromptSets(t *testing.T) {
	testenv.Short(t, "verifies about a hundred programs")
	testenv.Require(t, testenv.BPF, testenv.BTF, testenv.Tracefs, testenv.Clang, testenv.Bpftrace, testenv.Headers)
	t.Setenv("KGENT_LLM_BASE_URL", "")
	t.Setenv("OPENAI_API_KEY", "")
	for _, set := range promptSetFigures {
		t.Run(strings.TrimSuffix(set.file, ".json"), func(t *testing.T) {
			report := filepath.Join(t.TempDir(), "report.json")
			var out, errb bytes.Buffer
			prompts := filepath.Join("..", "..", "testdata", "prompts", set.file)
			if code := run([]string{"eval", "--provider", "offline", "--out", report, prompts}, &out, &errb); code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
			}
			var rep evalReport
			b, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s on Linux %s: %d/%d verified, %d clean, %d with the expected probe kinds, %d errors",
				set.file, rep.Kernel, rep.Verified, rep.Total, rep.Clean, rep.ProbesOK, rep.Errors)
			for i, r := range rep.Rows {
				if !r.Verified || !r.ProbesOK {
					t.Logf("request %d %q (%s): verified %v, probes %v (as expected: %v), example %s %s %v",
						i+1, r.Request, r.Lang, r.Verified, r.Probes, r.ProbesOK, r.Example, r.Error, r.Findings)
				}
			}
			if rep.Provider != "offline" {
				t.Fatalf("provider %q", rep.Provider)
			}
			if rep.Total != set.total || len(rep.Rows) != set.total {
				t.Errorf("%d requests (%d rows); the README counts %d", rep.Total, len(rep.Rows), set.total)
			}
			if rep.Verified < set.verified {
				t.Errorf("%d verified; the README says %d", rep.Verified, set.verified)
			}
			if rep.ProbesOK < set.probeOK {
				t.Errorf("%d with the expected probe kinds; the README says %d", rep.ProbesOK, set.probeOK)
			}
			// The report's totals are the rows' sums, so the counts above
			// are of what each request got.
			v, p := 0, 0
			for _, r := range rep.Rows {
				if r.Verified {
					v++
				}
				if r.ProbesOK {
					p++
				}
			}
			if v != rep.Verified || p != rep.ProbesOK {
				t.Errorf("rows give %d verified, %d probe kinds; the summary %d, %d", v, p, rep.Verified, rep.ProbesOK)
			}
		})
	}
}
