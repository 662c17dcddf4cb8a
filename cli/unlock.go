package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// unlockMode is which ways of opening the wallet one use of it allows.
// The ways are always tried in one order (unlock's); a mode only leaves
// some out.
type unlockMode struct {
	// typed is a passphrase typed in the app's unlock screen; when set it
	// is the only way tried.
	typed *crypto.Secret
	// fromEnv takes WISEWALLET_PASSPHRASE (automation, explicit opt-in).
	fromEnv bool
	// keyring uses the OS keyring slot when the wallet has one.
	keyring bool
	// prompt asks on the terminal.
	prompt bool
	// quiet prints no warning: the app draws on stderr, and completion's
	// stderr is the user's command line.
	quiet bool
	// silentKeyringOnly limits the keyring to backends that can never ask
	// the user anything (the kernel's keyctl): pass runs gpg, which may
	// pop up pinentry, and a locked Keychain or Secret Service collection
	// shows an unlock dialog.
	silentKeyringOnly bool
}

var (
	// unlockCommand is every command's: each way in turn, the prompt last.
	unlockCommand = unlockMode{fromEnv: true, keyring: true, prompt: true}
	// unlockAppStart is the app's first try, before its unlock screen.
	unlockAppStart = unlockMode{fromEnv: true, keyring: true, quiet: true}
	// unlockCompletion completes entry names only when no secret needs to
	// be known: it never prompts, never reads WISEWALLET_PASSPHRASE and so
	// never runs the KDF (a Tab press must not cost a second, or leak the
	// wallet's contents to whoever set a variable).
	unlockCompletion = unlockMode{keyring: true, quiet: true, silentKeyringOnly: true}
	// unlockKnowingPassphrase is for changing the passphrase, which must
	// prove knowledge of the current one, not just access to the desktop
	// session that holds the keyring.
	unlockKnowingPassphrase = unlockMode{fromEnv: true, prompt: true}
)

// silentKeyring is the one backend that never interacts with the user.
const silentKeyring = "keyctl"

// unlockTyped is the app's unlock screen: the passphrase typed there.
func unlockTyped(pass crypto.Secret) unlockMode { return unlockMode{typed: &pass, quiet: true} }

// errNeedsPassphrase: the mode allows no prompt and nothing else opened the
// wallet. The app shows its unlock screen; completion completes nothing.
var errNeedsPassphrase = fmt.Errorf("%w: the wallet needs its passphrase", wallet.ErrNoPassphrase)

// unlock opens the wallet in st, trying in this order what mode allows:
// WISEWALLET_PASSPHRASE, the OS keyring slot, the prompt on the terminal.
// It is the one unlock policy: every command, the app and completion come
// through here (the commands of credentialOps ask the agent first: see
// sio.ops).
func (sio *cliIO) unlock(ctx context.Context, st *wallet.FileStore, mode unlockMode) (*wallet.Wallet, error) {
	w, _, err := sio.unlockKeeping(ctx, st, mode, false)
	return w, err
}

// unlockKeeping is unlock that, when keep is set, also returns the
// passphrase that opened the wallet (zero when the keyring did): `agent
// start` hands it to the agent through a pipe.
func (sio *cliIO) unlockKeeping(ctx context.Context, st *wallet.FileStore, mode unlockMode, keep bool) (*wallet.Wallet, crypto.Secret, error) {
	u, err := sio.unlocker(ctx, st, mode)
	if err != nil {
		return nil, crypto.Secret{}, err
	}
	var kept crypto.Secret
	if ask := u.Passphrase; keep && ask != nil {
		u.Passphrase = func() (crypto.Secret, error) {
			s, err := ask()
			kept = s
			return s, err
		}
	}
	w, err := sio.open(ctx, st, u, mode)
	if err != nil {
		return nil, crypto.Secret{}, err
	}
	return w, kept, nil
}

