// Package report turns findings into the output formats kgent promises:
// compiler-style text, the JSON described in docs/architecture.md (also what the MCP front
// returns) and SARIF 2.1.0. Positions are 0-based lines and UTF-16
// characters in JSON, 1-based in text and SARIF.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/kgent/kgent/analysis"
)

// File is one checked document.
type File struct {
	Path     string
	Text     string
	Findings []analysis.Finding
	Err      error // the file could not be checked (exit status 2)
}

// KBInfo describes the kb the files were checked against.
type KBInfo struct {
	Kernel    string `json:"kernel"`
	Source    string `json:"source"`
	Reference bool   `json:"reference"`
}

// Position and Range are the JSON shapes of positions.
type Position struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

type Range struct {
	Start Position `json:"start"`
	End   Position `json:"end"`
}

type JSONEdit struct {
	Range   Range  `json:"range"`
	NewText string `json:"newText"`
}

type JSONFix struct {
	Title string     `json:"title"`
	Edits []JSONEdit `json:"edits"`
}

type JSONRelated struct {
	Path    string `json:"path"`
	Range   Range  `json:"range"`
	Message string `json:"message"`
}

type JSONDiagnostic struct {
	Range    Range         `json:"range"`
	Severity string        `json:"severity"`
	Code     string        `json:"code"`
	Source   string        `json:"source"`
	Message  string        `json:"message"`
	Notes    []string      `json:"notes"`
	Related  []JSONRelated `json:"related"`
	Fixes    []JSONFix     `json:"fixes"`
	// Targets are the kernels the diagnostic applies to, when the file
	// was checked against several (kgent check --target).
	Targets []string `json:"targets,omitempty"`
}

type JSONFile struct {
	Path        string           `json:"path"`
	Diagnostics []JSONDiagnostic `json:"diagnostics"`
	Error       string           `json:"error,omitempty"`
}

type JSONReport struct {
	Files []JSONFile `json:"files"`
	KB    KBInfo     `json:"kb"`
}

func toRange(idx *analysis.LineIndex, s analysis.Span) Range {
	a, b := idx.Position(s.Start), idx.Position(s.End)
	return Range{Start: Position{a.Line, a.Character}, End: Position{b.Line, b.Character}}
}

