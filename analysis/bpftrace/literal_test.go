package bpftrace

import (
	"strings"
	"testing"
)

// Integer literals every release takes, the tools bpftrace ships among
// them (execsnoop divides by 1e6), are not syntax errors; 10u8 is.
func TestIntegerLiterals(t *testing.T) {
	for lit, ok := range map[string]bool{"1e6": true, "1e9": true, "1_000": true, "0x1f": true, "10ul": true, "1e": false, "10u8": false, "0xg": false} {
		src := "BEGIN { @x = 100 / " + lit + "; exit(); }\n"
		fs, _ := CheckContext(t.Context(), src, Options{Version: "0.17"})
		bad := false
		for _, f := range fs {
			bad = bad || f.Code == "KG100" && strings.Contains(f.Message, "integer literal")
		}
		if bad == ok {
			t.Errorf("%s: syntax error %v, want %v: %+v", lit, bad, !ok, fs)
		}
	}
}
