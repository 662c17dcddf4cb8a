package tui

// Guided flow: an mTLS client certificate (reference/wise-auth.md §5).
// The private key is made here and never leaves the wallet; Developer Hub
// signs the CSR; the certificate and Wise's CA come back by paste or file
// (mtls_pem.go), are checked against the key and the CA and stored, and
// the flow ends in Wise's mTLS smoke test. The same table serves an mTLS
// entry's details: i (import its certificate), n (renew: a new key and
// CSR, then the import) and k (the check alone), each opened part-way.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

type mtlsStep int

const (
	msClient mtlsStep = iota
	msURL
	msName
	msKeyType
	msOrg
	msCountry
	msCertName
	msKeygen
	msCSR
	msHub
	msCert
	msCA
	msImport
	msRenew
	msRenewing
	msCheck
	msResult
)

// mtlsMode is where the flow was opened and so where it starts.
type mtlsMode int

const (
	mtlsSetup     mtlsMode = iota // the chooser: client, key and CSR, certificate, check
	mtlsImport                    // details, i: the certificate, its CA, the check
	mtlsRenewal                   // details, n: a new key and CSR, then as i
	mtlsCheckOnly                 // details, k: the check alone
)

type mtlsFlow struct {
	flowBase[mtlsStep]
	mode mtlsMode

	clients clientPick
	certs   map[string]flows.ClientCertificates // by client, read with the clients
	client  flows.EntryView
	askURL  bool // a local client without an mTLS URL: it was asked for

	mtlsURL  textinput.Model
	keyTypes pickList
	org      textinput.Model
	country  textinput.Model
	certName textinput.Model

	// entry is the mTLS entry once made (or the one opened from); csr is
	// the CSR to have signed (a renewal's while one is under way).
	entry  flows.EntryView
	csr    string
	csrTop int // the first CSR line shown when it is taller than the room

	cert, ca pemInput

	imported *flows.ImportedCertificate
	check    flows.MTLSCheckResult
	checkErr error
}

// Answers of the flow's calls, each tagged with its attempt.
type (
	mtlsClientsMsg struct {
		clientsLoadedMsg
		certs map[string]flows.ClientCertificates
	}
	// mtlsKeyMsg answers a keygen or a renewal: the entry and its CSR.
	mtlsKeyMsg struct {
		id    int
		entry flows.EntryView
		csr   string
		err   error
	}
	mtlsImportedMsg struct {
		id  int
		imp flows.ImportedCertificate
		err error
	}
	mtlsCheckedMsg struct {
		id  int
		res flows.MTLSCheckResult
		err error
	}
	csrCopiedMsg struct{ err error }
)

// mtlsKeyChoices are the key types Wise accepts, the suggested one first.
var mtlsKeyChoices = []choice{
	{string(crypto.ECP256), "ECDSA P-256: suggested; small and fast"},
	{string(crypto.ECP384), "ECDSA P-384"},
	{string(crypto.RSA2048), "RSA, 2048 bits"},
	{string(crypto.RSA3072), "RSA, 3072 bits"},
	{string(crypto.RSA4096), "RSA, 4096 bits: making the key takes seconds"},
}

