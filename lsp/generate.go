package lsp

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/kgent/kgent/agent"
	"github.com/kgent/kgent/analysis"
)

// intentComment finds the comment block around line: consecutive lines
// starting with // (or # in bpftrace, not #include/#define). It returns
// the request text and the line after the block, or ok=false.
func intentComment(text string, line int) (request string, after int, ok bool) {
	lines := strings.Split(text, "\n")
	if line < 0 || line >= len(lines) {
		return "", 0, false
	}
	isComment := func(l string) (string, bool) {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "//"):
			return strings.TrimSpace(strings.TrimPrefix(t, "//")), true
		case strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "#!") && !strings.HasPrefix(t, "#include") && !strings.HasPrefix(t, "#define"):
			return strings.TrimSpace(strings.TrimPrefix(t, "#")), true
		}
		return "", false
	}
	if _, ok := isComment(lines[line]); !ok {
		return "", 0, false
	}
	start, end := line, line
	for start > 0 {
		if _, ok := isComment(lines[start-1]); !ok {
			break
		}
		start--
	}
	for end+1 < len(lines) {
		if _, ok := isComment(lines[end+1]); !ok {
			break
		}
		end++
	}
	var words []string
	for i := start; i <= end; i++ {
		w, _ := isComment(lines[i])
		words = append(words, w)
	}
	request = strings.TrimSpace(strings.Join(words, " "))
	// An intent has a few words; a license header or a one-word note is
	// not one.
	if len(strings.Fields(request)) < 3 && len([]rune(request)) < 6 {
		return "", 0, false
	}
	return request, end + 1, true
}

// generateAction is the code action offered on an intent comment.
func generateAction(uri protocol.DocumentURI, text string, line int) *protocol.CodeAction {
	if _, _, ok := intentComment(text, line); !ok {
		return nil
	}
	return &protocol.CodeAction{
		Title: "Generate eBPF program from comment",
		Kind:  protocol.RefactorRewrite,
		Command: &protocol.Command{Title: "Generate eBPF program from comment", Command: "kgent.generate",
			Arguments: []any{map[string]any{"uri": uri, "line": line}}},
	}
}

