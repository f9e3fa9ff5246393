package kb

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os/exec"

	"github.com/ulikunitz/xz/lzma"
)

// The kernel compresses its x86 payload with xz's x86 branch filter (BCJ)
// in front of LZMA2; the xz package reads LZMA2 but no branch filter, so
// the container is read here: one stream, one block, filters BCJ x86
// (optional) and LZMA2, then the filter is undone over the output.

const (
	xzFilterX86   = 0x04
	xzFilterLZMA2 = 0x21
)

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}

// xzDecompress decompresses the first block of an xz stream, at most max
// bytes of output.
func xzDecompress(b []byte, max int64) ([]byte, error) {
	if len(b) < 12+2 || !bytes.HasPrefix(b, xzMagic) {
		return nil, errors.New("xz: no stream header")
	}
	p := b[12:]
	hsize := (int(p[0]) + 1) * 4
	if p[0] == 0 || hsize > len(p) {
		return nil, errors.New("xz: bad block header")
	}
	h := p[1 : hsize-4] // without the size byte and the CRC32
	flags := h[0]
	h = h[1:]
	nfilters := int(flags&3) + 1
	if flags&0x3c != 0 {
		return nil, errors.New("xz: reserved block flags set")
	}
	uvar := func() (uint64, error) {
		v, n := binary.Uvarint(h)
		if n <= 0 {
			return 0, errors.New("xz: bad block header")
		}
		h = h[n:]
		return v, nil
	}
	if flags&0x40 != 0 {
		if _, err := uvar(); err != nil {
			return nil, err
		}
	}
	if flags&0x80 != 0 {
		if _, err := uvar(); err != nil {
			return nil, err
		}
	}
	x86, start := false, uint32(0)
	var dictByte byte
	lzma2 := false
	for i := 0; i < nfilters; i++ {
		id, err := uvar()
		if err != nil {
			return nil, err
		}
		psize, err := uvar()
		if err != nil {
			return nil, err
		}
		if psize > uint64(len(h)) {
			return nil, errors.New("xz: bad filter properties")
		}
		props := h[:psize]
		h = h[psize:]
		switch id {
		case xzFilterX86:
			if i == nfilters-1 {
				return nil, errors.New("xz: the x86 filter cannot be the last filter")
			}
			x86 = true
			if len(props) == 4 {
				start = binary.LittleEndian.Uint32(props)
			}
		case xzFilterLZMA2:
			if i != nfilters-1 || len(props) != 1 {
				return nil, errors.New("xz: bad LZMA2 filter")
			}
			lzma2, dictByte = true, props[0]
		default:
			return nil, fmt.Errorf("xz: filter %#x is not supported (only x86 BCJ and LZMA2)", id)
		}
	}
	if !lzma2 {
		return nil, errors.New("xz: no LZMA2 filter")
	}
	if dictByte > 40 {
		return nil, errors.New("xz: bad LZMA2 dictionary size")
	}
	dict := 0xffffffff
	if dictByte < 40 {
		dict = (2 | int(dictByte&1)) << (dictByte/2 + 11)
	}
	if int64(dict) > lzma.MaxDictCap {
		dict = int(lzma.MaxDictCap)
	}
	cfg := lzma.Reader2Config{DictCap: dict}
	r, err := cfg.NewReader2(bytes.NewReader(p[hsize:]))
	if err != nil {
		return nil, fmt.Errorf("xz: %w", err)
	}
	out, err := readAllLimit(r, max)
	if err != nil {
		return nil, fmt.Errorf("xz: %w", err)
	}
	if x86 {
		unBCJx86(out, start)
	}
	return out, nil
}

// xzCommand decompresses with the xz program, three to four times as
// fast as the Go decoder on a kernel; ok is false when there is no xz or
// it fails, and the Go decoder is used.
func xzCommand(p []byte, max int64) ([]byte, bool) {
	path, err := exec.LookPath("xz")
	if err != nil {
		return nil, false
	}
	cmd := exec.Command(path, "-dc", "--single-stream")
	cmd.Stdin = bytes.NewReader(p)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, false
	}
	if err := cmd.Start(); err != nil {
		return nil, false
	}
	b, rerr := readAllLimit(out, max)
	if rerr != nil {
		_ = cmd.Process.Kill()
	}
	werr := cmd.Wait()
	if rerr != nil || werr != nil || !bytes.HasPrefix(b, []byte(elf.ELFMAG)) {
		return nil, false
	}
	return b, true
}

// readAllLimit reads r to its end, failing past max bytes.
func readAllLimit(r io.Reader, max int64) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(64 << 20)
	n, err := buf.ReadFrom(io.LimitReader(r, max+1))
	if err != nil {
		return buf.Bytes(), err
	}
	if n > max {
		return nil, fmt.Errorf("decompressed kernel larger than %d MiB", max>>20)
	}
	return buf.Bytes(), nil
}

// unBCJx86 undoes xz's x86 branch filter in place: the filter turned the
// relative targets of E8 (call) and E9 (jmp) instructions into absolute
// ones, guessing which E8/E9 bytes are instructions from the bytes around
// them; the decoder makes the same guesses over the output and subtracts.
func unBCJx86(buf []byte, start uint32) {
	allowed := [8]bool{true, true, true, false, true, false, false, false}
	bitNum := [8]uint32{0, 1, 2, 2, 3, 3, 3, 3}
	msb := func(b byte) bool { return b == 0 || b == 0xff }
	var mask uint32
	prev := start - 5
	for i := 0; i+5 <= len(buf); {
		if c := buf[i]; c != 0xe8 && c != 0xe9 {
			i++
			continue
		}
		pos := start + uint32(i)
		dist := pos - prev
		prev = pos
		if dist > 5 {
			mask = 0
		} else {
			for range dist {
				mask = (mask & 0x77) << 1
			}
		}
		b4 := buf[i+4]
		if msb(b4) && allowed[(mask>>1)&7] && mask>>1 < 0x10 {
			src := binary.LittleEndian.Uint32(buf[i+1:])
			var dst uint32
			for {
				dst = src - (pos + 5)
				if mask == 0 {
					break
				}
				n := bitNum[(mask>>1)&7]
				if !msb(byte(dst >> (24 - n*8))) {
					break
				}
				src = dst ^ (1<<(32-n*8) - 1)
			}
			// Bit 24 of the target is sign-extended into the top byte.
			dst &= 0x01ffffff
			if dst&0x01000000 != 0 {
				dst |= 0xff000000
			}
			binary.LittleEndian.PutUint32(buf[i+1:], dst)
			i += 5
			mask = 0
		} else {
			i++
			mask |= 1
			if msb(b4) {
				mask |= 0x10
			}
		}
	}
}