// mtlsSteps is the flow: client, (local mTLS URL), entry name, key type,
// organisation, country, certificate name, the key and CSR, Developer Hub,
// the certificate, Wise's CA, the import and the check.
var mtlsSteps = &flowSpec[*mtlsFlow, mtlsStep]{
	flow: "mTLS certificate", title: "Set up mTLS", of: 8, call: "key generation",
	done: (*mtlsFlow).doneText, unsaved: "Nothing was saved.",
	frame: (*mtlsFlow).frame,
	steps: []stepSpec[*mtlsFlow, mtlsStep]{
		msClient: {
			kind: stepChoice, n: 1, title: "Which OAuth client is the certificate for?",
			hint: "Developer Hub issues the certificate to one application, and Wise writes its client id into the certificate. " +
				"From then on that client's calls, its token requests included, go to Wise's mTLS host with it.",
			list: func(s *mtlsFlow) *pickList { return &s.clients.list },
			next: (*mtlsFlow).takeClient,
			view: func(s *mtlsFlow, v *stepView) { v.Body = s.clients.view(s.c) },
		},
		msURL: {
			kind: stepText, n: 1, title: "Which localwise mTLS listener?",
			hint: "Wise's own environments have their mTLS host built in; a localwise server has its own, " +
				"printed when it starts (https://127.0.0.1:PORT).",
			field: func(s *mtlsFlow) *textinput.Model { return &s.mtlsURL },
			next:  (*mtlsFlow).takeURL,
			view: func(s *mtlsFlow, v *stepView) {
				if s.c.Env.Demo && s.c.Env.DemoMTLSURL != "" {
					v.Hint += " The demo's listener is filled in."
				}
			},
		},
		msName: {
			kind: stepName, n: 2, title: "Name this certificate's entry",
			hint:   "The wallet entry for the private key, the CSR and then the certificate. 1 to 64 letters, digits, '.', '_' or '-'.",
			lookup: freeName[*mtlsFlow], then: msKeyType,
			// The certificate's name defaults to the entry's: say which.
			named: func(s *mtlsFlow, _ bool) { s.certName.Placeholder = s.entryName() + " (the entry's name)" },
		},
		msKeyType: {
			kind: stepChoice, n: 3, title: "Key type",
			hint: "Wise accepts RSA (2048, 3072 or 4096 bits) and ECDSA (P-256 or P-384). " +
				"The private key is made here, sealed in the wallet, and never leaves it.",
			list: func(s *mtlsFlow) *pickList { return &s.keyTypes }, labels: 8,
			next: func(*mtlsFlow) (mtlsStep, string) { return msOrg, "" },
		},
		msOrg: {
			kind: stepText, n: 4, title: "Organisation",
			hint: "Your organisation's name, the O of the CSR's subject: Wise refuses a CSR without it. " +
				"CN is not asked for: Wise overwrites it with your client id.",
			field: func(s *mtlsFlow) *textinput.Model { return &s.org },
			next:  (*mtlsFlow).takeOrg,
		},
		msCountry: {
			kind: stepText, n: 4, title: "Country (optional)",
			hint:  "Two letters, as in GB or DE: the C of the CSR's subject. Empty leaves it out.",
			field: func(s *mtlsFlow) *textinput.Model { return &s.country },
			next:  (*mtlsFlow).takeCountry,
		},
		msCertName: {
			kind: stepText, n: 5, title: "Certificate name",
			field: func(s *mtlsFlow) *textinput.Model { return &s.certName },
			next:  func(*mtlsFlow) (mtlsStep, string) { return msKeygen, "" },
			view:  (*mtlsFlow).certNameView,
		},
		msKeygen: {
			kind: stepCall, n: 5, title: "Making the key and the CSR",
			hint:  "esc cancels; nothing is stored then.",
			start: (*mtlsFlow).keygen, doing: (*mtlsFlow).making,
		},
		msCSR: {
			kind: stepInfo, n: 6, title: "Give Developer Hub this CSR",
			next: func(*mtlsFlow) (mtlsStep, string) { return msHub, "" },
			key:  (*mtlsFlow).csrKey, help: (*mtlsFlow).csrHelp,
			view: (*mtlsFlow).csrView, escape: (*mtlsFlow).keepAndLeave,
		},
		msHub: {
			kind: stepInfo, n: 6, title: "Get it signed in Developer Hub",
			next: func(*mtlsFlow) (mtlsStep, string) { return msCert, "" },
			view: (*mtlsFlow).hubView,
		},
		msCert: {
			kind: stepText, n: 7, title: "Paste the certificate",
			field: func(s *mtlsFlow) *textinput.Model { return &s.cert.path },
			next:  (*mtlsFlow).takeCert,
			view:  (*mtlsFlow).certView,
		},
		msCA: {
			kind: stepText, n: 7, title: "Paste Wise's CA certificate",
			field: func(s *mtlsFlow) *textinput.Model { return &s.ca.path },
			next:  (*mtlsFlow).takeCA,
			view:  (*mtlsFlow).caView,
		},
		msImport: {
			kind: stepCall, n: 8, title: "Importing the certificate",
			hint:  "Checked against this entry's private key and Wise's CA before it is stored.",
			start: (*mtlsFlow).startImport,
			doing: func(*mtlsFlow) string { return "Checking the certificate and storing it…" },
		},
		msRenew: {
			kind: stepInfo, n: 6, title: "A new key and CSR",
			next: func(*mtlsFlow) (mtlsStep, string) { return msRenewing, "" },
			view: (*mtlsFlow).renewView,
		},
		msRenewing: {
			kind: stepCall, n: 6, title: "Making the new key and CSR",
			hint:  "esc cancels; nothing is changed then.",
			start: (*mtlsFlow).renew, doing: (*mtlsFlow).making,
		},
		msCheck: {
			kind: stepCall, n: 8, title: "Checking over mTLS",
			hint:  "Wise's smoke test: a token for the client, fetched on the mTLS host, then GET /v1/authenticated/playground with it.",
			start: (*mtlsFlow).startCheck, doing: (*mtlsFlow).checking,
		},
		msResult: {
			kind: stepResult, n: 8, failed: "✗ The certificate was not imported",
			key: (*mtlsFlow).resultKey, help: (*mtlsFlow).resultHelp, view: (*mtlsFlow).resultView,
		},
	},
}

// newMTLSFlow is the guided setup from the chooser's line from.
func newMTLSFlow(c *Common, from int) *mtlsFlow {
	s := &mtlsFlow{
		flowBase: mtlsSteps.base(c, from, newField(c, "e.g. payouts-mtls", nameLimit, false)),
		mtlsURL:  newField(c, "https://127.0.0.1:PORT (the mTLS URL localwise prints)", urlLimit, false),
		keyTypes: pickList{items: mtlsKeyChoices},
		org:      newField(c, "e.g. Acme Payments Ltd", 64, false),
		country:  newField(c, "e.g. GB, or empty", 2, false),
		certName: newField(c, "empty: the entry's name", 64, false),
		cert:     newPEMInput(c, wantCertificate),
		ca:       newPEMInput(c, wantCA),
	}
	if c.Env.Demo && c.Env.DemoMTLSURL != "" {
		s.mtlsURL.SetValue(c.Env.DemoMTLSURL)
		s.mtlsURL.CursorEnd()
	}
	return s
}

