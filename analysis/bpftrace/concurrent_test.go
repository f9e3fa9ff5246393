package bpftrace

import (
	"os"
	"sync"
	"testing"
)

// TestCheckConcurrent: the language server checks documents in parallel.
func TestCheckConcurrent(t *testing.T) {
	k := hostKBFor(t)
	data, err := os.ReadFile("testdata/valid.bt")
	if err != nil {
		t.Fatal(err)
	}
	want := len(Check(string(data), Options{KB: k, Version: "0.17"}))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			v := []string{"0.17", "0.26", ""}[i%3]
			got := Check(string(data), Options{KB: k, Version: v})
			if v == "0.17" && len(got) != want {
				t.Errorf("run %d: %d findings, want %d", i, len(got), want)
			}
		}(i)
	}
	wg.Wait()
}
