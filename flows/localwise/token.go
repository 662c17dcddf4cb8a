package localwise

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"time"
)

const (
	// isoMillis is Wise's expires_at shape: 2025-04-11T03:43:28.148Z.
	isoMillis = "2006-01-02T15:04:05.000Z07:00"
	// isoNanos is Wise's created_at shape: 2023-12-06T18:28:14.206824830Z.
	isoNanos = "2006-01-02T15:04:05.000000000Z07:00"
)

// tokenResponse is Wise's token-response schema. The refresh and created_at
// fields are only set for user grants.
type tokenResponse struct {
	AccessToken           string `json:"access_token"`
	TokenType             string `json:"token_type"`
	RefreshToken          string `json:"refresh_token,omitempty"`
	ExpiresIn             int64  `json:"expires_in"`
	ExpiresAt             string `json:"expires_at"`
	RefreshTokenExpiresIn *int64 `json:"refresh_token_expires_in,omitempty"`
	RefreshTokenExpiresAt string `json:"refresh_token_expires_at,omitempty"`
	Scope                 string `json:"scope"`
	CreatedAt             string `json:"created_at,omitempty"`
}

// tokenError is a failed grant: the status and OAuth error body to send.
type tokenError struct {
	status int
	code   string
	desc   string
}

func badRequest(desc string) *tokenError {
	return &tokenError{http.StatusBadRequest, "invalid_request", desc}
}

func invalidGrant(desc string) *tokenError {
	return &tokenError{http.StatusUnauthorized, "invalid_grant", desc}
}

// handleToken is POST /oauth/token. Parameters are read from the form body
// only, never the query string, so secrets do not end up in URLs and logs.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeOAuthError(w, http.StatusRequestEntityTooLarge, "invalid_request", "Request body too large")
			return
		}
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Malformed request body")
		return
	}
	form := r.PostForm
	grant := form.Get("grant_type")
	s.countGrant(grant)

	c, ok := s.authenticateClient(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="localwise"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Bad client credentials")
		return
	}
	// RFC 6749 §3.2: request parameters must not be repeated.
	for _, k := range []string{"grant_type", "client_id", "code", "redirect_uri", "code_verifier", "refresh_token", "email", "registration_code"} {
		if len(form[k]) > 1 {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Repeated parameter "+k)
			return
		}
	}

	var (
		resp *tokenResponse
		terr *tokenError
	)
	switch grant {
	case "":
		terr = badRequest("Missing grant type")
	case "client_credentials":
		resp = s.grantClientCredentials(c)
	case "authorization_code":
		resp, terr = s.grantAuthorizationCode(c, form.Get("client_id"), form.Get("code"),
			form.Get("redirect_uri"), form.Get("code_verifier"), form.Has("code_verifier"))
	case "refresh_token":
		resp, terr = s.grantRefresh(c, form.Get("refresh_token"))
	case "registration_code":
		resp, terr = s.grantRegistrationCode(c, form.Get("client_id"), form.Get("email"), form.Get("registration_code"))
	default:
		terr = badRequest("Unsupported grant type")
	}
	if terr != nil {
		writeOAuthError(w, terr.status, terr.code, terr.desc)
		return
	}
	s.stats.issued.Add(1)
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) countGrant(grant string) {
	s.stats.token.Add(1)
	switch grant {
	case "client_credentials":
		s.stats.cc.Add(1)
	case "authorization_code":
		s.stats.ac.Add(1)
	case "refresh_token":
		s.stats.refresh.Add(1)
	case "registration_code":
		s.stats.reg.Add(1)
	}
}

// authenticateClient checks HTTP Basic client_id:client_secret.
func (s *Server) authenticateClient(r *http.Request) (*client, bool) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return nil, false
	}
	s.mu.Lock()
	c := s.clients[id]
	s.mu.Unlock()
	if c == nil || c.secret == "" {
		return nil, false
	}
	// Constant time, so response timing says nothing about the secret.
	if subtle.ConstantTimeCompare([]byte(secret), []byte(c.secret)) != 1 {
		return nil, false
	}
	return c, true
}

