package examples

import "testing"

func TestSearch(t *testing.T) {
	all, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ q, want string }{
		{"print each file path as processes open it", "bt-open-files"},
		{"show me outgoing tcp connections with the destination address", "bt-tcp-connects"},
		{"how long do disk requests take", "bt-block-io-latency"},
		{"print the commands people type in their bash shell", "bt-bash-readline"},
		{"who is sending kill signals", "bt-kill-calls"},
		{"统计每个进程打开文件的次数", "bt-opens-by-process"},
	}
	for _, c := range cases {
		got := Search(all, c.q, "", 3)
		found := false
		for _, s := range got {
			if s.Example.Slug == c.want {
				found = true
			}
		}
		if !found {
			var slugs []string
			for _, s := range got {
				slugs = append(slugs, s.Example.Slug)
			}
			t.Errorf("%q: top 3 %v, want %s", c.q, slugs, c.want)
		}
	}
}
