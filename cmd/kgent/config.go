package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kgent/kgent/analysis/pipeline"
	"github.com/kgent/kgent/kb"
)

// resolveConfig is the configuration of a command: its flags over the
// environment (a command has no editor settings). A value that is not
// valid is an error naming the flag or variable: a CI job must not check
// against something other than what it asked for.
func resolveConfig(flags pipeline.Settings) (pipeline.Config, error) {
	env, probs := pipeline.EnvSettings(os.Getenv)
	c := pipeline.Resolve(flags, env, pipeline.Settings{})
	probs = append(probs, c.Problems...)
	if len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, p := range probs {
			msgs[i] = p.Error()
		}
		return c, &exitError{code: 2, msg: "bad configuration: " + strings.Join(msgs, "; ")}
	}
	return c, nil
}

// openPipeline loads c's kb (kf adds the cache flags) and returns the
// pipeline every command checks with.
func openPipeline(c pipeline.Config, kf kbFlags, stderr io.Writer) (*pipeline.Pipeline, error) {
	k, err := kb.Load(kbOptions(c, kf, stderr))
	if err != nil {
		return nil, &exitError{code: 2, msg: err.Error()}
	}
	p := pipeline.New(c, k)
	if probs := p.Problems(); len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, pr := range probs {
			msgs[i] = pr.Error()
		}
		return nil, &exitError{code: 2, msg: "bad target: " + strings.Join(msgs, "; ")}
	}
	return p, nil
}

// targetsFlag collects --target values (repeated or comma-separated).
type targetsFlag []string

func (t *targetsFlag) String() string { return strings.Join(*t, ",") }

func (t *targetsFlag) Set(v string) error {
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n != "" {
			*t = append(*t, n)
		}
	}
	return nil
}

// kbOptions are the kb options of c with the command's cache flags.
func kbOptions(c pipeline.Config, kf kbFlags, stderr io.Writer) kb.Options {
	o := c.KBOptions()
	o.Rebuild = kf.rebuild
	o.Warn = func(s string) { fmt.Fprintln(stderr, "kgent: warning:", s) }
	return o
}
