package examples

import (
	"testing"
	"testing/fstest"

	"github.com/kgent/kgent/analysis"
	"github.com/kgent/kgent/analysis/check"
	"github.com/kgent/kgent/internal/testenv"
)

func TestLoad(t *testing.T) {
	exs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	bt, c := 0, 0
	for _, e := range exs {
		switch e.Dialect {
		case "bpftrace":
			bt++
		case "c":
			c++
		}
	}
	// The corpus the retrieval and the agent rely on: at least 60
	// bpftrace scripts and 40 libbpf C programs of our own.
	if bt < 60 || c < 40 {
		t.Fatalf("%d bpftrace and %d C examples; want at least 60 and 40", bt, c)
	}
}

func TestValidation(t *testing.T) {
	good := `{"title": "t", "description": "counts things per process and prints a table", "tags": ["x"], "probes": ["BEGIN"], "facts": [], "output": ""}`
	cases := map[string]fstest.MapFS{
		"no program":   {"a/meta.json": {Data: []byte(good)}},
		"no meta":      {"a/prog.bt": {Data: []byte("BEGIN{}")}},
		"bad json":     {"a/prog.bt": {Data: []byte("BEGIN{}")}, "a/meta.json": {Data: []byte("{")}},
		"unknown key":  {"a/prog.bt": {Data: []byte("BEGIN{}")}, "a/meta.json": {Data: []byte(`{"title": "t", "descr": "x"}`)}},
		"short desc":   {"a/prog.bt": {Data: []byte("BEGIN{}")}, "a/meta.json": {Data: []byte(`{"title": "t", "description": "x", "tags": ["a"], "probes": ["b"]}`)}},
		"two programs": {"a/prog.bt": {Data: []byte("BEGIN{}")}, "a/prog.bpf.c": {Data: []byte("")}, "a/meta.json": {Data: []byte(good)}},
	}
	for name, fsys := range cases {
		if _, err := load(fsys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ok := fstest.MapFS{"a/prog.bt": {Data: []byte("BEGIN{}")}, "a/meta.json": {Data: []byte(good)}}
	if exs, err := load(ok); err != nil || len(exs) != 1 || exs[0].Dialect != "bpftrace" {
		t.Fatalf("%v %+v", err, exs)
	}
}

// TestCleanUnderKgent: every example gives no error finding.
func TestCleanUnderKgent(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	exs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exs {
		fs, err := check.File(e.FileName(), e.Source, check.Options{KB: k, BpftraceVersion: "0.17"})
		if err != nil {
			t.Errorf("%s: %v", e.Slug, err)
		}
		for _, f := range fs {
			if f.Severity == analysis.Error {
				t.Errorf("%s: %s %s", e.Slug, f.Code, f.Message)
			}
		}
	}
}
