package tui

import (
	"context"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// Backend is what the app uses of the unlocked wallet: the methods of
// Backend it calls, and no more, so tests can pass a fake. It
// hands out views without secret values; a secret's value comes only
// from Reveal, when the user asks to see or copy it.
type Backend interface {
	// Entries and Entry read memory only: safe on the UI goroutine.
	Entries() []flows.EntryView
	Entry(name string) (flows.EntryView, error)
	Reveal(name, field string) (crypto.Secret, error)
	// HandedOut records in the audit log that a secret went to the
	// clipboard or the screen.
	HandedOut(ctx context.Context, entry, secret, to string)

	Stamp() (flows.Stamp, error)
	Reload(ctx context.Context) error
	Refresh(ctx context.Context, names []string) []flows.RefreshResult
	// RenewNow renews one entry's access token, due or not (R).
	RenewNow(ctx context.Context, name string) flows.RefreshResult

	Rename(ctx context.Context, from, to string) error
	Remove(ctx context.Context, name string) error
	MarkBreached(ctx context.Context, name string) (flows.EntryView, error)

	AddPersonalChecked(ctx context.Context, name string, env flows.Environment, token crypto.Secret) (flows.EntryView, error)
	AddClient(ctx context.Context, in flows.ClientInput) (flows.EntryView, error)
	Login(ctx context.Context, req flows.LoginRequest) (flows.EntryView, error)
	LoginRegistrationCode(ctx context.Context, req flows.RegistrationRequest) (flows.EntryView, error)

	// mTLS: a key and CSR, the certificate Developer Hub issued, Wise's
	// playground over mTLS, a renewal. MTLSCSR and MTLSCertificates read
	// memory only.
	MTLSKeygen(ctx context.Context, in flows.MTLSKeyInput) (flows.EntryView, error)
	MTLSCSR(name string) (string, error)
	MTLSImportCert(ctx context.Context, name string, certPEM, caPEM []byte) (flows.ImportedCertificate, error)
	MTLSCheck(ctx context.Context, name string) (flows.MTLSCheckResult, error)
	MTLSRenew(ctx context.Context, in flows.MTLSRenewInput) (flows.EntryView, error)
	MTLSCertificates(client string) flows.ClientCertificates

	// JOSE: a client's signing and encryption key pairs, their upload
	// and rotation, Wise's public keys and its playground. JOSEKeys and
	// JOSEPublicKey read memory only.
	JOSEKeygen(ctx context.Context, in flows.JOSEKeyInput) (flows.EntryView, error)
	JOSEPublicKey(name, format string) ([]byte, error)
	JOSEUpload(ctx context.Context, name string) (flows.JOSEUploaded, error)
	JOSERotate(ctx context.Context, name string, overlap time.Duration) (flows.JOSERotated, error)
	JOSEWiseKeys(ctx context.Context, client string) (flows.WiseKeysView, error)
	JOSEPlaygroundWith(ctx context.Context, in flows.JOSEPlaygroundInput) (flows.JOSEPlaygroundResult, error)
	JOSEKeys(client string) []flows.EntryView

	// SCA: what a credential can use to clear Wise's challenges, its PIN
	// and this device per profile, a personal token's legacy SCA key,
	// and an SCA session that checks them. Each call that can meet a
	// challenge takes the solver of the challenge screen (see scaCall).
	// SCAFactors and SCAPublicKey read memory only.
	SCAFactors(credential string) flows.SCAFactorsView
	SCASession(ctx context.Context, credential string, profile int64, solver flows.SCASolver) (flows.SCASessionView, error)
	PINSet(ctx context.Context, credential string, profile int64, pin crypto.Secret, solver flows.SCASolver) error
	PINChange(ctx context.Context, credential string, profile int64, pin crypto.Secret, solver flows.SCASolver) error
	PINDelete(ctx context.Context, credential string, profile int64, solver flows.SCASolver) error
	DeviceAdd(ctx context.Context, credential string, profile int64, solver flows.SCASolver) (flows.DeviceView, error)
	DeviceList(ctx context.Context, credential string, profile int64) ([]flows.DeviceView, error)
	DeviceRemove(ctx context.Context, credential string, profile int64, id string, solver flows.SCASolver) error
	SCAKeygen(ctx context.Context, in flows.SCAKeyInput) (flows.EntryView, error)
	SCAPublicKey(name string) ([]byte, error)
	SCAUpload(ctx context.Context, name string) (flows.EntryView, error)
	// Call is one Wise call with a credential that clears a challenge
	// through solver and sends the same request again once.
	Call(ctx context.Context, in flows.CallInput, solver flows.SCASolver) (flows.CallResult, error)
}

// The wallet service is the Backend the App runs on.
var _ Backend = (*flows.Service)(nil)
