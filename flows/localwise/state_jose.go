package localwise

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The JOSE surface's tables: localwise's own signing and encryption keys
// (the keys Wise hands out on GET /v1/auth/jose/response/public-keys), the
// public keys clients uploaded on POST /v1/auth/jose/request/public-keys,
// and the rotation overlap. One lock covers them: an upload schedules the
// end of the client's earlier keys in the same step that stores the new
// one, so a concurrent request never sees both or neither retired.

const (
	scopeSigning    = "PAYLOAD_SIGNING"
	scopeEncryption = "PAYLOAD_ENCRYPTION"

	// Wise's spelling of RSA-OAEP-256 in its key JSON.
	algRSAOAEP256 = "RSA_OAEP_256"
	// ownSigningAlg is what localwise signs responses with: Wise's example
	// key and response header say ES512.
	ownSigningAlg = "ES512"
	// ownRSABits is the size of localwise's encryption key.
	ownRSABits = 2048

	// DefaultJOSEOverlap is how long a client's earlier key of a scope
	// keeps working after the new key of that scope becomes valid.
	DefaultJOSEOverlap = 24 * time.Hour
	// maxJOSEOverlap keeps a scheduled deactivation inside time.Time's
	// comfortable range and typos from keeping a key for centuries.
	maxJOSEOverlap = 10 * 365 * 24 * time.Hour
	// maxClientJOSEKeys bounds the keys kept per client; the oldest
	// ended ones go first, and an upload is refused when none has ended.
	maxClientJOSEKeys = 50
	// maxOwnKeyVersions bounds localwise's own rotations: each version
	// keeps its private key so old versions stay fetchable.
	maxOwnKeyVersions = 100
)

// signingAlgs are the algorithms a client may sign requests with and
// upload signing keys for: Wise lists exactly these, and not RS256.
var signingAlgs = []string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512"}

var (
	errJOSEKeyIDTaken = errors.New("a key with this keyId was already uploaded")
	errJOSEKeyLimit   = errors.New("the client has the maximum number of active keys")
	errJOSEVersions   = fmt.Errorf("at most %d versions of each key are kept", maxOwnKeyVersions)
)

// ownKey is one version of one of localwise's keys. It is never changed
// once stored.
type ownKey struct {
	scope     string
	version   int
	keyID     string
	alg       string // ES512 or RSA_OAEP_256 (Wise's spellings)
	signer    *ecdsa.PrivateKey
	decrypter *rsa.PrivateKey
	der       string // base64 of the DER SubjectPublicKeyInfo
	createdAt time.Time
}

// clientKey is a public key a client uploaded. Only deactivateAt ever
// changes; handlers get copies.
type clientKey struct {
	clientID   string
	keyID      string // as uploaded; looked up in any case
	scope      string
	alg        string // Wise's spelling: ES256..PS512 or RSA_OAEP_256
	pub        crypto.PublicKey
	der        string
	validFrom  time.Time
	validTill  time.Time
	uploadedAt time.Time
	// deactivateAt is when a later upload of the same scope retires this
	// key (zero: not scheduled).
	deactivateAt time.Time
}

// activeAt reports whether the key may be used at now: inside its
// validity (ended at its validTill second, as certificates end at their
// not-after) and not yet deactivated.
func (k *clientKey) activeAt(now time.Time) bool {
	return !now.Before(k.validFrom) && now.Before(k.validTill) &&
		(k.deactivateAt.IsZero() || now.Before(k.deactivateAt))
}

// endedAt reports whether the key can never be used again at or after
// now: expired or deactivated. A key whose validFrom is still ahead has
// not ended, so making room never drops a key scheduled to take over.
func (k *clientKey) endedAt(now time.Time) bool {
	return !now.Before(k.validTill) || (!k.deactivateAt.IsZero() && !now.Before(k.deactivateAt))
}

