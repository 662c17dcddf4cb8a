package flows

import (
	"context"
	"errors"
	"fmt"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// Identity is who a token acts as.
type Identity struct {
	UserID   int64            `json:"user_id"`
	Name     string           `json:"name,omitempty"`
	Email    string           `json:"email,omitempty"`
	Profiles []wallet.Profile `json:"profiles"`
}

func identityOf(id wise.Identity) Identity {
	out := Identity{UserID: id.UserID, Name: id.Name, Email: id.Email}
	for _, p := range id.Profiles {
		out.Profiles = append(out.Profiles, wallet.Profile{ID: p.ID, Type: p.Type, Name: p.Name})
	}
	return out
}

func recordIdentity(e *wallet.Entry, id Identity) {
	e.UserID, e.UserName, e.UserEmail, e.Profiles = id.UserID, id.Name, id.Email, id.Profiles
}

// identify asks Wise who token acts as.
func (s *Service) identify(ctx context.Context, api *wise.Client, token crypto.Secret) (Identity, error) {
	id, err := api.Identify(ctx, token)
	if err != nil {
		return Identity{}, err
	}
	return identityOf(id), nil
}

// AddPersonalChecked validates a personal token with Wise (GET /v1/me and
// /v2/profiles) and stores it with the user and profiles it acts for. A
// token Wise rejects is not stored.
func (s *Service) AddPersonalChecked(ctx context.Context, name string, env Environment, token crypto.Secret) (EntryView, error) {
	return view(s.addPersonalChecked(ctx, name, env, token))
}

func (s *Service) addPersonalChecked(ctx context.Context, name string, env Environment, token crypto.Secret) (wallet.Entry, error) {
	if err := wallet.ValidateName(name); err != nil {
		return wallet.Entry{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	id, err := s.identify(ctx, s.client(env, name), token)
	if err != nil {
		return wallet.Entry{}, fmt.Errorf("the token was not stored: %w", explainRejected(err, env))
	}
	now := s.now()
	e := wallet.Entry{Name: name, Kind: wallet.KindPersonal, Env: env, CreatedAt: now, UpdatedAt: now, SecretCreatedAt: &now}
	recordIdentity(&e, id)
	e.SetSecret(wallet.SecretToken, token)
	err = s.w.Update(ctx, func(c *wallet.Contents) error { return c.Add(e) })
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
func (s *Service) Whoami(ctx context.Context, name string) (Identity, EntryView, error) {
	tok, err := s.AccessToken(ctx, name)
	if err != nil {
		return Identity{}, EntryView{}, err
	}
	e, err := s.w.Get(name)
	if err != nil {
		return Identity{}, EntryView{}, err
	}
	if e.Kind == wallet.KindClient {
		// A client-credentials token acts as the partner application, not a
		// user; /v1/me does not apply to it.
		return Identity{Name: "OAuth client " + e.ClientID}, viewOf(e), nil
	}
	api, err := s.apiOf(e)
	if err != nil {
		return Identity{}, viewOf(e), err
	}
	id, err := s.identify(ctx, api, tok)
	if errors.Is(err, ErrTokenRejected) && specOf(e.Kind).access == accessOAuth {
		// A user's access token Wise rejects is refreshed, once, and the
		// question asked again; a failed refresh says how to log in.
		fresh, rerr := s.replaceRejected(ctx, name, tok)
		if rerr != nil {
			return Identity{}, viewOf(e), rerr
		}
		id, err = s.identify(ctx, api, fresh)
	}
	if err != nil && specOf(e.Kind).access == accessStored {
		return Identity{}, viewOf(e), explainRejected(err, e.Env)
	} else if err != nil {
		return Identity{}, viewOf(e), err
	}
	err = s.w.Update(ctx, func(c *wallet.Contents) error {
		cur, err := c.Get(name)
		if err != nil {
			return err
		}
		recordIdentity(&cur, id)
		return c.Put(cur)
	})
	e, _ = s.w.Get(name)
	return id, viewOf(e), err
}
