package tui

// The "which kind of access do I need?" chooser that starts every guided
// flow. It explains Wise's two ways in, as Wise's documentation does
// (reference/wise-auth.md §2–3): a personal API token for a small business
// automating its own account, OAuth 2.0 for partners acting for their
// customers (with the two ways of linking a user).

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// accessKind is one line of the chooser and the flow it starts.
type accessKind struct {
	choice
	Why   string
	start func(c *Common, from int) Screen
}

var accessKinds = []accessKind{
	{
		choice: choice{"Personal API token", "a small business automating its own account"},
		Why: "For a small business automating its own Wise account: quotes, recipients, transfers and their status. " +
			"Make it on wise.com under Your account → Integrations and tools → API tokens (Wise asks for a 2-step login and shows the token once). " +
			"It acts as you until revoked. In the EU and UK, PSD2 keeps funding transfers and balance statements out of its reach. " +
			"Not for acting for other people: that is OAuth.",
		start: func(c *Common, from int) Screen { return newPersonalFlow(c, from) },
	},
	{
		choice: choice{"OAuth client", "a partner acting for its customers"},
		Why: "For partners acting for their customers. Developer Hub gives you a client id and secret, separate for sandbox and production; " +
			"Wise requires mTLS of every partner. The client's own token (client-credentials grant) creates users and checks the secret. " +
			"Add the client first, then link users: an existing Wise user approves on Wise's page (authorization code), " +
			"or you create the user (registration code).",
		start: func(c *Common, from int) Screen { return newClientFlow(c, from) },
	},
	{
		choice: choice{"Log in a user", "link an existing Wise account (authorization code)"},
		Why: "Links an existing Wise user to one of your OAuth clients. They log in on Wise's page and approve a profile; " +
			"Wise sends a one-time code to your redirect URL, and wisewallet exchanges it for an access token (12 h at Wise) " +
			"and a refresh token, which it renews on time. Needs an OAuth client entry.",
		start: func(c *Common, from int) Screen { return newLoginFlow(c, from) },
	},
	{
		choice: choice{"Create a user", "a user your platform creates (registration code)"},
		Why: "For a user your platform creates. wisewallet generates a registration code, Wise creates the user with it, " +
			"and the code gets their tokens until they claim the account on wise.com. " +
			"The code is sealed in the wallet and never shown. Needs an OAuth client entry.",
		start: func(c *Common, from int) Screen { return newRegistrationFlow(c, from) },
	},
	{
		choice: choice{"mTLS certificate", "the client certificate Wise requires of partners"},
		Why: "Wise requires mTLS of every OAuth partner: the client's calls go to Wise's mTLS host with a certificate. " +
			"wisewallet makes the private key, which never leaves the wallet, and a CSR; Developer Hub signs the CSR. " +
			"The certificate lasts a year, and a client has at most 10 active ones. Wise e-mails only the technical contact " +
			"before it expires, so the dashboard counts it down. Needs an OAuth client entry.",
		start: func(c *Common, from int) Screen { return newMTLSFlow(c, from) },
	},
	{
		choice: choice{"JOSE keys", "signed and encrypted request bodies"},
		Why: "Some of Wise's APIs want the bodies of calls signed (JWS), encrypted (JWE), or both. " +
			"wisewallet makes the signing and encryption key pairs for an OAuth client, uploads their public halves to Wise, " +
			"fetches Wise's public keys, and tries them on Wise's playground, showing each step. " +
			"The private keys never leave the wallet; the dashboard counts each key down. Needs an OAuth client entry.",
		start: func(c *Common, from int) Screen { return newJOSEFlow(c, from) },
	},
	{
		choice: choice{"2FA (SCA)", "the second factor Wise may ask for on a call"},
		Why: "Wise may ask for strong customer authentication on any call, by its own risk assessment: a 403 with x-2fa-approval. " +
			"The app then opens its challenge screen, clears the factors and sends the same call again once. " +
			"This sets up what clears it for a credential: for a logged-in user a PIN and this device; for a personal token " +
			"the SCA key (legacy: Wise has withdrawn it). It ends on a check: an SCA session started and cleared. Needs a personal token or a user.",
		start: func(c *Common, from int) Screen { return newSCAFlow(c, from) },
	},
}

type addChooser struct {
	c    *Common
	keys wizardKeys
	list pickList
}

// newAddChooser is what the dashboard's `a` key opens.
func newAddChooser(c *Common) Screen { return newAddChooserAt(c, 0) }

// newAddChooserAt opens the chooser on line i (a flow's esc comes back to
// the line it was started from).
func newAddChooserAt(c *Common, i int) Screen {
	items := make([]choice, len(accessKinds))
	for j, k := range accessKinds {
		items[j] = k.choice
	}
	return &addChooser{c: c, keys: newWizardKeys(c.Keys), list: pickList{items: items, cursor: min(max(i, 0), len(items)-1)}}
}

func (s *addChooser) Init() tea.Cmd { return nil }

func (s *addChooser) Update(msg tea.Msg) (Screen, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return s, nil
	}
	switch {
	case key.Matches(k, s.keys.Back):
		return s, Pop()
	case key.Matches(k, s.keys.Next):
		// The flow takes the chooser's place, so finishing it is one Pop.
		return s, Replace(accessKinds[s.list.cursor].start(s.c, s.list.cursor))
	}
	s.list.update(s.keys, k)
	return s, nil
}

func (s *addChooser) View() string {
	st := s.c.Styles
	w := max(s.c.Width, 20)
	why := accessKinds[s.list.cursor].Why
	box := st.Box.Width(w).Render(lipgloss.NewStyle().Width(w - 4).Inherit(st.Body).Render(why))
	return st.Title.Render("Which kind of access do I need?") + "\n\n" +
		renderList(s.c, s.list, 18) + "\n\n" + box
}

func (s *addChooser) Title() string { return "Add a credential" }

func (s *addChooser) ShortHelp() []key.Binding {
	return []key.Binding{
		chooseKey(s.keys),
		key.NewBinding(key.WithKeys(s.keys.Next.Keys()...), key.WithHelp("enter", "start")),
		s.keys.Back,
	}
}

func (s *addChooser) FullHelp() [][]key.Binding {
	return [][]key.Binding{{s.keys.Up, s.keys.Down, s.keys.Next, s.keys.Back}}
}
