package flows

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// What the terminal app's core screens (unlock, dashboard, details) need
// from the layers below, kept UI-free so it can be tested here and used by
// any front end.

// KDFParams are Argon2id parameters.
type KDFParams = crypto.KDFParams

// DemoFastKDF is a deliberately weak KDF for throwaway demo wallets and
// tests only: it makes unlocking instant, so it must never protect a real
// wallet.
var DemoFastKDF = KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}

// More errors the app branches on.
var (
	ErrNoWallet           = wallet.ErrNoWallet
	ErrNotWallet          = wallet.ErrNotWallet
	ErrUnsupportedVersion = wallet.ErrUnsupportedVersion
	ErrWalletBusy         = wallet.ErrLocked
	ErrUnsafeWallet       = wallet.ErrUnsafe
	ErrInvalidName        = wallet.ErrInvalidName
)

// ValidateName checks an entry name (see wallet.ValidateName).
func ValidateName(name string) error { return wallet.ValidateName(name) }

// StatusWord is the entry's status at now as `status` and the dashboard
// show it: "ok", "needs_login", "revoked" or "expired".
func StatusWord(e Entry, now time.Time) string { return statusWord(e, now) }

// RotationReminder is the default age after which a personal token or an
// OAuth client secret is shown as due for rotation. Wise does not expire
// either, so a stolen copy works until someone rotates it; 90 days is the
// common policy of secret scanners and auditors.
const RotationReminder = 90 * 24 * time.Hour

// CreateWallet makes a new wallet in dir. Tests and demos use it with
// DemoFastKDF; `wisewallet init` has its own prompts and checks.
func CreateWallet(ctx context.Context, dir string, passphrase Secret, kdf KDFParams) (*Service, error) {
	w, err := wallet.Create(ctx, wallet.NewFileStore(dir), passphrase, wallet.Options{KDF: kdf})
	if err != nil {
		return nil, err
	}
	return &Service{Wallet: w}, nil
}

// OpenWallet unlocks the wallet in dir with a passphrase (no keyring).
func OpenWallet(ctx context.Context, dir string, passphrase Secret) (*Service, error) {
	w, err := wallet.Open(ctx, wallet.NewFileStore(dir), wallet.Unlocker{
		Passphrase: func() (crypto.Secret, error) { return passphrase, nil },
	})
	if err != nil {
		return nil, err
	}
	return &Service{Wallet: w}, nil
}

// FileStamp identifies one version of the wallet file cheaply (no read,
// no lock): a save renames a new file into place, which changes the
// modification time and usually the size.
type FileStamp struct {
	Size    int64
	ModTime time.Time
}