// whyInactive says, for a key that is not active at now, why.
func (k *clientKey) whyInactive(now time.Time) string {
	switch {
	case now.Before(k.validFrom):
		return "is not valid before " + k.validFrom.Format(joseTimeLayout) + " UTC"
	case !now.Before(k.validTill):
		return "expired at " + k.validTill.Format(joseTimeLayout) + " UTC"
	case !k.deactivateAt.IsZero() && !now.Before(k.deactivateAt):
		return "was deactivated at " + k.deactivateAt.Format(joseTimeLayout) + " UTC, when the overlap after its successor's upload ended"
	}
	return "is active"
}

type joseState struct {
	mu      sync.Mutex
	overlap time.Duration
	// own holds localwise's key versions per scope, oldest first (index
	// version-1). They are made on first use: an RSA key costs tens of
	// milliseconds, and most servers a test starts never use JOSE.
	own map[string][]*ownKey
	// decryptFrom is the oldest version of the encryption key that still
	// decrypts requests; a rotation moves it to the new version unless
	// asked to keep the previous ones.
	decryptFrom int
	clients     map[string][]*clientKey // client id -> keys, oldest first
	byKeyID     map[string]*clientKey   // every kept key, by lower-case keyId (UUIDs have no case)
}

func newJOSEState(overlap time.Duration) *joseState {
	return &joseState{
		overlap: overlap,
		own:     make(map[string][]*ownKey),
		clients: make(map[string][]*clientKey),
		byKeyID: make(map[string]*clientKey),
	}
}

// clampOverlap maps Config.JOSEOverlap to the overlap used: zero is the
// default, a negative value means none, and it is capped.
func clampOverlap(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return DefaultJOSEOverlap
	case d < 0:
		return 0
	}
	return min(d, maxJOSEOverlap)
}

func (js *joseState) setOverlap(d time.Duration) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.overlap = min(max(d, 0), maxJOSEOverlap)
}

func (js *joseState) getOverlap() time.Duration {
	js.mu.Lock()
	defer js.mu.Unlock()
	return js.overlap
}

// newOwnKey makes version version of localwise's key for scope.
func newOwnKey(now time.Time, scope string, version int) (*ownKey, error) {
	k := &ownKey{scope: scope, version: version, keyID: newUUID(), createdAt: now}
	var pub crypto.PublicKey
	switch scope {
	case scopeSigning:
		key, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		if err != nil {
			return nil, err
		}
		k.alg, k.signer, pub = ownSigningAlg, key, &key.PublicKey
	case scopeEncryption:
		key, err := rsa.GenerateKey(rand.Reader, ownRSABits)
		if err != nil {
			return nil, err
		}
		k.alg, k.decrypter, pub = algRSAOAEP256, key, &key.PublicKey
	default:
		return nil, fmt.Errorf("no key scope %q", scope)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	k.der = base64.StdEncoding.EncodeToString(der)
	return k, nil
}

// versionsLocked returns the versions of scope, making version 1 first
// when there is none. The caller holds js.mu.
func (js *joseState) versionsLocked(now time.Time, scope string) ([]*ownKey, error) {
	if len(js.own[scope]) == 0 {
		k, err := newOwnKey(now, scope, 1)
		if err != nil {
			return nil, err
		}
		js.own[scope] = []*ownKey{k}
		if scope == scopeEncryption {
			js.decryptFrom = 1
		}
	}
	return js.own[scope], nil
}

// ownKeyAt is version of scope, or the newest version when version is 0.
// ok is false when there is no such version.
func (js *joseState) ownKeyAt(now time.Time, scope string, version int) (k *ownKey, ok bool, err error) {
	js.mu.Lock()
	defer js.mu.Unlock()
	vs, err := js.versionsLocked(now, scope)
	if err != nil {
		return nil, false, err
	}
	if version == 0 {
		return vs[len(vs)-1], true, nil
	}
	if version < 1 || version > len(vs) {
		return nil, false, nil
	}
	return vs[version-1], true, nil
}

// decryptionKeys are the encryption key versions that decrypt requests,
// newest first.
func (js *joseState) decryptionKeys(now time.Time) ([]*ownKey, error) {
	js.mu.Lock()
	defer js.mu.Unlock()
	vs, err := js.versionsLocked(now, scopeEncryption)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(vs[js.decryptFrom-1:])
	slices.Reverse(out)
	return out, nil
}

// rotate adds a version to scope. Unless keepPrevious, earlier encryption
// key versions stop decrypting requests at once, as when Wise replaces its
// key: a client still encrypting to the old one gets the generic 500 and
// must fetch the new key. Earlier versions of both scopes stay fetchable.
func (js *joseState) rotate(now time.Time, scope string, keepPrevious bool) (*ownKey, error) {
	js.mu.Lock()
	defer js.mu.Unlock()
	vs, err := js.versionsLocked(now, scope)
	if err != nil {
		return nil, err
	}
	if len(vs) >= maxOwnKeyVersions {
		return nil, errJOSEVersions
	}
	k, err := newOwnKey(now, scope, len(vs)+1)
	if err != nil {
		return nil, err
	}
	js.own[scope] = append(vs, k)
	if scope == scopeEncryption && !keepPrevious {
		js.decryptFrom = k.version
	}
	return k, nil
}

// ownKeys lists both scopes' versions, oldest first, making version 1 of
// each when missing, and reports the oldest decrypting version.
func (js *joseState) ownKeys(now time.Time) (signing, encryption []*ownKey, decryptFrom int, err error) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if signing, err = js.versionsLocked(now, scopeSigning); err != nil {
		return nil, nil, 0, err
	}
	if encryption, err = js.versionsLocked(now, scopeEncryption); err != nil {
		return nil, nil, 0, err
	}
	return slices.Clone(signing), slices.Clone(encryption), js.decryptFrom, nil
}

