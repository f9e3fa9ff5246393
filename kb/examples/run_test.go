package examples

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kgent/kgent/internal/testenv"
)

// TestExamplesRun attaches each bpftrace example that has a trigger (all
// of them must attach here: none may use kprobes), runs the trigger, and
// requires that the example's own event probes fired: every probe other
// than BEGIN, END and interval gets a counter at the start of its action
// block, and the counter printed at exit must be non-zero. Output printed
// by BEGIN (a header) is no evidence. Runs are bounded in time and killed
// with their process group.
func TestExamplesRun(t *testing.T) {
	testenv.Short(t, "attaches every bpftrace example under its trigger for seconds each")
	testenv.Require(t, testenv.BPF, testenv.Bpftrace, testenv.Tracefs)
	exs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	ran, want := 0, 0
	for _, e := range exs {
		if e.Dialect != "bpftrace" || e.Trigger == "" {
			continue
		}
		want++
		if strings.Contains(e.Source, "kprobe:") {
			t.Errorf("%s: has a trigger but uses kprobes, which this kernel cannot attach", e.Slug)
			continue
		}
		ran++
		t.Run(e.Slug, func(t *testing.T) {
			dir := t.TempDir()
			prog := filepath.Join(dir, "prog.bt")
			// End the run by itself after a few seconds so END and map
			// printing happen even without a signal.
			src, probes := countEvents(e.Source)
			if probes == 0 {
				t.Fatalf("no event probe to count in:\n%s", e.Source)
			}
			src += "\ninterval:s:4 { exit(); }\n"
			if err := os.WriteFile(prog, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bpftrace", prog)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
			cmd.WaitDelay = 2 * time.Second
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string, 1000)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			var out []string
			attached := false
			for l := range lines {
				out = append(out, l)
				if strings.HasPrefix(l, "Attaching") && !attached {
					attached = true
					// The banner comes before every probe is live: give
					// them a moment, then trigger a few times.
					go func() {
						for i := 0; i < 3; i++ {
							time.Sleep(700 * time.Millisecond)
							trig := exec.CommandContext(ctx, "sh", "-c", e.Trigger)
							_ = trig.Run()
						}
					}()
				}
			}
			_ = cmd.Wait()
			if !attached {
				t.Fatalf("bpftrace did not attach:\n%s", strings.Join(out, "\n"))
			}
			events := -1
			for _, l := range out {
				if n, ok := strings.CutPrefix(l, eventCounter+": "); ok {
					events, _ = strconv.Atoi(n)
				}
			}
			if events <= 0 {
				t.Fatalf("the example's probes did not fire under the trigger %q (%s: %d):\n%s", e.Trigger, eventCounter, events, strings.Join(out, "\n"))
			}
		})
	}
	if ran != want || ran == 0 {
		t.Fatalf("%d of the %d examples with a trigger ran", ran, want)
	}
}