// checkClientID enforces that a client_id in the body names the client that
// authenticated: Wise requires it for these grants and binds codes to it.
func checkClientID(c *client, clientID string) *tokenError {
	if clientID == "" {
		return badRequest("Missing client_id")
	}
	if clientID != c.id {
		return badRequest("client_id does not match the authenticated client")
	}
	return nil
}

func (s *Server) grantClientCredentials(c *client) *tokenResponse {
	now := s.now()
	tok := newUUID()
	exp := now.Add(s.cfg.TokenTTL)
	s.mu.Lock()
	s.access.put(tok, &accessToken{kind: kindClient, clientID: c.id, expiresAt: exp})
	s.mu.Unlock()
	return &tokenResponse{
		AccessToken: tok,
		TokenType:   "bearer",
		ExpiresIn:   wholeSecondsLeft(s.cfg.TokenTTL),
		ExpiresAt:   exp.Format(isoMillis),
		Scope:       "transfers",
	}
}

func (s *Server) grantAuthorizationCode(c *client, clientID, code, redirectURI, verifier string, hasVerifier bool) (*tokenResponse, *tokenError) {
	if e := checkClientID(c, clientID); e != nil {
		return nil, e
	}
	switch {
	case code == "":
		return nil, badRequest("Missing code")
	case redirectURI == "":
		return nil, badRequest("Missing redirect_uri")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ac, ok := s.codes.get(code)
	if !ok || ac.clientID != c.id {
		return nil, invalidGrant("Invalid authorization code")
	}
	if ac.used {
		// RFC 6749 §4.1.2: a replayed code may mean it was stolen, so the
		// tokens issued from it are revoked as well.
		if fam := s.families[familyKey{ac.clientID, ac.userID}]; fam != nil && fam.id == ac.familyID {
			s.dropFamilyLocked(fam)
		}
		return nil, invalidGrant("Authorization code has already been used")
	}
	if !now.Before(ac.expiresAt) {
		s.codes.delete(code)
		return nil, invalidGrant("Authorization code has expired")
	}
	if ac.redirectURI != redirectURI {
		return nil, invalidGrant("redirect_uri does not match the authorization request")
	}
	switch {
	case ac.challenge != "" && !hasVerifier:
		return nil, badRequest("Missing code_verifier")
	case ac.challenge != "" && !pkceMatches(ac.challenge, verifier):
		return nil, invalidGrant("code_verifier does not match the code challenge")
	case ac.challenge == "" && hasVerifier:
		// A verifier without a challenge would let a downgraded flow pass
		// as a PKCE one (OAuth 2.1 §4.1.3).
		return nil, invalidGrant("code_verifier sent but the authorization request had no code_challenge")
	}
	ac.used = true
	resp, fam := s.issueUserTokensLocked(now, c.id, ac.userID, ac.profileID)
	ac.familyID = fam.id
	return resp, nil
}

// pkceMatches checks an RFC 7636 S256 verifier against its challenge.
func pkceMatches(challenge, verifier string) bool {
	if !validPKCEString(verifier) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// validPKCEString reports whether s has RFC 7636's verifier syntax: 43 to 128
// unreserved characters. An S256 challenge (43 base64url characters) fits too.
func validPKCEString(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case 'A' <= ch && ch <= 'Z', 'a' <= ch && ch <= 'z', '0' <= ch && ch <= '9',
			ch == '-', ch == '.', ch == '_', ch == '~':
		default:
			return false
		}
	}
	return true
}

