package flows

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// Summary is what a listing shows of an entry. It has no secret fields,
// so marshalling it can never leak one.
type Summary struct {
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	Env       string     `json:"env"`
	APIURL    string     `json:"api_url"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	LinkedTo  string     `json:"linked_to,omitempty"`
	Status    string     `json:"status,omitempty"`
}

// Summarize makes the listing view of an entry.
func Summarize(e wallet.Entry) Summary {
	return Summary{
		Name:      e.Name,
		Kind:      string(e.Kind),
		Env:       string(e.Env.Name),
		APIURL:    e.Env.APIURL,
		CreatedAt: e.CreatedAt,
		ExpiresAt: e.ExpiresAt(),
		LinkedTo:  e.LinkedTo,
		Status:    string(e.Status),
	}
}

// List summarizes every entry, sorted by name.
func List(w *wallet.Wallet) []Summary {
	entries := w.Entries()
	out := make([]Summary, len(entries))
	for i, e := range entries {
		out[i] = Summarize(e)
	}
	return out
}

// maxTokenLen bounds what is accepted as a token: Wise's newest tokens are
// JWE strings of under 1 KiB; anything far beyond is a pasted file.
const maxTokenLen = 8192

// CleanToken trims surrounding white space and a "Bearer " prefix someone
// copied along, and rejects values that cannot be tokens. Errors never
// include the value.
func CleanToken(raw []byte) (crypto.Secret, error) {
	s := strings.TrimSpace(string(raw))
	if len(s) > 7 && strings.EqualFold(s[:7], "bearer ") {
		s = strings.TrimSpace(s[7:])
	}
	switch {
	case s == "":
		return crypto.Secret{}, fmt.Errorf("%w: the token is empty", ErrUsage)
	case len(s) > maxTokenLen:
		return crypto.Secret{}, fmt.Errorf("%w: the token is %d bytes long; a Wise token is under %d", ErrUsage, len(s), maxTokenLen)
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return crypto.Secret{}, fmt.Errorf("%w: the token contains white space or non-ASCII characters; paste only the token", ErrUsage)
		}
	}
	return crypto.SecretString(s), nil
}

// AddPersonal stores a personal API token as a new entry.
func AddPersonal(ctx context.Context, w *wallet.Wallet, name string, env wallet.Environment, token crypto.Secret) (wallet.Entry, error) {
	if err := wallet.ValidateName(name); err != nil {
		return wallet.Entry{}, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	now := w.Now()
	e := wallet.Entry{Name: name, Kind: wallet.KindPersonal, Env: env, CreatedAt: now, UpdatedAt: now, OAuthClient: wallet.OAuthClient{SecretCreatedAt: &now}}
	e.SetSecret(wallet.SecretToken, token)
	err := w.Update(ctx, func(c *wallet.Contents) error { return c.Add(e) })
	return e, err
}

// Remove deletes an entry. Entries linked to it keep their link, shown
// as dangling, so nothing else is removed behind the user's back.
func Remove(ctx context.Context, w *wallet.Wallet, name string) error {
	return w.Update(ctx, func(c *wallet.Contents) error { return c.Remove(name) })
}

// Rename renames an entry and the links to it.
func Rename(ctx context.Context, w *wallet.Wallet, from, to string) error {
	return w.Update(ctx, func(c *wallet.Contents) error { return c.Rename(from, to) })
}