// Stamp returns the stamp of the wallet's file. An error (a storage that
// is not a file, a file moved away) means "unknown": callers reload.
func (s *Service) Stamp() (FileStamp, error) {
	fi, err := os.Stat(s.Wallet.Location())
	if err != nil {
		return FileStamp{}, err
	}
	return FileStamp{Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// renewable reports whether RefreshDue keeps e's access token fresh.
func renewable(e wallet.Entry) bool {
	switch {
	case e.Status != wallet.StatusOK:
		return false
	case e.Kind == wallet.KindUser:
		return true
	case e.Kind == wallet.KindClient:
		return e.AccessExpiresAt != nil // only a cached token is kept fresh
	}
	return false
}

// NextRefresh is when RefreshDue will next renew e's access token (the
// same rule as refreshDue), so a live view can wait for that moment
// instead of asking every second. ok is false when nothing is renewed.
func NextRefresh(e Entry) (at time.Time, ok bool) {
	if !renewable(e) {
		return time.Time{}, false
	}
	if e.AccessExpiresAt == nil {
		return time.Time{}, true // a user entry without a token: due now
	}
	exp := *e.AccessExpiresAt
	if e.AccessIssuedAt != nil && exp.After(*e.AccessIssuedAt) {
		return exp.Add(-exp.Sub(*e.AccessIssuedAt) / 4), true
	}
	return exp.Add(-time.Minute), true
}

// RefreshResult is what RefreshDueEach did for one entry.
type RefreshResult struct {
	Name string
	At   time.Time
	// Err is nil when the token was renewed. It wraps ErrNeedsLogin,
	// ErrUnavailable or ErrInvalidClient, and an *APIError with the
	// x-trace-id when Wise answered.
	Err error
}

// RefreshDueEach is RefreshDue for a live view: it tries every due entry
// even when one fails (one revoked login must not stop the others from
// being renewed), reports each outcome on its own, and leaves out the
// entries skip names (those waiting out a back-off after a failure).
func (s *Service) RefreshDueEach(ctx context.Context, skip func(name string) bool) []RefreshResult {
	now := s.now()
	var out []RefreshResult
	for _, e := range s.Wallet.Entries() {
		if !renewable(e) || !refreshDue(e.AccessIssuedAt, e.AccessExpiresAt, now) || (skip != nil && skip(e.Name)) {
			continue
		}
		_, err := s.AccessToken(ctx, e.Name)
		out = append(out, RefreshResult{Name: e.Name, At: s.now(), Err: err})
		if ctx.Err() != nil {
			break
		}
	}
	return out
}

// MarkBreached handles "I suspect a breach" for one entry: it removes
// every secret the wallet holds for it and marks it revoked, in one save.
// The metadata stays, so the user still sees what to revoke at Wise (see
// RevokeAdvice); the wallet cannot revoke anything at Wise itself, which
// has no revocation endpoint.
func (s *Service) MarkBreached(ctx context.Context, name string) (Entry, error) {
	var out wallet.Entry
	err := s.Wallet.Update(ctx, func(c *wallet.Contents) error {
		e, err := c.Get(name)
		if err != nil {
			return err
		}
		e.Secrets = nil
		// Expiries of tokens that are gone would only count down to nothing.
		e.AccessIssuedAt, e.AccessExpiresAt, e.RefreshExpiresAt = nil, nil, nil
		e.Status = wallet.StatusRevoked
		e.UpdatedAt = s.now()
		out = e
		return c.Put(e)
	})
	return out, err
}

// webHost is the Wise web app of an environment (reference/wise-auth.md
// §1); empty for a localwise entry.
func webHost(env wallet.Environment) string {
	switch env.Name {
	case wallet.EnvProduction:
		return wise.Production().Web
	case wallet.EnvSandbox:
		return wise.Sandbox().Web
	}
	return ""
}

// RevokeAdvice says, step by step, where the credential in e is revoked
// or rotated at Wise. Wise has no revocation endpoint (reference/
// wise-auth.md, decisions), so this is the user's part of a breach.
func RevokeAdvice(e Entry) []string {
	web := webHost(e.Env)
	if web == "" {
		return []string{
			fmt.Sprintf("This is a %s credential for %s (localwise): it works nowhere else,", e.Env.Name, e.Env.APIURL),
			"so there is nothing to revoke at Wise. Restarting localwise forgets it.",
		}
	}
	hub := web + "/developer-hub"
	switch e.Kind {
	case wallet.KindPersonal:
		return []string{
			"Revoke the token in the Wise web app (" + web + "):",
			"  Your account → Integrations and tools → API tokens → the token → Revoke.",
			"Then create a new token there and add it: wisewallet add personal NAME --env " + string(e.Env.Name) + ".",
		}
	case wallet.KindClient:
		return []string{
			"Rotate the client secret in the Developer Hub (" + hub + "):",
			"  your application → credentials → rotate the client secret (client id " + orDash(e.ClientID) + ").",
			"Every user login made through this client must then be refreshed with the new secret;",
			"store it with: wisewallet add client NAME --env " + string(e.Env.Name) + " --client-id " + orDash(e.ClientID) + ".",
		}
	case wallet.KindUser:
		return []string{
			"Ask the user (" + orDash(e.UserEmail) + ") to remove this application's access in the Wise web app (" + web + ")",
			"  (Your account → Integrations and tools → connected apps), which revokes its refresh token.",
			"Rotate the secret of the OAuth client " + orDash(e.LinkedTo) + " in the Developer Hub (" + hub + "):",
			"  your application → credentials → rotate the client secret; a stolen refresh token is useless without it.",
		}
	case wallet.KindSCA:
		return []string{
			"Delete the public key at Wise (" + web + "):",
			"  Your account → Integrations and tools → API tokens → Manage public keys.",
		}
	case wallet.KindMTLS:
		return []string{
			"Revoke the certificate in the Developer Hub (" + hub + "):",
			"  your application → Authentication → certificates; then generate a new key and CSR.",
		}
	case wallet.KindJOSE:
		return []string{
			"Remove the uploaded public key (key id " + orDash(e.KeyID) + ") in the Developer Hub (" + hub + "),",
			"  then generate and upload a new key pair.",
		}
	}
	return []string{"Revoke or rotate the credential where it was created at Wise (" + web + ")."}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