// newMTLSEntryFlow opens the flow part-way on an mTLS entry (details' i,
// n, k). It goes back to the details when done: it was pushed over them.
func newMTLSEntryFlow(c *Common, e flows.EntryView, mode mtlsMode) *mtlsFlow {
	s := newMTLSFlow(c, -1)
	s.mode, s.entry = mode, e
	s.checkedName = e.Name
	switch {
	case mode == mtlsImport && (e.CertChain == "" || e.PendingCSR != ""):
		// A certificate still to be had signed: its CSR and the
		// Developer Hub page come first, as after the keygen.
		s.step, s.csr = msCSR, e.CSR
		if e.PendingCSR != "" {
			s.csr = e.PendingCSR
		}
	case mode == mtlsImport:
		s.step = msCert
	case mode == mtlsRenewal:
		s.step = msRenew
	default:
		s.step = msCheck
	}
	return s
}

func (s *mtlsFlow) Init() tea.Cmd {
	switch s.mode {
	case mtlsSetup:
		_, id := s.clients.op.start(s.c.Ctx)
		return loadMTLSClients(s.c, id)
	case mtlsCheckOnly:
		return s.checkNow()
	}
	return nil
}

// loadMTLSClients reads the OAuth clients, as the logins do, with how
// many certificates each already has.
func loadMTLSClients(c *Common, id int) tea.Cmd {
	return c.WalletCmd(func(svc Backend) tea.Msg {
		clients := clientEntries(svc)
		certs := map[string]flows.ClientCertificates{}
		for _, e := range clients {
			certs[e.Name] = svc.MTLSCertificates(e.Name)
		}
		return mtlsClientsMsg{clientsLoadedMsg: clientsLoadedMsg{id: id, clients: clients}, certs: certs}
	})
}

// Leave stops the flow's calls, a file read and the reading of clients.
func (s *mtlsFlow) Leave() {
	s.flowBase.Leave()
	s.clients.op.stop()
	s.cert.load.stop()
	s.ca.load.stop()
}

func (s *mtlsFlow) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case mtlsClientsMsg:
		s.takeClients(msg)
		return s, nil
	case mtlsKeyMsg:
		return s, s.keyMade(msg)
	case mtlsImportedMsg:
		return s, s.importAnswered(msg)
	case mtlsCheckedMsg:
		s.checkAnswered(msg)
		return s, nil
	case csrCopiedMsg:
		if msg.err != nil {
			text := noClipboardText
			if s.step == msCSR {
				s.errMsg = text
				return s, nil
			}
			return s, Toast(text, true)
		}
		return s, Toast("Copied the CSR (it is not secret). Paste it in Developer Hub.", false)
	case pemLoadedMsg:
		for _, p := range []*pemInput{&s.cert, &s.ca} {
			if ok, problem := p.loaded(msg); ok && s.pemAt() == p {
				s.errMsg = string(problem)
			}
		}
		return s, nil
	case tea.PasteMsg:
		// A PEM block is taken whole (a field would fold its lines);
		// anything else is a path, typed into the field.
		if p := s.pemAt(); p != nil {
			if taken, problem := p.paste(msg.Content); taken {
				s.errMsg = string(problem)
				return s, nil
			}
		}
	case tea.KeyPressMsg:
		// Enter with a path typed reads the file; the step moves on
		// only once a certificate is taken (the table's next).
		if p := s.pemAt(); p != nil && key.Matches(msg, s.keys.Next) && strings.TrimSpace(p.path.Value()) != "" && !p.load.busy {
			s.errMsg = ""
			return s, p.startLoad(s.c)
		}
	}
	return s, mtlsSteps.update(s, msg)
}

// pemAt is the paste input of the current step, or nil.
func (s *mtlsFlow) pemAt() *pemInput {
	switch s.step {
	case msCert:
		return &s.cert
	case msCA:
		return &s.ca
	}
	return nil
}

// takeClients lists the clients with their environment, mTLS host and
// certificates.
func (s *mtlsFlow) takeClients(m mtlsClientsMsg) {
	if !s.clients.apply(m.clientsLoadedMsg) {
		return
	}
	s.certs = m.certs
	for i, e := range s.clients.clients {
		host := "mTLS host to be given"
		if e.Env.MTLSURL != "" {
			host = strings.TrimPrefix(e.Env.MTLSURL, "https://")
		}
		n := s.certs[e.Name]
		s.clients.list.items[i].Detail = fmt.Sprintf("%s · %s · %d of %d certificates", e.Env.Name, host, n.Active, certLimit(n))
	}
}

func certLimit(n flows.ClientCertificates) int {
	if n.Limit > 0 {
		return n.Limit
	}
	return flows.MTLSCertificateLimit
}

// takeClient is enter on the client list. A client at Developer Hub's
// limit can take no further certificate.
func (s *mtlsFlow) takeClient() (mtlsStep, string) {
	c, ok := s.clients.chosen()
	if !ok {
		return msClient, ""
	}
	if n := s.certs[c.Name]; n.Active >= certLimit(n) {
		return msClient, fmt.Sprintf("%q already has %d active certificates, the most Developer Hub allows. Deactivate one there and delete its entry here first.", c.Name, n.Active)
	}
	s.client = c
	s.askURL = c.Env.Name == flows.EnvLocal && c.Env.MTLSURL == ""
	if s.askURL {
		return msURL, ""
	}
	return msName, ""
}

