// Package endpoint decides where an API key from the environment may be
// sent. A key is bound to the endpoint it was configured with in the same
// environment (OPENAI_API_KEY to KGENT_LLM_BASE_URL, else OpenAI's API):
// a base URL chosen anywhere else (an editor's settings, a flag) may point
// at a server of someone else's, so the key is not sent there.
package endpoint

import (
	"net/url"
	"strings"
)

// OpenAI is the base URL go-openai uses when none is configured.
const OpenAI = "https://api.openai.com/v1"

// Same reports whether two base URLs name the same endpoint: the same
// scheme, host, port and path, whatever the case of the scheme and host,
// a default port written out, or trailing slashes; "" is OpenAI's.
func Same(a, b string) bool {
	na, oka := normalize(a)
	nb, okb := normalize(b)
	return oka && okb && na == nb
}

func normalize(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		raw = OpenAI
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host + strings.TrimRight(u.EscapedPath(), "/"), true
}
