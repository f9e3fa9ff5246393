package kb

import (
	"encoding/binary"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// progLoadAttr is the prefix of union bpf_attr that BPF_PROG_LOAD reads,
// up to attach_btf_obj_fd. Helper probes load thousands of tiny programs;
// going through the syscall directly (with the attach BTF id resolved once
// from the BTF the kb is built from) keeps a host build within seconds,
// where a library load re-reads the kernel's BTF for every traced program.
type progLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              uint64
	license            uint64
	logLevel           uint32
	logSize            uint32
	logBuf             uint64
	kernVersion        uint32
	progFlags          uint32
	progName           [16]byte
	progIfindex        uint32
	expectedAttachType uint32
	progBTFFd          uint32
	funcInfoRecSize    uint32
	funcInfo           uint64
	funcInfoCnt        uint32
	lineInfoRecSize    uint32
	lineInfo           uint64
	lineInfoCnt        uint32
	attachBTFID        uint32
	attachBTFObjFd     uint32
	_                  uint32
}

// rawProbe loads `call helper; r0 = 0; exit` (or just the last two when
// helper < 0) and returns the verifier log of a refusal, "" on success.
// err is the errno of a refusal.
func rawProbe(progType, attachType, attachBTFID uint32, helper int, license string, logBuf []byte) (string, error) {
	// BPF_JMP|BPF_CALL imm=helper; BPF_ALU64|BPF_MOV|BPF_K r0=0; BPF_JMP|BPF_EXIT.
	var code []byte
	insn := func(op byte, imm int32) {
		var b [8]byte
		b[0] = op
		binary.NativeEndian.PutUint32(b[4:], uint32(imm))
		code = append(code, b[:]...)
	}
	if helper >= 0 {
		insn(0x85, int32(helper))
	}
	insn(0xb7, 0)
	insn(0x95, 0)
	lic := append([]byte(license), 0)
	attr := progLoadAttr{
		progType:           progType,
		insnCnt:            uint32(len(code) / 8),
		insns:              uint64(uintptr(unsafe.Pointer(&code[0]))),
		license:            uint64(uintptr(unsafe.Pointer(&lic[0]))),
		logLevel:           1,
		logSize:            uint32(len(logBuf)),
		logBuf:             uint64(uintptr(unsafe.Pointer(&logBuf[0]))),
		expectedAttachType: attachType,
		attachBTFID:        attachBTFID,
	}
	copy(attr.progName[:], "kgent_probe")
	logBuf[0] = 0
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno == 0 {
		unix.Close(int(fd))
		return "", nil
	}
	log := string(logBuf)
	if i := strings.IndexByte(log, 0); i >= 0 {
		log = log[:i]
	}
	return log, errno
}
