package flows

import (
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// JOSE (reference/wise-auth.md §6): signing and encryption key pairs made
// here and uploaded to Wise for an OAuth client, Wise's own keys fetched
// and kept in the client entry, and calls whose bodies are signed (JWS),
// encrypted (JWE), both, or encrypted with a key the response reuses
// (direct). A response that fails its check is an error, never data.

// The uses of a JOSE key (the JWK "use").
const (
	JOSEUseSig = "sig" // signs requests; Wise verifies with its public key
	JOSEUseEnc = "enc" // Wise encrypts responses to its public key
)

// DefaultJOSEValidity is how long a new key is valid when nothing else is
// asked for.
const DefaultJOSEValidity = 365 * 24 * time.Hour

// MaxJOSEValidity bounds a key's validity: a key that never ends is one
// nobody rotates.
const MaxJOSEValidity = 5 * 365 * 24 * time.Hour

// JOSEClockSkew is how far before now a new entry's key is valid from: a
// machine whose clock runs a little ahead of Wise's would otherwise
// upload a key that Wise takes only a moment later (the same margin
// crypto gives a certificate's not-before). A rotation's key starts at
// the rotation: the previous key covers the overlap.
const JOSEClockSkew = 5 * time.Minute

// DefaultJOSEOverlap is how long a rotated key's predecessor keeps
// working beside it (localwise's default too).
const DefaultJOSEOverlap = 24 * time.Hour

// The playground modes (Wise's /v1/auth/jose/playground/...).
const (
	PlaygroundJWS       = "jws"        // POST, request signed, response signed
	PlaygroundJWE       = "jwe"        // POST, request and response encrypted
	PlaygroundJWEGet    = "jwe-get"    // GET, only the response encrypted
	PlaygroundJWSJWE    = "jwsjwe"     // POST, signed then encrypted both ways
	PlaygroundJWEDirect = "jwe-direct" // POST, response encrypted with the request's key
)

// PlaygroundModes lists the modes in the order they are offered.
var PlaygroundModes = []string{PlaygroundJWS, PlaygroundJWE, PlaygroundJWEGet, PlaygroundJWSJWE, PlaygroundJWEDirect}

// maxShownAnswer bounds the answer a playground result keeps.
const maxShownAnswer = 8 << 10

// PlaygroundMessageLimit is the longest message Wise's playgrounds take,
// in characters.
const PlaygroundMessageLimit = 100

// The public key formats JOSEPublicKey writes.
const (
	FormatJWK = "jwk"
	FormatPEM = "pem"
	FormatDER = "der" // base64 of the SPKI DER, Wise's keyMaterial
)

// More inputs the JOSE use cases check.
const (
	InputJOSEUse        Input = "key use"
	InputJOSEAlg        Input = "algorithm"
	InputValidity       Input = "validity"
	InputOverlap        Input = "overlap"
	InputJOSEURL        Input = "url"
	InputKeyFormat      Input = "key format"
	InputPlaygroundMode Input = "playground mode"
	InputMessage        Input = "message"
	InputJOSEKey        Input = "JOSE key"
)

// Why a JOSE input was refused (InputError.Reason).
var (
	ErrJOSEUse          = errors.New("is not a key use: sig (signing) or enc (encryption)")
	ErrJOSEKeyType      = errors.New("does not fit the algorithm: ES keys have their algorithm's curve; PS and RSA-OAEP-256 keys are rsa2048 (the default), rsa3072 or rsa4096")
	ErrValidity         = errors.New("must be more than a minute and at most 5 years")
	ErrOverlap          = errors.New("must be positive and shorter than the key's validity")
	ErrNotPath          = errors.New("is not a request path: it starts with / (e.g. /v1/auth/jose/playground/jws)")
	ErrKeyFormat        = errors.New("is not a key format: jwk, pem or der")
	ErrPlaygroundMode   = errors.New("is not a playground: jws, jwe, jwe-get, jwsjwe or jwe-direct")
	ErrMessageTooLong   = fmt.Errorf("is longer than the %d characters Wise's playgrounds take", PlaygroundMessageLimit)
	errJOSEKeyDamaged   = errors.New("its stored key cannot be read")
	errWiseKeysUnusable = errors.New("the stored Wise key cannot be read; fetch Wise's keys again")
)

// JOSEKeyInput is what a new JOSE entry is made of.
type JOSEKeyInput struct {
	Name string
	Use  string // JOSEUseSig or JOSEUseEnc
	// Alg is the algorithm: for "sig" ES256 (the default), ES384, ES512,
	// PS256, PS384 or PS512; for "enc" RSA-OAEP-256, the only one.
	Alg string
	// KeyType picks a bigger RSA key (rsa3072, rsa4096) for PS* and enc;
	// "" is RSA 2048. ES keys have the curve of their algorithm.
	KeyType string
	// ValidFor is the key's validity from now; 0 is DefaultJOSEValidity.
	ValidFor time.Duration
	// For is the OAuth client entry the key serves; "" links it later
	// (JOSELink), and then Env (and APIURL for a local one) say where it
	// belongs.
	For    string
	Env    string
	APIURL string
}

// JOSEUploaded is a public key registered with Wise.
type JOSEUploaded struct {
	Entry     string    `json:"entry"`
	Client    string    `json:"client"`
	KeyID     string    `json:"key_id"`
	Scope     string    `json:"scope"` // PAYLOAD_SIGNING or PAYLOAD_ENCRYPTION
	Algorithm string    `json:"algorithm"`
	ValidFrom time.Time `json:"valid_from"`
	ValidTill time.Time `json:"valid_till"`
}

// JOSERotated is a rotation: the entry's new key, and its previous one,
// which keeps working until RetiresAt.
type JOSERotated struct {
	Entry     string    `json:"entry"`
	KeyID     string    `json:"key_id"`
	ValidFrom time.Time `json:"valid_from"`
	ValidTill time.Time `json:"valid_till"`
	// Uploaded: the new key was registered with Wise (because the
	// previous one was).
	Uploaded  bool      `json:"uploaded"`
	PrevKeyID string    `json:"previous_key_id"`
	RetiresAt time.Time `json:"previous_retires_at"`
}

// WiseKeyView is one of Wise's public keys as kept in the client entry.
type WiseKeyView struct {
	Scope     string `json:"scope"`
	Algorithm string `json:"algorithm"`
	Version   int    `json:"version"`
	// PublicKey is the base64 DER (SPKI) Wise gave.
	PublicKey string `json:"public_key"`
}

// WiseKeysView is Wise's signing and encryption keys of a client's
// environment, as fetched and stored.
type WiseKeysView struct {
	Client     string      `json:"client"`
	Signing    WiseKeyView `json:"signing"`
	Encryption WiseKeyView `json:"encryption"`
	FetchedAt  time.Time   `json:"fetched_at"`
}

// JOSEHeaderView is a JOSE protected header, for display.
type JOSEHeaderView struct {
	Alg     string `json:"alg"`
	Enc     string `json:"enc,omitempty"`
	KeyID   string `json:"kid,omitempty"`
	URL     string `json:"url,omitempty"`
	Version int    `json:"version,omitempty"`
	Zip     string `json:"zip,omitempty"` // only ever refused
}

func headerView(h crypto.JOSEHeader) JOSEHeaderView {
	return JOSEHeaderView{Alg: h.Alg, Enc: h.Enc, KeyID: h.KeyID, URL: h.URL, Version: h.Version, Zip: h.Zip}
}

// JOSEStep is one step of a JOSE call, for a front end that shows how it
// is made: what was done, the protected header of the token made or
// checked, and the result (a compact token, or a payload). Never a key.
type JOSEStep struct {
	Step   string         `json:"step"`
	Header JOSEHeaderView `json:"header,omitzero"`
	Result string         `json:"result"`
}

// JOSEPlaygroundResult is a playground call, step by step, and Wise's
// answer once checked.
type JOSEPlaygroundResult struct {
	Client  string          `json:"client"`
	Mode    string          `json:"mode"`
	Method  string          `json:"method"` // GET or POST
	Path    string          `json:"path"`
	Status  int             `json:"status"`
	TraceID string          `json:"x_trace_id,omitempty"`
	Steps   []JOSEStep      `json:"steps"`
	Answer  json.RawMessage `json:"answer,omitempty"` // the verified, decrypted body
}

// ExpiredKeyError: the JOSE key is outside its validity (NotYet: before
// it), so Wise would refuse it and nothing was sent or signed. The fix is
// a rotation (a new key) and its upload.
type ExpiredKeyError struct {
	Entry     string
	ValidTill time.Time
	NotYet    bool
	ValidFrom time.Time
}

func (e *ExpiredKeyError) Error() string {
	if e.NotYet {
		return fmt.Sprintf("the JOSE key of %q is valid only from %s, so nothing was sent; wait, or make a new key", e.Entry, ShowTime(e.ValidFrom, time.UTC))
	}
	return fmt.Sprintf("the JOSE key of %q expired %s: Wise refuses it, so nothing was sent; rotate it (a new key) and upload the new one",
		e.Entry, ShowTime(e.ValidTill, time.UTC))
}

// NotUploadedError: the key is not registered with Wise, which would
// refuse a request signed with it or could not encrypt to it, so nothing
// was sent. The fix is to upload it for its client.
type NotUploadedError struct{ Entry, Client string }

func (e *NotUploadedError) Error() string {
	return fmt.Sprintf("the JOSE key of %q is not registered with Wise yet, so nothing was sent: upload it for client %q first", e.Entry, e.Client)
}

// NoJOSEKeyError: the client has no JOSE key of the use a call needs.
// The fix is to make one for the client and upload it.
type NoJOSEKeyError struct {
	Client string
	Use    string // JOSEUseSig or JOSEUseEnc
	Mode   string // the playground mode that needed it, when one did
}

func (e *NoJOSEKeyError) Error() string {
	what := map[string]string{JOSEUseSig: "signing", JOSEUseEnc: "encryption"}[e.Use]
	return fmt.Sprintf("client %q has no JOSE %s key, which Wise needs for this call: make one for the client and upload it", e.Client, what)
}

// KeyNotLinkedError: the jose entry serves no OAuth client yet, so there
// is no client to upload it for or call with. The fix is to link it.
type KeyNotLinkedError struct{ Entry string }

func (e *KeyNotLinkedError) Error() string {
	return fmt.Sprintf("the JOSE key %q is not linked to an OAuth client: link it to the client it is for", e.Entry)
}

func (e *KeyNotLinkedError) Unwrap() error { return ErrUsage }

// WrongUseError: a signing key asked to encrypt, or the other way round.
type WrongUseError struct {
	Entry string
	Use   string // the entry's
	Want  string
}

func (e *WrongUseError) Error() string {
	words := map[string]string{JOSEUseSig: "a signing (sig)", JOSEUseEnc: "an encryption (enc)"}
	return fmt.Sprintf("%q holds %s key; this needs %s key", e.Entry, words[e.Use], words[e.Want])
}

func (e *WrongUseError) Unwrap() error { return ErrUsage }

// RotationUnderwayError: the entry is rotating; its previous key still
// works until RetiresAt, and a second rotation would throw it away early.
type RotationUnderwayError struct {
	Entry     string
	PrevKeyID string
	RetiresAt time.Time
}

func (e *RotationUnderwayError) Error() string {
	return fmt.Sprintf("%q is rotating already: its previous key %s works until %s; rotate again after that", e.Entry, e.PrevKeyID, ShowTime(e.RetiresAt, time.UTC))
}

func (e *RotationUnderwayError) Unwrap() error { return ErrUsage }

// RotatedNotUploadedError: the rotation made and stored the new key, but
// its upload failed (Err), so Wise knows only the previous one, which
// keeps being used. The fix is to upload the entry again.
type RotatedNotUploadedError struct {
	Entry string
	Err   error
}

func (e *RotatedNotUploadedError) Error() string {
	return fmt.Sprintf("the key of %q was rotated but the new key was not uploaded (%v): Wise knows only the previous one; upload it", e.Entry, e.Err)
}

func (e *RotatedNotUploadedError) Unwrap() error { return e.Err }

// TokenRefusedError: a JWS or JWE given to check was refused (Reason is
// one of crypto's ErrJOSE...): its payload is not returned.
type TokenRefusedError struct {
	Entry  string // whose key checked it
	Reason error
}

func (e *TokenRefusedError) Error() string {
	return fmt.Sprintf("the token was refused with the key of %q: %v", e.Entry, e.Reason)
}

func (e *TokenRefusedError) Unwrap() error { return e.Reason }

// JOSEEnvMismatchError: a JOSE key and the client it is to serve are of
// different environments; a key uploaded in one is unknown in the other.
type JOSEEnvMismatchError struct {
	Entry, Client string
	EntryEnv      EnvName
	ClientEnv     EnvName
}

func (e *JOSEEnvMismatchError) Error() string {
	return fmt.Sprintf("%q is for %s and client %q for %s: a JOSE key works only in the environment it is uploaded to", e.Entry, e.EntryEnv, e.Client, e.ClientEnv)
}

func (e *JOSEEnvMismatchError) Unwrap() error { return ErrUsage }

// scopeOf is Wise's scope for a key use.
func scopeOf(use string) string {
	if use == JOSEUseEnc {
		return wise.ScopeEncryption
	}
	return wise.ScopeSigning
}

// JOSEKeygen makes a signing or encryption key pair and stores it as a new
// jose entry, linked to in.For when given. It refuses what Wise would
// refuse later: RS256 and other algorithms Wise does not list, RSA under
// 2048 bits, a key type that does not fit the algorithm.
func (s *Service) JOSEKeygen(ctx context.Context, in JOSEKeyInput) (EntryView, error) {
	if err := wallet.ValidateName(in.Name); err != nil {
		return EntryView{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	use := strings.ToLower(strings.TrimSpace(in.Use))
	switch use {
	case JOSEUseSig, JOSEUseEnc:
	case "":
		return EntryView{}, &InputError{Input: InputJOSEUse, Reason: ErrMissing}
	default:
		return EntryView{}, &InputError{Input: InputJOSEUse, Value: in.Use, Reason: ErrJOSEUse}
	}
	algText := in.Alg
	if strings.TrimSpace(algText) == "" {
		algText = map[string]string{JOSEUseSig: string(crypto.ES256), JOSEUseEnc: string(crypto.RSAOAEP256)}[use]
	}
	alg, err := crypto.ParseJOSEAlg(use, algText)
	if err != nil {
		return EntryView{}, &InputError{Input: InputJOSEAlg, Value: in.Alg, Reason: err}
	}
	kt := crypto.KeyType(strings.ToLower(strings.TrimSpace(in.KeyType)))
	validFor := in.ValidFor
	if validFor == 0 {
		validFor = DefaultJOSEValidity
	}
	if validFor < time.Minute || validFor > MaxJOSEValidity {
		return EntryView{}, &InputError{Input: InputValidity, Value: validFor.String(), Reason: ErrValidity}
	}
	var env Environment
	if in.For != "" {
		client, err := s.clientEntry(in.For, "jose")
		if err != nil {
			return EntryView{}, err
		}
		env = client.Env
	} else if env, err = ResolveEnv(in.Env, in.APIURL); err != nil {
		return EntryView{}, err
	}
	if _, err := s.w.Get(in.Name); err == nil {
		return EntryView{}, fmt.Errorf("%w: %q; choose another name or remove it first", ErrEntryExists, in.Name)
	}
	key, err := crypto.GenerateJOSEKey(alg, kt)
	if errors.Is(err, crypto.ErrKey) {
		return EntryView{}, &InputError{Input: InputKeyType, Value: in.KeyType, Reason: ErrJOSEKeyType}
	}
	if err != nil {
		return EntryView{}, err
	}
	if err := ctx.Err(); err != nil {
		return EntryView{}, err // RSA 4096 takes a while
	}
	now := s.now()
	e := wallet.Entry{Name: in.Name, Kind: wallet.KindJOSE, Env: env, CreatedAt: now, UpdatedAt: now, LinkedTo: in.For}
	if err := setKey(&e, key, alg, use, now.Add(-JOSEClockSkew), now.Add(validFor)); err != nil {
		return EntryView{}, err
	}
	err = s.w.Update(ctx, func(c *wallet.Contents) error { return c.Add(e) })
	return view(e, err)
}

// setKey makes key the entry's current key, valid from..till, with a new
// key id, not uploaded.
func setKey(e *wallet.Entry, key stdcrypto.Signer, alg crypto.JOSEAlg, use string, from, till time.Time) error {
	kt, err := crypto.JOSEKeyType(key)
	if err != nil {
		return err
	}
	keyPEM, err := crypto.MarshalPrivateKeyPEM(key)
	if err != nil {
		return err
	}
	pubPEM, err := crypto.MarshalPublicKeyPEM(key.Public())
	if err != nil {
		return err
	}
	e.KeyType, e.Algorithm, e.Use, e.KeyID, e.PublicKey = string(kt), string(alg), use, crypto.NewKeyID(), string(pubPEM)
	e.ValidFrom, e.ValidTill, e.Uploaded = &from, &till, false
	e.SetSecret(wallet.SecretPrivateKey, keyPEM)
	return nil
}

// keyTypeWords names a key type as people write it ("P-256", "RSA 2048").
func keyTypeWords(kt string) string {
	switch {
	case strings.HasPrefix(kt, "p"):
		return "P-" + kt[1:]
	case strings.HasPrefix(kt, "rsa"):
		return "RSA " + kt[3:]
	}
	return kt
}

// joseEntry is the named entry, which must be of kind jose.
func (s *Service) joseEntry(name string) (wallet.Entry, error) {
	e, err := s.w.Get(name)
	if err != nil {
		return e, err
	}
	if e.Kind != wallet.KindJOSE {
		return e, &KindError{Entry: name, Kind: e.Kind, Want: wallet.KindJOSE}
	}
	if e.Status == wallet.StatusRevoked {
		return e, fmt.Errorf("%q was revoked after a suspected breach: its key is gone; make a new key under a new name, or remove it", name)
	}
	return e, nil
}

// JOSEPublicKey is the entry's public key as a JWK ("jwk", also for ""),
// PEM ("pem") or the base64 DER Wise's upload takes ("der"). Memory only.
func (s *Service) JOSEPublicKey(name, format string) ([]byte, error) {
	e, err := s.joseEntry(name)
	if err != nil {
		return nil, err
	}
	pub, err := crypto.ParsePublicKeyPEM([]byte(e.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("%q: %w: %w", name, errJOSEKeyDamaged, err)
	}
	switch strings.ToLower(strings.TrimSpace(format)) {
	case FormatJWK, "":
		return crypto.PublicJWK(pub, e.KeyID, e.Algorithm, e.Use)
	case FormatPEM:
		return []byte(e.PublicKey), nil
	case FormatDER:
		der, err := crypto.PublicDER(pub)
		return []byte(der), err
	}
	return nil, &InputError{Input: InputKeyFormat, Value: format, Reason: ErrKeyFormat}
}

// JOSELink links the jose entry to the OAuth client it serves, which it
// is uploaded for and calls with.
func (s *Service) JOSELink(ctx context.Context, name, client string) (EntryView, error) {
	e, err := s.joseEntry(name)
	if err != nil {
		return EntryView{}, err
	}
	c, err := s.clientEntry(client, "jose")
	if err != nil {
		return EntryView{}, err
	}
	if c.Env.Name != e.Env.Name || c.Env.APIURL != e.Env.APIURL {
		return EntryView{}, &JOSEEnvMismatchError{Entry: name, Client: client, EntryEnv: e.Env.Name, ClientEnv: c.Env.Name}
	}
	var stored wallet.Entry
	err = s.w.Update(ctx, func(cs *wallet.Contents) error {
		cur, err := cs.Get(name)
		if err != nil {
			return err
		}
		if cur.LinkedTo != client {
			// Uploaded for another client (or none): not for this one.
			cur.Uploaded, cur.PrevUploaded = false, false
		}
		cur.LinkedTo, cur.UpdatedAt = client, s.now()
		stored = cur
		return cs.Put(cur)
	})
	return view(stored, err)
}

// joseClient is the OAuth client entry a jose entry serves.
func (s *Service) joseClient(e wallet.Entry, doing string) (wallet.Entry, error) {
	if e.LinkedTo == "" {
		return wallet.Entry{}, &KeyNotLinkedError{Entry: e.Name}
	}
	client, err := s.w.Get(e.LinkedTo)
	if errors.Is(err, ErrEntryNotFound) {
		return wallet.Entry{}, &MissingClientError{Entry: e.Name, Client: e.LinkedTo, Doing: doing}
	}
	return client, err
}

// checkValid refuses a key outside its validity at now.
func checkValid(e wallet.Entry, now time.Time) error {
	if e.ValidFrom != nil && now.Before(*e.ValidFrom) {
		return &ExpiredKeyError{Entry: e.Name, NotYet: true, ValidFrom: *e.ValidFrom}
	}
	if e.ValidTill != nil && !now.Before(*e.ValidTill) {
		return &ExpiredKeyError{Entry: e.Name, ValidTill: *e.ValidTill}
	}
	return nil
}

// clientAPI is a Wise client for the OAuth client entry's calls (on its
// mTLS host when it has a certificate) and a client-credentials token:
// the only token Wise's JOSE key endpoints take.
func (s *Service) clientAPI(ctx context.Context, client wallet.Entry) (*wise.Client, crypto.Secret, error) {
	api, err := s.apiOf(client)
	if err != nil {
		return nil, crypto.Secret{}, err
	}
	tok, err := s.AccessToken(ctx, client.Name)
	if err != nil {
		return nil, crypto.Secret{}, err
	}
	return api, tok, nil
}

// JOSEUpload registers the entry's public key with Wise for its client,
// with a client-credentials token of that client.
func (s *Service) JOSEUpload(ctx context.Context, name string) (JOSEUploaded, error) {
	e, err := s.joseEntry(name)
	if err != nil {
		return JOSEUploaded{}, err
	}
	if err := checkValid(e, s.now()); err != nil && !isNotYet(err) {
		return JOSEUploaded{}, err
	}
	client, err := s.joseClient(e, "uploaded")
	if err != nil {
		return JOSEUploaded{}, err
	}
	if client.Kind != wallet.KindClient {
		return JOSEUploaded{}, &KindError{Entry: client.Name, Kind: client.Kind, Want: wallet.KindClient, For: "jose"}
	}
	return s.upload(ctx, e, client)
}

// uploadedByLostAttempt: the upload's retry was refused as a duplicate key
// id (409) after an earlier attempt that Wise may have carried out.
func uploadedByLostAttempt(err error) bool {
	var lost *wise.AfterLostAnswer
	var ae *wise.APIError
	return errors.As(err, &lost) && errors.As(lost.Err, &ae) && ae.Status == http.StatusConflict
}

func isNotYet(err error) bool {
	var x *ExpiredKeyError
	return errors.As(err, &x) && x.NotYet
}

// upload sends e's current key to Wise and marks it uploaded, unless the
// key changed meanwhile (another process rotated it).
func (s *Service) upload(ctx context.Context, e, client wallet.Entry) (JOSEUploaded, error) {
	pub, err := crypto.ParsePublicKeyPEM([]byte(e.PublicKey))
	if err != nil {
		return JOSEUploaded{}, fmt.Errorf("%q: %w: %w", e.Name, errJOSEKeyDamaged, err)
	}
	der, err := crypto.PublicDER(pub)
	if err != nil {
		return JOSEUploaded{}, err
	}
	alg := crypto.JOSEAlg(e.Algorithm)
	var up wise.UploadedKey
	err = s.withClientToken(ctx, client, func(api *wise.Client, tok crypto.Secret) (err error) {
		up, err = api.UploadKey(ctx, tok, wise.KeyUpload{KeyID: e.KeyID, Scope: scopeOf(e.Use), Alg: alg, ValidFrom: *e.ValidFrom, ValidTill: *e.ValidTill, Material: der})
		return err
	})
	if uploadedByLostAttempt(err) {
		// The key id is a fresh random UUID: a retry refused as a
		// duplicate after an attempt whose answer was lost means that
		// attempt registered it.
		up, err = wise.UploadedKey{KeyID: e.KeyID, ValidFrom: *e.ValidFrom, ValidTill: *e.ValidTill}, nil
	}
	if err != nil {
		return JOSEUploaded{}, err
	}
	err = s.w.Update(ctx, func(c *wallet.Contents) error {
		cur, err := c.Get(e.Name)
		if err != nil {
			return err
		}
		if cur.KeyID != e.KeyID {
			return fmt.Errorf("%q: its key changed while it was uploaded (key %s is registered with Wise); look at the entry and upload it again", e.Name, e.KeyID)
		}
		cur.Uploaded, cur.UpdatedAt = true, s.now()
		retirePrevious(&cur, s.now())
		return c.Put(cur)
	})
	if err != nil {
		return JOSEUploaded{}, err
	}
	return JOSEUploaded{Entry: e.Name, Client: client.Name, KeyID: e.KeyID, Scope: scopeOf(e.Use), Algorithm: e.Algorithm, ValidFrom: up.ValidFrom, ValidTill: up.ValidTill}, nil
}

// JOSERotate makes a new key in the entry (same algorithm and key type,
// as long a validity), keeping the current one as its previous key until
// overlap (0: DefaultJOSEOverlap) after the new key's start, or its own
// end if sooner. When the current key was uploaded the new one is too;
// Wise then stops taking the previous one after the overlap.
func (s *Service) JOSERotate(ctx context.Context, name string, overlap time.Duration) (JOSERotated, error) {
	if overlap == 0 {
		overlap = DefaultJOSEOverlap
	}
	e, err := s.joseEntry(name)
	if err != nil {
		return JOSERotated{}, err
	}
	now := s.now()
	// As long a validity as the current key's: an entry's first key
	// started JOSEClockSkew early, a rotated one at its rotation.
	validFor := DefaultJOSEValidity
	if e.ValidFrom != nil && e.ValidTill != nil {
		d := e.ValidTill.Sub(*e.ValidFrom)
		if e.PrevKeyID == "" {
			d -= JOSEClockSkew
		}
		if d > 0 {
			validFor = d
		}
	}
	if overlap < 0 || overlap >= validFor {
		return JOSERotated{}, &InputError{Input: InputOverlap, Value: overlap.String(), Reason: ErrOverlap}
	}
	if err := rotating(e, now); err != nil {
		return JOSERotated{}, err
	}
	var client wallet.Entry
	if e.Uploaded {
		// The new key is uploaded where the old one was: check now that
		// this can be done, before the entry changes.
		if client, err = s.joseClient(e, "uploaded"); err != nil {
			return JOSERotated{}, err
		}
	}
	alg := crypto.JOSEAlg(e.Algorithm)
	kt := crypto.KeyType(e.KeyType)
	if alg.Use() == JOSEUseSig && !strings.HasPrefix(string(alg), "PS") {
		kt = "" // ES keys have their algorithm's curve
	}
	key, err := crypto.GenerateJOSEKey(alg, kt)
	if err != nil {
		return JOSERotated{}, err
	}
	if err := ctx.Err(); err != nil {
		return JOSERotated{}, err
	}
	var stored wallet.Entry
	err = s.w.Update(ctx, func(c *wallet.Contents) error {
		cur, err := c.Get(name)
		if err != nil {
			return err
		}
		if cur.KeyID != e.KeyID {
			return fmt.Errorf("%q: its key changed meanwhile (another rotation?); look at the entry and rotate again if needed", name)
		}
		if err := rotating(cur, now); err != nil {
			return err
		}
		retirePrevious(&cur, now)
		// The current key becomes the previous one, kept until it retires.
		// Wise stops taking the earlier keys at the new key's validFrom
		// plus the overlap (localwise does exactly that). The new key
		// starts now, not JOSEClockSkew before: that would cut the overlap
		// short by as much.
		from := now
		retires := from.Add(overlap)
		if cur.ValidTill != nil && cur.ValidTill.Before(retires) {
			retires = *cur.ValidTill
		}
		cur.SetSecret(wallet.SecretPreviousKey, cur.Secret(wallet.SecretPrivateKey))
		cur.PrevKeyID, cur.PrevPublicKey, cur.PrevValidTill, cur.PrevRetiresAt, cur.PrevUploaded = cur.KeyID, cur.PublicKey, cloneTime(cur.ValidTill), &retires, cur.Uploaded
		if err := setKey(&cur, key, alg, cur.Use, from, now.Add(validFor)); err != nil {
			return err
		}
		cur.UpdatedAt = now
		stored = cur
		return c.Put(cur)
	})
	if err != nil {
		return JOSERotated{}, err
	}
	out := JOSERotated{Entry: name, KeyID: stored.KeyID, ValidFrom: *stored.ValidFrom, ValidTill: *stored.ValidTill, PrevKeyID: stored.PrevKeyID, RetiresAt: *stored.PrevRetiresAt}
	if stored.PrevUploaded {
		if _, err := s.upload(ctx, stored, client); err != nil {
			return out, &RotatedNotUploadedError{Entry: name, Err: err}
		}
		out.Uploaded = true
	}
	return out, nil
}

// rotating refuses a rotation while the previous key is still in use.
func rotating(e wallet.Entry, now time.Time) error {
	if holdsPrevious(e) && e.PrevRetiresAt != nil && now.Before(*e.PrevRetiresAt) {
		return &RotationUnderwayError{Entry: e.Name, PrevKeyID: e.PrevKeyID, RetiresAt: *e.PrevRetiresAt}
	}
	return nil
}

func holdsPrevious(e wallet.Entry) bool { return !e.Secret(wallet.SecretPreviousKey).IsZero() }

// previousRetired reports whether e's previous key is past its
// retirement and may go: Wise stops taking it once the new key is
// uploaded, so while the new one is not (and the old one was), the old
// key is the only one Wise knows and is kept.
func previousRetired(e wallet.Entry, now time.Time) bool {
	return holdsPrevious(e) && e.PrevRetiresAt != nil && !now.Before(*e.PrevRetiresAt) && (e.Uploaded || !e.PrevUploaded)
}

// retirePrevious wipes e's previous private key once it has retired; its
// key id, public key and dates stay, as a record.
func retirePrevious(e *wallet.Entry, now time.Time) bool {
	if !previousRetired(*e, now) {
		return false
	}
	e.SetSecret(wallet.SecretPreviousKey, crypto.Secret{})
	e.UpdatedAt = now
	return true
}

// JOSERetire wipes the previous private key of every jose entry whose
// rotation overlap has ended, and names them. The JOSE use cases do it on
// their way; a front end that stays open calls it now and then.
func (s *Service) JOSERetire(ctx context.Context) ([]string, error) {
	now := s.now()
	due := false
	for _, e := range s.w.Entries() {
		if e.Kind == wallet.KindJOSE && previousRetired(e, now) {
			due = true
		}
	}
	if !due {
		return nil, nil
	}
	var names []string
	err := s.w.Update(ctx, func(c *wallet.Contents) error {
		names = names[:0]
		for _, e := range c.Entries() {
			if e.Kind == wallet.KindJOSE && retirePrevious(&e, now) {
				names = append(names, e.Name)
				if err := c.Put(e); err != nil {
					return err
				}
			}
		}
		if len(names) == 0 {
			return errUnchanged
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		err = nil
	}
	return names, err
}

// retireQuietly is JOSERetire for the use cases that only read: the
// previous key is not used after its retirement whether or not the wipe
// is saved now (a busy wallet gets it next time).
func (s *Service) retireQuietly() {
	_, _ = s.JOSERetire(context.Background())
}

// signingKey is e's current private key, checked against its algorithm.
func signingKey(e wallet.Entry, secret string) (stdcrypto.Signer, error) {
	k, err := crypto.ParsePrivateKeyPEM(e.Secret(secret))
	if err != nil {
		return nil, fmt.Errorf("%q: %w: %w", e.Name, errJOSEKeyDamaged, err)
	}
	if err := crypto.CheckJOSEKey(crypto.JOSEAlg(e.Algorithm), k); err != nil {
		return nil, fmt.Errorf("%q: %w: %w", e.Name, errJOSEKeyDamaged, err)
	}
	return k, nil
}

func wantUse(e wallet.Entry, use string) error {
	if e.Use != use {
		return &WrongUseError{Entry: e.Name, Use: e.Use, Want: use}
	}
	return nil
}

// checkPath refuses a url header that is not a request path.
func checkPath(url string, required bool) error {
	switch {
	case url == "" && required:
		return &InputError{Input: InputJOSEURL, Reason: ErrMissing}
	case url != "" && (!strings.HasPrefix(url, "/") || strings.ContainsAny(url, " \t\r\n") || len(url) > 2048):
		return &InputError{Input: InputJOSEURL, Value: url, Reason: ErrNotPath}
	}
	return nil
}

// JOSESign signs payload with the jose sig entry, with url (a request
// path, required: Wise checks it against the call) as the url header: a
// compact JWS. An expired key signs nothing.
func (s *Service) JOSESign(name, url string, payload []byte) (string, error) {
	e, err := s.joseEntry(name)
	if err != nil {
		return "", err
	}
	if err := wantUse(e, JOSEUseSig); err != nil {
		return "", err
	}
	if err := checkPath(url, true); err != nil {
		return "", err
	}
	if err := checkValid(e, s.now()); err != nil {
		return "", err
	}
	defer s.retireQuietly()
	key, err := signingKey(e, wallet.SecretPrivateKey)
	if err != nil {
		return "", err
	}
	return crypto.SignJWS(key, crypto.JOSEAlg(e.Algorithm), e.KeyID, url, payload)
}

// verifyKeys are a jose sig entry's public keys: the current one and,
// during a rotation, the previous one until it retires.
func verifyKeys(e wallet.Entry, now time.Time) ([]crypto.VerifyKey, error) {
	pub, err := crypto.ParsePublicKeyPEM([]byte(e.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("%q: %w: %w", e.Name, errJOSEKeyDamaged, err)
	}
	keys := []crypto.VerifyKey{{Key: pub, KeyID: e.KeyID, Alg: crypto.JOSEAlg(e.Algorithm), NotBefore: deref(e.ValidFrom), NotAfter: deref(e.ValidTill)}}
	if e.PrevKeyID != "" && e.PrevPublicKey != "" && e.PrevRetiresAt != nil && now.Before(*e.PrevRetiresAt) {
		if prev, err := crypto.ParsePublicKeyPEM([]byte(e.PrevPublicKey)); err == nil {
			keys = append(keys, crypto.VerifyKey{Key: prev, KeyID: e.PrevKeyID, Alg: crypto.JOSEAlg(e.Algorithm), NotAfter: *e.PrevRetiresAt})
		}
	}
	return keys, nil
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// JOSEVerify checks a compact JWS and returns its payload: with the keys
// of a jose sig entry (its previous one too, during a rotation), or with
// Wise's signing key when name is an OAuth client (fetched when not
// stored yet, and fetched again once when the check fails, as Wise
// advises). url, when not "", must be the token's url header. The header
// is returned for display even when the token is refused.
func (s *Service) JOSEVerify(ctx context.Context, name, url string, token []byte) ([]byte, JOSEHeaderView, error) {
	e, err := s.w.Get(name)
	if err != nil {
		return nil, JOSEHeaderView{}, err
	}
	if err := checkPath(url, false); err != nil {
		return nil, JOSEHeaderView{}, err
	}
	now := s.now()
	switch e.Kind {
	case wallet.KindClient:
		wk, err := s.wiseKeysOf(ctx, e)
		if err != nil {
			return nil, JOSEHeaderView{}, err
		}
		payload, h, err := crypto.VerifyJWS(string(token), wk.verify, crypto.SigningAlgs, url, now)
		if err != nil && refetchHelps(err) {
			var keys []crypto.VerifyKey
			if keys, err = s.refetchSigning(ctx, e.Name, h.Version); err == nil {
				payload, h, err = crypto.VerifyJWS(string(token), keys, crypto.SigningAlgs, url, now)
			}
		}
		if err != nil {
			return nil, headerView(h), refused(name, err)
		}
		return payload, headerView(h), nil
	case wallet.KindJOSE:
		if e, err = s.joseEntry(name); err != nil {
			return nil, JOSEHeaderView{}, err
		}
		if err := wantUse(e, JOSEUseSig); err != nil {
			return nil, JOSEHeaderView{}, err
		}
		keys, err := verifyKeys(e, now)
		if err != nil {
			return nil, JOSEHeaderView{}, err
		}
		payload, h, err := crypto.VerifyJWS(string(token), keys, []crypto.JOSEAlg{crypto.JOSEAlg(e.Algorithm)}, url, now)
		if err != nil {
			return nil, headerView(h), refused(name, err)
		}
		return payload, headerView(h), nil
	}
	return nil, JOSEHeaderView{}, &KindError{Entry: name, Kind: e.Kind, Want: wallet.KindJOSE}
}

// refused wraps a crypto refusal of a token; other errors pass.
func refused(name string, err error) error {
	if errors.Is(err, crypto.ErrJOSE) {
		return &TokenRefusedError{Entry: name, Reason: err}
	}
	return err
}

// refetchHelps: a failed check that a new key of Wise's could explain.
func refetchHelps(err error) bool {
	return errors.Is(err, crypto.ErrJOSESignature) || errors.Is(err, crypto.ErrJOSEKeyID) || errors.Is(err, crypto.ErrJOSEAlg)
}

// JOSEEncrypt encrypts payload to Wise's encryption key when name is an
// OAuth client (fetched when not stored yet), or to the key of a jose enc
// entry (its key id in the header): a compact JWE. url, when not "", is
// the url header (the request path, for a body sent to Wise).
func (s *Service) JOSEEncrypt(ctx context.Context, name, url string, payload []byte) (string, error) {
	e, err := s.w.Get(name)
	if err != nil {
		return "", err
	}
	if err := checkPath(url, false); err != nil {
		return "", err
	}
	switch e.Kind {
	case wallet.KindClient:
		wk, err := s.wiseKeysOf(ctx, e)
		if err != nil {
			return "", err
		}
		return crypto.EncryptJWE(wk.encrypt, "", url, payload)
	case wallet.KindJOSE:
		if e, err = s.joseEntry(name); err != nil {
			return "", err
		}
		if err := wantUse(e, JOSEUseEnc); err != nil {
			return "", err
		}
		if err := checkValid(e, s.now()); err != nil {
			return "", err
		}
		pub, err := crypto.ParsePublicKeyPEM([]byte(e.PublicKey))
		if err != nil {
			return "", fmt.Errorf("%q: %w: %w", name, errJOSEKeyDamaged, err)
		}
		rsaPub, ok := pub.(*rsa.PublicKey)
		if !ok {
			return "", fmt.Errorf("%q: %w: not an RSA key", name, errJOSEKeyDamaged)
		}
		return crypto.EncryptJWE(rsaPub, e.KeyID, url, payload)
	}
	return "", &KindError{Entry: name, Kind: e.Kind, Want: wallet.KindJOSE}
}

// decryptKeys are a jose enc entry's private keys: the current one and,
// during a rotation, the previous one until it is wiped.
func decryptKeys(e wallet.Entry) ([]crypto.DecryptKey, error) {
	var keys []crypto.DecryptKey
	for _, k := range []struct{ secret, kid string }{{wallet.SecretPrivateKey, e.KeyID}, {wallet.SecretPreviousKey, e.PrevKeyID}} {
		if e.Secret(k.secret).IsZero() {
			continue
		}
		key, err := signingKey(e, k.secret)
		if err != nil {
			return nil, err
		}
		rk, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%q: %w: not an RSA key", e.Name, errJOSEKeyDamaged)
		}
		keys = append(keys, crypto.DecryptKey{Key: rk, KeyID: k.kid})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%q: %w: no private key", e.Name, errJOSEKeyDamaged)
	}
	return keys, nil
}

// JOSEDecrypt decrypts a compact JWE with the jose enc entry's key (or
// its previous one, during a rotation: the kid says which). The header is
// returned for display even when the token is refused.
func (s *Service) JOSEDecrypt(name string, token []byte) ([]byte, JOSEHeaderView, error) {
	e, err := s.joseEntry(name)
	if err != nil {
		return nil, JOSEHeaderView{}, err
	}
	if err := wantUse(e, JOSEUseEnc); err != nil {
		return nil, JOSEHeaderView{}, err
	}
	defer s.retireQuietly()
	if previousRetired(e, s.now()) {
		e.SetSecret(wallet.SecretPreviousKey, crypto.Secret{})
	}
	keys, err := decryptKeys(e)
	if err != nil {
		return nil, JOSEHeaderView{}, err
	}
	payload, h, err := crypto.DecryptJWE(string(token), keys)
	if err != nil {
		return nil, headerView(h), refused(name, err)
	}
	return payload, headerView(h), nil
}

// wiseKeys are Wise's keys of a client entry, parsed.
type wiseKeys struct {
	verify  []crypto.VerifyKey
	encrypt *rsa.PublicKey
	view    WiseKeysView
}

// parseWiseKeys reads the Wise keys stored in a client entry; ok is false
// when there are none.
func parseWiseKeys(e wallet.Entry) (wiseKeys, bool, error) {
	if e.WiseSigningKey == "" || e.WiseEncryptionKey == "" {
		return wiseKeys{}, false, nil
	}
	sigAlg, err := crypto.ParseJOSEAlg(JOSEUseSig, e.WiseSigningAlg)
	if err != nil {
		return wiseKeys{}, false, fmt.Errorf("%q: %w: %w", e.Name, errWiseKeysUnusable, err)
	}
	sig, err := crypto.ParsePublicDER(e.WiseSigningKey)
	if err != nil {
		return wiseKeys{}, false, fmt.Errorf("%q: %w: %w", e.Name, errWiseKeysUnusable, err)
	}
	enc, err := crypto.ParsePublicDER(e.WiseEncryptionKey)
	if err != nil {
		return wiseKeys{}, false, fmt.Errorf("%q: %w: %w", e.Name, errWiseKeysUnusable, err)
	}
	rsaEnc, ok := enc.(*rsa.PublicKey)
	if !ok || crypto.CheckJOSEKey(crypto.RSAOAEP256, rsaEnc) != nil || crypto.CheckJOSEKey(sigAlg, sig) != nil {
		return wiseKeys{}, false, fmt.Errorf("%q: %w", e.Name, errWiseKeysUnusable)
	}
	return wiseKeys{
		verify:  []crypto.VerifyKey{{Key: sig, Version: e.WiseSigningVersion, Alg: sigAlg}},
		encrypt: rsaEnc,
		view:    wiseKeysView(e),
	}, true, nil
}

func wiseKeysView(e wallet.Entry) WiseKeysView {
	return WiseKeysView{
		Client:     e.Name,
		Signing:    WiseKeyView{Scope: wise.ScopeSigning, Algorithm: e.WiseSigningAlg, Version: e.WiseSigningVersion, PublicKey: e.WiseSigningKey},
		Encryption: WiseKeyView{Scope: wise.ScopeEncryption, Algorithm: e.WiseEncryptionAlg, Version: e.WiseEncryptionVersion, PublicKey: e.WiseEncryptionKey},
		FetchedAt:  deref(e.WiseKeysFetchedAt),
	}
}

// wiseKeysOf is Wise's keys for client: the stored ones, else fetched
// and stored now.
func (s *Service) wiseKeysOf(ctx context.Context, client wallet.Entry) (wiseKeys, error) {
	wk, ok, err := parseWiseKeys(client)
	if err == nil && ok {
		return wk, nil
	}
	// None stored, or unreadable ones: fetch them (again).
	if _, err := s.JOSEWiseKeys(ctx, client.Name); err != nil {
		return wiseKeys{}, err
	}
	if client, err = s.w.Get(client.Name); err != nil {
		return wiseKeys{}, err
	}
	wk, _, err = parseWiseKeys(client)
	return wk, err
}

// JOSEWiseKeys fetches Wise's signing and encryption keys for the client
// (with its client-credentials token) and stores them in its entry.
func (s *Service) JOSEWiseKeys(ctx context.Context, client string) (WiseKeysView, error) {
	c, err := s.clientEntry(client, "jose")
	if err != nil {
		return WiseKeysView{}, err
	}
	var sig, enc wise.WiseKey
	err = s.withClientToken(ctx, c, func(api *wise.Client, tok crypto.Secret) (err error) {
		if sig, err = api.WiseKey(ctx, tok, wise.ScopeSigning, wise.WiseSigningAlg, 0); err != nil {
			return err
		}
		enc, err = api.WiseKey(ctx, tok, wise.ScopeEncryption, crypto.RSAOAEP256, 0)
		return err
	})
	if err != nil {
		return WiseKeysView{}, err
	}
	stored, err := s.storeWiseKeys(ctx, client, &sig, &enc)
	if err != nil {
		return WiseKeysView{}, err
	}
	return wiseKeysView(stored), nil
}

// storeWiseKeys puts the keys given (nil: keep the stored one) into the
// client entry.
func (s *Service) storeWiseKeys(ctx context.Context, client string, sig, enc *wise.WiseKey) (wallet.Entry, error) {
	var stored wallet.Entry
	now := s.now()
	err := s.w.Update(ctx, func(c *wallet.Contents) error {
		cur, err := c.Get(client)
		if err != nil {
			return err
		}
		if sig != nil {
			cur.WiseSigningKey, cur.WiseSigningAlg, cur.WiseSigningVersion = sig.Material, string(sig.Alg), sig.Version
		}
		if enc != nil {
			cur.WiseEncryptionKey, cur.WiseEncryptionAlg, cur.WiseEncryptionVersion = enc.Material, enc.Alg.WiseName(), enc.Version
		}
		cur.WiseKeysFetchedAt, cur.UpdatedAt = &now, now
		stored = cur
		return c.Put(cur)
	})
	return stored, err
}

// refetchSigning fetches Wise's current signing key again and stores it;
// the keys returned also hold the version the failed token named, when
// that is another one (Wise may still sign with it during its own
// rotation).
func (s *Service) refetchSigning(ctx context.Context, client string, version int) ([]crypto.VerifyKey, error) {
	c, err := s.clientEntry(client, "jose")
	if err != nil {
		return nil, err
	}
	var latest, older wise.WiseKey
	err = s.withClientToken(ctx, c, func(api *wise.Client, tok crypto.Secret) (err error) {
		if latest, err = api.WiseKey(ctx, tok, wise.ScopeSigning, wise.WiseSigningAlg, 0); err != nil {
			return err
		}
		if version > 0 && version < latest.Version {
			// Best effort: without the older key only the latest verifies.
			older, _ = api.WiseKey(ctx, tok, wise.ScopeSigning, wise.WiseSigningAlg, version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, err := s.storeWiseKeys(ctx, client, &latest, nil); err != nil {
		return nil, err
	}
	keys := []crypto.VerifyKey{{Key: latest.Key, Version: latest.Version, Alg: latest.Alg}}
	if older.Key != nil {
		keys = append(keys, crypto.VerifyKey{Key: older.Key, Version: older.Version, Alg: older.Alg})
	}
	return keys, nil
}

// refetchEncryption fetches Wise's current encryption key again, stores
// it and says whether it changed.
func (s *Service) refetchEncryption(ctx context.Context, client string) (*rsa.PublicKey, bool, error) {
	c, err := s.clientEntry(client, "jose")
	if err != nil {
		return nil, false, err
	}
	var latest wise.WiseKey
	err = s.withClientToken(ctx, c, func(api *wise.Client, tok crypto.Secret) (err error) {
		latest, err = api.WiseKey(ctx, tok, wise.ScopeEncryption, crypto.RSAOAEP256, 0)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	changed := latest.Material != c.WiseEncryptionKey
	if changed {
		if _, err := s.storeWiseKeys(ctx, client, nil, &latest); err != nil {
			return nil, false, err
		}
	}
	pub, ok := latest.Key.(*rsa.PublicKey)
	if !ok {
		return nil, false, fmt.Errorf("%w: Wise's encryption key is not RSA", wise.ErrWiseKey)
	}
	return pub, changed, nil
}

// JOSEKeys lists the jose entries linked to the client, by name.
func (s *Service) JOSEKeys(client string) []EntryView {
	var out []EntryView
	for _, e := range s.w.Entries() {
		if e.Kind == wallet.KindJOSE && e.LinkedTo == client {
			out = append(out, viewOf(e))
		}
	}
	return out
}

// callKey picks the client's jose entry of use for a call: valid now and
// uploaded, only (when it is of that use) or else the newest (a key just
// made or rotated is the one meant). With none such, the error says what
// is wrong with the best there is (expired, not uploaded), before
// anything is sent.
func (s *Service) callKey(client, use, mode, only string, now time.Time) (wallet.Entry, error) {
	if o, err := s.w.Get(only); only != "" && (err != nil || o.Use != use) {
		only = "" // a key of the other use: this one is picked
	}
	var best, unusable *wallet.Entry
	var why error
	for _, e := range s.w.Entries() {
		if e.Kind != wallet.KindJOSE || e.LinkedTo != client || e.Use != use || e.Status == wallet.StatusRevoked || e.Secret(wallet.SecretPrivateKey).IsZero() {
			continue
		}
		if only != "" && e.Name != only {
			continue
		}
		err := checkValid(e, now)
		if err == nil && !e.Uploaded {
			err = &NotUploadedError{Entry: e.Name, Client: client}
		}
		if err != nil {
			if unusable == nil || deref(e.ValidTill).After(deref(unusable.ValidTill)) {
				unusable, why = &e, err
			}
			continue
		}
		if best == nil || newer(e, *best) {
			best = &e
		}
	}
	switch {
	case best != nil:
		return *best, nil
	case why != nil:
		return wallet.Entry{}, why
	}
	return wallet.Entry{}, &NoJOSEKeyError{Client: client, Use: use, Mode: mode}
}

// newer: a's key started after b's (then: ends later; then: by name, so
// the choice does not depend on the order of the entries).
func newer(a, b wallet.Entry) bool {
	if c := deref(a.ValidFrom).Compare(deref(b.ValidFrom)); c != 0 {
		return c > 0
	}
	if c := deref(a.ValidTill).Compare(deref(b.ValidTill)); c != 0 {
		return c > 0
	}
	return a.Name < b.Name
}

// playgroundCall is how each playground mode is called.
var playgroundCall = map[string]struct {
	method, path string
	mode         wise.JOSEMode
}{
	PlaygroundJWS:       {http.MethodPost, wise.JOSEPlaygroundPath + "jws", wise.JOSEJWS},
	PlaygroundJWE:       {http.MethodPost, wise.JOSEPlaygroundPath + "jwe", wise.JOSEJWE},
	PlaygroundJWEGet:    {http.MethodGet, wise.JOSEPlaygroundPath + "jwe", wise.JOSEJWE},
	PlaygroundJWSJWE:    {http.MethodPost, wise.JOSEPlaygroundPath + "jwsjwe", wise.JOSEJWSJWE},
	PlaygroundJWEDirect: {http.MethodPost, wise.JOSEPlaygroundPath + "jwe-direct-encryption", wise.JOSEDirect},
}

// JOSEPlayground runs one of Wise's playgrounds for the client with
// message, with the client's uploaded keys and Wise's (fetched when not
// stored yet): the request made, sent with a client-credentials token,
// the response checked, each step recorded. A key that expired or was
// never uploaded refuses before anything is sent. The result holds the
// steps done so far also when an error is returned.
func (s *Service) JOSEPlayground(ctx context.Context, client, mode, message string) (JOSEPlaygroundResult, error) {
	return s.JOSEPlaygroundWith(ctx, JOSEPlaygroundInput{Client: client, Mode: mode, Message: message})
}

// JOSEPlaygroundInput is a playground call with, optionally, the key to
// make it with.
type JOSEPlaygroundInput struct {
	Client, Mode, Message string
	// Key is a jose entry of the client to use for its use (a signing key
	// signs, an encryption key must be the one checked for the answer);
	// "" takes the client's newest usable key of each use.
	Key string
}

// ErrNotClientsKey: the key asked for is not a JOSE key of the client.
var ErrNotClientsKey = errors.New("is not a JOSE key of this client")

// JOSEPlaygroundWith is JOSEPlayground with the key chosen: to check the
// key just made or rotated when the client has several.
func (s *Service) JOSEPlaygroundWith(ctx context.Context, in JOSEPlaygroundInput) (JOSEPlaygroundResult, error) {
	client, mode, message := in.Client, in.Mode, in.Message
	pc, ok := playgroundCall[mode]
	if !ok {
		return JOSEPlaygroundResult{}, &InputError{Input: InputPlaygroundMode, Value: mode, Reason: ErrPlaygroundMode}
	}
	out := JOSEPlaygroundResult{Client: client, Mode: mode, Method: pc.method, Path: pc.path, Steps: []JOSEStep{}}
	var body []byte
	if pc.method == http.MethodPost {
		if utf8.RuneCountInString(message) > PlaygroundMessageLimit {
			return out, &InputError{Input: InputMessage, Reason: ErrMessageTooLong}
		}
		body, _ = json.Marshal(map[string]string{"message": message})
	}
	c, err := s.clientEntry(client, "jose")
	if err != nil {
		return out, err
	}
	if in.Key != "" {
		if k, err := s.w.Get(in.Key); err != nil || k.Kind != wallet.KindJOSE || k.LinkedTo != client {
			return out, &InputError{Input: InputJOSEKey, Value: in.Key, Reason: ErrNotClientsKey}
		}
	}
	call := wise.JOSECall{Method: pc.method, Path: pc.path, Mode: pc.mode, Body: body, Now: s.now()}
	if err := s.withJOSEKeys(ctx, &call, c, mode, in.Key); err != nil {
		return out, err
	}
	api, tok, err := s.clientAPI(ctx, c)
	if err != nil {
		return out, err
	}
	call.Token = tok
	defer func() { _, _ = s.JOSERetire(ctx) }()
	a, err := api.JOSE(ctx, call)
	for _, st := range a.Steps {
		out.Steps = append(out.Steps, JOSEStep{Step: st.Step, Header: headerView(st.Header), Result: st.Result})
	}
	out.Status, out.TraceID = a.Status, a.TraceID
	if err != nil {
		return out, err
	}
	// Kept as JSON when it is JSON, else as a JSON string; either way
	// cleaned of anything a terminal would interpret.
	if text := wise.CleanText(string(a.Body), maxShownAnswer); json.Valid([]byte(text)) {
		out.Answer = json.RawMessage(text)
	} else if len(a.Body) > 0 {
		out.Answer, _ = json.Marshal(text)
	}
	return out, nil
}

// withJOSEKeys gives call (its Mode and Now set) the keys of the OAuth
// client entry c: its signing key (key, when named, else the current one)
// and every decryption key of its encryption entries (Wise may answer to
// any key of the client it knows, previous ones included), Wise's keys,
// and how to fetch Wise's keys again. modeWord names the mode in errors.
func (s *Service) withJOSEKeys(ctx context.Context, call *wise.JOSECall, c wallet.Entry, modeWord, key string) error {
	client, now := c.Name, call.Now
	if call.Mode == wise.JOSEJWS || call.Mode == wise.JOSEJWSJWE {
		sig, err := s.callKey(client, JOSEUseSig, modeWord, key, now)
		if err != nil {
			return err
		}
		if call.Keys.Sign, err = signingKey(sig, wallet.SecretPrivateKey); err != nil {
			return err
		}
		call.Keys.SignAlg, call.Keys.SignKeyID = crypto.JOSEAlg(sig.Algorithm), sig.KeyID
	}
	if call.Mode == wise.JOSEJWE || call.Mode == wise.JOSEJWSJWE {
		if _, err := s.callKey(client, JOSEUseEnc, modeWord, key, now); err != nil {
			return err
		}
		for _, e := range s.w.Entries() {
			if e.Kind != wallet.KindJOSE || e.LinkedTo != client || e.Use != JOSEUseEnc || e.Status == wallet.StatusRevoked {
				continue
			}
			if previousRetired(e, now) {
				e.SetSecret(wallet.SecretPreviousKey, crypto.Secret{})
			}
			keys, err := decryptKeys(e)
			if err != nil {
				return err
			}
			call.Keys.Decrypt = append(call.Keys.Decrypt, keys...)
		}
	}
	wk, err := s.wiseKeysOf(ctx, c)
	if err != nil {
		return err
	}
	call.Keys.WiseVerify, call.Keys.WiseEncrypt = wk.verify, wk.encrypt
	call.RefetchSigning = func(ctx context.Context, version int) ([]crypto.VerifyKey, error) {
		return s.refetchSigning(ctx, client, version)
	}
	call.RefetchEncryption = func(ctx context.Context) (*rsa.PublicKey, bool, error) {
		return s.refetchEncryption(ctx, client)
	}
	return nil
}
