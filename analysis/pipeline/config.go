package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/kgent/kgent/kb"
)

// Settings is one layer of configuration: what the command line, the
// environment or the editor says. A zero field is unset: the next layer
// decides. The JSON names are the editor's setting names (the `kgent`
// section; docs/settings.md).
type Settings struct {
	KBDir           string   `json:"kbDir"`
	TargetBTF       string   `json:"targetBTF"`
	VerifyOnSave    *bool    `json:"verifyOnSave"`
	ClangPath       string   `json:"clangPath"`
	BpftracePath    string   `json:"bpftracePath"`
	BpftraceVersion string   `json:"bpftraceVersion"`
	IncludePaths    []string `json:"includePaths"`
	// Targets are the kernels programs are checked against: "host" (the
	// kb above) and named profiles ("debian-6.1"); none is the host.
	Targets []string `json:"targets"`
	LLM     LLM      `json:"llm"`
}

// LLM says which model writes programs.
type LLM struct {
	// Provider is "offline" or "openai"; "" is openai when an endpoint or
	// a key is configured, else offline.
	Provider string `json:"provider"`
	BaseURL  string `json:"baseURL"`
	Model    string `json:"model"`
}

// Layer names, in the order they win.
const (
	FromFlags    = "command line"
	FromEnv      = "environment"
	FromEditor   = "editor settings"
	FromDefaults = "default"
)

// envNames are the environment variables of each setting.
var envNames = map[string]string{
	"verifyOnSave":    "KGENT_VERIFY_ON_SAVE",
	"clangPath":       "KGENT_CLANG",
	"bpftracePath":    "KGENT_BPFTRACE",
	"bpftraceVersion": "KGENT_BPFTRACE_VERSION",
	"includePaths":    "KGENT_INCLUDE_PATHS",
	"targets":         "KGENT_TARGETS",
	"llm.provider":    "KGENT_LLM_PROVIDER",
	"llm.baseURL":     "KGENT_LLM_BASE_URL",
	"llm.model":       "KGENT_LLM_MODEL",
}

// Problem is a configuration value that is not used, and why. Key is the
// setting's name as the layer spells it (a flag, an environment
// variable, an editor setting).
type Problem struct {
	Layer, Key, Value, Reason string
}

func (p Problem) Error() string {
	if p.Value == "" {
		return fmt.Sprintf("%s: %s: %s", p.Layer, p.Key, p.Reason)
	}
	return fmt.Sprintf("%s: %s=%q: %s", p.Layer, p.Key, p.Value, p.Reason)
}

// EnvSettings reads the environment layer through getenv (os.Getenv).
// Malformed values are Problems, and unset.
func EnvSettings(getenv func(string) string) (Settings, []Problem) {
	var s Settings
	var probs []Problem
	s.ClangPath = getenv(envNames["clangPath"])
	s.BpftracePath = getenv(envNames["bpftracePath"])
	s.BpftraceVersion = getenv(envNames["bpftraceVersion"])
	if v := getenv(envNames["includePaths"]); v != "" {
		s.IncludePaths = filepath.SplitList(v)
	}
	s.Targets = splitTargets(getenv(envNames["targets"]))
	switch v := getenv(envNames["verifyOnSave"]); strings.ToLower(v) {
	case "":
	case "0", "false", "no", "off":
		s.VerifyOnSave = ptr(false)
	case "1", "true", "yes", "on":
		s.VerifyOnSave = ptr(true)
	default:
		probs = append(probs, Problem{FromEnv, envNames["verifyOnSave"], v, "not a boolean (0 or 1)"})
	}
	s.LLM.Provider = getenv(envNames["llm.provider"])
	s.LLM.BaseURL = getenv(envNames["llm.baseURL"])
	s.LLM.Model = getenv(envNames["llm.model"])
	return s, probs
}

func ptr[T any](v T) *T { return &v }

