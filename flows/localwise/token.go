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
	s.faults.stats.countGrant(grant)

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
		// RFC 6749 §5.2: a grant this server does not know has its own code.
		terr = &tokenError{http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type"}
	}
	if terr != nil {
		writeOAuthError(w, terr.status, terr.code, terr.desc)
		return
	}
	s.faults.stats.issued.Add(1)
	writeJSON(w, http.StatusOK, resp)
}

// authenticateClient checks HTTP Basic client_id:client_secret.
func (s *Server) authenticateClient(r *http.Request) (*client, bool) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return nil, false
	}
	return s.tokens.authenticate(id, secret)
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
	return s.tokenBody(s.tokens.issueClient(s.now(), c.id))
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
	iss, terr := s.tokens.exchangeCode(s.now(), c, code, redirectURI, verifier, hasVerifier)
	if terr != nil {
		return nil, terr
	}
	return s.tokenBody(iss), nil
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
	iss, terr := s.tokens.rotate(s.now(), c, refresh)
	if terr != nil {
		return nil, terr
	}
	return s.tokenBody(iss), nil
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
	uid, ok := s.users.registered(c.id, email, code)
	if !ok {
		return nil, invalidGrant("Invalid user credentials.")
	}
	return s.tokenBody(s.tokens.issueUser(s.now(), c.id, uid, 0)), nil
}

// tokenBody is Wise's token response for tokens just issued; the refresh
// and created_at fields only for user grants.
func (s *Server) tokenBody(iss issued) *tokenResponse {
	resp := &tokenResponse{
		AccessToken: iss.access,
		TokenType:   "bearer",
		ExpiresIn:   wholeSecondsLeft(s.cfg.TokenTTL),
		ExpiresAt:   iss.now.Add(s.cfg.TokenTTL).Format(isoMillis),
		Scope:       "transfers",
	}
	if iss.refresh != "" {
		rin := wholeSecondsLeft(s.cfg.RefreshTTL)
		resp.RefreshToken = iss.refresh
		resp.RefreshTokenExpiresIn = &rin
		resp.RefreshTokenExpiresAt = iss.now.Add(s.cfg.RefreshTTL).Format(isoMillis)
		resp.CreatedAt = iss.now.Format(isoNanos)
	}
	return resp
}

// wholeSecondsLeft is a lifetime as Wise reports it: 43199 for 12 h, the
// whole seconds left once the response is on its way, so a client adding it
// to its own clock never overshoots the real expiry.
func wholeSecondsLeft(ttl time.Duration) int64 {
	return max(int64(ttl/time.Second)-1, 0)
}
