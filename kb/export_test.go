package kb

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

// Mapped reports whether k reads a memory-mapped file.
func (k *KB) Mapped() bool { return k.mapped }
