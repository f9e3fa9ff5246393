package pipeline

import (
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
	"github.com/kgent/kgent/kb"
)

// BenchmarkTargets checks one C example against the host alone and
// against the host and the four Debian kernels (target: at most 3x), and
// reports the heap each extra target's kb adds once its nearest-name
// indexes are built (target: at most 10 MB per target).
func BenchmarkTargets(b *testing.B) {
	k := testenv.HostKB(b, testenv.Tracefs, testenv.Headers)
	testenv.Kernels(b)
	src, err := os.ReadFile("../../kb/examples/c-skb-drop-reasons/prog.bpf.c")
	if err != nil {
		b.Fatal(err)
	}
	// A misspelled helper makes every kb build its nearest-name index.
	text := string(src) + "\nSEC(\"tp/sched/sched_switch\")\nint typo(void *ctx) { return bpf_get_current_pid_tgidd(); }\n"
	for _, tc := range []struct {
		name    string
		targets []string
	}{{"host", nil}, {"host+4", append([]string{Host}, testenv.DebianKernels...)}} {
		b.Run(tc.name, func(b *testing.B) {
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			p := New(Config{Settings: Settings{Targets: tc.targets}}, k)
			if probs := p.Problems(); len(probs) > 0 {
				b.Fatal(probs)
			}
			doc := Document{Path: "/tmp/bench.bpf.c", Text: text}
			if _, err := p.Analyze(context.Background(), doc); err != nil {
				b.Fatal(err)
			}
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ResetTimer()
			for b.Loop() {
				if _, err := p.Analyze(context.Background(), doc); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if extra := len(p.Targets()) - 1; extra > 0 {
				b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1e6/float64(extra), "MB-heap/extra-target")
			}
			runtime.KeepAlive(p)
		})
	}
	_ = kb.SchemaVersion
}
