package wallet

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// Kind says what an entry holds.
type Kind string

// Entry kinds. The strings are part of the command-line contract (the
// JSON list of entries).
const (
	KindPersonal Kind = "personal" // personal API token
	KindClient   Kind = "client"   // OAuth client id and secret
	KindUser     Kind = "user"     // user access and refresh tokens from an OAuth login
	KindSCA      Kind = "sca"      // RSA key for signing SCA one-time tokens
	KindMTLS     Kind = "mtls"     // mTLS private key, CSR and certificate
	KindJOSE     Kind = "jose"     // JOSE signing or encryption key pair
)

// Kinds lists every kind in display order.
var Kinds = []Kind{KindPersonal, KindClient, KindUser, KindSCA, KindMTLS, KindJOSE}

// EnvName names a Wise environment.
type EnvName string

// Environments. Production is never a default anywhere: it must be named.
const (
	EnvSandbox    EnvName = "sandbox"
	EnvProduction EnvName = "production"
	EnvLocal      EnvName = "local"
)

// Environment is where a credential is valid, with the hosts it talks to.
// The hosts are stored per entry so that a versioned path prefix or a new
// sandbox host needs no new release.
type Environment struct {
	Name         EnvName `json:"name"`
	APIURL       string  `json:"api_url"`
	AuthorizeURL string  `json:"authorize_url,omitempty"`
	MTLSURL      string  `json:"mtls_url,omitempty"`
}

// Status marks entries that need the user's attention.
type Status string

// Entry statuses.
const (
	StatusOK         Status = ""
	StatusNeedsLogin Status = "needs_login" // refresh token rejected: log in again
	StatusRevoked    Status = "revoked"     // wiped after a suspected breach
)

// Names of secret fields. Secrets live only in Entry.Secrets, never in the
// typed metadata, so listing metadata can never reveal one.
const (
	SecretToken            = "token"               // personal API token
	SecretClientSecret     = "client_secret"       // OAuth client secret
	SecretAccessToken      = "access_token"        // user or cached client-credentials access token
	SecretRefreshToken     = "refresh_token"       // user refresh token
	SecretRegistrationCode = "registration_code"   // registration-code grant secret
	SecretPrivateKey       = "private_key"         // PKCS#8 PEM
	SecretPendingKey       = "pending_private_key" // an mTLS renewal's new key, PKCS#8 PEM
	// SecretPreviousKey is a rotated JOSE key's old private key, PKCS#8
	// PEM, kept only until Key.PrevRetiresAt so that answers Wise encrypted
	// to it during the overlap still decrypt; it is wiped after that.
	SecretPreviousKey = "previous_private_key"
	// SecretDeviceFingerprint is the install's device fingerprint
	// (crypto.NewDeviceFingerprint), kept in the credential (user) entry it
	// was registered for. It is the SCA possession factor itself: whoever
	// holds it passes PARTNER_DEVICE_FINGERPRINT challenges, so it is a
	// secret, never metadata.
	SecretDeviceFingerprint = "device_fingerprint"
)

// Profile is a Wise profile a credential can act for.
type Profile struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

