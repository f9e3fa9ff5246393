package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// The command line wins over the environment, the environment over the
// editor's settings, for every setting; Origin names the winner.
func TestResolvePrecedence(t *testing.T) {
	inc1, inc2, inc3 := t.TempDir(), t.TempDir(), t.TempDir()
	flags := Settings{BpftraceVersion: "0.23", IncludePaths: []string{inc1}}
	e, probs := EnvSettings(env(map[string]string{
		"KGENT_BPFTRACE_VERSION": "0.20", "KGENT_INCLUDE_PATHS": inc2, "KGENT_CLANG": "/usr/bin/clang-14",
		"KGENT_VERIFY_ON_SAVE": "0", "KGENT_LLM_BASE_URL": "http://127.0.0.1:1/v1",
	}))
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	ed, ok, probs, err := EditorSettings(json.RawMessage(`{"kgent": {"bpftraceVersion": "0.17", "includePaths": ["` + inc3 + `"],
		"clangPath": "/opt/clang", "bpftracePath": "/opt/bpftrace", "verifyOnSave": true, "llm": {"baseURL": "https://example.com/v1", "model": "m"}}}`))
	if err != nil || !ok || len(probs) != 0 {
		t.Fatal(ok, probs, err)
	}
	c := Resolve(flags, e, ed)
	if len(c.Problems) != 0 {
		t.Fatal(c.Problems)
	}
	check := func(key, got, want, origin string) {
		t.Helper()
		if got != want || c.Origin[key] != origin {
			t.Errorf("%s = %q from %q, want %q from %q", key, got, c.Origin[key], want, origin)
		}
	}
	check("bpftraceVersion", c.BpftraceVersion, "0.23", FromFlags)
	check("includePaths", strings.Join(c.IncludePaths, ":"), inc1, FromFlags)
	check("clangPath", c.ClangPath, "/usr/bin/clang-14", FromEnv)
	check("bpftracePath", c.BpftracePath, "/opt/bpftrace", FromEditor)
	check("llm.baseURL", c.LLM.BaseURL, "http://127.0.0.1:1/v1", FromEnv)
	check("llm.model", c.LLM.Model, "m", FromEditor)
	if c.Verify() || c.Origin["verifyOnSave"] != FromEnv {
		t.Errorf("verifyOnSave: %v from %s", c.Verify(), c.Origin["verifyOnSave"])
	}
	// Without the upper layers the editor decides.
	c = Resolve(Settings{}, Settings{}, ed)
	check("bpftraceVersion", c.BpftraceVersion, "0.17", FromEditor)
	check("includePaths", strings.Join(c.IncludePaths, ":"), inc3, FromEditor)
	if !c.Verify() {
		t.Error("verifyOnSave from the editor is true")
	}
}

// A value that is not valid is not used: a Problem names the layer, the
// key as that layer spells it and why, and the next layer decides.
func TestResolveBadValues(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e, probs := EnvSettings(env(map[string]string{"KGENT_BPFTRACE_VERSION": "latest", "KGENT_VERIFY_ON_SAVE": "maybe",
		"KGENT_INCLUDE_PATHS": "/nonexistent/include" + string(os.PathListSeparator) + file}))
	if len(probs) != 1 || probs[0].Key != "KGENT_VERIFY_ON_SAVE" || !strings.Contains(probs[0].Error(), "maybe") {
		t.Fatalf("env problems: %v", probs)
	}
	ed := Settings{BpftraceVersion: "0.21", ClangPath: "bin/clang", LLM: LLM{Provider: "claude", BaseURL: "ftp://x"}, IncludePaths: []string{"rel/dir"}}
	c := Resolve(Settings{}, e, ed)
	if c.BpftraceVersion != "0.21" || c.Origin["bpftraceVersion"] != FromEditor {
		t.Errorf("a bad environment version must fall through to the editor's: %q", c.BpftraceVersion)
	}
	if c.ClangPath != "" || c.LLM.Provider != "" || c.LLM.BaseURL != "" || len(c.IncludePaths) != 0 {
		t.Errorf("bad values used: %+v", c.Settings)
	}
	var keys []string
	for _, p := range c.Problems {
		keys = append(keys, p.Layer+" "+p.Key)
	}
	want := []string{
		"editor settings clangPath", "environment KGENT_BPFTRACE_VERSION", "editor settings llm.provider", "editor settings llm.baseURL",
		"environment KGENT_INCLUDE_PATHS", "environment KGENT_INCLUDE_PATHS", "editor settings includePaths",
	}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}
	// The editor's relative include directory is refused too.
	c = Resolve(Settings{}, Settings{}, ed)
	if len(c.IncludePaths) != 0 || !strings.Contains(c.Problems[len(c.Problems)-1].Error(), "not an absolute path") {
		t.Errorf("relative editor include path: %v %v", c.IncludePaths, c.Problems)
	}
}

// A relative include directory on the command line or in the environment
// is the shell's: relative to the working directory.
func TestRelativeIncludeFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "inc"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	e, _ := EnvSettings(env(map[string]string{"KGENT_INCLUDE_PATHS": "inc"}))
	c := Resolve(Settings{}, e, Settings{})
	if len(c.IncludePaths) != 1 || c.IncludePaths[0] != filepath.Join(dir, "inc") {
		t.Fatalf("%v %v", c.IncludePaths, c.Problems)
	}
}

// Editor settings: both shapes, unknown keys reported (not fatal), a
// value of the wrong type an error naming the key.
func TestEditorSettings(t *testing.T) {
	for _, raw := range []string{`{"kgent": {"kbDir": "/k"}}`, `{"kbDir": "/k"}`} {
		s, ok, probs, err := EditorSettings(json.RawMessage(raw))
		if err != nil || !ok || len(probs) != 0 || s.KBDir != "/k" {
			t.Errorf("%s: %+v %v %v %v", raw, s, ok, probs, err)
		}
	}
	for _, raw := range []string{``, `null`, `{"kgent": null}`} {
		if _, ok, _, err := EditorSettings(json.RawMessage(raw)); ok || err != nil {
			t.Errorf("%q: ok %v err %v", raw, ok, err)
		}
	}
	s, ok, probs, err := EditorSettings(json.RawMessage(`{"kgent": {"kbDir": "/k", "verifyOnSafe": false, "llm": {"modle": "x", "model": "y"}}}`))
	if err != nil || !ok || s.KBDir != "/k" || s.LLM.Model != "y" || len(probs) != 2 || probs[0].Key != "llm.modle" || probs[1].Key != "verifyOnSafe" {
		t.Errorf("unknown keys: %+v %v %v", s, probs, err)
	}
	for raw, key := range map[string]string{`{"includePaths": "/x"}`: "includePaths", `{"verifyOnSave": "yes"}`: "verifyOnSave", `{"llm": {"model": 3}}`: "llm.model"} {
		_, _, _, err := EditorSettings(json.RawMessage(raw))
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: error %v does not name %s", raw, err, key)
		}
	}
	if _, _, _, err := EditorSettings(json.RawMessage(`[1]`)); err == nil {
		t.Error("an array is not settings")
	}
}