// Diagnostics converts findings of one text to the JSON shape.
func Diagnostics(path, text string, fs []analysis.Finding) []JSONDiagnostic {
	idx := analysis.NewLineIndex(text)
	out := make([]JSONDiagnostic, 0, len(fs))
	for _, f := range analysis.Sort(fs) {
		d := JSONDiagnostic{
			Range: toRange(idx, f.Span), Severity: f.Severity.String(), Code: f.Code,
			Source: f.Source, Message: f.Message,
			Notes: nonNil(f.Notes), Related: []JSONRelated{}, Fixes: []JSONFix{}, Targets: f.Targets,
		}
		for _, r := range f.Related {
			p := r.Path
			if p == "" {
				p = path
			}
			d.Related = append(d.Related, JSONRelated{Path: p, Range: toRange(idx, r.Span), Message: r.Message})
		}
		for _, fx := range f.Fixes {
			jf := JSONFix{Title: fx.Title, Edits: []JSONEdit{}}
			for _, e := range fx.Edits {
				jf.Edits = append(jf.Edits, JSONEdit{Range: toRange(idx, e.Span), NewText: e.NewText})
			}
			d.Fixes = append(d.Fixes, jf)
		}
		out = append(out, d)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// JSON builds the JSON report.
func JSON(files []File, k KBInfo) JSONReport {
	r := JSONReport{Files: []JSONFile{}, KB: k}
	for _, f := range files {
		jf := JSONFile{Path: f.Path, Diagnostics: Diagnostics(f.Path, f.Text, f.Findings)}
		if f.Err != nil {
			jf.Error = f.Err.Error()
		}
		r.Files = append(r.Files, jf)
	}
	return r
}

// WriteJSON writes the JSON report.
func WriteJSON(w io.Writer, files []File, k KBInfo) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(JSON(files, k))
}

// WriteText writes findings like a compiler: path:line:col: severity CODE: message.
func WriteText(w io.Writer, files []File, verbose bool) error {
	for _, f := range files {
		if f.Err != nil {
			fmt.Fprintf(w, "%s: error: %v\n", f.Path, f.Err)
			continue
		}
		idx := analysis.NewLineIndex(f.Text)
		for _, d := range analysis.Sort(f.Findings) {
			p := idx.Position(d.Span.Start)
			fmt.Fprintf(w, "%s:%d:%d: %s %s: %s\n", f.Path, p.Line+1, p.Character+1, d.Severity, d.Code, d.Message)
			line := strings.TrimRight(f.Text[idx.LineStart(p.Line):idx.LineEnd(p.Line)], "\r")
			if line != "" && len(line) < 400 {
				fmt.Fprintf(w, "    %s\n", strings.ReplaceAll(line, "\t", "    "))
			}
			for _, r := range d.Related {
				// Compiler style, so that editors' quickfix lists
				// jump to the places that explain the finding.
				path := r.Path
				rp := p
				if path == "" {
					path = f.Path
					rp = idx.Position(r.Span.Start)
				} else {
					rp = analysis.Position{}
				}
				fmt.Fprintf(w, "%s:%d:%d: note: %s\n", path, rp.Line+1, rp.Character+1, r.Message)
			}
			for _, fx := range d.Fixes {
				fmt.Fprintf(w, "    fix: %s\n", fx.Title)
			}
			notes := d.Notes
			if !verbose && len(notes) > 2 {
				notes = notes[:2]
			}
			for _, n := range notes {
				if !verbose && len(n) > 300 {
					n = n[:300] + "… (use -v for all)"
				}
				for _, l := range strings.Split(n, "\n") {
					fmt.Fprintf(w, "    note: %s\n", l)
				}
			}
		}
	}
	return nil
}

// WriteMatrix ends a text report of files checked against several
// kernels with a table: one row per file, one column per target, each
// cell "ok" or the codes of the errors that apply to that kernel (a file
// kgent could not check is "-").
func WriteMatrix(w io.Writer, files []File, targets []string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "file")
	for _, t := range targets {
		fmt.Fprint(tw, "\t"+t)
	}
	fmt.Fprintln(tw)
	for _, f := range files {
		fmt.Fprint(tw, f.Path)
		for _, t := range targets {
			cell := "ok"
			if f.Err != nil {
				cell = "-"
			}
			var codes []string
			for _, d := range f.Findings {
				if d.Severity == analysis.Error && (len(d.Targets) == 0 || slices.Contains(d.Targets, t)) && !slices.Contains(codes, d.Code) {
					codes = append(codes, d.Code)
				}
			}
			if len(codes) > 0 {
				cell = strings.Join(codes, ",")
			}
			fmt.Fprint(tw, "\t"+cell)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// Summary counts findings by severity.
func Summary(files []File) (errors, warnings, infos int) {
	for _, f := range files {
		for _, d := range f.Findings {
			switch d.Severity {
			case analysis.Error:
				errors++
			case analysis.Warning:
				warnings++
			default:
				infos++
			}
		}
	}
	return
}

// sarif types: only what GitHub code scanning reads.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	ShortDescription     sarifText       `json:"shortDescription"`
	HelpURI              string          `json:"helpUri"`
	DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifText       `json:"message"`
	Locations  []sarifLocation `json:"locations"`
	Properties *sarifProps     `json:"properties,omitempty"`
}

// sarifProps carry the kernels a result applies to.
type sarifProps struct {
	Targets []string `json:"targets"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"`
}

func sarifLevel(s analysis.Severity) string {
	switch s {
	case analysis.Error:
		return "error"
	case analysis.Warning:
		return "warning"
	}
	return "note"
}

// WriteSARIF writes SARIF 2.1.0 with paths relative to wd.
func WriteSARIF(w io.Writer, files []File, toolVersion, wd string) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "kgent", Version: toolVersion,
		InformationURI: "https://github.com/kgent/kgent", Rules: []sarifRule{}}}, Results: []sarifResult{}}
	ruleIdx := map[string]int{}
	for _, c := range analysis.Codes() {
		ruleIdx[c.Code] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: c.Code, ShortDescription: sarifText{c.Title},
			HelpURI: analysis.DocURL(c.Code), DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(c.Severity)}})
	}
	for _, f := range files {
		uri := f.Path
		if abs, err := filepath.Abs(f.Path); err == nil && wd != "" {
			if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
				uri = rel
			}
		}
		uri = filepath.ToSlash(uri)
		idx := analysis.NewLineIndex(f.Text)
		for _, d := range analysis.Sort(f.Findings) {
			a, b := idx.Position(d.Span.Start), idx.Position(d.Span.End)
			msg := d.Message
			if len(d.Notes) > 0 && len(d.Notes[0]) < 300 {
				msg += " (" + d.Notes[0] + ")"
			}
			var props *sarifProps
			if len(d.Targets) > 0 {
				props = &sarifProps{Targets: d.Targets}
			}
			run.Results = append(run.Results, sarifResult{Properties: props,
				RuleID: d.Code, RuleIndex: ruleIdx[d.Code], Level: sarifLevel(d.Severity), Message: sarifText{msg},
				Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
					ArtifactLocation: sarifArtifact{URI: uri},
					Region:           sarifRegion{StartLine: a.Line + 1, StartColumn: a.Character + 1, EndLine: b.Line + 1, EndColumn: b.Character + 1},
				}}},
			})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}
