package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// The legacy SCA key (reference/wise-auth.md §4b): an RSA key whose
// signature of a one-time token (X-Signature) cleared a personal token's
// challenge. Wise has withdrawn it; it is kept, labelled legacy, for the
// accounts where it still works and for localwise's stand-in.

// WhereToUploadSCAKey is the place in Wise's web app for an SCA public key.
const WhereToUploadSCAKey = "Settings > API tokens > Manage public keys (at most 5 keys; Wise asks for 2FA)"

// SCAKeyNotLinkedError: the SCA key signs for no personal token, so there
// is no account to upload it to.
type SCAKeyNotLinkedError struct{ Entry string }

func (e *SCAKeyNotLinkedError) Error() string {
	return fmt.Sprintf("the SCA key %q signs for no personal token: make it again for the personal token entry it is for", e.Entry)
}

func (e *SCAKeyNotLinkedError) Unwrap() error { return ErrUsage }

// SCAKeyLimitError: the account has the most SCA public keys Wise keeps.
type SCAKeyLimitError struct {
	Entry string
	Cause error
}

func (e *SCAKeyLimitError) Error() string {
	return fmt.Sprintf("the account already has %d SCA public keys, the most Wise keeps, so %q was not uploaded: delete one under Manage public keys first", MaxSCAKeys, e.Entry)
}

func (e *SCAKeyLimitError) Unwrap() error { return e.Cause }

// scaKeyEntry is the named sca entry.
func (s *Service) scaKeyEntry(name string) (wallet.Entry, error) {
	e, err := s.w.Get(name)
	if err != nil {
		return e, err
	}
	if e.Kind != wallet.KindSCA {
		return e, &KindError{Entry: name, Kind: e.Kind, Want: wallet.KindSCA}
	}
	return e, nil
}

// scaKeyFor is the SCA key that signs for the personal token: an
// uploaded one first, then the newest.
func (s *Service) scaKeyFor(personal string) (wallet.Entry, bool) {
	var best *wallet.Entry
	for _, e := range s.w.Entries() {
		if e.Kind != wallet.KindSCA || e.LinkedTo != personal || e.Status == wallet.StatusRevoked || e.Secret(wallet.SecretPrivateKey).IsZero() {
			continue
		}
		if best == nil || e.Uploaded && !best.Uploaded || e.Uploaded == best.Uploaded && e.CreatedAt.After(best.CreatedAt) {
			best = &e
		}
	}
	if best == nil {
		return wallet.Entry{}, false
	}
	return *best, true
}

