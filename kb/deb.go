package kb

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// A distribution's kernel package (a .deb) is read in place: its
// data.tar member is decompressed as a stream and only the boot files
// are kept: /boot/vmlinuz-<release>, config-<release> and
// System.map-<release>, or /usr/lib/modules/<release>/vmlinuz, config
// and System.map in the newer layout (where the image and the config are
// in two packages, linux-binary-* and linux-base-*: pass both).

// bootFile is one boot file read from a package.
type bootFile struct {
	name string // where it came from: "pkg.deb:boot/vmlinuz-6.1.0-50-amd64"
	data []byte
}

type bootFiles struct {
	image, config, sysmap *bootFile
	// modFuncs are the functions of the modules in the packages, as
	// "name\tmodule"; modules counts the modules read.
	modFuncs []string
	modules  int
}

// readKernelPackages collects the boot files of one or more packages.
func readKernelPackages(paths []string) (bootFiles, error) {
	var bf bootFiles
	for _, p := range paths {
		if err := readDeb(p, &bf); err != nil {
			return bf, fmt.Errorf("%s: %w", p, err)
		}
	}
	if bf.image == nil {
		return bf, fmt.Errorf("no kernel image (boot/vmlinuz-* or usr/lib/modules/*/vmlinuz) in %s", strings.Join(paths, ", "))
	}
	return bf, nil
}

// bootKind says which boot file a path in a package is.
func bootKind(name string) string {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	dir, base := path.Split(name)
	switch {
	case dir == "boot/" && strings.HasPrefix(base, "vmlinuz-"):
		return "image"
	case dir == "boot/" && strings.HasPrefix(base, "config-"):
		return "config"
	case dir == "boot/" && strings.HasPrefix(base, "System.map-"):
		return "sysmap"
	case strings.HasPrefix(dir, "usr/lib/modules/") && strings.Count(dir, "/") == 4 || strings.HasPrefix(dir, "lib/modules/") && strings.Count(dir, "/") == 3:
		switch base {
		case "vmlinuz":
			return "image"
		case "config":
			return "config"
		case "System.map":
			return "sysmap"
		}
	}
	return ""
}

// readDeb reads the boot files out of one .deb (an ar archive).
func readDeb(p string, bf *bootFiles) error {
	f, err := OpenRegular(p, 4<<30)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	magic := make([]byte, 8)
	if _, err := io.ReadFull(f, magic); err != nil || string(magic) != "!<arch>\n" {
		return errors.New("not a .deb (no ar archive header)")
	}
	off := int64(8)
	for off+60 <= st.Size() {
		hdr := make([]byte, 60)
		if _, err := f.ReadAt(hdr, off); err != nil {
			return fmt.Errorf("reading the archive: %w", err)
		}
		if string(hdr[58:60]) != "`\n" {
			return errors.New("damaged ar member header")
		}
		name := strings.TrimRight(strings.TrimSpace(string(hdr[:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 || off+60+size > st.Size() {
			return errors.New("damaged ar member size")
		}
		if strings.HasPrefix(name, "data.tar") {
			return readDataTar(io.NewSectionReader(f, off+60, size), strings.TrimPrefix(name, "data.tar"), p, bf)
		}
		off += 60 + size + size%2
	}
	return errors.New("no data.tar member")
}

// readDataTar decompresses the data member as a stream and keeps the
// boot files.
func readDataTar(r io.Reader, ext, pkg string, bf *bootFiles) error {
	var stream io.Reader
	switch ext {
	case "":
		stream = r
	case ".gz":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		stream = zr
	case ".zst":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return err
		}
		defer zr.Close()
		stream = zr
	case ".xz":
		if xzPath, err := exec.LookPath("xz"); err == nil {
			cmd := exec.Command(xzPath, "-dc")
			cmd.Stdin = r
			out, err := cmd.StdoutPipe()
			if err != nil {
				return err
			}
			if err := cmd.Start(); err != nil {
				return err
			}
			terr := walkTar(out, pkg, bf)
			if terr != nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				return terr
			}
			// The tar may end before the stream does.
			_, _ = io.Copy(io.Discard, out)
			if err := cmd.Wait(); err != nil {
				return fmt.Errorf("xz: %w", err)
			}
			return nil
		}
		zr, err := xz.NewReader(r)
		if err != nil {
			return err
		}
		stream = zr
	default:
		return fmt.Errorf("data.tar%s: compression kgent cannot read (it reads xz, zstd and gzip)", ext)
	}
	return walkTar(stream, pkg, bf)
}

func walkTar(r io.Reader, pkg string, bf *bootFiles) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading data.tar: %w", err)
		}
		kind := bootKind(h.Name)
		if kind == "" && h.Typeflag == tar.TypeReg {
			if mod, comp, ok := moduleFile(h.Name); ok && h.Size <= 256<<20 {
				if fns, err := moduleFuncs(tr, comp); err == nil {
					for _, fn := range fns {
						bf.modFuncs = append(bf.modFuncs, fn+"\t"+mod)
					}
					bf.modules++
				}
			}
			continue
		}
		if kind == "" || h.Typeflag != tar.TypeReg {
			continue
		}
		limit := int64(64 << 20)
		if kind == "image" {
			limit = MaxImageSize
		}
		if h.Size > limit {
			return fmt.Errorf("%s is larger than %d MiB", h.Name, limit>>20)
		}
		b, err := io.ReadAll(io.LimitReader(tr, limit))
		if err != nil {
			return fmt.Errorf("reading %s: %w", h.Name, err)
		}
		f := &bootFile{name: pkg + ":" + strings.TrimPrefix(path.Clean("/"+h.Name), "/"), data: b}
		switch kind {
		case "image":
			bf.image = f
		case "config":
			bf.config = f
		case "sysmap":
			bf.sysmap = f
		}
	}
}

// moduleFile recognises a kernel module in a package: its name and
// compression ("", ".xz", ".zst", ".gz").
func moduleFile(name string) (mod, comp string, ok bool) {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	if !strings.HasPrefix(name, "lib/modules/") && !strings.HasPrefix(name, "usr/lib/modules/") {
		return "", "", false
	}
	base := path.Base(name)
	for _, c := range []string{"", ".xz", ".zst", ".gz"} {
		if m, found := strings.CutSuffix(base, ".ko"+c); found && m != "" {
			return m, c, true
		}
	}
	return "", "", false
}

// moduleFuncs lists the functions a module defines (its symbol table's
// defined STT_FUNC symbols, clones under their base name).
func moduleFuncs(r io.Reader, comp string) ([]string, error) {
	var zr io.Reader = r
	switch comp {
	case ".xz":
		x, err := xz.NewReader(r)
		if err != nil {
			return nil, err
		}
		zr = x
	case ".zst":
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		defer z.Close()
		zr = z
	case ".gz":
		g, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		zr = g
	}
	b, err := io.ReadAll(io.LimitReader(zr, 256<<20))
	if err != nil {
		return nil, err
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Section == elf.SHN_UNDEF || s.Name == "" {
			continue
		}
		name := s.Name
		if i := strings.IndexByte(name, '.'); i > 0 {
			name = name[:i]
		}
		out = append(out, name)
	}
	return out, nil
}
