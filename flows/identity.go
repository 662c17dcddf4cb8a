package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// Identity is who a token acts as.
type Identity struct {
	UserID   int64            `json:"user_id"`
	Name     string           `json:"name,omitempty"`
	Email    string           `json:"email,omitempty"`
	Profiles []wallet.Profile `json:"profiles"`
}

type meResponse struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type profileResponse struct {
	ID       int64  `json:"id"`
	Type     string `json:"type"`
	FullName string `json:"fullName"`
	Details  struct {
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
		Name      string `json:"name"`
	} `json:"details"`
	BusinessName string `json:"businessName"`
}

func (p profileResponse) profile() wallet.Profile {
	name := p.FullName
	if name == "" {
		name = p.BusinessName
	}
	if name == "" {
		name = p.Details.Name
	}
	if name == "" {
		name = strings.TrimSpace(p.Details.FirstName + " " + p.Details.LastName)
	}
	return wallet.Profile{ID: p.ID, Type: cleanText(strings.ToLower(p.Type), maxErrorCode), Name: cleanText(name, maxNameText)}
}

// Identify calls GET /v1/me and GET /v2/profiles with token. The text it
// returns is made safe to print (see cleanText).
func (c *Client) Identify(ctx context.Context, token crypto.Secret) (Identity, error) {
	var me meResponse
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/me", bearer: token}, &me); err != nil {
		return Identity{}, err
	}
	var profiles []profileResponse
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v2/profiles", bearer: token}, &profiles); err != nil {
		return Identity{}, err
	}
	// Names and emails are stored and later printed by list, show, whoami
	// and the dashboard: keep out anything a terminal would interpret.
	id := Identity{UserID: me.ID, Name: cleanText(me.Name, maxNameText), Email: cleanText(me.Email, maxNameText)}
	for _, p := range profiles {
		id.Profiles = append(id.Profiles, p.profile())
	}
	return id, nil
}

func recordIdentity(e *wallet.Entry, id Identity) {
	e.UserID, e.UserName, e.UserEmail, e.Profiles = id.UserID, id.Name, id.Email, id.Profiles
}

// AddPersonalChecked validates a personal token with Wise (GET /v1/me and
// /v2/profiles) and stores it with the user and profiles it acts for. A
// token Wise rejects is not stored.
func (s *Service) AddPersonalChecked(ctx context.Context, name string, env wallet.Environment, token crypto.Secret) (wallet.Entry, error) {
	if err := wallet.ValidateName(name); err != nil {
		return wallet.Entry{}, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	id, err := s.client(env).Identify(ctx, token)
	if err != nil {
		return wallet.Entry{}, fmt.Errorf("the token was not stored: %w", explainRejected(err, env))
	}
	now := s.now()
	e := wallet.Entry{Name: name, Kind: wallet.KindPersonal, Env: env, CreatedAt: now, UpdatedAt: now, OAuthClient: wallet.OAuthClient{SecretCreatedAt: &now}}
	recordIdentity(&e, id)
	e.SetSecret(wallet.SecretToken, token)
	err = s.Wallet.Update(ctx, func(c *wallet.Contents) error { return c.Add(e) })
	return e, err
}

// explainRejected adds the likely cause to a 401 from Wise.
func explainRejected(err error, env wallet.Environment) error {
	if errors.Is(err, ErrTokenRejected) {
		return fmt.Errorf("%w; Wise (%s) does not accept this token: check it was created in the same environment and is not revoked", err, env.Name)
	}
	return err
}

// Whoami reports who the named credential acts as, refreshing the token
// first when needed, and records what it learns on the entry.
func (s *Service) Whoami(ctx context.Context, name string) (Identity, wallet.Entry, error) {
	tok, err := s.AccessToken(ctx, name)
	if err != nil {
		return Identity{}, wallet.Entry{}, err
	}
	e, err := s.Wallet.Get(name)
	if err != nil {
		return Identity{}, wallet.Entry{}, err
	}
	if e.Kind == wallet.KindClient {
		// A client-credentials token acts as the partner application, not a
		// user; /v1/me does not apply to it.
		return Identity{Name: "OAuth client " + e.ClientID}, e, nil
	}
	id, err := s.client(e.Env).Identify(ctx, tok)
	if err != nil {
		return Identity{}, e, explainRejected(err, e.Env)
	}
	err = s.Wallet.Update(ctx, func(c *wallet.Contents) error {
		cur, err := c.Get(name)
		if err != nil {
			return err
		}
		recordIdentity(&cur, id)
		return c.Put(cur)
	})
	e, _ = s.Wallet.Get(name)
	return id, e, err
}
