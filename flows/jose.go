package flows

import (
	"context"
	"encoding/json"
	"errors"
	"time"
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

// DefaultJOSEOverlap is how long a rotated key's predecessor keeps
// working beside it.
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

// JOSEKeyInput is what a new JOSE entry is made of.
type JOSEKeyInput struct {
	Name string
	Use  string // JOSEUseSig or JOSEUseEnc
	// Alg is the algorithm: for "sig" ES256 (the default), ES384, ES512,
	// PS256, PS384 or PS512; for "enc" RSA-OAEP-256, the only one.
	Alg string
	// KeyType picks a bigger RSA key (rsa3072, rsa4096) for PS* and enc;
	// "" is RSA 2048. ES* keys have the curve of their algorithm.
	KeyType string
	// ValidFor is the key's validity from now; 0 is DefaultJOSEValidity.
	ValidFor time.Duration
	// For is the OAuth client entry the key serves; "" links it later,
	// and then Env (and APIURL for a local one) say where it belongs.
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
}

// JOSEStep is one step of a JOSE call, for a front end that shows how it
// is made: what was done, the protected header of the token made or
// checked, and the result (a compact token, or a payload).
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

// errJOSENotBuilt marks the use cases whose bodies are still to come.
var errJOSENotBuilt = errors.New("JOSE is not built yet")

// JOSEKeygen makes a signing or encryption key pair and stores it as a new
// jose entry.
func (s *Service) JOSEKeygen(ctx context.Context, in JOSEKeyInput) (EntryView, error) {
	return EntryView{}, errJOSENotBuilt
}

// JOSEPublicKey is the entry's public key as a JWK ("jwk"), PEM ("pem")
// or the base64 DER Wise's upload takes ("der").
func (s *Service) JOSEPublicKey(name, format string) ([]byte, error) {
	return nil, errJOSENotBuilt
}

// JOSEUpload registers the entry's public key with Wise for its client.
func (s *Service) JOSEUpload(ctx context.Context, name string) (JOSEUploaded, error) {
	return JOSEUploaded{}, errJOSENotBuilt
}

// JOSERotate makes a new key in the entry, keeping the current one as its
// previous key until overlap (0: DefaultJOSEOverlap) after the new key's
// start; the new key is uploaded when the current one was.
func (s *Service) JOSERotate(ctx context.Context, name string, overlap time.Duration) (JOSERotated, error) {
	return JOSERotated{}, errJOSENotBuilt
}

// JOSEWiseKeys fetches Wise's signing and encryption keys for the client
// and stores them in its entry.
func (s *Service) JOSEWiseKeys(ctx context.Context, client string) (WiseKeysView, error) {
	return WiseKeysView{}, errJOSENotBuilt
}

// JOSESign signs payload with the jose sig entry, with url as the url
// header: a compact JWS.
func (s *Service) JOSESign(name, url string, payload []byte) (string, error) {
	return "", errJOSENotBuilt
}

// JOSEVerify checks a compact JWS and returns its payload: with the key
// of a jose sig entry, or with Wise's signing key when name is a client.
// url, when not "", must be the token's url header.
func (s *Service) JOSEVerify(ctx context.Context, name, url string, token []byte) ([]byte, JOSEHeaderView, error) {
	return nil, JOSEHeaderView{}, errJOSENotBuilt
}

// JOSEEncrypt encrypts payload to Wise's encryption key when name is a
// client, or to the key of a jose enc entry: a compact JWE.
func (s *Service) JOSEEncrypt(ctx context.Context, name, url string, payload []byte) (string, error) {
	return "", errJOSENotBuilt
}

// JOSEDecrypt decrypts a compact JWE with the jose enc entry's key (or
// its previous one, during a rotation).
func (s *Service) JOSEDecrypt(name string, token []byte) ([]byte, JOSEHeaderView, error) {
	return nil, JOSEHeaderView{}, errJOSENotBuilt
}

// JOSEPlayground runs one of Wise's playgrounds for the client with
// message, recording each step.
func (s *Service) JOSEPlayground(ctx context.Context, client, mode, message string) (JOSEPlaygroundResult, error) {
	return JOSEPlaygroundResult{}, errJOSENotBuilt
}

// JOSEKeys lists the jose entries linked to the client.
func (s *Service) JOSEKeys(client string) []EntryView {
	return nil
}