// takeURL checks the local mTLS URL as MTLSKeygen will.
func (s *mtlsFlow) takeURL() (mtlsStep, string) {
	raw := strings.TrimSpace(s.mtlsURL.Value())
	if raw == "" {
		return msURL, "Enter the mTLS URL localwise prints when it starts (https://127.0.0.1:PORT)."
	}
	u, err := url.Parse(raw)
	switch {
	case err == nil && u.User != nil:
		return msURL, "Leave the user and password out of the URL."
	case err != nil || u.Scheme != "https" || u.Host == "":
		return msURL, fmt.Sprintf("%q is not an https URL: mTLS is TLS, so the URL starts with https://.", raw)
	}
	return msName, ""
}

func (s *mtlsFlow) takeOrg() (mtlsStep, string) {
	if strings.TrimSpace(s.org.Value()) == "" {
		return msOrg, "Enter your organisation: Wise refuses a CSR without O (organisation)."
	}
	if _, err := (crypto.CSRSubject{Organization: s.org.Value()}).Normalize(); err != nil {
		return msOrg, sentence(err)
	}
	return msCountry, ""
}

func (s *mtlsFlow) takeCountry() (mtlsStep, string) {
	if _, err := (crypto.CSRSubject{Organization: s.org.Value(), Country: s.country.Value()}).Normalize(); err != nil {
		return msCountry, sentence(err) + " Two letters, such as GB, or empty."
	}
	return msCertName, ""
}

// certNameValue is the Developer Hub name: the entry's name when empty.
func (s *mtlsFlow) certNameValue() string {
	if n := strings.TrimSpace(s.certName.Value()); n != "" {
		return n
	}
	return s.entryName()
}

func (s *mtlsFlow) certNameView(v *stepView) {
	v.Hint = fmt.Sprintf("Its name in Developer Hub, where you type it when you generate the certificate; each of a client's certificates needs its own. Empty: %q, the entry's name.", s.entryName())
	n := s.certs[s.client.Name]
	v.Body += "\n" + s.c.Styles.Subtle.Render(fmt.Sprintf("  %d of %d active for this client (%s)", n.Active, certLimit(n), s.client.Name))
}

func (s *mtlsFlow) keyType() crypto.KeyType {
	return crypto.KeyType(s.keyTypes.items[s.keyTypes.cursor].Label)
}

// keygen makes the key and CSR and stores them as the new entry.
func (s *mtlsFlow) keygen(ctx context.Context, id int) tea.Cmd {
	in := flows.MTLSKeyInput{
		Name: s.entryName(), Client: s.client.Name, KeyType: s.keyType(),
		Org: strings.TrimSpace(s.org.Value()), Country: strings.TrimSpace(s.country.Value()), CertName: s.certNameValue(),
	}
	if s.askURL {
		in.MTLSURL = strings.TrimRight(strings.TrimSpace(s.mtlsURL.Value()), "/")
	}
	return s.c.WalletCmd(func(svc Backend) tea.Msg {
		e, err := svc.MTLSKeygen(ctx, in)
		if err != nil {
			return mtlsKeyMsg{id: id, err: err}
		}
		csr, err := svc.MTLSCSR(e.Name)
		return mtlsKeyMsg{id: id, entry: e, csr: csr, err: err}
	})
}

// renew makes a renewal's key and CSR beside the working certificate.
func (s *mtlsFlow) renew(ctx context.Context, id int) tea.Cmd {
	in := flows.MTLSRenewInput{Name: s.entry.Name}
	return s.c.WalletCmd(func(svc Backend) tea.Msg {
		e, err := svc.MTLSRenew(ctx, in)
		if err != nil {
			return mtlsKeyMsg{id: id, err: err}
		}
		csr, err := svc.MTLSCSR(e.Name)
		return mtlsKeyMsg{id: id, entry: e, csr: csr, err: err}
	})
}

func (s *mtlsFlow) making() string {
	kt := s.keyType()
	if s.mode == mtlsRenewal {
		kt = crypto.KeyType(s.entry.KeyType)
	}
	text := fmt.Sprintf("Making a %s key and its CSR…", keyTypeName(kt))
	if kt == crypto.RSA4096 {
		text += " An RSA-4096 key takes a few seconds."
	}
	return text
}

func keyTypeName(kt crypto.KeyType) string {
	switch kt {
	case crypto.ECP256:
		return "P-256"
	case crypto.ECP384:
		return "P-384"
	case crypto.RSA2048, crypto.RSA3072, crypto.RSA4096:
		return "RSA-" + strings.TrimPrefix(string(kt), "rsa")
	}
	return string(kt)
}

// keyMade takes the answer of a keygen or renewal. Once the key is
// stored there is no going back before it: the CSR step's esc leaves,
// keeping the entry.
func (s *mtlsFlow) keyMade(m mtlsKeyMsg) tea.Cmd {
	if !s.op.current(m.id) {
		if m.err == nil {
			return tea.Batch(WalletChanged(), Toast(fmt.Sprintf("The key you left was made anyway: %q holds it and its CSR.", m.entry.Name), false))
		}
		return nil
	}
	s.op.stop()
	if m.err != nil {
		s.backTo(s.keyProblem(m.err))
		return nil
	}
	s.entry, s.csr, s.csrTop = m.entry, m.csr, 0
	s.back = nil
	s.step, s.errMsg = msCSR, ""
	return WalletChanged()
}

