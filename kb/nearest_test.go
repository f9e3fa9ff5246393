package kb

import "testing"

func TestGlob(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"tcp_*", "tcp_connect", true},
		{"tcp_*", "udp_connect", false},
		{"*connect", "tcp_v4_connect", true},
		{"tcp_v?_connect", "tcp_v6_connect", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"", "", true},
		{"*", "", true},
	}
	for _, c := range cases {
		if got := Glob(c.p, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func TestEditDistance(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"kernal", "kernel", 1},
		{"abc", "acb", 1},
		{"", "abc", 3},
		{"tcp_connect", "tcp_connectx", 1},
	}
	for _, c := range cases {
		if got := editDistance(c.a, c.b, 5); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d", c.a, c.b, got)
		}
	}
	if got := editDistance("aaaaaaaa", "bbbbbbbb", 2); got != 3 {
		t.Errorf("bounded distance = %d, want 3", got)
	}
}

func TestNearestSmallList(t *testing.T) {
	got := Nearest([]string{"count", "hist", "lhist", "sum"}, "cuont", 2)
	if len(got) == 0 || got[0] != "count" {
		t.Errorf("got %v", got)
	}
	if got := Nearest([]string{"alpha"}, "zzzzzzzz", 2); len(got) != 0 {
		t.Errorf("far names suggested: %v", got)
	}
}

func TestSplitField(t *testing.T) {
	cases := []struct{ in, typ, name string }{
		{"const char * filename", "const char *", "filename"},
		{"char comm[16]", "char[16]", "comm"},
		{"__data_loc char[] name", "__data_loc char[]", "name"},
		{"int pid", "int", "pid"},
	}
	for _, c := range cases {
		typ, name := splitField(c.in)
		if typ != c.typ || name != c.name {
			t.Errorf("splitField(%q) = %q, %q", c.in, typ, name)
		}
	}
}
