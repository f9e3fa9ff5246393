package endpoint

import "testing"

func TestSame(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"", "https://api.openai.com/v1", true},
		{"", "https://API.openai.com:443/v1/", true},
		{"http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1/", true},
		{"http://127.0.0.1:8080/v1", "http://127.0.0.1:8081/v1", false},
		{"http://127.0.0.1:8080/v1", "https://127.0.0.1:8080/v1", false},
		{"http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v2", false},
		{"", "http://127.0.0.1:8080/v1", false},
		{"https://api.openai.com/v1", "https://api.openai.com.evil.example/v1", false},
		{"https://api.openai.com/v1", "https://user@api.openai.com/v1", false},
		{"not a url", "not a url", false},
	} {
		if got := Same(c.a, c.b); got != c.same {
			t.Errorf("Same(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
