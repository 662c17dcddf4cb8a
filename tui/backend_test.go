package tui

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

// fakeBackend is a wallet in memory for screens that only read it: the
// views it was given, and secret values by entry and field for Reveal.
// What would change a wallet fails: tests of those go to a real one.
type fakeBackend struct {
	entries []flows.EntryView
	secrets map[string]map[string]string
	// handedOut is every HandedOut, as "entry secret to".
	mu        sync.Mutex
	handedOut []string
}

func (f *fakeBackend) HandedOut(_ context.Context, entry, secret, to string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handedOut = append(f.handedOut, entry+" "+secret+" "+to)
}

// coreFake holds the secrets of the core fixtures (coreEntries and
// coreClientEntry).
func coreFake() *fakeBackend {
	return &fakeBackend{secrets: map[string]map[string]string{
		"acme-app":      {"client_secret": "demo-client-secret-REVEALED", "access_token": "demo-cc-token-0000"},
		"acme-personal": {"token": "fake-personal-token"},
		"partner-user":  {"access_token": "fake-access-token"},
		"prod-payouts":  {"token": "fake-prod-token"},
	}}
}

// withSecrets is v holding the given secrets, by name and length.
func withSecrets(v flows.EntryView, secrets map[string]string) flows.EntryView {
	v.Secrets = nil
	for _, name := range sortedKeys(secrets) {
		v.Secrets = append(v.Secrets, flows.SecretInfo{Name: name, Len: len(secrets[name])})
	}
	return v
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

var errFakeReadOnly = errors.New("the fake backend only reads")

func (f *fakeBackend) Entries() []flows.EntryView { return f.entries }

func (f *fakeBackend) Entry(name string) (flows.EntryView, error) {
	for _, v := range f.entries {
		if v.Name == name {
			return v, nil
		}
	}
	return flows.EntryView{}, fmt.Errorf("%w: %q", flows.ErrEntryNotFound, name)
}

func (f *fakeBackend) Reveal(name, field string) (crypto.Secret, error) {
	if v, ok := f.secrets[name][field]; ok {
		return crypto.SecretString(v), nil
	}
	return crypto.Secret{}, &flows.NoSecretError{Entry: name, Field: field}
}

func (f *fakeBackend) Stamp() (flows.Stamp, error)                             { return flows.Stamp{}, nil }
func (f *fakeBackend) Reload(context.Context) error                            { return nil }
func (f *fakeBackend) Refresh(context.Context, []string) []flows.RefreshResult { return nil }
func (f *fakeBackend) RenewNow(_ context.Context, name string) flows.RefreshResult {
	return flows.RefreshResult{Name: name, Err: errFakeReadOnly}
}
func (f *fakeBackend) Rename(context.Context, string, string) error { return errFakeReadOnly }
func (f *fakeBackend) Remove(context.Context, string) error         { return errFakeReadOnly }
func (f *fakeBackend) MarkBreached(context.Context, string) (flows.EntryView, error) {
	return flows.EntryView{}, errFakeReadOnly
}
func (f *fakeBackend) AddPersonalChecked(context.Context, string, flows.Environment, crypto.Secret) (flows.EntryView, error) {
	return flows.EntryView{}, errFakeReadOnly
}
func (f *fakeBackend) AddClient(context.Context, flows.ClientInput) (flows.EntryView, error) {
	return flows.EntryView{}, errFakeReadOnly
}
func (f *fakeBackend) Login(context.Context, flows.LoginRequest) (flows.EntryView, error) {
	return flows.EntryView{}, errFakeReadOnly
}
func (f *fakeBackend) LoginRegistrationCode(context.Context, flows.RegistrationRequest) (flows.EntryView, error) {
	return flows.EntryView{}, errFakeReadOnly
}
func (f *fakeBackend) MTLSKeygen(context.Context, flows.MTLSKeyInput) (flows.EntryView, error) {
	return flows.EntryView{}, errFakeReadOnly
}
func (f *fakeBackend) MTLSCSR(name string) (string, error) {
	v, err := f.Entry(name)
	if v.PendingCSR != "" {
		return v.PendingCSR, err
	}
	return v.CSR, err
}
func (f *fakeBackend) MTLSImportCert(context.Context, string, []byte, []byte) (flows.ImportedCertificate, error) {
	return flows.ImportedCertificate{}, errFakeReadOnly
}
func (f *fakeBackend) MTLSCheck(context.Context, string) (flows.MTLSCheckResult, error) {
	return flows.MTLSCheckResult{}, errFakeReadOnly
}
func (f *fakeBackend) MTLSRenew(context.Context, flows.MTLSRenewInput) (flows.EntryView, error) {
	return flows.EntryView{}, errFakeReadOnly
}
func (f *fakeBackend) MTLSCertificates(client string) flows.ClientCertificates {
	return flows.ClientCertificates{Client: client, Limit: flows.MTLSCertificateLimit, Names: []string{}}
}
func (f *fakeBackend) JOSEKeygen(context.Context, flows.JOSEKeyInput) (flows.EntryView, error) {
	return flows.EntryView{}, errFakeReadOnly
}
func (f *fakeBackend) JOSEPublicKey(name, format string) ([]byte, error) {
	if _, err := f.Entry(name); err != nil {
		return nil, err
	}
	return []byte("fake " + format + " public key of " + name), nil
}
func (f *fakeBackend) JOSEUpload(context.Context, string) (flows.JOSEUploaded, error) {
	return flows.JOSEUploaded{}, errFakeReadOnly
}
func (f *fakeBackend) JOSERotate(context.Context, string, time.Duration) (flows.JOSERotated, error) {
	return flows.JOSERotated{}, errFakeReadOnly
}
func (f *fakeBackend) JOSEWiseKeys(context.Context, string) (flows.WiseKeysView, error) {
	return flows.WiseKeysView{}, errFakeReadOnly
}
func (f *fakeBackend) JOSEPlaygroundWith(context.Context, flows.JOSEPlaygroundInput) (flows.JOSEPlaygroundResult, error) {
	return flows.JOSEPlaygroundResult{}, errFakeReadOnly
}
func (f *fakeBackend) JOSEKeys(client string) []flows.EntryView {
	var out []flows.EntryView
	for _, v := range f.entries {
		if v.Kind == flows.KindJOSE && v.LinkedTo == client {
			out = append(out, v)
		}
	}
	return out
}
func (f *fakeBackend) SCAFactors(credential string) flows.SCAFactorsView {
	return flows.SCAFactorsView{Credential: credential}
}
func (f *fakeBackend) SCASession(context.Context, string, int64, flows.SCASolver) (flows.SCASessionView, error) {
	return flows.SCASessionView{}, errFakeReadOnly
}
func (f *fakeBackend) PINSet(context.Context, string, int64, crypto.Secret, flows.SCASolver) error {
	return errFakeReadOnly
}
func (f *fakeBackend) PINChange(context.Context, string, int64, crypto.Secret, flows.SCASolver) error {
	return errFakeReadOnly
}
func (f *fakeBackend) PINDelete(context.Context, string, int64, flows.SCASolver) error {
	return errFakeReadOnly
}
func (f *fakeBackend) DeviceAdd(context.Context, string, int64, flows.SCASolver) (flows.DeviceView, error) {
	return flows.DeviceView{}, errFakeReadOnly
}
func (f *fakeBackend) DeviceList(context.Context, string, int64) ([]flows.DeviceView, error) {
	return nil, errFakeReadOnly
}
func (f *fakeBackend) DeviceRemove(context.Context, string, int64, string, flows.SCASolver) error {
	return errFakeReadOnly
}
func (f *fakeBackend) SCAKeygen(context.Context, flows.SCAKeyInput) (flows.EntryView, error) {
	return flows.EntryView{}, errFakeReadOnly
}
func (f *fakeBackend) SCAPublicKey(name string) ([]byte, error) {
	if _, err := f.Entry(name); err != nil {
		return nil, err
	}
	return []byte("fake PEM public key of " + name), nil
}
func (f *fakeBackend) SCAUpload(context.Context, string) (flows.EntryView, error) {
	return flows.EntryView{}, errFakeReadOnly
}
func (f *fakeBackend) Call(context.Context, flows.CallInput, flows.SCASolver) (flows.CallResult, error) {
	return flows.CallResult{}, errFakeReadOnly
}