// SCAKeygen makes a legacy SCA key (RSA, at least 2048 bits) as a new sca
// entry, linked to the personal-token entry in.For when given.
func (s *Service) SCAKeygen(ctx context.Context, in SCAKeyInput) (EntryView, error) {
	if err := wallet.ValidateName(in.Name); err != nil {
		return EntryView{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	bits := in.Bits
	if bits == 0 {
		bits = DefaultSCAKeyBits
	}
	if bits != 2048 && bits != 3072 && bits != 4096 {
		return EntryView{}, &InputError{Input: InputKeyBits, Value: strconv.Itoa(in.Bits), Reason: ErrSCAKeyBits}
	}
	var env Environment
	if in.For != "" {
		p, err := s.w.Get(in.For)
		if err != nil {
			return EntryView{}, err
		}
		if p.Kind != wallet.KindPersonal {
			return EntryView{}, &KindError{Entry: in.For, Kind: p.Kind, Want: wallet.KindPersonal, For: "sca"}
		}
		env = p.Env
	}
	if _, err := s.w.Get(in.Name); err == nil {
		return EntryView{}, fmt.Errorf("%w: %q; choose another name or remove it first", ErrEntryExists, in.Name)
	}
	key, err := crypto.GenerateSCAKey(bits)
	if err != nil {
		return EntryView{}, &InputError{Input: InputKeyBits, Value: strconv.Itoa(in.Bits), Reason: err}
	}
	if err := ctx.Err(); err != nil {
		return EntryView{}, err // RSA 4096 takes a while
	}
	priv, err := crypto.MarshalPrivateKeyPEM(key)
	if err != nil {
		return EntryView{}, err
	}
	pub, err := crypto.MarshalPublicKeyPEM(key.Public())
	if err != nil {
		return EntryView{}, err
	}
	now := s.now()
	e := wallet.Entry{Name: in.Name, Kind: wallet.KindSCA, Env: env, CreatedAt: now, UpdatedAt: now, LinkedTo: in.For}
	e.KeyType = "rsa" + strconv.Itoa(bits)
	e.Algorithm = "SHA256withRSA"
	e.PublicKey = string(pub)
	e.SetSecret(wallet.SecretPrivateKey, priv)
	err = s.w.Update(ctx, func(c *wallet.Contents) error { return c.Add(e) })
	return view(e, err)
}

// ErrSCAKeyBits: an SCA key size Wise does not take.
var ErrSCAKeyBits = errors.New("is not an SCA key size: 2048 (the default), 3072 or 4096 bits; Wise refuses keys under 2048")

// SCAPublicKey is the SCA key's public key as PEM, for upload to Wise.
func (s *Service) SCAPublicKey(name string) ([]byte, error) {
	e, err := s.scaKeyEntry(name)
	if err != nil {
		return nil, err
	}
	if e.PublicKey == "" {
		return nil, fmt.Errorf("%q: %w", name, errJOSEKeyDamaged)
	}
	return []byte(e.PublicKey), nil
}

// SCASign signs the one-time token with the SCA key (SHA256withRSA,
// standard base64): the X-Signature value.
func (s *Service) SCASign(name, ott string) (string, error) {
	if err := crypto.CheckOneTimeToken(ott); err != nil {
		return "", &InputError{Input: InputOTT, Reason: err}
	}
	e, err := s.scaKeyEntry(name)
	if err != nil {
		return "", err
	}
	return signOTT(e, ott)
}

func signOTT(e wallet.Entry, ott string) (string, error) {
	key, err := crypto.ParsePrivateKeyPEM(e.Secret(wallet.SecretPrivateKey))
	if err != nil {
		return "", fmt.Errorf("%q: %w", e.Name, errJOSEKeyDamaged)
	}
	return crypto.SignOneTimeToken(key, ott)
}

// SCAUpload registers the SCA key's public key with localwise (env local
// only); for sandbox and production it returns an *SCAUploadElsewhereError
// saying where in Wise's web app it goes.
func (s *Service) SCAUpload(ctx context.Context, name string) (EntryView, error) {
	e, err := s.scaKeyEntry(name)
	if err != nil {
		return EntryView{}, err
	}
	if e.LinkedTo == "" {
		return EntryView{}, &SCAKeyNotLinkedError{Entry: name}
	}
	if e.Env.Name != wallet.EnvLocal {
		return EntryView{}, &SCAUploadElsewhereError{Key: name, Env: e.Env.Name, Where: WhereToUploadSCAKey}
	}
	p, err := s.w.Get(e.LinkedTo)
	if err != nil {
		return EntryView{}, err
	}
	tok, err := s.AccessToken(ctx, p.Name)
	if err != nil {
		return EntryView{}, err
	}
	id, err := s.client(p.Env, p.Name).UploadSCAKey(ctx, tok, []byte(e.PublicKey))
	var ae *APIError
	switch {
	case errors.As(err, &ae) && ae.Code == wise.CodeKeyNotUnique:
		// Uploaded already (by an attempt whose answer was lost, or by
		// hand): what matters is that the account has it.
		id, err = e.KeyID, nil
	case errors.As(err, &ae) && ae.Code == wise.CodeKeyLimit:
		return EntryView{}, &SCAKeyLimitError{Entry: name, Cause: err}
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		return EntryView{}, fmt.Errorf("%q was not uploaded: %w", name, err)
	}
	if err != nil {
		return EntryView{}, err
	}
	var stored wallet.Entry
	err = s.w.Update(ctx, func(c *wallet.Contents) error {
		cur, err := c.Get(name)
		if err != nil {
			return err
		}
		cur.Uploaded, cur.UpdatedAt = true, s.now()
		if id != "" {
			cur.KeyID = id
		}
		stored = cur
		return c.Put(cur)
	})
	return view(stored, err)
}
