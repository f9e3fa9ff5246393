package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kgent/kgent/analysis"
)

func sample() []File {
	text := "// 中文\nkprobe:tcp_connectx { }\n"
	off := strings.Index(text, "tcp_connectx")
	f := analysis.New(analysis.KG302, analysis.Span{Start: off, End: off + len("tcp_connectx")}, "kernel function tcp_connectx does not exist; did you mean tcp_connect").
		WithFix("Replace with tcp_connect", analysis.Span{Start: off, End: off + len("tcp_connectx")}, "tcp_connect").
		WithNote("checked against kernel 6.18.44 (host BTF)")
	return []File{{Path: "x.bt", Text: text, Findings: []analysis.Finding{f}}}
}

func TestJSONShape(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sample(), KBInfo{Kernel: "6.18.44", Source: "host"}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	files := got["files"].([]any)
	d := files[0].(map[string]any)["diagnostics"].([]any)[0].(map[string]any)
	for _, key := range []string{"range", "severity", "code", "source", "message", "notes", "related", "fixes"} {
		if _, ok := d[key]; !ok {
			t.Errorf("diagnostic lacks %q: %v", key, d)
		}
	}
	start := d["range"].(map[string]any)["start"].(map[string]any)
	if start["line"].(float64) != 1 || start["character"].(float64) != 7 {
		t.Errorf("start %v", start)
	}
	if d["severity"] != "error" || d["code"] != "KG302" || d["source"] != "kgent" {
		t.Errorf("fields %v", d)
	}
	edit := d["fixes"].([]any)[0].(map[string]any)["edits"].([]any)[0].(map[string]any)
	if edit["newText"] != "tcp_connect" {
		t.Errorf("edit %v", edit)
	}
	if kb := got["kb"].(map[string]any); kb["kernel"] != "6.18.44" || kb["reference"] != false {
		t.Errorf("kb %v", kb)
	}
}

func TestText(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteText(&buf, sample(), false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "x.bt:2:8: error KG302: kernel function tcp_connectx does not exist") {
		t.Errorf("text %q", buf.String())
	}
}

func TestSARIF(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, sample(), "1.0", "/nonexistent"); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string } `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						Region           struct {
							StartLine, StartColumn int
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	r := log.Runs[0].Results[0]
	if log.Version != "2.1.0" || r.RuleID != "KG302" || log.Runs[0].Tool.Driver.Rules[r.RuleIndex].ID != "KG302" || r.Level != "error" {
		t.Fatalf("sarif %+v", log)
	}
	reg := r.Locations[0].PhysicalLocation.Region
	if reg.StartLine != 2 || reg.StartColumn != 8 {
		t.Errorf("region %+v", reg)
	}
}

// Related places print as compiler notes on their own lines.
func TestTextRelated(t *testing.T) {
	files := sample()
	text := files[0].Text
	files[0].Findings[0].Related = []analysis.Related{{Span: analysis.Span{Start: strings.Index(text, "{"), End: strings.Index(text, "{") + 1}, Message: "the probe's body"}}
	var buf bytes.Buffer
	if err := WriteText(&buf, files, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\nx.bt:2:21: note: the probe's body\n") {
		t.Errorf("text %q", buf.String())
	}
}