// EditorSettings parses the editor's settings: {"kgent": {...}} or the
// bare object. ok is false when raw holds none. Keys kgent does not know
// are Problems (reported, not fatal: a newer extension may send more);
// values of the wrong type are an error naming the key.
func EditorSettings(raw json.RawMessage) (s Settings, ok bool, probs []Problem, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return s, false, nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return s, false, nil, fmt.Errorf("settings are not a JSON object: %v", err)
	}
	if inner, found := obj["kgent"]; found {
		if string(bytes.TrimSpace(inner)) == "null" {
			return s, false, nil, nil
		}
		obj = nil
		if err := json.Unmarshal(inner, &obj); err != nil {
			return s, false, nil, fmt.Errorf("the kgent section is not a JSON object: %v", err)
		}
	}
	known := settingNames(reflect.TypeOf(s), "")
	for k, v := range obj {
		if k == "llm" {
			var sub map[string]json.RawMessage
			if json.Unmarshal(v, &sub) == nil {
				for sk := range sub {
					if !known["llm."+sk] {
						probs = append(probs, Problem{FromEditor, "llm." + sk, "", "unknown setting (ignored)"})
					}
				}
			}
			continue
		}
		if !known[k] {
			probs = append(probs, Problem{FromEditor, k, "", "unknown setting (ignored)"})
		}
	}
	sort.Slice(probs, func(i, j int) bool { return probs[i].Key < probs[j].Key })
	for k, v := range obj {
		if !known[k] && k != "llm" {
			continue
		}
		one, _ := json.Marshal(map[string]json.RawMessage{k: v})
		if err := json.Unmarshal(one, &s); err != nil {
			var te *json.UnmarshalTypeError
			if ok := asTypeError(err, &te); ok {
				return Settings{}, false, probs, fmt.Errorf("setting %s: %s is not a %s", settingKey(k, te.Field), te.Value, te.Type)
			}
			return Settings{}, false, probs, fmt.Errorf("setting %s: %v", k, err)
		}
	}
	return s, true, probs, nil
}

func asTypeError(err error, te **json.UnmarshalTypeError) bool {
	t, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = t
	}
	return ok
}

func settingKey(top, field string) string {
	if field != "" {
		return field
	}
	return top
}

// settingNames lists the JSON names of t's fields, nested ones as
// "parent.child".
func settingNames(t reflect.Type, prefix string) map[string]bool {
	out := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[prefix+name] = true
		if f.Type.Kind() == reflect.Struct {
			for k := range settingNames(f.Type, prefix+name+".") {
				out[k] = true
			}
		}
	}
	return out
}

// Config is the one resolved configuration every front (the CLI, the
// language server, MCP, the agent) checks with.
type Config struct {
	Settings
	// Origin says which layer gave each setting that is set ("clangPath":
	// "environment").
	Origin map[string]string
	// Problems are the values that were not used, and why.
	Problems []Problem
	// Verbose keeps the verifier's statistics of accepted programs in
	// the log (kgent check -v); not a setting.
	Verbose bool
}

