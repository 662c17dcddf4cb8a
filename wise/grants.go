package wise

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// Tokens is what the token endpoint returned, secrets wrapped at once.
type Tokens struct {
	Access           crypto.Secret
	Refresh          crypto.Secret
	IssuedAt         time.Time
	ExpiresAt        time.Time
	RefreshExpiresAt *time.Time
}

// tokenResponse is the wire form (reference/wise-auth.md §2b). Expiries
// come from the *_in fields; the *_at fields are a fallback (see expiry).
type tokenResponse struct {
	AccessToken           string `json:"access_token"`
	TokenType             string `json:"token_type"`
	RefreshToken          string `json:"refresh_token"`
	ExpiresIn             int64  `json:"expires_in"`
	ExpiresAt             string `json:"expires_at"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	RefreshTokenExpiresAt string `json:"refresh_token_expires_at"`
	Scope                 string `json:"scope"`
}

// maxTokenLifetime guards against absurd expires_in values (overflow).
const maxTokenLifetime = 100 * 365 * 24 * time.Hour

func (r tokenResponse) tokens(now time.Time) (Tokens, error) {
	if r.AccessToken == "" {
		return Tokens{}, fmt.Errorf("%w: the token answer has no access_token", ErrUnavailable)
	}
	t := Tokens{Access: crypto.SecretString(r.AccessToken), Refresh: crypto.SecretString(r.RefreshToken), IssuedAt: now}
	t.ExpiresAt = expiry(now, r.ExpiresAt, r.ExpiresIn)
	if r.RefreshToken != "" {
		re := expiry(now, r.RefreshTokenExpiresAt, r.RefreshTokenExpiresIn)
		if !re.IsZero() {
			t.RefreshExpiresAt = &re
		}
	}
	if t.ExpiresAt.IsZero() {
		// Wise documents 12 h; assume less so a refresh comes in time.
		t.ExpiresAt = now.Add(time.Hour)
	}
	return t, nil
}

// expiry prefers the relative *_in: it counts from the answer on our own
// clock, so a machine whose clock is hours off Wise's (a wrong time zone on
// a dual-boot laptop) still refreshes on time instead of seeing every token
// as expired. The absolute *_at, stamped by Wise's clock, is the fallback.
func expiry(now time.Time, at string, in int64) time.Time {
	if in > 0 {
		// Compare before multiplying: a huge expires_in would overflow
		// time.Duration, possibly into a small positive lifetime.
		d := maxTokenLifetime
		if in < int64(maxTokenLifetime/time.Second) {
			d = time.Duration(in) * time.Second
		}
		return now.Add(d).UTC().Truncate(time.Second)
	}
	if at != "" {
		if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// tokenGrant posts one grant to /oauth/token with HTTP Basic client
// authentication, as Wise requires for every grant.
func (c *Client) tokenGrant(ctx context.Context, clientID string, secret crypto.Secret, form url.Values, now time.Time, scrub ...string) (Tokens, error) {
	var resp tokenResponse
	err := c.do(ctx, request{method: http.MethodPost, path: "/oauth/token", form: form, basicID: clientID, basicPW: secret, secrets: scrub}, &resp)
	if err != nil {
		return Tokens{}, err
	}
	return resp.tokens(now)
}

// ClientCredentials gets a client-credentials token.
func (c *Client) ClientCredentials(ctx context.Context, clientID string, secret crypto.Secret, now time.Time) (Tokens, error) {
	return c.tokenGrant(ctx, clientID, secret, url.Values{"grant_type": {"client_credentials"}}, now)
}

// ExchangeCode redeems an authorization code.
func (c *Client) ExchangeCode(ctx context.Context, clientID string, secret crypto.Secret, code, redirectURL, verifier string, now time.Time) (Tokens, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "code": {code}, "redirect_uri": {redirectURL}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return c.tokenGrant(ctx, clientID, secret, form, now, code, verifier)
}

// Refresh redeems a refresh token.
func (c *Client) Refresh(ctx context.Context, clientID string, secret crypto.Secret, refresh crypto.Secret, now time.Time) (Tokens, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh.RevealString()}}
	return c.tokenGrant(ctx, clientID, secret, form, now, refresh.RevealString())
}

// RegistrationCodeGrant gets user tokens for a partner-created user.
func (c *Client) RegistrationCodeGrant(ctx context.Context, clientID string, secret crypto.Secret, email string, code crypto.Secret, now time.Time) (Tokens, error) {
	form := url.Values{"grant_type": {"registration_code"}, "client_id": {clientID}, "email": {email}, "registration_code": {code.RevealString()}}
	return c.tokenGrant(ctx, clientID, secret, form, now, code.RevealString())
}

// UserExists asks whether email has a Wise account (POST
// /v1/users/exists), with a client-credentials token.
func (c *Client) UserExists(ctx context.Context, clientToken crypto.Secret, email string) (bool, error) {
	var out struct {
		Exists bool `json:"exists"`
	}
	err := c.do(ctx, request{method: http.MethodPost, path: "/v1/users/exists", json: map[string]string{"email": email}, bearer: clientToken}, &out)
	return out.Exists, err
}

// SignupRegistrationCode creates a Wise user for a partner (POST
// /v1/user/signup/registration_code) with a client-credentials token; the
// registration code is then the user's grant. language may be empty.
func (c *Client) SignupRegistrationCode(ctx context.Context, clientToken crypto.Secret, email string, code crypto.Secret, language string) (userID int64, err error) {
	body := map[string]string{"email": email, "registrationCode": code.RevealString()}
	if language != "" {
		body["language"] = language
	}
	var created struct {
		ID int64 `json:"id"`
	}
	err = c.do(ctx, request{method: http.MethodPost, path: "/v1/user/signup/registration_code", json: body, bearer: clientToken, secrets: []string{code.RevealString()}}, &created)
	return created.ID, err
}
