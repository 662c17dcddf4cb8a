package flows

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
)

// IsLoopbackRedirect reports whether a redirect URL lets wisewallet catch
// the login itself (http://127.0.0.1:PORT/..., localhost, [::1]); any other
// URL means the user pastes the code back.
func IsLoopbackRedirect(redirectURL string) bool { return isLoopbackRedirect(redirectURL) }

// ErrNoBrowser means there is no system browser to open (no display, or
// an SSH session); the user opens the printed URL by hand.
var ErrNoBrowser = errors.New("no system browser here")

// OpenSystemBrowser starts the system browser on u when this session has
// one. The URL goes as an argument, which is fine: an authorize URL
// carries the client id and state, never a secret. The browser process is
// not waited for beyond reaping it.
func OpenSystemBrowser(u string) error {
	if os.Getenv("SSH_CONNECTION") != "" || os.Getenv("SSH_TTY") != "" {
		// A browser on the remote machine cannot reach the user, and its
		// loopback redirect would not reach this one either.
		return fmt.Errorf("%w: this is an SSH session", ErrNoBrowser)
	}
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return fmt.Errorf("%w: no graphical display", ErrNoBrowser)
		}
		cmd = exec.Command("xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: %v", ErrNoBrowser, err)
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
