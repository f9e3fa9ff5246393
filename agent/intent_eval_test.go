package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
	"github.com/kgent/kgent/kb/examples"
)

// intentCase is a request of testdata/intent/requests.json with the rule
// a right answer meets: every group of Events has a probe the program
// attaches to, it measures Measure, breaks down or prints by Keys and
// applies Filters. Refuse: this machine cannot do it (no PMU, no ZFS, no
// kprobes), so the right answer is a refusal.
type intentCase struct {
	Request string     `json:"request"`
	Lang    string     `json:"lang"`
	Refuse  bool       `json:"refuse"`
	Events  [][]string `json:"events"`
	Measure string     `json:"measure"`
	Keys    []string   `json:"keys"`
	Filters []string   `json:"filters"`
}

// judge applies a case's rule to a program; it says what fails.
func judge(c intentCase, program string, lang analysis.Dialect) []string {
	return judgeFacts(c, programFacts(program, lang))
}

func judgeFacts(c intentCase, fa facts) []string {
	var fails []string
	for _, group := range c.Events {
		ok := false
		for _, want := range group {
			for _, have := range fa.probes {
				ok = ok || probeMatch(want, have)
			}
		}
		if !ok {
			fails = append(fails, fmt.Sprintf("traces none of %v (traces %v)", group, fa.probes))
		}
	}
	hist := fa.aggs["hist"] || fa.aggs["lhist"]
	ok := c.Measure == ""
	for _, m := range strings.Split(c.Measure, "|") {
		ok = ok || measured(m, fa, hist)
	}
	if !ok {
		fails = append(fails, "does not measure "+c.Measure)
	}
	for _, k := range c.Keys {
		if !keyOK(k, fa.keys) {
			fails = append(fails, "no key "+k)
		}
	}
	for _, f := range c.Filters {
		if !fa.filters[f] {
			fails = append(fails, "no filter "+f)
		}
	}
	return fails
}

// measured: the program measures m ("count", "latency", ...).
func measured(m string, fa facts, hist bool) bool {
	ok := true
	switch m {
	case "latency":
		ok = fa.timed
	case "hist":
		ok = hist
	case "count", "top":
		ok = len(fa.aggs) > 0
	case "rate":
		ok = fa.interval && (len(fa.aggs) > 0 || fa.printed)
	case "sum":
		ok = fa.aggs["sum"] || hist
	case "print":
		ok = fa.printed
	}
	return ok
}

// TestIntentEvaluation runs the offline provider on the evaluation set
// and judges every answer by its rule: at least 80% of the requests this
// machine can satisfy get a clean program that fits, the others are
// refusals, and no answer that does not fit goes out without the intent
// check saying so.
//
// requests.json is the set the lexicon was developed against;
// heldout.json was written after it (its first run's misses fixed the
// check's words; see the commit); fresh.json was written last and is
// measured as it came: nothing was changed for it.
func TestIntentEvaluation(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	for _, set := range []struct {
		file string
		min  int
	}{{"requests.json", 150}, {"heldout.json", 40}, {"fresh.json", 30}} {
		t.Run(strings.TrimSuffix(set.file, ".json"), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "testdata", "intent", set.file))
			if err != nil {
				t.Fatal(err)
			}
			var cases []intentCase
			if err := json.Unmarshal(data, &cases); err != nil {
				t.Fatal(err)
			}
			if len(cases) < set.min {
				t.Fatalf("%d requests; the set has at least %d", len(cases), set.min)
			}
			evaluate(t, k, cases)
		})
	}
}

