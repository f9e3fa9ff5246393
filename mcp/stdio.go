package mcp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// maxLine bounds one inbound message: a program of maxSource bytes,
// escaped as JSON, with room to spare.
const maxLine = 16 << 20

// Run serves the tools over newline-delimited JSON-RPC on in and out (the
// process's stdin and stdout for `kgent mcp`) until in ends or ctx is
// done. A line that is not a JSON-RPC message (garbage, a bare value, an
// overlong line) is dropped with a log line instead of ending the session,
// as the SDK's own transport would.
func Run(ctx context.Context, opts Options, in io.Reader, out io.WriteCloser) error {
	if opts.Logger == nil {
		opts.Logger = discard()
	}
	s := NewServer(opts)
	pr, pw := io.Pipe()
	go filterLines(in, pw, opts.Logger)
	err := s.Run(ctx, &mcp.IOTransport{Reader: pr, Writer: out, MaxLineLength: maxLine + 1})
	pr.Close()
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// filterLines copies the JSON-RPC messages of r to w, one a line, and
// drops everything else.
func filterLines(r io.Reader, w *io.PipeWriter, log *slog.Logger) {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > maxLine {
			tooLong, line = true, line[:0]
		} else if !tooLong {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		msg := bytes.TrimSpace(line)
		switch {
		case tooLong:
			log.Warn("dropped an input line longer than the limit", "limit", maxLine)
		case len(msg) == 0:
		case !isMessage(msg):
			log.Warn("dropped an input line that is not a JSON-RPC message", "line", preview(msg))
		default:
			if _, werr := w.Write(append(msg, '\n')); werr != nil {
				return // the session is over
			}
		}
		line, tooLong = line[:0], false
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			w.CloseWithError(err)
			return
		}
	}
}

// isMessage reports whether b is a JSON-RPC message or a non-empty batch
// of them.
func isMessage(b []byte) bool {
	if b[0] == '[' {
		var batch []json.RawMessage
		if json.Unmarshal(b, &batch) != nil || len(batch) == 0 {
			return false
		}
		for _, m := range batch {
			if _, err := jsonrpc.DecodeMessage(m); err != nil {
				return false
			}
		}
		return true
	}
	_, err := jsonrpc.DecodeMessage(b)
	return err == nil
}

func preview(b []byte) string {
	if len(b) > 80 {
		b = b[:80]
	}
	return string(bytes.ToValidUTF8(b, []byte("?")))
}
