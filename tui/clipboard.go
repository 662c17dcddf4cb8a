package tui

// The clipboard. A copied secret goes to the tool's standard input, never
// its arguments (every user can read a process's arguments), and is
// cleared after clearAfter if the clipboard still holds it, from a
// goroutine of the app; secrets still pending when the app ends or locks
// are cleared then (ClearPending).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

const defaultClipClear = 30 * time.Second

// errNoClipboardTool is errNoClipboard for text that is no secret.
var errNoClipboardTool = errors.New("no clipboard tool here: no DISPLAY or WAYLAND_DISPLAY, or none of wl-copy, xclip, xsel")

var errNoClipboard = errors.New("there is no clipboard here (no DISPLAY or WAYLAND_DISPLAY, or none of wl-copy, xclip, xsel installed); press v to reveal the secret instead (scripts ask the command line for tokens)")

type clipTool struct {
	copy, paste, clear []string // clear nil: copy an empty value
}

type clipboard struct {
	getenv     func(string) string
	lookPath   func(string) (string, error)
	clearAfter time.Duration

	mu      sync.Mutex
	pending map[int]string // copies not yet cleared, by id
	nextID  int
}

func newClipboard() *clipboard {
	return &clipboard{getenv: os.Getenv, lookPath: exec.LookPath, clearAfter: defaultClipClear, pending: map[int]string{}}
}

// tool finds a clipboard tool for the current display.
func (c *clipboard) tool() (clipTool, error) {
	if c.getenv("WAYLAND_DISPLAY") != "" {
		if p, err := c.lookPath("wl-copy"); err == nil {
			if q, err := c.lookPath("wl-paste"); err == nil {
				return clipTool{copy: []string{p}, paste: []string{q, "--no-newline"}, clear: []string{p, "--clear"}}, nil
			}
		}
	}
	if c.getenv("DISPLAY") != "" {
		if p, err := c.lookPath("xclip"); err == nil {
			return clipTool{copy: []string{p, "-selection", "clipboard", "-in"}, paste: []string{p, "-selection", "clipboard", "-out"}}, nil
		}
		if p, err := c.lookPath("xsel"); err == nil {
			return clipTool{copy: []string{p, "--clipboard", "--input"}, paste: []string{p, "--clipboard", "--output"}, clear: []string{p, "--clipboard", "--delete"}}, nil
		}
	}
	return clipTool{}, errNoClipboard
}

// clipRun runs a clipboard tool with input on stdin. Its stdout and
// stderr are not pipes: xclip and wl-copy leave a process behind to serve
// the selection, and waiting for it to close a pipe would hang.
func clipRun(argv []string, input string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(input)
	return cmd.Run()
}

func clipRead(argv []string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, argv[0], argv[1:]...).Output()
}

// Copy puts secret on the clipboard and schedules its clearing. The copy
// is pending from before the tool runs, so a lock while it runs clears it
// too: if ClearPending came while the tool ran, the secret may have landed
// after it looked, so it is cleared again here.
func (c *clipboard) Copy(secret crypto.Secret) error {
	t, err := c.tool()
	if err != nil {
		return err
	}
	value := secret.RevealString()
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	c.pending[id] = value
	c.mu.Unlock()
	err = clipRun(t.copy, value)
	c.mu.Lock()
	_, stillPending := c.pending[id]
	if err != nil {
		delete(c.pending, id)
	}
	c.mu.Unlock()
	switch {
	case !stillPending:
		c.clearIfHeld(value)
	case err == nil:
		time.AfterFunc(c.clearAfter, func() { c.clear(id) })
	}
	if err != nil {
		return fmt.Errorf("copying failed (%s): %w", t.copy[0], err)
	}
	return nil
}

// CopyText puts text that is no secret (a CSR) on the clipboard, for
// good: nothing clears it.
func (c *clipboard) CopyText(text string) error {
	t, err := c.tool()
	if err != nil {
		return errNoClipboardTool
	}
	if err := clipRun(t.copy, text); err != nil {
		return fmt.Errorf("copying failed (%s): %w", t.copy[0], err)
	}
	return nil
}

// clear empties the clipboard if it still holds copy id; something the
// user copied since is left alone.
func (c *clipboard) clear(id int) {
	c.mu.Lock()
	value, ok := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if ok {
		c.clearIfHeld(value)
	}
}

// clearIfHeld empties the clipboard if it holds value.
func (c *clipboard) clearIfHeld(value string) {
	t, err := c.tool()
	if err != nil {
		return
	}
	got, err := clipRead(t.paste)
	if err != nil {
		return
	}
	if !bytes.Equal(got, []byte(value)) && !bytes.Equal(bytes.TrimSuffix(got, []byte("\n")), []byte(value)) {
		return // the user copied something else since
	}
	if t.clear != nil {
		_ = clipRun(t.clear, "")
	} else {
		_ = clipRun(t.copy, "")
	}
}

// ClearPending clears every copy not cleared yet (the app is ending or
// locking).
func (c *clipboard) ClearPending() {
	c.mu.Lock()
	ids := make([]int, 0, len(c.pending))
	for id := range c.pending {
		ids = append(ids, id)
	}
	c.mu.Unlock()
	for _, id := range ids {
		c.clear(id)
	}
}
