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

// The bounds of the nearest-name search: one edit for short names, two
// from five characters, three from twelve, and never more. Each case's
// distance is checked with editDistance first, so a case cannot pass by
// being closer than it claims.
func TestNearestEditBounds(t *testing.T) {
	names := []string{"filename", "fd", "flags", "count", "tcp_v4_connect", "bpf_get_current_comm", "kmem_cache_free", "vfs_read", "hist", "tcp_sendpage", "tcp_recvmsg"}
	x := newNameIndex(names)
	cases := []struct {
		q, want string
		dist    int
		found   bool
	}{
		{"fdd", "fd", 1, true},
		{"cuont", "count", 1, true},
		{"filnmae", "filename", 2, true}, // insertion + transposition
		{"flgs", "flags", 1, true},
		{"vfs_raed", "vfs_read", 1, true},
		{"vfs_rd", "vfs_read", 2, true},
		{"tcp_v4_cxnnxcx", "tcp_v4_connect", 3, true}, // 14 characters: three edits
		{"bpf_gt_curent_cmm", "bpf_get_current_comm", 3, true},
		{"fxx", "fd", 2, false},                   // short: one edit only
		{"flxzs", "flags", 2, true},               // five characters: two edits
		{"fiXXame", "filename", 3, false},         // seven characters: not three
		{"hxxt", "hist", 2, false},                // four characters: one edit
		{"tcp_sxndpxgx", "tcp_sendpage", 3, true}, // twelve characters: three edits
		{"tcp_rxcvxsx", "tcp_recvmsg", 3, false},  // eleven: two
		{"kmem_cXXXX_frXX", "kmem_cache_free", 6, false},
	}
	for _, c := range cases {
		if d := editDistance(c.q, c.want, 10); d != c.dist {
			t.Fatalf("case %q: editDistance to %q is %d, the case says %d", c.q, c.want, d, c.dist)
		}
		got := x.nearest(c.q, 5)
		has := false
		for _, g := range got {
			has = has || g == c.want
		}
		if has != c.found {
			t.Errorf("nearest(%q) = %v: %q found %v, want %v", c.q, got, c.want, has, c.found)
		}
		if c.found && got[0] != c.want {
			t.Errorf("nearest(%q) = %v, want %q first", c.q, got, c.want)
		}
	}
}

// TestNearestFittingRanksByTypeFirst: a candidate whose prototype fits
// the use comes before a closer spelling that does not; among those
// that fit (and those that do not) spelling decides.
func TestNearestFittingRanksByTypeFirst(t *testing.T) {
	names := []string{"bpf_get_stack", "bpf_get_stackid", "bpf_get_task_stack"}
	args := map[string]int{"bpf_get_stack": 4, "bpf_get_stackid": 3, "bpf_get_task_stack": 4}
	// bpf_get_stacki(ctx, &stacks, 0): one letter from bpf_get_stackid,
	// one from bpf_get_stack; three arguments fit only bpf_get_stackid.
	if got := Nearest(names, "bpf_get_stacki", 2); len(got) == 0 || got[0] != "bpf_get_stack" {
		t.Fatalf("by spelling alone: %v (the test needs the shorter name first)", got)
	}
	three := func(n string) bool { return args[n] == 3 }
	if got := NearestFitting(names, "bpf_get_stacki", 2, three); len(got) != 2 || got[0] != "bpf_get_stackid" || got[1] != "bpf_get_stack" {
		t.Fatalf("fitting three arguments: %v", got)
	}
	four := func(n string) bool { return args[n] == 4 }
	if got := NearestFitting(names, "bpf_get_stacki", 1, four); len(got) != 1 || got[0] != "bpf_get_stack" {
		t.Fatalf("fitting four arguments: %v", got)
	}
	if got := NearestFitting(names, "bpf_get_stacki", 2, nil); got[0] != "bpf_get_stack" {
		t.Fatalf("no constraint: %v", got)
	}
}
