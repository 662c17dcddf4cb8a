package tui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wisewallet/wisewallet/crypto"
)

// coreFakeClip puts a fake xclip first on PATH: it logs its arguments,
// keeps the "clipboard" in a file, and prints it for -out.
func coreFakeClip(t *testing.T) (store, argv string) {
	t.Helper()
	dir := t.TempDir()
	store, argv = filepath.Join(dir, "clipboard"), filepath.Join(dir, "argv")
	script := "#!/bin/sh\necho \"$@\" >> '" + argv + "'\ncase \"$*\" in\n*-out*) cat '" + store + "' 2>/dev/null ;;\n*) cat > '" + store + "' ;;\nesac\n"
	if err := os.WriteFile(filepath.Join(dir, "xclip"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return store, argv
}

func TestClipboardGetsTheSecretOnStdinAndClearsOnlyItsOwnCopy(t *testing.T) {
	store, argv := coreFakeClip(t)
	const secret = "CANARY-clip-81c4"
	clip := newClipboard()
	clip.getenv = func(k string) string {
		if k == "DISPLAY" {
			return ":0"
		}
		return ""
	}
	clip.clearAfter = 1 << 62 // the test clears by hand, not by timer
	if err := clip.Copy(crypto.SecretString(secret)); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(store)
	if string(got) != secret {
		t.Fatal("the secret did not reach the clipboard")
	}
	args, _ := os.ReadFile(argv)
	noSecret(t, "the clipboard tool's arguments", string(args), secret)
	// The user copied something else since: it is left alone.
	if err := os.WriteFile(store, []byte("something the user copied"), 0o600); err != nil {
		t.Fatal(err)
	}
	clip.ClearPending()
	if got, _ := os.ReadFile(store); string(got) != "something the user copied" {
		t.Fatal("clearing replaced what the user copied later")
	}
	// Still our secret: cleared.
	if err := clip.Copy(crypto.SecretString(secret)); err != nil {
		t.Fatal(err)
	}
	clip.ClearPending()
	if got, _ := os.ReadFile(store); len(got) != 0 {
		t.Fatal("the secret was not cleared from the clipboard")
	}
}

// Without a clipboard, copying says what to do instead in the app's own
// terms (its keys), not in the command line's.
func TestClipboardMissingSaysWhatToDoInTheAppsWords(t *testing.T) {
	clip := newClipboard()
	clip.getenv = func(string) string { return "" }
	err := clip.Copy(crypto.SecretString("CANARY-clip-none-5a0e"))
	if !errors.Is(err, errNoClipboard) {
		t.Fatalf("copying without a display: %v, want errNoClipboard", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "press v to reveal the secret instead") {
		t.Errorf("the message does not say what to do in the app: %q", msg)
	}
	if strings.Contains(msg, "wisewallet ") || strings.Contains(msg, "--") {
		t.Errorf("the message words a command line in the app: %q", msg)
	}
	noSecret(t, "the message", msg, "CANARY-clip-none-5a0e")
}

// A lock while the clipboard tool still runs clears the copy too, even
// when the secret lands on the clipboard only after the lock looked.
func TestClipboardLockDuringTheCopyClearsIt(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "clipboard")
	started, release := filepath.Join(dir, "started"), filepath.Join(dir, "release")
	for _, fifo := range []string{started, release} {
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Copying a value (not the empty one that clears) says it started,
	// waits to be released, and only then fills the clipboard.
	script := "#!/bin/sh\ncase \"$*\" in\n*-out*) cat '" + store + "' 2>/dev/null ;;\n" +
		"*) v=$(cat); if [ -n \"$v\" ]; then echo > '" + started + "'; cat '" + release + "' > /dev/null; fi; printf %s \"$v\" > '" + store + "' ;;\nesac\n"
	if err := os.WriteFile(filepath.Join(dir, "xclip"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	const secret = "CANARY-clip-lock-3e9b"
	clip := newClipboard()
	clip.getenv = func(k string) string {
		if k == "DISPLAY" {
			return ":0"
		}
		return ""
	}
	clip.clearAfter = 1 << 62 // the test clears by hand, not by timer
	copied := make(chan error, 1)
	go func() { copied <- clip.Copy(crypto.SecretString(secret)) }()
	running := make(chan error, 1)
	go func() { _, err := os.ReadFile(started); running <- err }()
	select {
	case err := <-running:
		if err != nil {
			t.Fatal(err)
		}
	case err := <-copied:
		t.Fatalf("the copy ended before the tool ran: %v", err)
	}
	clip.ClearPending() // the lock
	if err := os.WriteFile(release, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := <-copied; err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(store); len(got) != 0 {
		t.Fatal("the secret copied while the lock came is still on the clipboard")
	}
}