// keyProblem is the step that can fix a refused keygen or renewal, and
// what to say there.
func (s *mtlsFlow) keyProblem(err error) (mtlsStep, string) {
	if s.mode == mtlsRenewal {
		return msRenew, sentence(err)
	}
	var in *flows.InputError
	switch {
	case errors.As(err, &in) && in.Input == flows.InputOrganisation:
		return msOrg, sentence(err) + " Wise refuses a CSR without O (organisation)."
	case errors.As(err, &in) && in.Input == flows.InputCountry:
		return msCountry, sentence(err)
	case errors.As(err, &in) && in.Input == flows.InputKeyType:
		return msKeyType, sentence(err)
	case errors.As(err, &in) && in.Input == flows.InputMTLSURL:
		return msURL, sentence(err)
	case errors.As(err, &in) && in.Input == flows.InputCertName,
		errors.As(err, new(*flows.CertNameTakenError)):
		return msCertName, sentence(err)
	case errors.As(err, new(*flows.CertificateLimitError)):
		return msClient, sentence(err)
	case errors.Is(err, flows.ErrEntryExists):
		return msName, sentence(err)
	}
	return msCertName, sentence(err) + " Nothing was stored; enter tries again."
}

// backTo goes back to step to (the latest visit of it) with a complaint;
// when to was not visited, one step back.
func (s *mtlsFlow) backTo(to mtlsStep, complaint string) {
	if !slices.Contains(s.back, to) {
		if prev, ok := s.back.pop(); ok {
			to = prev
		}
	} else {
		for {
			if prev, ok := s.back.pop(); !ok || prev == to {
				break
			}
		}
	}
	s.step, s.errMsg = to, complaint
}

// keepAndLeave is esc after the key was made: the entry stays, with what
// to do to finish.
func (s *mtlsFlow) keepAndLeave() tea.Cmd {
	if s.mode == mtlsImport {
		// Opened on the CSR from the details: nothing was made here.
		return Pop()
	}
	what := "its key and CSR are"
	if s.mode == mtlsRenewal {
		what = "the renewal's key and CSR are"
	}
	return finishSaved(fmt.Sprintf("Kept %q: %s in the wallet. Import the certificate later: enter on it, then i.", s.entry.Name, what))
}

// noClipboardText is said when c finds no clipboard. The CSR is on the
// entry's details too, so nothing is lost by leaving.
const noClipboardText = "There is no clipboard here (no display, or none of wl-copy, xclip, xsel). " +
	"The CSR stays on screen: select it with the mouse; the entry keeps it until its certificate is imported."

func (s *mtlsFlow) csrKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	switch {
	case key.Matches(k, s.c.Keys.Copy):
		csr, clip := s.csr, s.c.clip
		return s.c.SessionCmd(func() tea.Msg { return csrCopiedMsg{err: clip.CopyText(csr)} }), true
	case key.Matches(k, s.c.Keys.PageDown), key.Matches(k, s.keys.Down):
		s.csrTop++
		return nil, true
	case key.Matches(k, s.c.Keys.PageUp), key.Matches(k, s.keys.Up):
		s.csrTop = max(s.csrTop-1, 0)
		return nil, true
	}
	return nil, false
}

func (s *mtlsFlow) csrHelp() []key.Binding {
	back := key.NewBinding(key.WithKeys(s.keys.Back.Keys()...), key.WithHelp("esc", "finish later"))
	if s.mode == mtlsImport {
		back = s.keys.Back
	}
	return []key.Binding{key.NewBinding(key.WithKeys(s.c.Keys.Copy.Keys()...), key.WithHelp("c", "copy the CSR")), s.keys.Next, back}
}

// csrView shows the CSR whole when it fits, else a window of it that
// ↑/↓ move (c copies it whole either way).
func (s *mtlsFlow) csrView(v *stepView) {
	v.Hint = "The certificate signing request: not secret. The private key stays sealed in the wallet. " +
		"c copies the CSR; it also stays here to select with the mouse."
	v.Note = "enter: how to have it signed."
	lines := strings.Split(strings.TrimSpace(s.csr), "\n")
	probe := *v
	probe.Body, probe.Err = "x", s.errMsg
	room := max(s.c.BodyHeight()-lipgloss.Height(renderStep(s.c, probe))+1, 3)
	if len(lines) > room {
		room--
		s.csrTop = min(s.csrTop, len(lines)-room)
		shown := lines[s.csrTop : s.csrTop+room]
		lines = append(slices.Clone(shown), s.c.Styles.Subtle.Render(fmt.Sprintf("lines %d–%d of %d · ↑/↓ scroll · c copies it whole", s.csrTop+1, s.csrTop+room, len(strings.Split(strings.TrimSpace(s.csr), "\n")))))
	} else {
		s.csrTop = 0
	}
	v.Body = strings.Join(lines, "\n")
}

// hubCertName is the name to give the certificate in Developer Hub.
func (s *mtlsFlow) hubCertName() string {
	if s.entry.PendingCertName != "" {
		return s.entry.PendingCertName
	}
	return s.entry.CertName
}

