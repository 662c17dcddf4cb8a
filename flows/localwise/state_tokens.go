package localwise

import (
	"crypto/subtle"
	"net/url"
	"slices"
	"sync"
	"time"
)

// The OAuth surface: registered clients, personal tokens, access and
// refresh tokens, token families, authorization codes and the authorize
// page's pending requests. It is one state because a code exchange or a
// refresh must use up the old grant and issue the new tokens atomically.

// Table limits. Callers can grow every one of these tables (a valid client
// can mint tokens in a loop, anyone can open the authorize page), so each
// has a ceiling that keeps a long-running stand-in within a few tens of MB.
const (
	maxAccessTokens  = 100_000
	maxRefreshTokens = 100_000
	maxCodes         = 10_000
	maxPending       = 10_000
	maxClients       = 1_000
)

type tokenKind int

const (
	kindClient   tokenKind = iota + 1 // client_credentials: the application, no user
	kindUser                          // authorization_code, registration_code, refresh_token
	kindPersonal                      // personal API token
)

// client is never changed once stored (RegisterClient replaces it whole),
// so a pointer to it may be read outside the lock.
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
// form field, so no cookies are needed. Callers outside tokenState only
// ever get copies.
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

// principal is who a bearer token speaks for.
type principal struct {
	kind     tokenKind
	clientID string
	userID   int64
}

// issued is one grant's new tokens; refresh is empty for client_credentials.
type issued struct {
	access, refresh string
	now             time.Time
}

// lifetimes are the TTLs a tokenState issues with.
type lifetimes struct {
	token, refresh, code time.Duration
}

// tokenState is the OAuth surface's tables behind one lock. Its methods take
// the lock themselves and never call another state, so no lock is ever held
// while waiting for another.
type tokenState struct {
	ttl lifetimes

	mu       sync.Mutex
	clients  map[string]*client
	personal map[string]int64 // personal token -> user id
	access   *fifo[*accessToken]
	refresh  *fifo[*refreshToken]
	families map[familyKey]*family
	codes    *fifo[*authCode]
	pending  *fifo[*pendingAuth]
}

func newTokenState(ttl lifetimes) *tokenState {
	return &tokenState{
		ttl:      ttl,
		clients:  make(map[string]*client),
		personal: make(map[string]int64),
		access:   newFIFO[*accessToken](maxAccessTokens),
		refresh:  newFIFO[*refreshToken](maxRefreshTokens),
		families: make(map[familyKey]*family),
		codes:    newFIFO[*authCode](maxCodes),
		pending:  newFIFO[*pendingAuth](maxPending),
	}
}

// registerClient adds or replaces a client; it refuses a new one when the
// table is full.
func (ts *tokenState) registerClient(c Client) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if _, ok := ts.clients[c.ID]; !ok && len(ts.clients) >= maxClients {
		return false
	}
	ts.clients[c.ID] = &client{id: c.ID, secret: c.Secret, redirectURLs: slices.Clone(c.RedirectURLs)}
	return true
}

func (ts *tokenState) client(id string) *client {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.clients[id]
}

// authenticate checks HTTP Basic credentials. RFC 6749 §2.3.1 has clients
// form-urlencode the id and secret before base64, so a strict client sends
// wisewallet%2Ddemo; most clients (and Wise's samples) send them raw. A
// client either encodes or it does not, so the id and the secret are read
// in the same form: both as sent, or both form-decoded. Mixing them would
// let a%2Db:s%2Dt in as the literal client a%2Db whose secret is s-t. When
// the two readings authenticate different clients the credentials are
// ambiguous and refused rather than one of them picked.
func (ts *tokenState) authenticate(id, secret string) (*client, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	raw := ts.match(id, secret)
	var decoded *client
	decID, idErr := url.QueryUnescape(id)
	decSecret, secretErr := url.QueryUnescape(secret)
	// A strict client never sends a malformed escape, so when either part
	// does not decode only the form as sent is a reading.
	if idErr == nil && secretErr == nil {
		decoded = ts.match(decID, decSecret)
	}
	switch {
	case raw != nil && decoded != nil && raw != decoded:
		return nil, false
	case raw != nil:
		return raw, true
	case decoded != nil:
		return decoded, true
	}
	return nil, false
}

