// Package editor is a scripted editor: it drives any language server over
// its stdio with raw JSON-RPC, as VS Code or Neovim would, and measures
// what users feel (didOpen to first diagnostics, didChange to
// diagnostics, the server's memory). The same script runs against kgent
// and against clangd, so the figures compare like with like. It speaks
// plain JSON and imports no protocol package.
package editor

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Message is one JSON-RPC message from the server.
type Message struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// IsResponse reports whether m answers a request of ours.
func (m Message) IsResponse() bool { return m.Method == "" && len(m.ID) > 0 }

// Conn is the editor's end of a connection. Messages from the server are
// read by one goroutine into a queue; server-to-client requests
// (workspace/configuration, window/workDoneProgress/create, applyEdit)
// are answered at once, with Config for the configuration.
type Conn struct {
	w    io.Writer
	wmu  sync.Mutex
	next int

	// Config answers workspace/configuration (one item).
	Config any

	msgs chan Message
	err  error // read error, set before msgs closes

	countMu sync.Mutex
	counts  map[string]int // messages received by method
}

// Count is how many messages of method the server has sent so far,
// including those Await skipped.
func (c *Conn) Count(method string) int {
	c.countMu.Lock()
	defer c.countMu.Unlock()
	return c.counts[method]
}

// ErrTimeout is returned when the server did not send what was awaited.
var ErrTimeout = errors.New("timed out waiting for the server")

// New starts reading from r; w receives our messages.
func New(r io.Reader, w io.Writer) *Conn {
	c := &Conn{w: w, msgs: make(chan Message, 4096), counts: map[string]int{}}
	go c.read(bufio.NewReaderSize(r, 64<<10))
	return c
}

func (c *Conn) read(r *bufio.Reader) {
	defer close(c.msgs)
	for {
		length := -1
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				c.err = err
				return
			}
			line = strings.TrimSpace(line)
			if line == "" {
				if length >= 0 {
					break
				}
				continue
			}
			if v, ok := strings.CutPrefix(strings.ToLower(line), "content-length:"); ok {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(r, body); err != nil {
			c.err = err
			return
		}
		var m Message
		if err := json.Unmarshal(body, &m); err != nil {
			continue
		}
		if m.Method != "" {
			c.countMu.Lock()
			c.counts[m.Method]++
			c.countMu.Unlock()
		}
		if m.Method != "" && len(m.ID) > 0 {
			c.answer(m)
		}
		c.msgs <- m
	}
}

// answer replies to a request from the server.
func (c *Conn) answer(m Message) {
	var result any
	switch m.Method {
	case "workspace/configuration":
		result = []any{c.Config}
	case "workspace/applyEdit":
		result = map[string]any{"applied": true}
	}
	_ = c.write(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": result})
}

func (c *Conn) write(msg any) error {
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err = fmt.Fprintf(c.w, "Content-Length: %d\r\n\r\n%s", len(data), data)
	return err
}

// Request sends a request and returns its id.
func (c *Conn) Request(method string, params any) (int, error) {
	c.wmu.Lock()
	c.next++
	id := c.next
	c.wmu.Unlock()
	return id, c.write(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

// Notify sends a notification.
func (c *Conn) Notify(method string, params any) error {
	return c.write(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

// Raw writes bytes as they are (tests of garbage on the wire).
func (c *Conn) Raw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.w.Write(b)
	return err
}

// Await reads messages until pred accepts one, within timeout.
func (c *Conn) Await(timeout time.Duration, pred func(Message) bool) (Message, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				return Message{}, fmt.Errorf("server closed the connection: %v", c.err)
			}
			if pred(m) {
				return m, nil
			}
		case <-t.C:
			return Message{}, ErrTimeout
		}
	}
}

// Response waits for the response to request id.
func (c *Conn) Response(id int, timeout time.Duration) (Message, error) {
	want := strconv.Itoa(id)
	return c.Await(timeout, func(m Message) bool { return m.IsResponse() && string(m.ID) == want })
}

// Call sends a request and waits for its response; a JSON-RPC error is
// returned as an error.
func (c *Conn) Call(method string, params any, timeout time.Duration) (json.RawMessage, error) {
	id, err := c.Request(method, params)
	if err != nil {
		return nil, err
	}
	m, err := c.Response(id, timeout)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	if m.Error != nil {
		return nil, fmt.Errorf("%s: error %d: %s", method, m.Error.Code, m.Error.Message)
	}
	return m.Result, nil
}

// Diagnostics is a textDocument/publishDiagnostics notification.
type Diagnostics struct {
	URI         string `json:"uri"`
	Version     *int   `json:"version"`
	Diagnostics []struct {
		Range struct {
			Start struct{ Line, Character int } `json:"start"`
			End   struct{ Line, Character int } `json:"end"`
		} `json:"range"`
		Severity int    `json:"severity"`
		Code     any    `json:"code"`
		Source   string `json:"source"`
		Message  string `json:"message"`
	} `json:"diagnostics"`
}

// AwaitDiagnostics waits for diagnostics of uri; with version >= 0 only
// for that version (servers that send no version match any).
func (c *Conn) AwaitDiagnostics(uri string, version int, timeout time.Duration) (Diagnostics, error) {
	var d Diagnostics
	_, err := c.Await(timeout, func(m Message) bool {
		if m.Method != "textDocument/publishDiagnostics" {
			return false
		}
		var p Diagnostics
		if json.Unmarshal(m.Params, &p) != nil || p.URI != uri {
			return false
		}
		if version >= 0 && p.Version != nil && *p.Version != version {
			return false
		}
		d = p
		return true
	})
	return d, err
}