// hubView is what to do in Developer Hub, for the entry's environment.
func (s *mtlsFlow) hubView(v *stepView) {
	env := s.entry.Env
	hub, where := flows.DeveloperHubOf(env), fmt.Sprintf("the %s Developer Hub", env.Name)
	sign := "and sign in"
	if hub == "" {
		// localwise's stand-in signs in with the client's own id and
		// secret, which the client's details reveal.
		hub, where = strings.TrimRight(env.APIURL, "/")+"/developer-hub", "localwise's Developer Hub (a stand-in)"
		sign = fmt.Sprintf("and sign in with the client's id and secret (v on %s's details shows it)", orNone(s.entry.LinkedTo, "the client"))
	}
	name := s.hubCertName()
	v.Hint = fmt.Sprintf("Developer Hub signs the CSR; the certificate lasts a year. In %s:", where)
	steps := []string{
		fmt.Sprintf("Open %s %s.", hub, sign),
		"Your application → Authentication → Generate certificate.",
		fmt.Sprintf("Name it %q and paste the CSR (c on the last step copied it).", name),
		fmt.Sprintf("Save the certificate it shows as PEM, such as ~/%s.pem.", name),
		fmt.Sprintf("Press \"Get Wise Certificate\"; save Wise's CA, such as ~/wise.ca-certificate.%s.pem.", env.Name),
	}
	v.Body = numbered(s.c, steps)
	v.Note = "Then enter: paste or load the certificate, then Wise's CA."
}

// numbered lays out steps 1., 2., … wrapped with a hanging indent.
func numbered(c *Common, steps []string) string {
	w := max(c.Width-4, 16)
	var out []string
	for i, st := range steps {
		text := lipgloss.NewStyle().Width(w).Inherit(c.Styles.Body).Render(st)
		for j, line := range strings.Split(text, "\n") {
			prefix := "    "
			if j == 0 {
				prefix = fmt.Sprintf("%2d. ", i+1)
			}
			out = append(out, prefix+line)
		}
	}
	return strings.Join(out, "\n")
}

func (s *mtlsFlow) takeCert() (mtlsStep, string) {
	if s.cert.pem == nil {
		return msCert, "Paste the certificate Developer Hub showed, or type the path of the file you saved it in."
	}
	return msCA, ""
}

// takeCA: Wise's CA is needed unless the entry keeps one or the paste
// brought its own root.
func (s *mtlsFlow) takeCA() (mtlsStep, string) {
	if s.ca.pem == nil && !s.caOptional() {
		return msCA, "Paste Wise's CA certificate (Developer Hub: Get Wise Certificate), or type the path of the file."
	}
	return msImport, ""
}

func (s *mtlsFlow) caOptional() bool { return s.entry.CACert != "" || s.cert.sum.Blocks > 1 }

func (s *mtlsFlow) certView(v *stepView) {
	v.Hint = "Paste the certificate Developer Hub showed after you saved (-----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----), or type the path of the file and press enter."
	v.Body = s.cert.view(s.c)
	if s.cert.pem != nil {
		v.Note = "enter: on to Wise's CA certificate. A new paste replaces this one."
	}
}

func (s *mtlsFlow) caView(v *stepView) {
	v.Hint = "Developer Hub's \"Get Wise Certificate\" downloads it. The certificate is checked against it, and Wise's mTLS host is trusted by it alone."
	if s.caOptional() {
		v.Hint += " Empty: the CA kept with this entry is used."
	}
	v.Body = s.ca.view(s.c)
	if s.ca.pem != nil {
		v.Note = "enter: import the certificate and check it over mTLS."
	}
}

func (s *mtlsFlow) startImport(ctx context.Context, id int) tea.Cmd {
	name, cert, ca := s.entry.Name, s.cert.pem, s.ca.pem
	return s.c.WalletCmd(func(svc Backend) tea.Msg {
		imp, err := svc.MTLSImportCert(ctx, name, cert, ca)
		return mtlsImportedMsg{id: id, imp: imp, err: err}
	})
}

// importAnswered goes on to the check after an import; a refused
// certificate goes back to the step that takes it again, the refused
// paste forgotten so the next one is a fresh start.
func (s *mtlsFlow) importAnswered(m mtlsImportedMsg) tea.Cmd {
	if !s.op.current(m.id) {
		if m.err == nil {
			return tea.Batch(WalletChanged(), Toast(fmt.Sprintf("The import you left finished: %q holds the certificate.", m.imp.Entry), false))
		}
		return nil
	}
	s.op.stop()
	if m.err != nil {
		to, complaint := s.importProblem(m.err)
		if errors.As(m.err, new(*flows.CertificateError)) {
			if to == msCert {
				s.cert = newPEMInput(s.c, wantCertificate)
			} else {
				s.ca = newPEMInput(s.c, wantCA)
			}
		}
		s.backTo(to, complaint)
		return nil
	}
	imp := m.imp
	s.imported = &imp
	if e, err := s.entryNow(); err == nil {
		s.entry = e
	}
	// The check follows at once; esc from it (or its result) comes back
	// to Wise's CA, where enter imports and checks again.
	return tea.Batch(WalletChanged(), s.checkNow())
}

