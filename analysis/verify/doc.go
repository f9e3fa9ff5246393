// Package verify runs what static checks cannot replace: clang, the
// kernel verifier and the installed bpftrace, and puts their complaints on
// the source lines that caused them. It is the analysis package that runs
// tools on the program (the static checks only ask the kb, which caches
// what it learns of the machine, such as a tool's version); it knows
// nothing of editors or protocols.
//
// Nothing is ever attached: programs are loaded through the verifier and
// closed; bpftrace runs with --emit-elf, or --mode codegen on releases
// that have it (parse, semantic analysis and code generation only).
//
// # eBPF C
//
// The buffer's text is written to a private temporary directory and
// compiled there with clang -O2 -g -target bpf -D__TARGET_ARCH_<arch>,
// with vmlinux.h (generated once per BTF sha256 into the cache directory
// with bpftool, written atomically), libbpf's headers (/usr/include), the
// original file's directory and the configured include paths. When
// vmlinux.h is the program's first directive, clang reads it precompiled
// (made once per BTF, clang and flags; the object is the same byte for
// byte), which halves the compile. clang's
// diagnostics on the program become KG601 findings. Every program of the
// object is then loaded on its own through cilium/ebpf with a verifier log
// (maps created, never attached), so every rejection is found. A rejection
// becomes a KG602 finding on the line of the failing instruction: the last
// "N: (..)" instruction index of the log is the instruction's offset in
// the program spec, whose BTF line info gives the line. The verifier's key
// sentence becomes advice; the finding keeps the tail of the log as a note
// and Result.Log has all of it.
//
// The log (level 1: every instruction walked, with the registers and
// stack slots it changed) is read back into the path that reached the
// rejected instruction and the state of each register on it (states.go),
// and the rejection is explained from there (explain.go): the bounds
// check that bounded the index or size (the last conditional jump on its
// data flow, with what it proved and what the access needs), the data_end
// comparison a packet access outgrew, the call that returned a pointer
// that may be NULL and the branch that reached the use without a check,
// the helper that invalidated a packet pointer or the release that ended
// a reference, the acquisition that leaks and the branch around its
// release, the definition of a map of the wrong type, the loop and the
// origin of its bound, the SEC() that chose a program type. Those lines
// become the finding's related locations; the finding stays on the
// rejected instruction. A note gives its class: program bug, compiler
// lowering (clang's code hides from the verifier what the source
// proves), verifier limit or environment (this kernel or program type
// lacks what the program uses); the advice names the cause.
// testdata/explain holds programs of this kind, each with its fix.
//
// A failed CO-RE relocation (cilium/ebpf poisons the instruction) names
// the field the target kernel lacks and points at its use.
//
// A program the kernel refuses with EPERM although the process is
// privileged (fentry, fexit and lsm on some kernels) is not a rejection:
// an information finding names the refused kind. Privilege is probed once
// by loading a trivial tracepoint program.
//
// # bpftrace
//
// The installed bpftrace runs with --emit-elf into the temporary
// directory, or with --mode codegen where --help lists --mode: those
// releases (0.27.1 here) load and run the program after --emit-elf. Its "FILE:L:C-C: ERROR: msg" lines become KG603 findings. The
// always-printed RLIMIT_MEMLOCK complaint is ignored; success is judged by
// exit status. --dry-run (bpftrace 0.22 and later) is not used even where
// it exists: it attaches the probes before exiting, and verification never
// attaches.
//
// The emitted ELF is not loaded through the verifier, because it cannot be
// done faithfully: bpftrace 0.17's ELF carries no map definitions and no
// program types (sections s_<probe>_<n>); its map references are ld_imm64
// instructions with src_reg BPF_PSEUDO_MAP_FD and bpftrace's internal map
// ids as immediates (0, 1, ...). The map types, key and value sizes behind
// those ids (a 16-byte key for @x[comm], a per-CPU map for hist(), the
// perf event array for printf, the format-string maps) are decided by
// bpftrace's semantic analysis and appear nowhere in the output, so loading
// would mean re-deriving bpftrace's resource layout, and a wrong key or
// value size makes the verifier reject correct code. bpftrace's own
// semantic pass and code generation are what is checked.
//
// # Other kernels, and no root
//
// A kb built from another kernel's boot image (a named profile) is
// verified by that kernel's own verifier when Options.VMs holds a
// microvm.Pool: the object, compiled against the profile's BTF, is
// loaded program by program in a QEMU microVM running that kernel
// (LoadObject, the same loading half as on the host), and the report is
// mapped to the program's lines here; findings name the kernel ("rejected
// by the verifier of 5.10.0-32-amd64: ..."). Without root, the running
// kernel is verified the same way when its image is readable. See
// docs/microvm.md.
//
// # Degrading
//
// No clang, bpftool or bpftrace, no BTF, no privilege (no CAP_BPF and
// CAP_PERFMON, or EPERM on a trivial load), a kb of another machine's
// kernel: one KG604 information finding says what is missing and how to
// get it, and compilation still reports what it can. Verify never returns
// an error.
//
// # Jobs
//
// [Verifier.Verify] runs one job per path at a time: a newer request for
// the same path cancels the older one. Results are cached by content hash,
// directory, options and target kernel. Every external process runs under
// a time limit in its own process group, killed whole on timeout or
// cancellation.
package verify
