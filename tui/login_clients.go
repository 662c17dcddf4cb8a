package tui

// The first two steps of both user logins: pick the OAuth client, name
// the user entry.

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/wisewallet/wisewallet/flows"
)

// clientPick lists the wallet's OAuth clients, read in a command.
type clientPick struct {
	op      asyncOp
	loaded  bool
	loadErr error
	clients []flows.EntryView
	list    pickList
}

type clientsLoadedMsg struct {
	id      int
	clients []flows.EntryView
	err     error
}

// loadClients reads the client entries without their secrets: the screen
// only needs names, environments and redirect URLs.
func loadClients(c *Common, id int) tea.Cmd {
	return c.WalletCmd(func(svc Backend) tea.Msg {
		return clientsLoadedMsg{id: id, clients: clientEntries(svc)}
	})
}

// clientEntries are the wallet's OAuth clients by name, without secrets.
func clientEntries(svc Backend) []flows.EntryView {
	var out []flows.EntryView
	for _, e := range svc.Entries() {
		if e.Kind == flows.KindClient {
			e.Secrets = nil
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b flows.EntryView) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (p *clientPick) start(c *Common) tea.Cmd {
	_, id := p.op.start(c.Ctx)
	return loadClients(c, id)
}

// loaded records the answer; ok=false for a stale one.
func (p *clientPick) apply(msg clientsLoadedMsg) bool {
	if !p.op.current(msg.id) {
		return false
	}
	p.op.stop()
	p.loaded, p.loadErr, p.clients = true, msg.err, msg.clients
	p.list.items = p.list.items[:0]
	for _, e := range msg.clients {
		detail := string(e.Env.Name) + " · "
		if e.RedirectURL != "" {
			detail += e.RedirectURL
		} else {
			detail += "no redirect URL"
		}
		p.list.items = append(p.list.items, choice{e.Name, detail})
	}
	p.list.cursor = min(p.list.cursor, max(len(p.list.items)-1, 0))
	return true
}

func (p *clientPick) chosen() (flows.EntryView, bool) {
	if !p.loaded || len(p.clients) == 0 {
		return flows.EntryView{}, false
	}
	return p.clients[p.list.cursor], true
}

func (p *clientPick) view(c *Common) string {
	switch {
	case !p.loaded:
		return c.Styles.Subtle.Render("Reading the wallet…")
	case p.loadErr != nil:
		return renderProblem(c, explain(p.loadErr))
	case len(p.clients) == 0:
		return c.Styles.Warning.Render("No OAuth client in this wallet yet.") + "\n" +
			c.Styles.Body.Render("Add one first: esc, then \"OAuth client\".")
	}
	width := 0
	for _, it := range p.list.items {
		width = max(width, len([]rune(it.Label)))
	}
	return renderList(c, p.list, min(width, 24))
}

// userNameField is the user entry's name input.
func userNameField(c *Common) textinput.Model {
	return newField(c, "e.g. jane-at-acme", nameLimit, false)
}

// userNameCheckedMsg says whether the user entry name may be (re)used:
// free, or a login of the same client (logging in again replaces its
// tokens).
type userNameCheckedMsg struct {
	id      int
	replace bool
	err     error
}

// checkUserName is the name lookup of a login of client.
func checkUserName(client string) nameCheck {
	return func(c *Common, name string, id int) tea.Cmd {
		return c.WalletCmd(func(svc Backend) tea.Msg {
			e, err := svc.Entry(name)
			switch {
			case errors.Is(err, flows.ErrEntryNotFound):
				return userNameCheckedMsg{id: id}
			case err != nil:
				return userNameCheckedMsg{id: id, err: err}
			case e.Kind != flows.KindUser || e.LinkedTo != client:
				return userNameCheckedMsg{id: id, err: fmt.Errorf("%w: %q is taken by a %s entry that is not a login of %q; choose another name", flows.ErrEntryExists, name, e.Kind, client)}
			}
			return userNameCheckedMsg{id: id, replace: true}
		})
	}
}
