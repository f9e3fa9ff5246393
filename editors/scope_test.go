package editors_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The VS Code settings that choose a binary kgent runs (as root, on save)
// or the endpoint the API key is sent to are machine-scoped: VS Code then
// ignores them in a workspace's .vscode/settings.json. The others may be
// set per workspace. docs/settings.md marks the same ones.
func TestVSCodeMachineScopedSettings(t *testing.T) {
	machine := map[string]bool{"kgent.serverPath": true, "kgent.clangPath": true, "kgent.bpftracePath": true, "kgent.llm.baseURL": true}
	data, err := os.ReadFile("vscode/package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Contributes struct {
			Configuration struct {
				Properties map[string]struct {
					Scope string `json:"scope"`
				} `json:"properties"`
			} `json:"configuration"`
		} `json:"contributes"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatal(err)
	}
	props := pkg.Contributes.Configuration.Properties
	if len(props) == 0 {
		t.Fatal("no settings in package.json")
	}
	for name := range machine {
		if _, ok := props[name]; !ok {
			t.Errorf("%s is not a setting any more", name)
		}
	}
	docs, err := os.ReadFile("../docs/settings.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range props {
		if machine[name] && p.Scope != "machine" {
			t.Errorf("%s has scope %q, want machine", name, p.Scope)
		}
		if !machine[name] && p.Scope == "machine" {
			t.Errorf("%s is machine-scoped but not listed here or in docs/settings.md", name)
		}
		if name == "kgent.serverPath" {
			continue // the extension's own setting, not the server's
		}
		row := "| `" + strings.TrimPrefix(name, "kgent.") + "` "
		marked := false
		for _, line := range strings.Split(string(docs), "\n") {
			if strings.HasPrefix(line, row) {
				marked = strings.Contains(line, "machine-scoped")
			}
		}
		if marked != machine[name] {
			t.Errorf("docs/settings.md: the row of %s says machine-scoped %v, want %v", name, marked, machine[name])
		}
	}
}