// match is the client with this id and secret, or nil. The caller holds
// ts.mu.
func (ts *tokenState) match(id, secret string) *client {
	c := ts.clients[id]
	if c == nil || c.secret == "" {
		return nil
	}
	// Constant time, so response timing says nothing about the secret.
	if subtle.ConstantTimeCompare([]byte(secret), []byte(c.secret)) != 1 {
		return nil
	}
	return c
}

func (ts *tokenState) addPersonal(token string, userID int64) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.personal[token] = userID
}

// revokeRefresh invalidates every refresh token issued so far; access
// tokens live on until they expire.
func (ts *tokenState) revokeRefresh() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.refresh = newFIFO[*refreshToken](maxRefreshTokens)
	clear(ts.families)
}

// bearer resolves a bearer token. When it fails, desc says why without
// repeating the token.
func (ts *tokenState) bearer(now time.Time, tok string) (p principal, desc string, ok bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if uid, ok := ts.personal[tok]; ok {
		return principal{kind: kindPersonal, userID: uid}, "", true
	}
	at, ok := ts.access.get(tok)
	if !ok {
		return principal{}, "Invalid access token", false
	}
	if !now.Before(at.expiresAt) {
		ts.access.delete(tok)
		return principal{}, "Access token expired", false
	}
	return principal{kind: at.kind, clientID: at.clientID, userID: at.userID}, "", true
}

func (ts *tokenState) issueClient(now time.Time, clientID string) issued {
	tok := newUUID()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.access.put(tok, &accessToken{kind: kindClient, clientID: clientID, expiresAt: now.Add(ts.ttl.token)})
	return issued{access: tok, now: now}
}

// exchangeCode redeems an authorization code for c.
func (ts *tokenState) exchangeCode(now time.Time, c *client, code, redirectURI, verifier string, hasVerifier bool) (issued, *tokenError) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ac, ok := ts.codes.get(code)
	if !ok || ac.clientID != c.id {
		return issued{}, invalidGrant("Invalid authorization code")
	}
	if ac.used {
		// RFC 6749 §4.1.2: a replayed code may mean it was stolen, so the
		// tokens issued from it are revoked as well.
		if fam := ts.families[familyKey{ac.clientID, ac.userID}]; fam != nil && fam.id == ac.familyID {
			ts.dropFamilyLocked(fam)
		}
		return issued{}, invalidGrant("Authorization code has already been used")
	}
	if !now.Before(ac.expiresAt) {
		ts.codes.delete(code)
		return issued{}, invalidGrant("Authorization code has expired")
	}
	if ac.redirectURI != redirectURI {
		return issued{}, invalidGrant("redirect_uri does not match the authorization request")
	}
	switch {
	case ac.challenge != "" && !hasVerifier:
		return issued{}, badRequest("Missing code_verifier")
	case ac.challenge != "" && !pkceMatches(ac.challenge, verifier):
		return issued{}, invalidGrant("code_verifier does not match the code challenge")
	case ac.challenge == "" && hasVerifier:
		// A verifier without a challenge would let a downgraded flow pass
		// as a PKCE one (OAuth 2.1 §4.1.3).
		return issued{}, invalidGrant("code_verifier sent but the authorization request had no code_challenge")
	}
	ac.used = true
	iss, fam := ts.issueUserLocked(now, c.id, ac.userID, ac.profileID)
	ac.familyID = fam.id
	return iss, nil
}

// rotate redeems a refresh token for c.
func (ts *tokenState) rotate(now time.Time, c *client, refresh string) (issued, *tokenError) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	rt, ok := ts.refresh.get(refresh)
	if !ok || rt.fam.key.clientID != c.id {
		return issued{}, invalidGrant("Invalid refresh token")
	}
	if !now.Before(rt.expiresAt) {
		ts.refresh.delete(refresh)
		return issued{}, invalidGrant("Refresh token has expired")
	}
	// Rotation: the old refresh token and, as Wise documents, the previous
	// access token stop working the moment a refresh succeeds.
	fam := rt.fam
	ts.refresh.delete(fam.refresh)
	ts.access.delete(fam.access)
	return ts.issueIntoFamilyLocked(now, fam), nil
}

// issueUser starts a new token family for (client, user).
func (ts *tokenState) issueUser(now time.Time, clientID string, userID, profileID int64) issued {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	iss, _ := ts.issueUserLocked(now, clientID, userID, profileID)
	return iss
}

