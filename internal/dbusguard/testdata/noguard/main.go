// Command noguard is the negative control for TestNoStrayDBusDaemon: it
// imports github.com/99designs/keyring without internal/dbusguard, so on a
// machine with dbus-launch and no session bus, godbus autolaunches a
// dbus-daemon from the keyring's init and leaves it running.
package main

import (
	"fmt"

	"github.com/99designs/keyring"
)

func main() {
	fmt.Println(keyring.AvailableBackends())
}
