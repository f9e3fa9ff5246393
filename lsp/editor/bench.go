package editor

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Session describes one benchmark: a server command, the file it edits
// and the edit repeated.
type Session struct {
	Name string
	// Command starts the server on stdio (its stderr is discarded unless
	// Stderr is set).
	Command []string
	Dir     string
	Env     []string
	Stderr  io.Writer
	// InitializationOptions are sent with initialize.
	InitializationOptions any
	// Path is the file (absolute); Text its content (written by the
	// caller when the server reads the disk, as clangd does).
	Path, LanguageID, Text string
	// Edit is inserted at the start of line EditLine, Edits times, each
	// awaiting the diagnostics of its version.
	EditLine int
	Edit     string
	Edits    int
	// Pace is the pause before each edit (a typist's rhythm); 0 sends the
	// next edit as soon as the last one's diagnostics arrive.
	Pace    time.Duration
	Timeout time.Duration
}

// Result are the figures of one session.
type Result struct {
	Name string
	// Init is spawn to the initialize response.
	Init time.Duration
	// FirstDiagnostics is didOpen to the first publishDiagnostics (the
	// server has just started: for kgent it includes loading the kb).
	FirstDiagnostics time.Duration
	// WarmOpen is the same for a second copy of the file opened after the
	// edits, with the server warm.
	WarmOpen time.Duration
	// Change holds didChange to publishDiagnostics, one per edit.
	Change   []time.Duration
	P50, P99 time.Duration
	// RSS and PeakRSS of the server process at the end, in MiB.
	RSS, PeakRSS float64
	// Diagnostics is the number of diagnostics of the last publish.
	Diagnostics int
}

func (r Result) String() string {
	return fmt.Sprintf("%-8s init %5.1f ms  first diagnostics %7.1f ms (warm %7.1f ms)  didChange->diagnostics p50 %6.2f ms  p99 %6.2f ms (%d edits)  RSS %5.1f MiB (peak %.1f)",
		r.Name, ms(r.Init), ms(r.FirstDiagnostics), ms(r.WarmOpen), ms(r.P50), ms(r.P99), len(r.Change), r.RSS, r.PeakRSS)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// editorCapabilities are what VS Code and Neovim announce, as far as the
// session uses them.
var editorCapabilities = map[string]any{
	"window":       map[string]any{"workDoneProgress": true},
	"workspace":    map[string]any{"configuration": true, "applyEdit": true},
	"textDocument": map[string]any{"publishDiagnostics": map[string]any{"relatedInformation": true, "versionSupport": true}},
}

// Run starts the server, runs the session and shuts the server down.
func Run(ctx context.Context, s Session) (Result, error) {
	res := Result{Name: s.Name}
	if s.Timeout == 0 {
		s.Timeout = 60 * time.Second
	}
	cmd := exec.CommandContext(ctx, s.Command[0], s.Command[1:]...)
	cmd.Dir, cmd.Stderr = s.Dir, s.Stderr
	if s.Env != nil {
		cmd.Env = append(os.Environ(), s.Env...)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return res, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("starting %s: %w", s.Command[0], err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	c := New(stdout, stdin)
	uri := "file://" + s.Path
	dir := s.Path[:strings.LastIndexByte(s.Path, '/')+1]
	if _, err := c.Call("initialize", map[string]any{"processId": os.Getpid(), "rootUri": "file://" + dir,
		"capabilities": editorCapabilities, "initializationOptions": s.InitializationOptions}, s.Timeout); err != nil {
		return res, err
	}
	res.Init = time.Since(t0)
	if err := c.Notify("initialized", map[string]any{}); err != nil {
		return res, err
	}
	t1 := time.Now()
	if err := c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": s.LanguageID, "version": 1, "text": s.Text}}); err != nil {
		return res, err
	}
	d, err := c.AwaitDiagnostics(uri, 1, s.Timeout)
	if err != nil {
		return res, fmt.Errorf("first diagnostics: %w", err)
	}
	res.FirstDiagnostics = time.Since(t1)
	for i := 0; i < s.Edits; i++ {
		v := i + 2
		time.Sleep(s.Pace)
		pos := map[string]any{"line": s.EditLine, "character": 0}
		t := time.Now()
		if err := c.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": v},
			"contentChanges": []any{map[string]any{"range": map[string]any{"start": pos, "end": pos}, "text": s.Edit}}}); err != nil {
			return res, err
		}
		if d, err = c.AwaitDiagnostics(uri, v, s.Timeout); err != nil {
			return res, fmt.Errorf("diagnostics of version %d: %w", v, err)
		}
		res.Change = append(res.Change, time.Since(t))
	}
	res.Diagnostics = len(d.Diagnostics)
	warm := "file://" + dir + "warm-" + s.Path[len(dir):]
	t2 := time.Now()
	if err := c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": warm, "languageId": s.LanguageID, "version": 1, "text": s.Text}}); err != nil {
		return res, err
	}
	if _, err := c.AwaitDiagnostics(warm, 1, s.Timeout); err != nil {
		return res, fmt.Errorf("diagnostics of the second open: %w", err)
	}
	res.WarmOpen = time.Since(t2)
	res.P50, res.P99 = Percentile(res.Change, 0.50), Percentile(res.Change, 0.99)
	res.RSS, res.PeakRSS = Memory(cmd.Process.Pid) // with two documents open
	if _, err := c.Call("shutdown", nil, 10*time.Second); err == nil {
		_ = c.Notify("exit", nil)
		// Wait for the server to close the stream (or give up).
		_, _ = c.Await(5*time.Second, func(Message) bool { return false })
	}
	return res, nil
}

// Percentile of durations (nearest rank); 0 for none.
func Percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p+0.5)]
}

// Memory reads VmRSS and VmHWM of process pid in MiB (that process
// alone: not its children).
func Memory(pid int) (rss, peak float64) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "VmRSS:":
			rss = float64(kb) / 1024
		case "VmHWM:":
			peak = float64(kb) / 1024
		}
	}
	return rss, peak
}
