package kb

import (
	"bytes"
	"debug/elf"
	"os"
	"sort"
	"sync"
)

// USDTProbe is a user-space static tracepoint of a binary: an SDT note
// (.note.stapsdt) with its provider and name.
type USDTProbe struct {
	Provider, Name string
}

type usdtEntry struct {
	mod    int64
	probes []USDTProbe
	err    error
}

var (
	usdtMu    sync.Mutex
	usdtCache = map[string]usdtEntry{}
)

// USDTProbes returns the USDT probes of an ELF binary, sorted, cached by
// path and modification time. A binary without SDT notes has none.
func (k *KB) USDTProbes(path string) ([]USDTProbe, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	usdtMu.Lock()
	if e, ok := usdtCache[path]; ok && e.mod == st.ModTime().UnixNano() {
		usdtMu.Unlock()
		return e.probes, e.err
	}
	usdtMu.Unlock()
	probes, err := readUSDT(path)
	usdtMu.Lock()
	usdtCache[path] = usdtEntry{mod: st.ModTime().UnixNano(), probes: probes, err: err}
	usdtMu.Unlock()
	return probes, err
}

func readUSDT(path string) ([]USDTProbe, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sec := f.Section(".note.stapsdt")
	if sec == nil {
		return nil, nil
	}
	data, err := sec.Data()
	if err != nil {
		return nil, err
	}
	addrSize := 8
	if f.Class == elf.ELFCLASS32 {
		addrSize = 4
	}
	seen := map[USDTProbe]bool{}
	var out []USDTProbe
	for len(data) >= 12 {
		namesz := int(f.ByteOrder.Uint32(data[0:4]))
		descsz := int(f.ByteOrder.Uint32(data[4:8]))
		typ := f.ByteOrder.Uint32(data[8:12])
		data = data[12:]
		nameEnd := align4(namesz)
		descEnd := nameEnd + align4(descsz)
		if namesz < 0 || descsz < 0 || nameEnd > len(data) || nameEnd+descsz > len(data) {
			break
		}
		owner := string(bytes.TrimRight(data[:namesz], "\x00"))
		desc := data[nameEnd : nameEnd+descsz]
		if descEnd > len(data) {
			descEnd = len(data)
		}
		data = data[descEnd:]
		// Type 3 notes of owner "stapsdt": three addresses, then
		// provider, name and argument strings.
		if owner != "stapsdt" || typ != 3 || len(desc) < 3*addrSize {
			continue
		}
		strs := bytes.Split(desc[3*addrSize:], []byte{0})
		if len(strs) < 2 {
			continue
		}
		p := USDTProbe{Provider: string(strs[0]), Name: string(strs[1])}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func align4(n int) int { return (n + 3) &^ 3 }