// open is unlock's Open with the unlocker chosen.
func (sio *cliIO) open(ctx context.Context, st *wallet.FileStore, u wallet.Unlocker, mode unlockMode) (*wallet.Wallet, error) {
	w, err := wallet.Open(ctx, st, u)
	if u.Passphrase == nil && errors.Is(err, wallet.ErrNoPassphrase) {
		// The keyring did not open it, and asking is not allowed.
		return nil, errNeedsPassphrase
	}
	if err != nil {
		return nil, err
	}
	if !mode.quiet {
		for _, warn := range w.Warnings() {
			fmt.Fprintf(sio.stderr, "wisewallet: %s\n", walletMessage(warn))
		}
	}
	return w, nil
}

// unlocker picks the ways of unlock's order that mode allows and this
// process has.
func (sio *cliIO) unlocker(ctx context.Context, st *wallet.FileStore, mode unlockMode) (wallet.Unlocker, error) {
	given := func(s crypto.Secret) wallet.Unlocker {
		return wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return s, nil }}
	}
	if mode.typed != nil {
		return given(*mode.typed), nil
	}
	if mode.fromEnv {
		// Asked for explicitly, so it is used alone: a wrong one is an error
		// to report (exit 3), not a reason to try the keyring.
		if pw, ok := sio.passphraseFromEnv(); ok {
			return given(pw), nil
		}
	}
	var u wallet.Unlocker
	if mode.keyring {
		// The header says whether there is a keyring slot; without one the
		// keyring (D-Bus, or a child process for pass) is not touched. The
		// header alone: Open reads and checks the whole file next, and a
		// large (or crafted) file should be read and hashed once.
		info, err := wallet.InspectHeader(st)
		switch {
		case err != nil && !mode.prompt:
			return u, err
		case err == nil && info.KeyringSlot && mode.silentKeyringOnly:
			if want := sio.getenv("WISEWALLET_KEYRING"); want == "" || want == silentKeyring {
				if kr, err := sio.openKeyringBackend(ctx, silentKeyring); err == nil {
					u.Keyring = kr
				}
			}
		case err == nil && info.KeyringSlot:
			kr, err := sio.osKeyring(ctx, false)
			switch {
			case err == nil:
				u.Keyring = kr
			case mode.prompt && !mode.quiet:
				fmt.Fprintf(sio.stderr, "wisewallet: %v; using the passphrase\n", err)
			}
		}
	}
	if mode.prompt {
		u.Passphrase = func() (crypto.Secret, error) { return sio.askPassphrase(ctx, "Wallet passphrase: ", false) }
	}
	if u.Keyring == nil && u.Passphrase == nil {
		return u, errNeedsPassphrase
	}
	return u, nil
}

// openWallet unlocks the wallet of the folder the command line names.
func (sio *cliIO) openWallet(ctx context.Context, mode unlockMode) (*wallet.Wallet, error) {
	st, err := sio.store()
	if err != nil {
		return nil, err
	}
	return sio.unlock(ctx, st, mode)
}

// newService wraps an unlocked wallet for the app's flows: quiet, as the
// app draws on stderr.
func (sio *cliIO) newService(w *wallet.Wallet) *flows.Service {
	return flows.New(w, sio.serviceOptions(true))
}

// openService opens the wallet as every command does and wraps it.
func (sio *cliIO) openService(ctx context.Context) (*flows.Service, error) {
	w, err := sio.openWallet(ctx, unlockCommand)
	if err != nil {
		return nil, err
	}
	return flows.New(w, sio.serviceOptions(false)), nil
}

// sayRateLimitWait is the one stderr line before a wait after Wise
// answered 429 (too many requests).
func (sio *cliIO) sayRateLimitWait(_ context.Context, op string, wait time.Duration, retryAfter bool) {
	why := "the back-off, as Wise sent no Retry-After"
	if retryAfter {
		why = "as Wise's Retry-After asks, up to 30s"
	}
	fmt.Fprintf(sio.stderr, "Wise is limiting the rate of requests (HTTP 429 on %s): waiting %s (%s) before trying again.\n", op, wait, why)
}