// Entry is one credential: a header every kind has (name, kind,
// environment, dates, link, status, secrets) and the groups of fields
// that kinds use. The groups are embedded values, so e.ClientID reads
// e.OAuthClient.ClientID; a group left zero costs nothing in the file
// (see codec.go). Non-secret metadata is typed and may be shown; secret
// values are in Secrets, whose values print as "[redacted]".
//
// A new kind adds its fields to a group, or a new group (a new section in
// the file), rather than to the header.
type Entry struct {
	Name      string      `json:"name"`
	Kind      Kind        `json:"kind"`
	Env       Environment `json:"env"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	// LinkedTo names the credential entry this one serves: a user entry's
	// OAuth client, or the token a key entry signs for.
	LinkedTo string `json:"linked_to,omitempty"`
	Status   Status `json:"status,omitempty"`
	// SecretCreatedAt dates the long-lived secret (a personal token or an
	// OAuth client secret) that Wise never expires, so the rotation
	// reminder can count its age. Two kinds use it, so it is no group's.
	SecretCreatedAt *time.Time `json:"secret_created_at,omitempty"`

	// The groups carry no JSON names of their own: encoding/json flattens
	// embedded structs, so schema 1 bodies read into them unchanged.
	Identity
	OAuthClient
	Tokens
	Key
	Certificate
	WiseKeys
	SCA

	Secrets map[string]crypto.Secret `json:"-"`
}

// Identity is who the credential acts as, when known.
type Identity struct {
	UserID    int64     `json:"user_id,omitempty"`
	UserEmail string    `json:"user_email,omitempty"`
	UserName  string    `json:"user_name,omitempty"`
	ProfileID int64     `json:"profile_id,omitempty"`
	Profiles  []Profile `json:"profiles,omitempty"`
}

// OAuthClient holds an OAuth client's settings.
type OAuthClient struct {
	ClientID    string `json:"client_id,omitempty"`
	RedirectURL string `json:"redirect_url,omitempty"`
}

// Tokens holds token lifetimes. AccessIssuedAt dates the current access
// token, so the refresh can come at a fixed fraction of its lifetime.
type Tokens struct {
	AccessIssuedAt   *time.Time `json:"access_issued_at,omitempty"`
	AccessExpiresAt  *time.Time `json:"access_expires_at,omitempty"`
	RefreshExpiresAt *time.Time `json:"refresh_expires_at,omitempty"`
}

// Key describes a key pair (SCA, mTLS, JOSE); the private key itself is
// the SecretPrivateKey secret.
type Key struct {
	KeyType   string     `json:"key_type,omitempty"`
	KeyID     string     `json:"key_id,omitempty"`
	Algorithm string     `json:"algorithm,omitempty"`
	PublicKey string     `json:"public_key,omitempty"` // PEM
	ValidFrom *time.Time `json:"valid_from,omitempty"`
	ValidTill *time.Time `json:"valid_till,omitempty"`
	// Uploaded: the public key is registered with Wise.
	Uploaded bool `json:"uploaded,omitempty"`
	// Use is a JOSE key's use: "sig" (signing) or "enc" (encryption).
	Use string `json:"use,omitempty"`

	// A JOSE rotation keeps the key it replaced, as the previous key, until
	// PrevRetiresAt (the new key's ValidFrom plus the overlap): Wise may
	// still verify or encrypt with it until then. Its private key is the
	// secret SecretPreviousKey.
	PrevKeyID     string     `json:"prev_key_id,omitempty"`
	PrevPublicKey string     `json:"prev_public_key,omitempty"` // PEM
	PrevValidTill *time.Time `json:"prev_valid_till,omitempty"`
	PrevRetiresAt *time.Time `json:"prev_retires_at,omitempty"`
	PrevUploaded  bool       `json:"prev_uploaded,omitempty"`
}

// Certificate holds an mTLS key's certificate request and what was
// issued for it: the chain, Wise's CA, and the name the certificate has
// in Developer Hub (unique per client there). A renewal under way keeps
// its new CSR beside the working certificate (the new key is the secret
// SecretPendingKey) until the new certificate is imported.
type Certificate struct {
	CSR          string     `json:"csr,omitempty"`        // PEM
	CertChain    string     `json:"cert_chain,omitempty"` // PEM
	CACert       string     `json:"ca_cert,omitempty"`    // PEM
	NotAfter     *time.Time `json:"not_after,omitempty"`
	CertName     string     `json:"cert_name,omitempty"`
	Organization string     `json:"organization,omitempty"`
	Country      string     `json:"country,omitempty"`

	PendingCSR      string `json:"pending_csr,omitempty"` // PEM
	PendingKeyType  string `json:"pending_key_type,omitempty"`
	PendingCertName string `json:"pending_cert_name,omitempty"`
}

// WiseKeys caches, on a client entry, Wise's JOSE public keys for that
// client's environment: the key Wise signs responses with and the key
// requests are encrypted to, each as Wise gave it (base64 of the SPKI DER),
// with its algorithm in Wise's spelling and its version. They are public;
// caching them saves a client-credentials token and a fetch per call, and
// they are fetched again when a verification or decryption fails.
type WiseKeys struct {
	WiseSigningKey        string     `json:"wise_signing_key,omitempty"`
	WiseSigningAlg        string     `json:"wise_signing_alg,omitempty"`
	WiseSigningVersion    int        `json:"wise_signing_version,omitempty"`
	WiseEncryptionKey     string     `json:"wise_encryption_key,omitempty"`
	WiseEncryptionAlg     string     `json:"wise_encryption_alg,omitempty"`
	WiseEncryptionVersion int        `json:"wise_encryption_version,omitempty"`
	WiseKeysFetchedAt     *time.Time `json:"wise_keys_fetched_at,omitempty"`
}

// SCA is what a credential (user) entry knows of its SCA factors at Wise.
// It holds no factor: the PIN is never stored (only that one was set, per
// profile), and the device fingerprint is the secret
// SecretDeviceFingerprint.
type SCA struct {
	// SCAPINSet lists the profile ids for which this credential set an SCA
	// PIN, ascending and without repeats (SetSCAPIN keeps it so), so the app
	// can offer PIN challenges and say a PIN exists without asking Wise.
	SCAPINSet []int64 `json:"sca_pin_set,omitempty"`
	// DeviceFingerprintID is the id Wise gave the registered fingerprint,
	// what removing it takes; DeviceRegisteredAt dates the registration.
	DeviceFingerprintID string     `json:"device_fingerprint_id,omitempty"`
	DeviceRegisteredAt  *time.Time `json:"device_registered_at,omitempty"`
	// SCASessionUntil ends the low-risk window a manual SCA session opened
	// (Wise's 5 minutes), so the app does not ask for another too soon.
	SCASessionUntil *time.Time `json:"sca_session_until,omitempty"`
}

// HasSCAPIN reports whether a PIN was recorded as set for profile.
func (s SCA) HasSCAPIN(profile int64) bool {
	_, ok := slices.BinarySearch(s.SCAPINSet, profile)
	return ok
}

// SetSCAPIN records that a PIN is set (on) or no longer set (off) for
// profile. Like SetSecret it builds a new slice: an Entry from Get shares
// its slice with the wallet, and editing that in place would change the
// wallet's contents even when the update is then not saved.
func (s *SCA) SetSCAPIN(profile int64, on bool) {
	i, found := slices.BinarySearch(s.SCAPINSet, profile)
	switch {
	case on && !found:
		s.SCAPINSet = slices.Insert(slices.Clone(s.SCAPINSet), i, profile)
	case !on && found:
		s.SCAPINSet = slices.Delete(slices.Clone(s.SCAPINSet), i, i+1)
		if len(s.SCAPINSet) == 0 {
			s.SCAPINSet = nil
		}
	}
}

// checkSCAPINSet refuses an SCAPINSet that is not strictly ascending: readers
// refuse it (a repeated id would be ambiguous), so it must never be written.
func (e *Entry) checkSCAPINSet() error {
	for i := 1; i < len(e.SCAPINSet); i++ {
		if e.SCAPINSet[i] <= e.SCAPINSet[i-1] {
			return fmt.Errorf("wallet: entry %q: sca_pin_set is not ascending without repeats (set it with SetSCAPIN)", e.Name)
		}
	}
	return nil
}

// Secret returns the named secret (zero when absent).
func (e Entry) Secret(field string) crypto.Secret { return e.Secrets[field] }

// SetSecret stores a secret field, or deletes it when s is zero. It
// changes a copy of the map: an Entry from Get or Entries shares its map
// with the wallet, and editing that map in place would change the
// wallet's in-memory contents even when the update is then not saved.
func (e *Entry) SetSecret(field string, s crypto.Secret) {
	m := maps.Clone(e.Secrets)
	if s.IsZero() {
		delete(m, field)
	} else {
		if m == nil {
			m = map[string]crypto.Secret{}
		}
		m[field] = s
	}
	e.Secrets = m
}

// SecretFields lists the names of the secrets an entry holds, sorted.
func (e Entry) SecretFields() []string {
	out := make([]string, 0, len(e.Secrets))
	for k := range e.Secrets {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// What in an entry expires, renews or is revoked, per kind, is said in
// one place: flows/kinds.go.

// Compiled on first use, not at package init, which every start pays.
var namePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

// ValidateName checks an entry name. Names start with a letter or digit
// so that they can never be mistaken for a command-line flag.
func ValidateName(name string) error {
	if !namePattern().MatchString(name) {
		return fmt.Errorf("%w %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalidName, name)
	}
	return nil
}

// ValidKind reports whether k is a known kind.
func ValidKind(k Kind) bool { return slices.Contains(Kinds, k) }
