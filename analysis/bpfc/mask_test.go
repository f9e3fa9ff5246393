package bpfc

import (
	"reflect"
	"regexp"
	"testing"
)

// matchTypeArg is a hand-written `^(struct|union|enum)\s+[A-Za-z_]\w*[\s*]*`:
// it must agree with the expression.
func TestMatchTypeArg(t *testing.T) {
	re := regexp.MustCompile(`^(struct|union|enum)\s+[A-Za-z_]\w*[\s*]*`)
	for _, s := range []string{"struct sock, sk)", "struct  task_struct **)x", "union u)", "enum e", "struct", "struct ", "struct 9x",
		"structx y", "struct\n\tfoo *", "enum\tbar_t **  ,", "union _u9)", "struct sock*", "strict sock", "", "enum e\r\n*"} {
		got, want := matchTypeArg(s), re.FindStringSubmatchIndex(s)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %v, want %v", s, got, want)
		}
	}
}