// upload stores k for its client and schedules the end of the client's
// earlier keys of the same scope at k's validFrom plus the overlap (or
// earlier, when one was already scheduled to end sooner). A keyId already
// uploaded by any client is refused: key ids name keys in JOSE headers.
func (js *joseState) upload(now time.Time, k clientKey) error {
	js.mu.Lock()
	defer js.mu.Unlock()
	id := strings.ToLower(k.keyID)
	if js.byKeyID[id] != nil {
		return errJOSEKeyIDTaken
	}
	list := js.clients[k.clientID]
	if len(list) >= maxClientJOSEKeys {
		i := slices.IndexFunc(list, func(c *clientKey) bool { return c.endedAt(now) })
		if i < 0 {
			return errJOSEKeyLimit
		}
		delete(js.byKeyID, strings.ToLower(list[i].keyID))
		list = slices.Delete(list, i, i+1)
	}
	end := k.validFrom.Add(js.overlap)
	for _, old := range list {
		if old.scope == k.scope && (old.deactivateAt.IsZero() || end.Before(old.deactivateAt)) {
			old.deactivateAt = end
		}
	}
	rec := k
	js.clients[k.clientID] = append(list, &rec)
	js.byKeyID[id] = &rec
	return nil
}

// clientKeys are copies of the client's keys of scope ("" for all),
// oldest first.
func (js *joseState) clientKeys(clientID, scope string) []clientKey {
	js.mu.Lock()
	defer js.mu.Unlock()
	var out []clientKey
	for _, k := range js.clients[clientID] {
		if scope == "" || k.scope == scope {
			out = append(out, *k)
		}
	}
	return out
}

// clientKeyByID is the client's key with this id (any case), of any state.
func (js *joseState) clientKeyByID(clientID, keyID string) (clientKey, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	k := js.byKeyID[strings.ToLower(keyID)]
	if k == nil || k.clientID != clientID {
		return clientKey{}, false
	}
	return *k, true
}

// responseKey is the client's encryption key that responses are
// encrypted to at now: the active one that became valid last (the newest
// upload on a tie), so a rotated client gets its new key as soon as it is
// valid while the old one still decrypts what it was sent before.
func (js *joseState) responseKey(now time.Time, clientID string) (clientKey, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	var best *clientKey
	for _, k := range js.clients[clientID] {
		if k.scope != scopeEncryption || !k.activeAt(now) {
			continue
		}
		if best == nil || !k.validFrom.Before(best.validFrom) {
			best = k
		}
	}
	if best == nil {
		return clientKey{}, false
	}
	return *best, true
}