// entryNow is the entry as stored now (memory only).
func (s *mtlsFlow) entryNow() (flows.EntryView, error) {
	if s.c.Svc == nil {
		return s.entry, errors.New("no wallet")
	}
	return s.c.Svc.Entry(s.entry.Name)
}

// importProblem words a refused certificate and names the step to fix.
func (s *mtlsFlow) importProblem(err error) (mtlsStep, string) {
	var ce *flows.CertificateError
	if !errors.As(err, &ce) {
		return msCA, sentence(err) + " Nothing was stored; enter tries again."
	}
	env := s.entry.Env.Name
	switch {
	case errors.Is(ce.Reason, crypto.ErrCertKeyMismatch):
		return msCert, "That certificate is for another key, not this entry's: Developer Hub signed some other CSR. " +
			"Generate the certificate again with this entry's CSR (esc twice shows it) and paste what it shows."
	case errors.Is(ce.Reason, crypto.ErrCertUnknownCA):
		return msCert, fmt.Sprintf("That certificate was not issued by the CA given as Wise's. Both come from the same Developer Hub (sandbox and production each have their own): "+
			"paste the certificate from the %s Developer Hub, then, on the next step, its \"Get Wise Certificate\".", env)
	case errors.Is(ce.Reason, crypto.ErrCertExpired):
		return msCert, "That certificate has expired. Generate a new one in Developer Hub with this entry's CSR and paste it."
	case errors.Is(ce.Reason, crypto.ErrCertNotYetValid):
		return msCert, "That certificate is not valid yet: check this computer's clock, then paste it again."
	case errors.Is(ce.Reason, crypto.ErrNoCACertificate):
		return msCA, "Wise's CA certificate is needed to check the certificate: in Developer Hub press \"Get Wise Certificate\" and paste it here."
	case ce.CA:
		return msCA, "That is not Wise's CA certificate (" + ce.Reason.Error() + "). Paste what \"Get Wise Certificate\" downloads."
	}
	return msCert, "That is not the certificate (" + ce.Reason.Error() + "). Paste what Developer Hub showed, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----."
}

// checkNow starts the check call without a step back to it: esc from it
// goes where the step before the import (or the flow's start) leads.
func (s *mtlsFlow) checkNow() tea.Cmd {
	ctx, id := s.op.start(s.c.Ctx)
	s.step, s.errMsg = msCheck, ""
	return tea.Batch(s.spin.Tick, s.startCheck(ctx, id))
}

func (s *mtlsFlow) startCheck(ctx context.Context, id int) tea.Cmd {
	name := s.entry.Name
	return s.c.WalletCmd(func(svc Backend) tea.Msg {
		res, err := svc.MTLSCheck(ctx, name)
		return mtlsCheckedMsg{id: id, res: res, err: err}
	})
}

func (s *mtlsFlow) checking() string {
	return fmt.Sprintf("GET %s/v1/authenticated/playground with the certificate, and a token of %s fetched on the mTLS host…",
		orNone(s.entry.Env.MTLSURL, "the mTLS host"), orNone(s.entry.LinkedTo, "its client"))
}

func (s *mtlsFlow) checkAnswered(m mtlsCheckedMsg) {
	if !s.op.current(m.id) {
		return
	}
	s.op.stop()
	s.check, s.checkErr = m.res, m.err
	s.saved = s.entry
	s.step = msResult
}

// resultKey: r runs a failed check again.
func (s *mtlsFlow) resultKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	if s.checkErr != nil && key.Matches(k, retryKey) {
		return s.checkNow(), true
	}
	return nil, false
}

var retryKey = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "check again"))

func (s *mtlsFlow) resultHelp() []key.Binding {
	done := s.keys.Done
	if s.mode != mtlsSetup {
		done = key.NewBinding(key.WithKeys(done.Keys()...), key.WithHelp("enter", "back to the entry"))
	}
	if s.checkErr != nil {
		return []key.Binding{retryKey, done}
	}
	return []key.Binding{done}
}

// resultView: what was imported, then the check's answer or its failure.
func (s *mtlsFlow) resultView(v *stepView) {
	st := s.c.Styles
	var parts []string
	switch {
	case s.checkErr != nil && s.imported != nil:
		v.Title, v.Tone = "✗ Imported, but the check over mTLS failed", -1
	case s.checkErr != nil:
		v.Title, v.Tone = "✗ The check over mTLS failed", -1
	case s.imported != nil:
		v.Title = "✓ Imported, and Wise's mTLS playground answered"
	default:
		v.Title = "✓ Wise's mTLS playground answered"
	}
	if imp := s.imported; imp != nil {
		cn := imp.CommonName + " (the client id)"
		if imp.ClientMismatch {
			cn = imp.CommonName + st.Warning.Render(" ⚠ not the client's id: issued to another application?")
		}
		n := imp.Certificates
		rows := [][2]string{
			{"subject", imp.Subject},
			{"CN", cn},
			{"serial", imp.Serial},
			{"valid until", when(s.c, &imp.NotAfter)},
		}
		if n.Client != "" {
			rows = append(rows, [2]string{"certificates", fmt.Sprintf("%d of %d active for %s", n.Active, certLimit(n), n.Client)})
		}
		parts = append(parts, labelled(s.c, rows))
	}
	if s.checkErr != nil {
		p := explain(s.checkErr)
		p.Todo = s.checkTodo(s.checkErr)
		parts = append(parts, renderProblem(s.c, p))
	} else {
		rows := [][2]string{
			{"GET", s.check.URL},
			{"HTTP", fmt.Sprintf("%d", s.check.Status)},
			{"answer", answerText(s.check)},
		}
		if s.check.TraceID != "" {
			rows = append(rows, [2]string{"x-trace-id", s.check.TraceID})
		}
		parts = append(parts, labelled(s.c, rows))
	}
	v.Body = strings.Join(parts, "\n\n")
	switch {
	case s.checkErr != nil:
	case s.imported != nil && s.imported.Renewed:
		v.Note = "The new key replaced the old one here. Deactivate the old certificate in Developer Hub once nothing uses it."
	case s.imported != nil:
		v.Note = "This client's calls now go over mTLS. The dashboard counts the certificate down and reminds you 30 days before it ends."
	}
}

