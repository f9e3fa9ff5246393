package mcp

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kgent/kgent/internal/testenv"
)

// TestCheckProgramIncludeOfOwnInput: a client names a path under
// /proc/self/fd and includes the server's own input (its stdin in
// production): the check answers KG506 without reading it, and the
// requests that follow are not lost. Likewise for /dev/zero, which used to
// be read until memory ran out.
func TestCheckProgramIncludeOfOwnInput(t *testing.T) {
	k := testenv.HostKB(t, testenv.Tracefs, testenv.Headers)
	inR, inW, err := os.Pipe() // a real descriptor, as stdin is
	if err != nil {
		t.Fatal(err)
	}
	defer inW.Close()
	fd := strconv.Itoa(int(inR.Fd()))
	s, done := startRaw(t, k, inR, inW)
	prog := func(include string) string {
		return strconv.Quote("#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n#include \"" + include + "\"\n" +
			"SEC(\"tp/syscalls/sys_enter_openat\")\nint f(void *ctx) { bpf_kgent_unknown(ctx); return 0; }\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n")
	}
	cases := []struct{ path, include string }{
		{"/proc/self/fd/prog.bpf.c", fd},
		{"/proc/self/fd/0", "0"},
		{"/dev/zero", "zero"},
	}
	for i, c := range cases {
		id := 2 + 2*i
		s.send(`{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"method":"tools/call","params":{"name":"check_program","arguments":{"language":"c","path":` +
			strconv.Quote(c.path) + `,"source":` + prog(c.include) + `}}}`)
		res := s.answer(id)["result"].(map[string]any)
		body := res["content"].([]any)[0].(map[string]any)["text"].(string)
		if res["isError"] == true || !strings.Contains(body, "KG506") || !strings.Contains(body, "is not a regular file") {
			t.Fatalf("path %s, #include %q: %v", c.path, c.include, res)
		}
		// The next request still arrives.
		s.send(`{"jsonrpc":"2.0","id":` + strconv.Itoa(id+1) + `,"method":"tools/call","params":{"name":"lookup_kernel","arguments":{"kind":"function","query":"tcp_v4_connect"}}}`)
		if r := s.answer(id + 1)["result"].(map[string]any); r["isError"] == true {
			t.Fatalf("lookup after the check: %v", r)
		}
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
