// Package tui is wisewallet's terminal app: the unlock screen, the live
// expiry dashboard, entry details, and the guided flows. It is a Bubble Tea
// v2 program that talks to flows/ only.
//
// Rules every screen follows (see ../shared/reference/style-by-example.md):
//   - one screen per file, implementing [Screen]; screens move between each
//     other only through messages ([Push], [Pop], [Replace]);
//   - no I/O in Init, Update or View: network, disk and clock-driven work
//     runs in tea.Cmd functions that return typed messages; commands that
//     use the unlocked wallet go through [Common.WalletCmd] (the wallet is
//     safe for concurrent use, so they run side by side), and every
//     background command belongs to the current session ([Common.Ctx],
//     [Common.SessionCmd]): a lock cancels it and drops its answer;
//   - styles come from one [Styles] built from semantic colours for the
//     terminal's background; keys from one [KeyMap]; help is shown at the
//     bottom and `?` expands it;
//   - secrets are shown masked unless the user asks to reveal one, and hidden
//     again when the screen is left; key presses are never logged;
//   - the UI draws on the alternate screen, so nothing is left in scrollback.
//
// The App keeps a stack of screens. The dashboard sits at the bottom once
// the wallet is unlocked and keeps working while another screen covers it:
// it gets every [TickMsg], checks the wallet file for changes by other
// processes every few seconds (a stat, a reload only when it changed), and
// renews tokens when they fall due, saying so in its rows and in a notice.
// Locking (the L key, or no key press for Options.AutoLock) drops the
// unlocked wallet and every screen, so no revealed secret survives it,
// cancels what the session still runs, and clears a secret the app put on
// the clipboard.
package tui
