package localwise

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Table limits. Callers can grow every one of these tables (a valid client
// can mint tokens in a loop, anyone can open the authorize page), so each
// has a ceiling that keeps a long-running stand-in within a few tens of MB.
const (
	maxAccessTokens  = 100_000
	maxRefreshTokens = 100_000
	maxCodes         = 10_000
	maxPending       = 10_000
	maxUsers         = 10_000
	maxClients       = 1_000
)

// fifo is a map with a size limit that evicts its oldest entries first.
// Tokens and codes are random, so a key is never inserted twice.
type fifo[V any] struct {
	m     map[string]V
	order []string // insertion order; may hold keys already deleted
	limit int
}

func newFIFO[V any](limit int) *fifo[V] {
	return &fifo[V]{m: make(map[string]V), limit: limit}
}

func (f *fifo[V]) get(k string) (V, bool) {
	v, ok := f.m[k]
	return v, ok
}

func (f *fifo[V]) put(k string, v V) {
	f.m[k] = v
	f.order = append(f.order, k)
	for len(f.m) > f.limit && len(f.order) > 0 {
		delete(f.m, f.order[0])
		f.order = f.order[1:]
	}
	// Deleted keys stay in order until here; compacting when the stale
	// entries outnumber the live ones keeps order within 2x the map.
	if len(f.order) > 2*len(f.m)+64 {
		live := make([]string, 0, len(f.m))
		for _, k := range f.order {
			if _, ok := f.m[k]; ok {
				live = append(live, k)
			}
		}
		f.order = live
	}
}

func (f *fifo[V]) delete(k string) { delete(f.m, k) }

func (f *fifo[V]) len() int { return len(f.m) }

type tokenKind int

const (
	kindClient   tokenKind = iota + 1 // client_credentials: the application, no user
	kindUser                          // authorization_code, registration_code, refresh_token
	kindPersonal                      // personal API token
)

type client struct {
	id           string
	secret       string
	redirectURLs []string
}

type accessToken struct {
	kind      tokenKind
	clientID  string
	userID    int64
	expiresAt time.Time
}

// familyKey identifies the one live refresh token a client holds for a user:
// Wise says a new authorization_code or registration_code grant invalidates
// the previous refresh token.
type familyKey struct {
	clientID string
	userID   int64
}

// family is the chain of tokens that started with one user grant and goes on
// through refreshes. It knows its current access token because a refresh
// invalidates the previous access token.
type family struct {
	id        string
	key       familyKey
	profileID int64
	access    string
	refresh   string
}

type refreshToken struct {
	fam       *family
	expiresAt time.Time
}

type authCode struct {
	clientID    string
	redirectURI string
	userID      int64
	profileID   int64
	challenge   string // PKCE S256 code_challenge, empty when none was sent
	expiresAt   time.Time
	used        bool
	familyID    string // family issued from this code, revoked if the code is replayed
}

// pendingAuth is an authorization request between the authorize page's GET
// and the consent POST. It is keyed by an unguessable id carried in a hidden
// form field, so no cookies are needed.
type pendingAuth struct {
	clientID    string
	redirectURI string
	state       string
	challenge   string
	showCode    bool
	userID      int64 // 0 until the login step succeeds
	failures    int   // wrong passwords so far
	expiresAt   time.Time
}

// randomHex returns n random bytes, hex encoded.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// newUUID returns a random version 4 UUID, the shape of Wise's opaque tokens.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
