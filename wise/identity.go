package wise

import (
	"context"
	"net/http"
	"strings"

	"github.com/wisewallet/wisewallet/crypto"
)

// Identity is who a token acts as.
type Identity struct {
	UserID   int64     `json:"user_id"`
	Name     string    `json:"name,omitempty"`
	Email    string    `json:"email,omitempty"`
	Profiles []Profile `json:"profiles"`
}

// Profile is a Wise profile (personal or business) a token can act for.
type Profile struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
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

func (p profileResponse) profile() Profile {
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
	return Profile{ID: p.ID, Type: CleanText(strings.ToLower(p.Type), maxErrorCode), Name: CleanText(name, maxNameText)}
}

// Identify calls GET /v1/me and GET /v2/profiles with token. The text it
// returns is made safe to print (see CleanText).
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
	id := Identity{UserID: me.ID, Name: CleanText(me.Name, maxNameText), Email: CleanText(me.Email, maxNameText)}
	for _, p := range profiles {
		id.Profiles = append(id.Profiles, p.profile())
	}
	return id, nil
}