// Resolve merges the layers, the first that sets a value winning:
// command line, then environment, then editor settings. Values that are
// not valid (a relative tool path, a bpftrace version that is not one, an
// include directory that does not exist, an unknown provider, a base URL
// that is not http(s)) are dropped with a Problem naming the key and the
// layer, so the next layer or the default decides.
func Resolve(flags, env, editor Settings) Config {
	c := Config{Origin: map[string]string{}}
	layers := []struct {
		name string
		s    Settings
	}{{FromFlags, flags}, {FromEnv, env}, {FromEditor, editor}}
	keyIn := func(layer, key string) string {
		if layer == FromEnv {
			if n := envNames[key]; n != "" {
				return n
			}
		}
		if layer == FromFlags {
			return "--" + flagNames[key]
		}
		return key
	}
	pickStr := func(key string, get func(Settings) string, valid func(string) string, set func(string)) {
		for _, l := range layers {
			v := get(l.s)
			if v == "" {
				continue
			}
			if why := valid(v); why != "" {
				c.Problems = append(c.Problems, Problem{l.name, keyIn(l.name, key), v, why})
				continue
			}
			set(v)
			c.Origin[key] = l.name
			return
		}
	}
	anything := func(string) string { return "" }
	pickStr("kbDir", func(s Settings) string { return s.KBDir }, anything, func(v string) { c.KBDir = v })
	pickStr("targetBTF", func(s Settings) string { return s.TargetBTF }, anything, func(v string) { c.TargetBTF = v })
	pickStr("clangPath", func(s Settings) string { return s.ClangPath }, validTool, func(v string) { c.ClangPath = v })
	pickStr("bpftracePath", func(s Settings) string { return s.BpftracePath }, validTool, func(v string) { c.BpftracePath = v })
	pickStr("bpftraceVersion", func(s Settings) string { return s.BpftraceVersion }, validVersion, func(v string) { c.BpftraceVersion = normVersion(v) })
	pickStr("llm.provider", func(s Settings) string { return s.LLM.Provider }, validProvider, func(v string) { c.LLM.Provider = v })
	pickStr("llm.baseURL", func(s Settings) string { return s.LLM.BaseURL }, validURL, func(v string) { c.LLM.BaseURL = v })
	pickStr("llm.model", func(s Settings) string { return s.LLM.Model }, anything, func(v string) { c.LLM.Model = v })
	for _, l := range layers {
		if l.s.VerifyOnSave != nil {
			c.VerifyOnSave = ptr(*l.s.VerifyOnSave)
			c.Origin["verifyOnSave"] = l.name
			break
		}
	}
	for _, l := range layers {
		if len(l.s.Targets) == 0 {
			continue
		}
		var good []string
		for _, n := range l.s.Targets {
			if n != Host {
				if err := kb.CheckProfileName(n); err != nil {
					c.Problems = append(c.Problems, Problem{l.name, keyIn(l.name, "targets"), n, err.Error()})
					continue
				}
			}
			if !slices.Contains(good, n) {
				good = append(good, n)
			}
		}
		if len(good) > 0 {
			c.Targets = good
			c.Origin["targets"] = l.name
			break
		}
	}
	for _, l := range layers {
		if len(l.s.IncludePaths) == 0 {
			continue
		}
		var good []string
		for _, d := range l.s.IncludePaths {
			if d == "" {
				continue
			}
			if !filepath.IsAbs(d) && l.name != FromEditor {
				// On the command line and in the environment a relative
				// directory is the shell's: relative to where kgent runs.
				if abs, err := filepath.Abs(d); err == nil {
					d = abs
				}
			}
			if why := validDir(d); why != "" {
				c.Problems = append(c.Problems, Problem{l.name, keyIn(l.name, "includePaths"), d, why})
				continue
			}
			good = append(good, filepath.Clean(d))
		}
		if len(good) == 0 {
			continue // none usable: the next layer decides
		}
		c.IncludePaths = slices.Compact(good)
		c.Origin["includePaths"] = l.name
		break
	}
	return c
}

// flagNames are the command-line flags of the settings that have one.
var flagNames = map[string]string{
	"kbDir":           "kb",
	"targetBTF":       "btf",
	"bpftraceVersion": "bpftrace-version",
	"llm.provider":    "provider",
	"llm.model":       "model",
	"llm.baseURL":     "base-url",
	"clangPath":       "clang",
	"bpftracePath":    "bpftrace",
	"includePaths":    "include",
	"verifyOnSave":    "verify",
	"targets":         "target",
}

// validTool: a tool is named by an absolute path (a relative one would
// depend on the directory the server was started in) or by a bare name
// looked up on PATH.
func validTool(v string) string {
	if strings.ContainsRune(v, '/') && !filepath.IsAbs(v) {
		return "a relative path: give an absolute path, or a bare name looked up on PATH"
	}
	return ""
}

var versionRe = regexp.MustCompile(`^v?\d+\.\d+(\.\d+)?$`)

func validVersion(v string) string {
	if !versionRe.MatchString(strings.TrimSpace(v)) {
		return "not a bpftrace version (like 0.23 or 0.23.2)"
	}
	return ""
}

func normVersion(v string) string {
	n, _ := kb.ParseToolVersion(v)
	return n
}

func validProvider(v string) string {
	switch v {
	case "offline", "openai":
		return ""
	}
	return "unknown provider (offline, openai)"
}

func validURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "not an http(s) URL"
	}
	return ""
}

func validDir(d string) string {
	if !filepath.IsAbs(d) {
		return "not an absolute path (an editor's relative path has no directory it is relative to)"
	}
	st, err := os.Stat(d)
	switch {
	case err != nil:
		return "does not exist"
	case !st.IsDir():
		return "not a directory"
	}
	return ""
}

// Verify reports whether verification on save is on (the default).
func (c Config) Verify() bool { return c.VerifyOnSave == nil || *c.VerifyOnSave }

// KBOptions are the kb options of c: which kb to load.
func (c Config) KBOptions() kb.Options {
	return kb.Options{Dir: c.KBDir, BTFFile: c.TargetBTF}
}