func (s *Server) grantRefresh(c *client, refresh string) (*tokenResponse, *tokenError) {
	if refresh == "" {
		return nil, badRequest("Missing refresh_token")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh.get(refresh)
	if !ok || rt.fam.key.clientID != c.id {
		return nil, invalidGrant("Invalid refresh token")
	}
	if !now.Before(rt.expiresAt) {
		s.refresh.delete(refresh)
		return nil, invalidGrant("Refresh token has expired")
	}
	// Rotation: the old refresh token and, as Wise documents, the previous
	// access token stop working the moment a refresh succeeds.
	fam := rt.fam
	s.refresh.delete(fam.refresh)
	s.access.delete(fam.access)
	resp := s.issueIntoFamilyLocked(now, fam)
	return resp, nil
}

func (s *Server) grantRegistrationCode(c *client, clientID, email, code string) (*tokenResponse, *tokenError) {
	if e := checkClientID(c, clientID); e != nil {
		return nil, e
	}
	switch {
	case email == "":
		return nil, badRequest("Missing email")
	case code == "":
		return nil, badRequest("Missing registration_code")
	}
	sum := sha256.Sum256([]byte(code))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.byEmail[normalizeEmail(email)]
	// The same answer for an unknown user, another client's user and a wrong
	// code, so the grant cannot be used to probe which emails exist.
	if u == nil || u.regClient != c.id || subtle.ConstantTimeCompare(sum[:], u.regHash[:]) != 1 {
		return nil, invalidGrant("Invalid user credentials.")
	}
	resp, _ := s.issueUserTokensLocked(now, c.id, u.id, 0)
	return resp, nil
}

// issueUserTokensLocked starts a new token family for (client, user). Wise
// says a new user grant invalidates the previous refresh token, while the
// last access token from it lives until it expires.
func (s *Server) issueUserTokensLocked(now time.Time, clientID string, userID, profileID int64) (*tokenResponse, *family) {
	key := familyKey{clientID, userID}
	// Families whose refresh token was rotated away, revoked or evicted are
	// dead weight; sweeping them when the map doubles keeps it bounded by
	// the refresh token table at amortized O(1) per grant.
	if len(s.families) >= 2*maxRefreshTokens {
		for k, f := range s.families {
			if _, ok := s.refresh.get(f.refresh); !ok {
				delete(s.families, k)
			}
		}
	}
	if old := s.families[key]; old != nil {
		s.refresh.delete(old.refresh)
	}
	fam := &family{id: randomHex(8), key: key, profileID: profileID}
	s.families[key] = fam
	return s.issueIntoFamilyLocked(now, fam), fam
}

func (s *Server) issueIntoFamilyLocked(now time.Time, fam *family) *tokenResponse {
	access, refresh := newUUID(), newUUID()
	exp, rexp := now.Add(s.cfg.TokenTTL), now.Add(s.cfg.RefreshTTL)
	s.access.put(access, &accessToken{kind: kindUser, clientID: fam.key.clientID, userID: fam.key.userID, expiresAt: exp})
	s.refresh.put(refresh, &refreshToken{fam: fam, expiresAt: rexp})
	fam.access, fam.refresh = access, refresh
	rin := wholeSecondsLeft(s.cfg.RefreshTTL)
	return &tokenResponse{
		AccessToken:           access,
		TokenType:             "bearer",
		RefreshToken:          refresh,
		ExpiresIn:             wholeSecondsLeft(s.cfg.TokenTTL),
		ExpiresAt:             exp.Format(isoMillis),
		RefreshTokenExpiresIn: &rin,
		RefreshTokenExpiresAt: rexp.Format(isoMillis),
		Scope:                 "transfers",
		CreatedAt:             now.Format(isoNanos),
	}
}

// dropFamilyLocked revokes a family's current access and refresh tokens.
func (s *Server) dropFamilyLocked(fam *family) {
	s.access.delete(fam.access)
	s.refresh.delete(fam.refresh)
	if s.families[fam.key] == fam {
		delete(s.families, fam.key)
	}
}

// wholeSecondsLeft is a lifetime as Wise reports it: 43199 for 12 h, the
// whole seconds left once the response is on its way, so a client adding it
// to its own clock never overshoots the real expiry.
func wholeSecondsLeft(ttl time.Duration) int64 {
	return max(int64(ttl/time.Second)-1, 0)
}