// issueUserLocked starts a new token family for (client, user). Wise says a
// new user grant invalidates the previous refresh token, while the last
// access token from it lives until it expires.
func (ts *tokenState) issueUserLocked(now time.Time, clientID string, userID, profileID int64) (issued, *family) {
	key := familyKey{clientID, userID}
	// Families whose refresh token was rotated away, revoked or evicted are
	// dead weight; sweeping them when the map doubles keeps it bounded by
	// the refresh token table at amortized O(1) per grant.
	if len(ts.families) >= 2*maxRefreshTokens {
		for k, f := range ts.families {
			if _, ok := ts.refresh.get(f.refresh); !ok {
				delete(ts.families, k)
			}
		}
	}
	if old := ts.families[key]; old != nil {
		ts.refresh.delete(old.refresh)
	}
	fam := &family{id: randomHex(8), key: key, profileID: profileID}
	ts.families[key] = fam
	return ts.issueIntoFamilyLocked(now, fam), fam
}

func (ts *tokenState) issueIntoFamilyLocked(now time.Time, fam *family) issued {
	access, refresh := newUUID(), newUUID()
	ts.access.put(access, &accessToken{kind: kindUser, clientID: fam.key.clientID, userID: fam.key.userID, expiresAt: now.Add(ts.ttl.token)})
	ts.refresh.put(refresh, &refreshToken{fam: fam, expiresAt: now.Add(ts.ttl.refresh)})
	fam.access, fam.refresh = access, refresh
	return issued{access: access, refresh: refresh, now: now}
}

// dropFamilyLocked revokes a family's current access and refresh tokens.
func (ts *tokenState) dropFamilyLocked(fam *family) {
	ts.access.delete(fam.access)
	ts.refresh.delete(fam.refresh)
	if ts.families[fam.key] == fam {
		delete(ts.families, fam.key)
	}
}

// The authorize page's pending requests. Each step that succeeds moves the
// request to a fresh id, so an id seen on one page cannot act on the next.

func (ts *tokenState) putPending(id string, p pendingAuth) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.pending.put(id, &p)
}

// pendingAt returns a copy of the live pending request id, dropping it when
// it has expired.
func (ts *tokenState) pendingAt(now time.Time, id string) (pendingAuth, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	p, ok := ts.pending.get(id)
	if !ok {
		return pendingAuth{}, false
	}
	if !now.Before(p.expiresAt) {
		ts.pending.delete(id)
		return pendingAuth{}, false
	}
	return *p, true
}

// loginFailed counts a wrong password on request id. It reports whether the
// request was there and whether it still is: after maxLoginFailures it is
// dropped.
func (ts *tokenState) loginFailed(id string) (known, alive bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	p, ok := ts.pending.get(id)
	if !ok {
		return false, false
	}
	p.failures++
	if p.failures >= maxLoginFailures {
		ts.pending.delete(id)
		return true, false
	}
	return true, true
}

// loggedIn binds request id to userID and moves it to newID.
func (ts *tokenState) loggedIn(id, newID string, userID int64) (pendingAuth, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	p, ok := ts.pending.get(id)
	if !ok {
		return pendingAuth{}, false
	}
	ts.pending.delete(id)
	p.userID = userID
	ts.pending.put(newID, p)
	return *p, true
}

// takePending ends request id, as when the user denies access.
func (ts *tokenState) takePending(id string) (pendingAuth, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	p, ok := ts.pending.get(id)
	if !ok {
		return pendingAuth{}, false
	}
	ts.pending.delete(id)
	return *p, true
}

// approve ends request id with an authorization code bound to its client,
// redirect URL, user and PKCE challenge, and to profileID.
func (ts *tokenState) approve(now time.Time, id, code string, profileID int64) (pendingAuth, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	p, ok := ts.pending.get(id)
	if !ok || p.userID == 0 {
		return pendingAuth{}, false
	}
	ts.codes.put(code, &authCode{
		clientID: p.clientID, redirectURI: p.redirectURI, userID: p.userID, profileID: profileID,
		challenge: p.challenge, expiresAt: now.Add(ts.ttl.code),
	})
	ts.pending.delete(id)
	return *p, true
}

// clientIDs lists the registered clients' ids, sorted, for the Developer
// Hub page's client list.
func (ts *tokenState) clientIDs() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ids := make([]string, 0, len(ts.clients))
	for id := range ts.clients {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