// generate runs the agent for the comment at line and inserts the program
// after the comment with workspace/applyEdit; nothing is written to disk.
func (s *server) generate(args []json.RawMessage) (any, error) {
	var a struct {
		URI  protocol.DocumentURI `json:"uri"`
		Line int                  `json:"line"`
	}
	if len(args) == 0 || json.Unmarshal(args[0], &a) != nil {
		return nil, &jsonrpc2.Error{Code: jsonrpc2.InvalidParams, Message: `kgent.generate takes {"uri": ..., "line": N}`}
	}
	d := s.doc(a.URI)
	if d == nil {
		return nil, &jsonrpc2.Error{Code: jsonrpc2.InvalidParams, Message: "document is not open: " + string(a.URI)}
	}
	text, _, version := d.snapshot()
	dialect := d.dialect
	request, after, ok := intentComment(text, a.Line)
	if !ok {
		return nil, &jsonrpc2.Error{Code: jsonrpc2.InvalidParams, Message: "no comment stating an intent at this line"}
	}
	// The reply goes now; the work runs in its own goroutine with progress.
	s.goSafe("generation", func() {
		token := s.newProgress("generate")
		// The cancel handler is registered before the client learns the
		// token (progress "begin"): a cancel sent right after "begin"
		// must find it.
		gctx, gcancel := context.WithTimeout(s.connCtx, 10*time.Minute)
		defer gcancel()
		s.trackCancel(token, gcancel)
		defer s.untrackCancel(token)
		s.kbWait(gctx, 0)
		opts, perr := s.agentOptions()
		start := "offline provider: retrieving the closest verified example"
		if opts.Provider != nil {
			start = "asking " + opts.Provider.Name()
		}
		s.progress(token, map[string]any{"kind": "begin", "title": "kgent: generating", "message": start})
		if perr != nil {
			s.progress(token, map[string]any{"kind": "end", "message": perr.Error()})
			s.notify("window/showMessage", protocol.ShowMessageParams{Type: protocol.MessageTypeError, Message: "kgent: " + perr.Error()})
			return
		}
		opts.Progress = func(msg string) {
			s.progress(token, map[string]any{"kind": "report", "message": msg})
		}
		r, err := agent.Generate(gctx, agent.Request{Text: request, Lang: dialect}, opts)
		if err != nil {
			s.progress(token, map[string]any{"kind": "end", "message": err.Error()})
			s.notify("window/showMessage", protocol.ShowMessageParams{Type: protocol.MessageTypeWarning, Message: "kgent: " + err.Error()})
			return
		}
		s.progress(token, map[string]any{"kind": "report", "message": "checked: " + checkedMessage(r)})
		insert := "\n" + r.Program
		if !strings.HasSuffix(insert, "\n") {
			insert += "\n"
		}
		pos := protocol.Position{Line: uint32(after), Character: 0}
		if lines := strings.Count(text, "\n"); after > lines {
			// The comment is the last line without a newline.
			idx := analysis.NewLineIndex(text)
			p := idx.Position(len(text))
			pos = protocol.Position{Line: uint32(p.Line), Character: uint32(p.Character)}
			insert = "\n" + insert
		}
		edit := protocol.ApplyWorkspaceEditParams{Label: "kgent: generate from comment", Edit: protocol.WorkspaceEdit{
			DocumentChanges: []protocol.TextDocumentEdit{{
				TextDocument: protocol.OptionalVersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: a.URI}, Version: &version},
				Edits:        []protocol.TextEdit{{Range: protocol.Range{Start: pos, End: pos}, NewText: insert}},
			}}}}
		actx, acancel := context.WithTimeout(s.connCtx, 30*time.Second)
		defer acancel()
		var res protocol.ApplyWorkspaceEditResponse
		if _, err := s.conn.Call(actx, "workspace/applyEdit", edit, &res); err != nil {
			s.log.Printf("applyEdit: %v", err)
		}
		msg := "inserted a program from the verified example " + r.Example + " (offline provider: retrieval, not generation; configure an LLM endpoint to generate)"
		if r.Provider != "offline" {
			msg = "inserted a program generated by " + r.Provider + " in " + strconv.Itoa(len(r.Attempts)) + " attempt(s): " + checkedMessage(r)
		} else if r.Example == "" {
			msg = "inserted a program composed from the request and the kernel's facts (offline provider; no verified example fits)"
		}
		typ := protocol.MessageTypeInfo
		if r.Intent != nil {
			if msg += "; the program " + r.Intent.Sentence; !r.Intent.Fits {
				typ = protocol.MessageTypeWarning
			}
		}
		s.progress(token, map[string]any{"kind": "end", "message": msg})
		s.notify("window/showMessage", protocol.ShowMessageParams{Type: typ, Message: "kgent: " + msg})
	})
	return nil, nil
}

// trackCancel lets window/workDoneProgress/cancel stop a generation.
func (s *server) trackCancel(token *protocol.ProgressToken, cancel context.CancelFunc) {
	if token == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancels == nil {
		s.cancels = map[string]context.CancelFunc{}
	}
	s.cancels[token.String()] = cancel
}

func (s *server) untrackCancel(token *protocol.ProgressToken) {
	if token == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cancels, token.String())
}

// agentOptions checks candidates through the server's pipeline and
// chooses the provider from the resolved llm settings (environment over
// editor settings; offline when nothing configures an endpoint). The
// environment's key goes only to the environment's endpoint: an
// llm.baseURL naming another gets no key, and the user is told why
// (agent.OpenAI.KeyWithheld).
func (s *server) agentOptions() (agent.Options, error) {
	// A model's program is untrusted input: the agent verifies it
	// without root, its tool output filtered to its own file.
	opts := agent.Options{Pipeline: s.pipe, Verify: true}
	p, err := agent.ProviderFor(s.pipe.Config().LLM, s.opts.Getenv)
	if err != nil {
		return opts, err
	}
	if o, ok := p.(*agent.OpenAI); ok {
		if w := o.KeyWithheld(); w != "" {
			s.log.Printf("generation: %s", w)
			s.notify("window/showMessage", protocol.ShowMessageParams{Type: protocol.MessageTypeWarning, Message: "kgent: " + w})
		}
	}
	opts.Provider = p
	return opts, nil
}

func checkedMessage(r *agent.Result) string {
	if r.Clean {
		return "no errors from the static checks"
	}
	return "the static checks report errors"
}