func evaluate(t *testing.T, k *kb.KB, cases []intentCase) {
	p := pipe(k)
	var fit, satisfiable, refusedRight, refusedWrong, flagged, flaggedImpossible, silent, noAnswer int
	for i, c := range cases {
		lang := analysis.ParseDialect(c.Lang)
		if c.Lang == "" {
			lang = analysis.DialectBpftrace
		}
		if !c.Refuse {
			satisfiable++
		}
		r, err := Offline(p, Request{Text: c.Request, Lang: lang})
		var ref *Refusal
		switch {
		case errors.As(err, &ref):
			if c.Refuse {
				refusedRight++
			} else {
				refusedWrong++
				t.Logf("%d %q: refused: %v", i+1, c.Request, err)
			}
			continue
		case err != nil:
			noAnswer++
			t.Logf("%d %q: no answer: %v", i+1, c.Request, err)
			continue
		}
		if r.Intent == nil {
			t.Fatalf("%d %q: no intent verdict", i+1, c.Request)
		}
		var fails []string
		if c.Refuse {
			fails = []string{"this machine cannot do it, yet a program came back"}
		} else {
			fails = judge(c, r.Program, r.Lang)
			if !r.Clean {
				fails = append(fails, "not clean")
			}
		}
		switch {
		case len(fails) == 0:
			fit++
		case !r.Intent.Fits:
			flagged++
			if c.Refuse {
				flaggedImpossible++
			}
			t.Logf("%d %q: flagged (%s): %v\n%s", i+1, c.Request, r.Intent.Sentence, fails, r.Program)
		default:
			silent++
			t.Errorf("%d %q: silent mismatch: %v; the intent check says %q\n%s", i+1, c.Request, fails, r.Intent.Sentence, r.Program)
		}
	}
	unsat := len(cases) - satisfiable
	t.Logf("%d requests (%d this machine can satisfy): %d fit (%.1f%%), %d of %d impossible ones refused, %d possible ones refused, %d without an answer, %d flagged by the intent check, %d silent mismatches",
		len(cases), satisfiable, fit, 100*float64(fit)/float64(satisfiable), refusedRight, unsat, refusedWrong, noAnswer, flagged, silent)
	if fit*100 < 80*satisfiable {
		t.Errorf("%d of %d satisfiable requests fit: under 80%%", fit, satisfiable)
	}
	if refusedRight+flaggedImpossible != unsat {
		t.Errorf("not every impossible request was refused or flagged")
	}
}

// Every corpus example a case's rule rejects is a program that verifies
// but does something else than the request asks: the intent check must
// say it does not fit. This is the failure (a verified program
// for another request) made on purpose, for every request and example.
func TestIntentCheckRejectsOtherPrograms(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs)
	var cases []intentCase
	for _, f := range []string{"requests.json", "heldout.json"} {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "intent", f))
		if err != nil {
			t.Fatal(err)
		}
		var cs []intentCase
		if err := json.Unmarshal(data, &cs); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, cs...)
	}
	type prog struct {
		name string
		fa   facts
	}
	corpus, err := examples.Corpus()
	if err != nil {
		t.Fatal(err)
	}
	var progs []prog
	for _, e := range corpus {
		progs = append(progs, prog{e.Slug, programFacts(e.Source, analysis.ParseDialect(e.Dialect))})
	}
	wrong, silent, right, strict := 0, 0, 0, 0
	for _, c := range cases {
		if c.Refuse {
			continue
		}
		in := ParseIntent(k, c.Request)
		for _, p := range progs {
			fails := judgeFacts(c, p.fa)
			if len(fails) == 0 {
				// A right answer: the check may still ask for more (a key
				// the rule leaves open); counted, not failed.
				right++
				if !checkFacts(in, p.fa).Fits {
					strict++
				}
				continue
			}
			wrong++
			if v := checkFacts(in, p.fa); v.Fits {
				silent++
				if silent <= 20 {
					t.Errorf("%q: the example %s does not meet the rule (%v) but the check says %q", c.Request, p.name, fails, v.Sentence)
				}
			}
		}
	}
	t.Logf("%d (request, wrong example) pairs: %d judged to fit by the intent check; %d (request, example) pairs meet the rule, %d of them flagged", wrong, silent, right, strict)
}
