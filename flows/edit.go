package flows

import (
	"context"
	"fmt"
	"net/url"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// Edit changes an entry in place: an OAuth client's redirect URL, its
// rotated secret, a new personal token. rm + add would lose what hangs on
// the entry: the users logged in through a client (their refresh tokens
// stay valid with the new secret), the keys linked to it, its history.

// EditInput is what to change; a zero field is left as it is.
type EditInput struct {
	Name string
	// RedirectURL is a client's new redirect URL, when set.
	RedirectURL *string
	// ClientSecret is a client's rotated secret.
	ClientSecret crypto.Secret
	// Token is a personal entry's new token.
	Token crypto.Secret
	// Check asks Wise with the new secret or token before storing it, so
	// a mistyped one never replaces one that works.
	Check bool
}

// Edited is the entry after an edit and what changed, in words.
type Edited struct {
	Entry   EntryView `json:"entry"`
	Changed []string  `json:"changed"`
	// Checked: Wise accepted the new secret or token.
	Checked bool `json:"checked"`
}

// The fields Edit changes, as Edited.Changed names them.
const (
	ChangedRedirectURL  = "redirect URL"
	ChangedClientSecret = "client secret"
	ChangedToken        = "token"
)

// ErrNothingToEdit: an edit that names no change.
var ErrNothingToEdit = fmt.Errorf("%w: nothing to change", ErrUsage)

// Edit applies in to the named entry. With Check, Wise is asked first and
// nothing is stored when it refuses.
func (s *Service) Edit(ctx context.Context, in EditInput) (Edited, error) {
	var fields []string
	if !in.ClientSecret.IsZero() {
		fields = append(fields, ChangedClientSecret)
	}
	if !in.Token.IsZero() {
		fields = append(fields, ChangedToken)
	}
	e, err := s.checkEdit(in.Name, in.RedirectURL, fields)
	if err != nil {
		return Edited{}, err
	}
	now := s.now()
	var out Edited
	var checked *Identity
	if in.Check && !in.ClientSecret.IsZero() {
		api, err := s.apiOf(e)
		if err != nil {
			return Edited{}, err
		}
		t, err := api.ClientCredentials(ctx, e.ClientID, in.ClientSecret, now)
		if err != nil {
			return Edited{}, fmt.Errorf("the new client secret was not stored: %w", err)
		}
		// The token the check got is the new secret's: keep it, so the
		// next `token` need not fetch another.
		applyTokens(&e, t, now)
		out.Checked = true
	}
	if in.Check && !in.Token.IsZero() {
		id, err := s.identify(ctx, s.client(e.Env, e.Name), in.Token)
		if err != nil {
			return Edited{}, fmt.Errorf("the new token was not stored: %w", explainRejected(err, e.Env))
		}
		checked, out.Checked = &id, true
	}
	err = s.w.Update(ctx, func(c *wallet.Contents) error {
		cur, err := c.Get(in.Name)
		if err != nil {
			return err
		}
		if cur.Kind != e.Kind {
			return fmt.Errorf("%q changed kind while it was being edited; nothing was changed", in.Name)
		}
		out.Changed = out.Changed[:0]
		if in.RedirectURL != nil {
			cur.RedirectURL = *in.RedirectURL
			out.Changed = append(out.Changed, ChangedRedirectURL)
		}
		if !in.ClientSecret.IsZero() {
			cur.SetSecret(wallet.SecretClientSecret, in.ClientSecret)
			// A client-credentials token of the old secret may be revoked
			// with it: the checked one replaces it, or none is kept.
			if out.Checked {
				cur.SetSecret(wallet.SecretAccessToken, e.Secret(wallet.SecretAccessToken))
				cur.AccessIssuedAt, cur.AccessExpiresAt = e.AccessIssuedAt, e.AccessExpiresAt
			} else {
				cur.SetSecret(wallet.SecretAccessToken, crypto.Secret{})
				cur.AccessIssuedAt, cur.AccessExpiresAt = nil, nil
			}
			out.Changed = append(out.Changed, ChangedClientSecret)
		}
		if !in.Token.IsZero() {
			cur.SetSecret(wallet.SecretToken, in.Token)
			if checked != nil {
				recordIdentity(&cur, *checked)
			}
			out.Changed = append(out.Changed, ChangedToken)
		}
		if !in.ClientSecret.IsZero() || !in.Token.IsZero() {
			// A new secret is the end of a breach's mark and the start of
			// its rotation age.
			cur.SecretCreatedAt = &now
			if cur.Status == wallet.StatusRevoked {
				cur.Status = wallet.StatusOK
			}
		}
		cur.UpdatedAt = now
		out.Entry = viewOf(cur)
		return c.Put(cur)
	})
	if err != nil {
		return Edited{}, err
	}
	return out, nil
}

// CheckEdit says whether the named entry takes a new redirectURL (when
// not nil) and the secrets fields names (ChangedClientSecret,
// ChangedToken), before anything is asked for: a secret pasted for an
// entry that cannot take it would be wasted.
func (s *Service) CheckEdit(name string, redirectURL *string, fields ...string) error {
	_, err := s.checkEdit(name, redirectURL, fields)
	return err
}

func (s *Service) checkEdit(name string, redirectURL *string, fields []string) (wallet.Entry, error) {
	e, err := s.w.Get(name)
	if err != nil {
		return e, err
	}
	if redirectURL == nil && len(fields) == 0 {
		return e, ErrNothingToEdit
	}
	want := wallet.Kind("")
	if redirectURL != nil {
		want = wallet.KindClient
	}
	for _, f := range fields {
		switch f {
		case ChangedClientSecret:
			want = wallet.KindClient
		case ChangedToken:
			if want == wallet.KindClient {
				return e, fmt.Errorf("%w: a client secret and a personal token are changed on different entries", ErrUsage)
			}
			want = wallet.KindPersonal
		default:
			return e, fmt.Errorf("%w: %q cannot be edited", ErrUsage, f)
		}
	}
	if e.Kind != want {
		return e, &KindError{Entry: name, Kind: e.Kind, Want: want, For: "edit"}
	}
	if redirectURL != nil {
		if err := checkRedirectURL(*redirectURL); err != nil {
			return e, err
		}
	}
	return e, nil
}

// checkRedirectURL refuses a redirect URL Wise could not send a browser to.
func checkRedirectURL(raw string) error {
	if raw == "" {
		return nil // none: the login asks to paste the code
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return &InputError{Input: InputRedirectURL, Value: raw, Reason: ErrNotHTTPURL}
	}
	return nil
}
