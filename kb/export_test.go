package kb

import (
	"bytes"

	"github.com/cilium/ebpf/btf"
)

// BuildData is the builder's output before it is indexed, for tests that
// compare a loaded kb with it.
func BuildData(opts BuildOptions) (Data, error) {
	d, _, err := buildData(opts)
	return d, err
}

// NearestIn returns the nearest-name search over one family's names, as
// the kb indexes them.
func NearestIn(names []string) func(q string, n int) []string {
	return newNameIndex(names).nearest
}

// NearestFuncIn is NearestFunc's search over a list of function names
// (all of which the kernel has), without a prototype to rank by.
func NearestFuncIn(names []string) func(q string, n int) []string {
	x := newNameIndex(names)
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	has := func(name string) bool { return set[name] }
	none := func(string) (*Func, bool) { return nil, false }
	return func(q string, n int) []string { return nearestFunc(x, has, none, q, n, nil) }
}

// Mapped reports whether k reads a memory-mapped file.
func (k *KB) Mapped() bool { return k.mapped }

// ImagePayload returns a bzImage's compressed payload and its compression.
func ImagePayload(b []byte) ([]byte, string, error) { return bzPayload(b) }

// XZDecompressGo decompresses with the Go decoder (no xz program).
func XZDecompressGo(p []byte) ([]byte, error) { return xzDecompress(p, MaxVmlinuxSize) }

// XZDecompressCommand decompresses with the xz program.
func XZDecompressCommand(p []byte) ([]byte, bool) { return xzCommand(p, MaxVmlinuxSize) }

// ReadVmlinux decompresses a kernel image and returns its release.
func ReadVmlinux(b []byte) (release string, err error) {
	img, err := readVmlinux(b)
	if err != nil {
		return "", err
	}
	return img.release, nil
}

// BTFTracepointFields is the fields BuildImage gives a tracepoint of
// the event class template, from the BTF file at path.
func BTFTracepointFields(path string) (func(template string) ([]Field, bool), error) {
	raw, err := ReadRegular(path, MaxBTFSize)
	if err != nil {
		return nil, err
	}
	spec, err := btf.LoadSpecFromReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	names := newTypeNamer(map[btf.Type]string{})
	return func(template string) ([]Field, bool) {
		var st *btf.Struct
		if spec.TypeByName("trace_event_raw_"+template, &st) != nil {
			return nil, false
		}
		return rawFields(st, names), true
	}, nil
}
