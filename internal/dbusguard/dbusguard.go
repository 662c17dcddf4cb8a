// Package dbusguard keeps github.com/99designs/keyring from starting a
// D-Bus daemon. That library connects to the session bus in its init();
// with no bus configured, godbus autolaunches `dbus-launch`, which leaves
// a dbus-daemon running after every process start (hashicorp/vault#22560).
// Setting DBUS_SESSION_BUS_ADDRESS to "disabled:" when no bus exists makes
// the connection fail fast instead, and the keyring falls back to backends
// that need no bus.
//
// It must be imported (blank) by main before anything that imports the
// keyring. It imports only the standard library, so Go's init order runs
// it before the keyring package, which waits on golang.org/x/sys and
// godbus; TestNoStrayDBusDaemon checks that on the real binary.
package dbusguard

import "os"

func init() {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return
	}
	// systemd user sessions expose the bus at a well-known path without
	// setting the variable; keep that working for desktop users.
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if _, err := os.Stat(dir + "/bus"); err == nil {
			return
		}
	}
	_ = os.Setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
}
