package flows

import (
	"context"
	"fmt"
	"strings"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// ValidateName checks an entry name: 1 to 64 letters, digits, '.', '_'
// or '-', starting with a letter or digit. The error wraps ErrInvalidName.
func ValidateName(name string) error { return wallet.ValidateName(name) }

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

// AddPersonal stores a personal API token as a new entry without asking
// Wise about it (offline; see AddPersonalChecked).
func (s *Service) AddPersonal(ctx context.Context, name string, env Environment, token crypto.Secret) (EntryView, error) {
	if err := wallet.ValidateName(name); err != nil {
		return EntryView{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	now := s.now()
	e := wallet.Entry{Name: name, Kind: wallet.KindPersonal, Env: env, CreatedAt: now, UpdatedAt: now, SecretCreatedAt: &now}
	e.SetSecret(wallet.SecretToken, token)
	if err := s.w.Update(ctx, func(c *wallet.Contents) error { return c.Add(e) }); err != nil {
		return EntryView{}, err
	}
	return viewOf(e), nil
}

// Remove deletes an entry. Entries linked to it keep their link, shown
// as dangling, so nothing else is removed behind the user's back.
func (s *Service) Remove(ctx context.Context, name string) error {
	return s.w.Update(ctx, func(c *wallet.Contents) error { return c.Remove(name) })
}

// Rename renames an entry and the links to it.
func (s *Service) Rename(ctx context.Context, from, to string) error {
	return s.w.Update(ctx, func(c *wallet.Contents) error { return c.Rename(from, to) })
}
