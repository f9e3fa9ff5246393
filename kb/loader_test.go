package kb

import (
	"reflect"
	"testing"
)

func TestParseRetargets(t *testing.T) {
	src := `
static int set_attach_target_of(struct bpf_program *prog)
{
	if (!bpf_program__set_attach_target(prog, 0, "new_name"))
		return 0;
	return bpf_program__set_attach_target(prog, 0, "old_name");
}

int main(void)
{
	err = set_attach_target_of(obj->progs.handler);
	bpf_program__set_attach_target(obj->progs.other, 0,
				       "spelled_here");
	bpf_program__set_autoload(obj->progs.third, false);
	// "not_a_target" in a comment of its own
}
`
	got := parseRetargets(src)
	want := map[string]Retarget{
		"handler": {Targets: []string{"new_name", "old_name"}},
		"other":   {Targets: []string{"spelled_here"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if len(parseRetargets("")) != 0 || len(parseRetargets("bpf_program__set_attach_target(")) != 0 {
		t.Error("retargets from nothing")
	}
}
