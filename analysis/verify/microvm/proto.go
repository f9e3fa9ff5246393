package microvm

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The host and the guest talk over the VM's second serial port (ttyS1,
// raw mode) in frames: the magic "KGVM", a kind byte, the payload's
// length (4 bytes, big-endian) and the payload, gzip-compressed when the
// kind's high bit is set. The serial line is the only channel every
// target kernel has built in (virtio-console is a module on 5.10 and
// 6.1, and the guest has no modules); compression keeps the bytes the
// emulated UART moves few.
//
// Host to guest: KindConfig (the kernel's build configuration, once after
// boot), KindLoad (an ELF object), KindProbe (no payload). Guest to host:
// KindHello (once booted: JSON Hello), KindAnswer (JSON, one per request).

// Frame kinds.
const (
	KindHello  byte = 'H'
	KindConfig byte = 'C'
	KindLoad   byte = 'L'
	// KindLoadVerbose is KindLoad keeping the statistics of accepted
	// programs.
	KindLoadVerbose byte = 'V'
	KindProbe       byte = 'P'
	// KindEcho is answered with its own payload (tests of the channel).
	KindEcho   byte = 'E'
	KindAnswer byte = 'A'
)

const (
	frameMagic = "KGVM"
	compressed = 0x80
	// MaxFrame bounds a frame's payload (compressed and not): an object
	// larger than this is refused before it is sent.
	MaxFrame = 64 << 20
)

// Hello is what the guest says once it is ready.
type Hello struct {
	// Release is the guest kernel's uname release.
	Release string `json:"release"`
	// Problems are what the init could not set up (a mount that
	// failed); verification may still work.
	Problems []string `json:"problems,omitempty"`
}

// WriteFrame writes one frame, compressing payloads over 512 bytes.
func WriteFrame(w io.Writer, kind byte, payload []byte) error {
	if len(payload) > MaxFrame {
		return fmt.Errorf("a message of %d bytes is over the limit of %d", len(payload), MaxFrame)
	}
	body := payload
	if len(payload) > 512 {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
		zw.Write(payload)
		zw.Close()
		if b.Len() < len(payload) {
			body = b.Bytes()
			kind |= compressed
		}
	}
	hdr := make([]byte, 0, 9+len(body))
	hdr = append(hdr, frameMagic...)
	hdr = append(hdr, kind)
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(body)))
	_, err := w.Write(append(hdr, body...))
	return err
}

// ReadFrame reads the next frame, skipping any bytes before its magic.
func ReadFrame(r io.Reader) (kind byte, payload []byte, err error) {
	matched := 0
	one := make([]byte, 1)
	for matched < 4 {
		if _, err := io.ReadFull(r, one); err != nil {
			return 0, nil, err
		}
		switch {
		case one[0] == frameMagic[matched]:
			matched++
		case one[0] == frameMagic[0]:
			matched = 1
		default:
			matched = 0
		}
	}
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	kind = hdr[0]
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > MaxFrame {
		return 0, nil, fmt.Errorf("a frame of %d bytes is over the limit of %d", n, MaxFrame)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, err
	}
	if kind&compressed == 0 {
		return kind, body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("a compressed frame does not decompress: %v", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, MaxFrame+1))
	if err != nil {
		return 0, nil, fmt.Errorf("a compressed frame does not decompress: %v", err)
	}
	if len(out) > MaxFrame {
		return 0, nil, errors.New("a compressed frame decompresses past the limit")
	}
	return kind &^ compressed, out, nil
}
