package microvm

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
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
// boot), KindLoad (an ELF object), KindProbe (no payload), KindLoadall
// (an ELF object for the guest's bpftool, when it has one). Guest to host:
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
	// KindLoadall has the guest's bpftool (Options.Bpftool) load an ELF
	// object with libbpf: the answer is a LoadallAnswer.
	KindLoadall byte = 'B'
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
	// Bpftool says the guest holds a bpftool (GuestBpftool).
	Bpftool bool `json:"bpftool,omitempty"`
}

// LoadallAnswer is how `bpftool prog loadall` fared in the guest.
type LoadallAnswer struct {
	// Exit is bpftool's exit status; -1 when it did not run or was
	// killed.
	Exit int `json:"exit"`
	// Output is what bpftool and libbpf wrote (stdout, then stderr),
	// long verifier logs cut in the middle (TrimLoadallOutput).
	Output string `json:"output"`
	// Omitted is how many lines of verifier logs were cut.
	Omitted int `json:"omitted,omitempty"`
	// Problems are what went wrong around bpftool (the object could not
	// be written, a pin could not be removed).
	Problems []string `json:"problems,omitempty"`
}

// Lines of a verifier log in libbpf's output that TrimLoadallOutput
// keeps: the log's start and its end, where the verifier's complaint is.
const (
	loadallLogHead = 20
	loadallLogTail = 400
)

// TrimLoadallOutput cuts the middle out of each verifier log that libbpf
// printed between "-- BEGIN PROG LOAD LOG --" and "-- END PROG LOAD LOG
// --" when it is longer than the head and tail kept (a log of a complex
// program is megabytes; the serial line moves kilobytes a second under
// TCG). Lines outside the logs are all kept, and so are lines about
// CO-RE relocations. It returns the output and how many lines it cut.
func TrimLoadallOutput(out string) (string, int) {
	lines := strings.Split(out, "\n")
	if len(lines) <= loadallLogHead+loadallLogTail {
		return out, 0
	}
	var kept []string
	omitted := 0
	var block []string
	in := false
	flush := func() {
		if len(block) <= loadallLogHead+loadallLogTail {
			kept = append(kept, block...)
		} else {
			kept = append(kept, block[:loadallLogHead]...)
			cut := 0
			for _, l := range block[loadallLogHead : len(block)-loadallLogTail] {
				if strings.Contains(l, "CO-RE") {
					kept = append(kept, l)
				} else {
					cut++
				}
			}
			kept = append(kept, fmt.Sprintf("... %d lines of the verifier's log left out ...", cut))
			kept = append(kept, block[len(block)-loadallLogTail:]...)
			omitted += cut
		}
		block = nil
	}
	for _, l := range lines {
		switch {
		case !in && strings.Contains(l, "-- BEGIN PROG LOAD LOG --"):
			kept = append(kept, l)
			in = true
		case in && strings.Contains(l, "-- END PROG LOAD LOG --"):
			flush()
			kept = append(kept, l)
			in = false
		case in:
			block = append(block, l)
		default:
			kept = append(kept, l)
		}
	}
	flush()
	return strings.Join(kept, "\n"), omitted
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