// answerText is the playground's answer on one line.
func answerText(r flows.MTLSCheckResult) string {
	text := r.Text
	if len(r.Body) > 0 {
		text = string(r.Body)
	}
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return "(empty)"
	}
	return text
}

// checkTodo says what to do after a failed check; the certificate, if
// imported, stays.
func (s *mtlsFlow) checkTodo(err error) string {
	kept := ""
	if s.imported != nil {
		kept = "The certificate stays imported. "
	}
	switch {
	case errors.As(err, new(*flows.ExpiredCertificateError)):
		return "Nothing was sent. Renew it: on its details, n."
	case errors.As(err, new(*flows.NoCertificateError)):
		return "Nothing was sent. Import its certificate first: on its details, i."
	case errors.As(err, new(*flows.NotLinkedError)):
		return "Nothing was sent. The entry serves no OAuth client yet; the app sets one up from the client (a, then mTLS certificate)."
	case errors.Is(err, flows.ErrInvalidClient):
		return kept + "Wise refused the client's id and secret on the mTLS host: check them in Developer Hub, then r."
	case errors.Is(err, context.Canceled):
		return kept + "Cancelled. r runs the check again."
	}
	return kept + fmt.Sprintf("Is the mTLS host (%s) right and reachable? r runs the check again.", orNone(s.entry.Env.MTLSURL, "none"))
}

func (s *mtlsFlow) renewView(v *stepView) {
	e := s.entry
	v.Hint = "The current certificate keeps working until the new one is imported. Developer Hub counts one more active certificate (at most 10) until you deactivate the old one there."
	rows := [][2]string{
		{"entry", e.Name},
		{"key type", keyTypeName(crypto.KeyType(e.KeyType)) + ", as now"},
		{"certificate", orNone(e.CertName, "-") + ", valid until " + when(s.c, e.NotAfter)},
		{"new name", "with today's date: Developer Hub wants each name unique"},
	}
	if e.PendingCSR != "" {
		rows = append(rows, [2]string{"under way", "a renewal's CSR (" + e.PendingCertName + "): a new one replaces it"})
	}
	v.Body = labelled(s.c, rows)
	v.Note = "enter makes the new key and CSR; esc goes back."
}

// frame names what a flow opened from an entry does, without a counter.
func (s *mtlsFlow) frame(v *stepView) {
	switch s.mode {
	case mtlsImport:
		v.Flow = "Import the certificate of " + s.entry.Name
	case mtlsRenewal:
		v.Flow = "Renew the certificate of " + s.entry.Name
	case mtlsCheckOnly:
		v.Flow = "Check " + s.entry.Name + " over mTLS"
	default:
		return
	}
	v.Flow, v.N = truncate(v.Flow, s.c.Width), 0
}

func (s *mtlsFlow) doneText() string {
	switch {
	case s.checkErr != nil && s.imported != nil:
		return fmt.Sprintf("%q holds the certificate; the check over mTLS failed.", s.entry.Name)
	case s.checkErr != nil:
		return fmt.Sprintf("The check of %q over mTLS failed.", s.entry.Name)
	case s.imported != nil:
		return fmt.Sprintf("%q: certificate imported and checked over mTLS (HTTP %d).", s.entry.Name, s.check.Status)
	}
	return fmt.Sprintf("%q: the check over mTLS passed (HTTP %d).", s.entry.Name, s.check.Status)
}

// sentence is an error as a sentence: capital first, full stop last.
func sentence(err error) string {
	t := errText(err)
	if t == "" {
		return t
	}
	t = strings.ToUpper(t[:1]) + t[1:]
	if !strings.HasSuffix(t, ".") {
		t += "."
	}
	return t
}

func (s *mtlsFlow) Title() string {
	switch s.mode {
	case mtlsImport:
		return "Import a certificate"
	case mtlsRenewal:
		return "Renew a certificate"
	case mtlsCheckOnly:
		return "Check over mTLS"
	}
	return mtlsSteps.title
}

// CapturesText on the text steps, so typed letters (a path) reach them.
func (s *mtlsFlow) CapturesText() bool { return mtlsSteps.capturesText(s) }
func (s *mtlsFlow) View() string       { return mtlsSteps.render(s) }

func (s *mtlsFlow) ShortHelp() []key.Binding  { return mtlsSteps.shortHelp(s) }
func (s *mtlsFlow) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }
