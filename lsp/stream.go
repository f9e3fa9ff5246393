package lsp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"strconv"
	"strings"

	"go.lsp.dev/jsonrpc2"
)

// maxMessage bounds one JSON-RPC message (a 10 MB document fits).
const maxMessage = 64 << 20

// tolerantStream reads LSP-framed messages and skips the ones that are not
// valid JSON-RPC instead of failing the connection: a client bug or line
// noise costs one message, not the session. Writes use the library's
// framing.
type tolerantStream struct {
	in  *bufio.Reader
	out jsonrpc2.Stream
	rwc io.Closer
	log *log.Logger
}

func newTolerantStream(rwc io.ReadWriteCloser, logger *log.Logger) jsonrpc2.Stream {
	return &tolerantStream{in: bufio.NewReaderSize(rwc, 64<<10), out: jsonrpc2.NewStream(rwc), rwc: rwc, log: logger}
}

func (s *tolerantStream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		length := -1
		for {
			line, err := s.in.ReadString('\n')
			if err != nil {
				return nil, 0, err
			}
			line = strings.TrimSpace(line)
			if line == "" {
				if length >= 0 {
					break
				}
				continue // stray blank line before a header
			}
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				s.log.Printf("ignoring a malformed header line %q", trim(line))
				continue
			}
			if strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
				n, err := strconv.Atoi(strings.TrimSpace(value))
				if err != nil || n < 0 || n > maxMessage {
					s.log.Printf("ignoring a bad Content-Length %q", trim(value))
					length = -1
					continue
				}
				length = n
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(s.in, body); err != nil {
			return nil, 0, err
		}
		msg, err := jsonrpc2.DecodeMessage(body)
		if err != nil {
			s.log.Printf("ignoring a message that is not JSON-RPC (%v): %s", err, trim(string(body)))
			continue
		}
		return msg, int64(length), nil
	}
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func (s *tolerantStream) Write(ctx context.Context, msg jsonrpc2.Message) (int64, error) {
	return s.out.Write(ctx, msg)
}

func (s *tolerantStream) Close() error {
	if err := s.rwc.Close(); err != nil {
		return fmt.Errorf("closing the stream: %w", err)
	}
	return nil
}
