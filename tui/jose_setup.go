package tui

// Guided flow: JOSE, signed and encrypted bodies (reference/wise-auth.md
// §6). It says in plain words what signing and encryption protect and
// which keys Wise needs for what, then makes the chosen key pairs for an
// OAuth client (their private halves never leave the wallet), uploads the
// public halves with the client's own token, fetches Wise's public keys
// and ends on Wise's playground, one call per kind of body, each shown
// step by step: the protected header of every token made or checked, and
// what came of it. The same table serves a jose entry's details: u (its
// upload, then the check), n (a rotation, then the check) and k (the
// check alone), each opened part-way.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

type joseStep int

const (
	jsIntro joseStep = iota
	jsClient
	jsUses
	jsName
	jsSigAlg
	jsEncKey
	jsKeygen
	jsKeys
	jsUpload
	jsWise
	jsRotate
	jsRotating
	jsPlay
	jsResult
)

// joseMode is where the flow was opened and so where it starts.
type joseMode int

const (
	joseSetup     joseMode = iota // the chooser: what JOSE is, client, keys, upload, Wise's keys, the check
	joseUploadOne                 // details, u: the entry's upload, Wise's keys, the check
	joseRotation                  // details, n: a new key beside the old one, then the check
	joseCheckOnly                 // details, k: the check alone
)

// joseMessage is what the playground is sent: Wise answers it back.
const joseMessage = "hello from wisewallet"

// The suffixes of the entries the setup makes from the name asked for.
const (
	joseSigSuffix = "-sig"
	joseEncSuffix = "-enc"
)

type joseFlow struct {
	flowBase[joseStep]
	mode joseMode

	clients clientPick
	keysOf  map[string][]flows.EntryView // jose entries by client, read with the clients
	client  string                       // the OAuth client entry the keys serve

	uses    pickList
	sigAlgs pickList
	encKeys pickList

	// entries are the jose entries of the flow: made here, or the one
	// it was opened on.
	entries  []flows.EntryView
	uploaded []flows.JOSEUploaded
	wise     *flows.WiseKeysView
	rotated  *flows.JOSERotated
	// rotateErr: the rotation stored the new key but could not upload it.
	rotateErr error

	// modes are the playground calls the check makes, runs their
	// answers so far; sel is the call the result shows in full.
	modes []string
	runs  []joseRun
	sel   int
}

// joseRun is one playground call's answer.
type joseRun struct {
	mode string
	res  flows.JOSEPlaygroundResult
	err  error
}

// Answers of the flow's calls, each tagged with its attempt.
type (
	joseClientsMsg struct {
		clientsLoadedMsg
		keys map[string][]flows.EntryView
	}
	// joseKeysMadeMsg answers the keygen: the entries made (some, when
	// the second key failed).
	joseKeysMadeMsg struct {
		id   int
		made []flows.EntryView
		err  error
	}
	// joseUploadedMsg answers the upload and the fetch of Wise's keys;
	// keys are the entries as stored afterwards.
	joseUploadedMsg struct {
		id       int
		uploaded []flows.JOSEUploaded
		keys     []flows.EntryView
		wise     flows.WiseKeysView
		fetched  bool
		err      error
	}
	joseRotatedMsg struct {
		id    int
		rot   flows.JOSERotated
		entry flows.EntryView
		modes []string
		err   error
	}
	josePlayedMsg struct {
		id  int
		run joseRun
	}
	// joseModesMsg answers the reading of a client's keys before a
	// check opened from an entry.
	joseModesMsg struct {
		id    int
		modes []string
	}
)

// The uses the setup offers, both first.
var joseUseChoices = []choice{
	{"signing and encryption", "both key pairs: suggested; some calls want both"},
	{"signing only", "Wise knows each request is yours and unchanged"},
	{"encryption only", "nobody between you and Wise reads the bodies"},
}

// joseSigChoices are the signing algorithms Wise lists, the suggested one
// first. RS256 is not among them: Wise does not list it.
var joseSigChoices = []choice{
	{"ES256", "ECDSA P-256: suggested; small and fast"},
	{"ES384", "ECDSA P-384"},
	{"ES512", "ECDSA P-521, as Wise signs its own answers"},
	{"PS256", "RSA-PSS, a 2048-bit key"},
	{"PS384", "RSA-PSS, a 2048-bit key"},
	{"PS512", "RSA-PSS, a 2048-bit key"},
}

// joseEncChoices are the sizes of the encryption key: Wise's one scheme,
// RSA-OAEP-256 with A256GCM, leaves only that to choose.
var joseEncChoices = []choice{
	{"rsa2048", "RSA, 2048 bits: suggested"},
	{"rsa3072", "RSA, 3072 bits"},
	{"rsa4096", "RSA, 4096 bits: making the key takes seconds"},
}

// joseEncAlg is the only encryption algorithm Wise takes, in JOSE's
// spelling.
const joseEncAlg = "RSA-OAEP-256"

// joseSteps is the flow: what JOSE protects, the client, what to protect,
// the entries' name, the algorithms, the keys, their upload, Wise's keys
// and the playground.
var joseSteps = &flowSpec[*joseFlow, joseStep]{
	flow: "JOSE keys", title: "Set up JOSE", of: 8, call: "key generation",
	done: (*joseFlow).doneText, unsaved: "Nothing was saved.",
	frame: (*joseFlow).frame,
	steps: []stepSpec[*joseFlow, joseStep]{
		jsIntro: {
			kind: stepInfo, n: 1, title: "What signing and encryption protect",
			next: func(*joseFlow) (joseStep, string) { return jsClient, "" },
			view: (*joseFlow).introView,
		},
		jsClient: {
			kind: stepChoice, n: 2, title: "Which OAuth client are the keys for?",
			hint: "Wise keeps uploaded keys per application. They are uploaded with the client's own token, and its calls are then signed or encrypted with them.",
			list: func(s *joseFlow) *pickList { return &s.clients.list },
			next: (*joseFlow).takeClient,
			view: func(s *joseFlow, v *stepView) { v.Body = s.clients.view(s.c) },
		},
		jsUses: {
			kind: stepChoice, n: 3, title: "What should the keys do?",
			hint: "A Wise API's documentation says whether it wants signed or encrypted bodies; the SCA PIN and device-fingerprint calls want encryption. When in doubt, make both.",
			list: func(s *joseFlow) *pickList { return &s.uses }, labels: 22,
			next: func(*joseFlow) (joseStep, string) { return jsName, "" },
			view: (*joseFlow).usesView,
		},
		jsName: {
			kind: stepName, n: 4, title: "Name the keys' entries",
			lookup: (*joseFlow).lookup, then: jsSigAlg,
			view: (*joseFlow).nameView,
		},
		// The first key's algorithm: the signing one, or the encryption
		// key's size when only that key is made.
		jsSigAlg: {
			kind: stepChoice, n: 5,
			list: (*joseFlow).firstAlgs, labels: 8,
			next: func(s *joseFlow) (joseStep, string) {
				if s.wants(flows.JOSEUseSig) && s.wants(flows.JOSEUseEnc) {
					return jsEncKey, ""
				}
				return jsKeygen, ""
			},
			view: func(s *joseFlow, v *stepView) {
				if s.wants(flows.JOSEUseSig) {
					v.Title, v.Hint = "Signing algorithm", sigAlgHint
					return
				}
				v.Title, v.Hint = "Encryption key", encKeyHint
			},
		},
		jsEncKey: {
			kind: stepChoice, n: 5, title: "Encryption key", hint: encKeyHint,
			list: func(s *joseFlow) *pickList { return &s.encKeys }, labels: 8,
			next: func(*joseFlow) (joseStep, string) { return jsKeygen, "" },
		},
		jsKeygen: {
			kind: stepCall, n: 5, title: "Making the keys",
			hint:  "esc cancels; nothing is stored then.",
			start: (*joseFlow).keygen, doing: (*joseFlow).making,
		},
		jsKeys: {
			kind: stepInfo, n: 6, title: "Upload the public keys to Wise",
			next: func(*joseFlow) (joseStep, string) { return jsUpload, "" },
			view: (*joseFlow).keysView, escape: (*joseFlow).keepAndLeave,
			help: (*joseFlow).keysHelp,
		},
		jsUpload: {
			kind: stepCall, n: 6, title: "Uploading, then fetching Wise's keys",
			start: (*joseFlow).upload, doing: (*joseFlow).uploading,
		},
		jsWise: {
			kind: stepInfo, n: 7, title: "Wise has your keys, and you have Wise's",
			next: (*joseFlow).toPlay,
			view: (*joseFlow).wiseView, escape: (*joseFlow).leaveSaved,
			help: (*joseFlow).wiseHelp,
		},
		jsRotate: {
			kind: stepInfo, n: 6, title: "A new key beside the old one",
			next: func(*joseFlow) (joseStep, string) { return jsRotating, "" },
			view: (*joseFlow).rotateView,
		},
		jsRotating: {
			kind: stepCall, n: 6, title: "Making the new key",
			hint:  "esc cancels; nothing is changed then.",
			start: (*joseFlow).rotate, doing: (*joseFlow).rotating,
		},
		jsPlay: {
			kind: stepCall, n: 8, title: "Wise's playground",
			hint:  "One call for each kind of body, made and checked as any other call of the client will be.",
			start: (*joseFlow).startPlay, doing: (*joseFlow).playing,
		},
		jsResult: {
			kind: stepResult, n: 8, failed: "✗ The keys were not made",
			key: (*joseFlow).resultKey, help: (*joseFlow).resultHelp, view: (*joseFlow).resultView,
		},
	},
}

// newJOSEFlow is the guided setup from the chooser's line from.
func newJOSEFlow(c *Common, from int) *joseFlow {
	return &joseFlow{
		flowBase: joseSteps.base(c, from, newField(c, "e.g. acme-jose", nameLimit-len(joseSigSuffix), false)),
		uses:     pickList{items: joseUseChoices},
		sigAlgs:  pickList{items: joseSigChoices},
		encKeys:  pickList{items: joseEncChoices},
	}
}

// newJOSEEntryFlow opens the flow part-way on a jose entry (details' u, n,
// k). It goes back to the details when done: it was pushed over them.
func newJOSEEntryFlow(c *Common, e flows.EntryView, mode joseMode) *joseFlow {
	s := newJOSEFlow(c, -1)
	s.mode, s.client, s.entries = mode, e.LinkedTo, []flows.EntryView{e}
	s.checkedName = e.Name
	switch mode {
	case joseUploadOne:
		s.step = jsKeys
	case joseRotation:
		s.step = jsRotate
	default:
		s.step = jsPlay
	}
	return s
}

func (s *joseFlow) Init() tea.Cmd {
	switch s.mode {
	case joseSetup:
		_, id := s.clients.op.start(s.c.Ctx)
		return loadJOSEClients(s.c, id)
	case joseCheckOnly:
		// The calls depend on the client's keys: read them first.
		ctx, id := s.op.start(s.c.Ctx)
		client := s.client
		return tea.Batch(s.spin.Tick, s.c.WalletCmd(func(svc Backend) tea.Msg {
			if ctx.Err() != nil {
				return nil
			}
			return joseModesMsg{id: id, modes: playModes(svc.JOSEKeys(client))}
		}))
	}
	return nil
}

// loadJOSEClients reads the OAuth clients, as the logins do, with the
// jose keys each already has.
func loadJOSEClients(c *Common, id int) tea.Cmd {
	return c.WalletCmd(func(svc Backend) tea.Msg {
		clients := clientEntries(svc)
		keys := map[string][]flows.EntryView{}
		for _, e := range clients {
			keys[e.Name] = withoutSecrets(svc.JOSEKeys(e.Name))
		}
		return joseClientsMsg{clientsLoadedMsg: clientsLoadedMsg{id: id, clients: clients}, keys: keys}
	})
}

// withoutSecrets drops the secrets' names and lengths: the flow needs
// neither.
func withoutSecrets(views []flows.EntryView) []flows.EntryView {
	out := slices.Clone(views)
	for i := range out {
		out[i].Secrets = nil
	}
	return out
}

// Leave stops the flow's calls and the reading of clients.
func (s *joseFlow) Leave() {
	s.flowBase.Leave()
	s.clients.op.stop()
}

func (s *joseFlow) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case joseClientsMsg:
		s.takeClients(msg)
		return s, nil
	case joseKeysMadeMsg:
		return s, s.keysMade(msg)
	case joseUploadedMsg:
		return s, s.uploadAnswered(msg)
	case joseRotatedMsg:
		return s, s.rotateAnswered(msg)
	case joseModesMsg:
		if s.op.current(msg.id) {
			s.modes = msg.modes
			return s, s.playFrom(s.op.ctx(), msg.id)
		}
		return s, nil
	case josePlayedMsg:
		return s, s.played(msg)
	}
	return s, joseSteps.update(s, msg)
}

// introView says what JOSE is for, in the words of what it protects.
func (s *joseFlow) introView(v *stepView) {
	v.Hint = "Some of Wise's APIs want the body of a call signed, encrypted, or both (JOSE: JWS and JWE). wisewallet does it for each call; it needs keys for that, and Wise needs their public halves."
	v.Body = labelled(s.c, [][2]string{
		{"Signing", "proves a request is yours and unchanged, and which path"},
		{"", "it was meant for: Wise checks it with your public signing key."},
		{"", "Wise signs its answers; they are checked with Wise's key."},
		{"Encryption", "keeps the bodies unreadable on the way: a request is"},
		{"", "encrypted to Wise's key, Wise's answer to your public"},
		{"", "encryption key, so only Wise and this wallet read them."},
		{"Wise needs", "your public keys: this flow uploads them."},
		{"You need", "Wise's public keys: this flow fetches them."},
	})
	v.Note = "The private keys are made here and never leave the wallet. enter: choose the OAuth client."
}

// takeClients lists the clients with their environment and jose keys.
func (s *joseFlow) takeClients(m joseClientsMsg) {
	if !s.clients.apply(m.clientsLoadedMsg) {
		return
	}
	s.keysOf = m.keys
	for i, e := range s.clients.clients {
		s.clients.list.items[i].Detail = string(e.Env.Name) + " · " + keysSummary(s.keysOf[e.Name])
	}
}

// keysSummary says which jose keys a client has.
func keysSummary(keys []flows.EntryView) string {
	if len(keys) == 0 {
		return "no JOSE keys yet"
	}
	var parts []string
	for _, e := range keys {
		parts = append(parts, useWord(joseUse(e))+" "+e.Algorithm)
	}
	return strings.Join(parts, ", ")
}

// joseUse is a jose entry's use; an entry without one (never made so)
// is told by its algorithm: only encryption keys are RSA-OAEP-256.
func joseUse(e flows.EntryView) string {
	if e.Use != "" {
		return e.Use
	}
	if e.Algorithm == joseEncAlg || e.Algorithm == "RSA_OAEP_256" {
		return flows.JOSEUseEnc
	}
	return flows.JOSEUseSig
}

func useWord(use string) string {
	if use == flows.JOSEUseEnc {
		return "encryption"
	}
	return "signing"
}

func (s *joseFlow) takeClient() (joseStep, string) {
	c, ok := s.clients.chosen()
	if !ok {
		return jsClient, ""
	}
	s.client = c.Name
	if strings.TrimSpace(s.name.Value()) == "" {
		s.name.SetValue(c.Name + "-jose")
		s.name.CursorEnd()
	}
	return jsUses, ""
}

// wants reports whether the setup makes a key of use.
func (s *joseFlow) wants(use string) bool {
	switch s.uses.cursor {
	case 1:
		return use == flows.JOSEUseSig
	case 2:
		return use == flows.JOSEUseEnc
	}
	return true
}

// wanted are the uses the setup makes, signing first.
func (s *joseFlow) wanted() []string {
	var out []string
	for _, u := range []string{flows.JOSEUseSig, flows.JOSEUseEnc} {
		if s.wants(u) {
			out = append(out, u)
		}
	}
	return out
}

// usesView says what a new key does to the client's keys of its use.
func (s *joseFlow) usesView(v *stepView) {
	var lines []string
	for _, e := range s.keysOf[s.client] {
		if s.wants(joseUse(e)) {
			lines = append(lines, fmt.Sprintf("%s already has %s (%s, %s). A new key of that use takes over from it at Wise; to keep its entry, rotate it there instead (enter on it, then n).",
				s.client, e.Name, useWord(joseUse(e)), e.Algorithm))
		}
	}
	if len(lines) > 0 {
		v.Body += "\n\n" + s.c.Styles.Warning.Width(max(s.c.Width, 20)).Render(strings.Join(lines, " "))
	}
}

// entryNames are the entries the setup makes from the name base.
func entryNames(base string, uses []string) []string {
	var out []string
	for _, u := range uses {
		out = append(out, base+"-"+u)
	}
	return out
}

func (s *joseFlow) names() []string { return entryNames(s.entryName(), s.wanted()) }

// lookup checks that no entry has the names the setup will make.
func (s *joseFlow) lookup() nameCheck {
	uses := s.wanted()
	return func(c *Common, base string, id int) tea.Cmd {
		names := entryNames(base, uses)
		for _, n := range names {
			if err := flows.ValidateName(n); err != nil {
				return func() tea.Msg { return nameCheckedMsg{id: id, err: err} }
			}
		}
		return c.WalletCmd(func(svc Backend) tea.Msg {
			for _, n := range names {
				_, err := svc.Entry(n)
				switch {
				case errors.Is(err, flows.ErrEntryNotFound):
					continue
				case err == nil:
					return nameCheckedMsg{id: id, err: fmt.Errorf("%w: %q is taken; choose another name", flows.ErrEntryExists, n)}
				default:
					return nameCheckedMsg{id: id, err: err}
				}
			}
			return nameCheckedMsg{id: id}
		})
	}
}

// The algorithm steps' hints.
const (
	sigAlgHint = "Wise takes ES256, ES384, ES512, PS256, PS384 and PS512; RS256 is not offered, because Wise does not list it. The private key is made here, sealed in the wallet, and never leaves it."
	encKeyHint = "Wise encrypts one way only: RSA-OAEP-256 for the key and A256GCM for the body, so only the RSA key's size is yours to choose. The private key is made here, sealed in the wallet, and never leaves it."
)

// firstAlgs is the list of the first algorithm step.
func (s *joseFlow) firstAlgs() *pickList {
	if s.wants(flows.JOSEUseSig) {
		return &s.sigAlgs
	}
	return &s.encKeys
}

func (s *joseFlow) nameView(v *stepView) {
	base := strings.TrimSpace(s.name.Value())
	if base == "" {
		base = "NAME"
	}
	v.Hint = "The wallet entries of the keys are named after it: letters, digits, '.', '_' or '-'."
	var rows [][2]string
	for _, u := range s.wanted() {
		rows = append(rows, [2]string{"  → " + base + "-" + u, "holds the " + useWord(u) + " key"})
	}
	v.Body += "\n\n" + labelled(s.c, rows)
}

func (s *joseFlow) sigAlg() string { return s.sigAlgs.items[s.sigAlgs.cursor].Label }
func (s *joseFlow) encKey() string { return s.encKeys.items[s.encKeys.cursor].Label }

// keygen makes the keys, signing first, each linked to the client.
func (s *joseFlow) keygen(ctx context.Context, id int) tea.Cmd {
	var ins []flows.JOSEKeyInput
	for _, u := range s.wanted() {
		in := flows.JOSEKeyInput{Name: s.entryName() + "-" + u, Use: u, For: s.client}
		if u == flows.JOSEUseSig {
			in.Alg = s.sigAlg()
		} else {
			in.Alg, in.KeyType = joseEncAlg, s.encKey()
		}
		ins = append(ins, in)
	}
	return s.c.WalletCmd(func(svc Backend) tea.Msg {
		var made []flows.EntryView
		for _, in := range ins {
			e, err := svc.JOSEKeygen(ctx, in)
			if err != nil {
				return joseKeysMadeMsg{id: id, made: made, err: err}
			}
			e.Secrets = nil
			made = append(made, e)
		}
		return joseKeysMadeMsg{id: id, made: made}
	})
}

func (s *joseFlow) making() string {
	var parts []string
	if s.wants(flows.JOSEUseSig) {
		parts = append(parts, "the "+s.sigAlg()+" signing key")
	}
	if s.wants(flows.JOSEUseEnc) {
		kt := s.encKey()
		parts = append(parts, "the RSA-"+strings.TrimPrefix(kt, "rsa")+" encryption key")
	}
	text := "Making " + strings.Join(parts, " and ") + ", each valid for a year…"
	if s.wants(flows.JOSEUseEnc) && s.encKey() == "rsa4096" {
		text += " An RSA-4096 key takes a few seconds."
	}
	return text
}

// keysMade takes the keygen's answer. Once a key is stored there is no
// going back before it: the next step's esc leaves, keeping the entries.
func (s *joseFlow) keysMade(m joseKeysMadeMsg) tea.Cmd {
	if !s.op.current(m.id) {
		if len(m.made) > 0 {
			return tea.Batch(WalletChanged(), Toast(fmt.Sprintf("The keys you left were made anyway: %s.", quotedNames(m.made)), false))
		}
		return nil
	}
	s.op.stop()
	if len(m.made) == 0 {
		s.backTo(s.keyProblem(m.err))
		return nil
	}
	s.entries, s.back = m.made, nil
	s.step, s.errMsg = jsKeys, ""
	if m.err != nil {
		s.errMsg = fmt.Sprintf("The second key was not made (%s); %s is kept and can be uploaded now.", strings.TrimSuffix(sentence(m.err), "."), quotedNames(m.made))
	}
	return WalletChanged()
}

// keyProblem is the step that can fix a refused keygen, and what to say.
func (s *joseFlow) keyProblem(err error) (joseStep, string) {
	switch {
	case errors.Is(err, flows.ErrEntryExists):
		return jsName, sentence(err)
	case errors.Is(err, context.Canceled):
		return jsKeygen, ""
	}
	last := jsSigAlg
	if s.wants(flows.JOSEUseEnc) {
		last = jsEncKey
	}
	return last, sentence(err) + " Nothing was stored; enter tries again."
}

// backTo goes back to step to (the latest visit of it) with a complaint;
// when to was not visited, one step back.
func (s *joseFlow) backTo(to joseStep, complaint string) {
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

func quotedNames(keys []flows.EntryView) string {
	var q []string
	for _, e := range keys {
		q = append(q, fmt.Sprintf("%q", e.Name))
	}
	return strings.Join(q, " and ")
}

// keysView lists the keys to upload and says what Wise does with each.
func (s *joseFlow) keysView(v *stepView) {
	v.Hint = fmt.Sprintf("Wise needs the public half of each key: with your signing key it checks that a request is yours, to your encryption key it encrypts its answers. They go up with %s's own token; the private halves stay sealed in the wallet.", orNone(s.client, "the client"))
	var rows [][2]string
	for _, e := range s.entries {
		state := "to upload"
		if e.Uploaded {
			state = "uploaded already"
		}
		rows = append(rows,
			[2]string{useWord(joseUse(e)), fmt.Sprintf("%s · %s · %s", e.Name, e.Algorithm, state)},
			[2]string{"", "key id " + orNone(e.KeyID, "-")},
			[2]string{"", "valid " + day(s.c, e.ValidFrom) + " → " + day(s.c, e.ValidTill)},
		)
	}
	v.Body = labelled(s.c, rows)
	v.Note = "enter uploads them and fetches Wise's public keys."
	if s.client == "" {
		v.Note = "This key serves no OAuth client yet, so it cannot be uploaded from here: set up JOSE from the client (a, then JOSE keys)."
	}
}

// day is a date in the clock's zone, or "-".
func day(c *Common, t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return flows.ShowNear(*t, c.Now())
}

func (s *joseFlow) keysHelp() []key.Binding {
	back := key.NewBinding(key.WithKeys(s.keys.Back.Keys()...), key.WithHelp("esc", "finish later"))
	if s.mode != joseSetup {
		back = s.keys.Back
	}
	next := key.NewBinding(key.WithKeys(s.keys.Next.Keys()...), key.WithHelp("enter", "upload"))
	return []key.Binding{next, back}
}

// keepAndLeave is esc after the keys were made: the entries stay, with
// what to do to finish.
func (s *joseFlow) keepAndLeave() tea.Cmd {
	if s.mode != joseSetup {
		return Pop()
	}
	return finishSaved(fmt.Sprintf("Kept %s in the wallet, not uploaded yet. Upload later: enter on an entry, then u.", quotedNames(s.entries)))
}

// upload uploads what is not uploaded yet, then fetches Wise's keys.
func (s *joseFlow) upload(ctx context.Context, id int) tea.Cmd {
	client := s.client
	var names []string
	var pending []string
	for _, e := range s.entries {
		names = append(names, e.Name)
		if !e.Uploaded {
			pending = append(pending, e.Name)
		}
	}
	return s.c.WalletCmd(func(svc Backend) tea.Msg {
		m := joseUploadedMsg{id: id}
		if client == "" {
			m.err = errors.New("the key serves no OAuth client, so there is no token to upload it with")
			m.keys = entriesNow(svc, names)
			return m
		}
		for _, n := range pending {
			up, err := svc.JOSEUpload(ctx, n)
			if err != nil {
				m.err = err
				m.keys = entriesNow(svc, names)
				return m
			}
			m.uploaded = append(m.uploaded, up)
		}
		m.wise, m.err = svc.JOSEWiseKeys(ctx, client)
		m.fetched = m.err == nil
		m.keys = entriesNow(svc, names)
		return m
	})
}

// entriesNow are the named entries as stored now, without secrets.
func entriesNow(svc Backend, names []string) []flows.EntryView {
	var out []flows.EntryView
	for _, n := range names {
		if e, err := svc.Entry(n); err == nil {
			e.Secrets = nil
			out = append(out, e)
		}
	}
	return out
}

func (s *joseFlow) uploading() string {
	return fmt.Sprintf("POST /v1/auth/jose/request/public-keys with %s's token for each key, then GET /v1/auth/jose/response/public-keys for Wise's signing and encryption keys…", orNone(s.client, "the client"))
}

// uploadAnswered goes on to Wise's keys, or back to the keys with what
// failed; what was uploaded stays uploaded, so enter does the rest.
func (s *joseFlow) uploadAnswered(m joseUploadedMsg) tea.Cmd {
	if !s.op.current(m.id) {
		if len(m.uploaded) > 0 {
			return tea.Batch(WalletChanged(), Toast(fmt.Sprintf("The upload you left went through: %d key(s) are uploaded to Wise.", len(m.uploaded)), false))
		}
		return nil
	}
	s.op.stop()
	if len(m.keys) > 0 {
		s.entries = m.keys
	}
	s.uploaded = append(s.uploaded, m.uploaded...)
	var changed tea.Cmd
	if len(m.uploaded) > 0 || m.fetched {
		changed = WalletChanged()
	}
	if m.err != nil {
		s.step, s.errMsg = jsKeys, s.uploadProblem(m.err)
		s.back.pop()
		return changed
	}
	wise := m.wise
	s.wise = &wise
	s.step, s.errMsg = jsWise, ""
	return changed
}

// uploadProblem words a failed upload or fetch.
func (s *joseFlow) uploadProblem(err error) string {
	var env *flows.JOSEEnvMismatchError
	switch {
	case errors.As(err, new(*flows.ExpiredKeyError)):
		return sentence(err) + " Rotate it: on its entry, n."
	case errors.As(err, &env):
		return fmt.Sprintf("%s is a %s key and %s a %s client: a key works only where it is uploaded. Set JOSE up from the client: a, then JOSE keys.", env.Entry, env.EntryEnv, env.Client, env.ClientEnv)
	case errors.As(err, new(*flows.KeyNotLinkedError)):
		return "The key serves no OAuth client, so there is no token to upload it with. Set JOSE up from the client: a, then JOSE keys."
	case errors.Is(err, context.Canceled):
		return "Cancelled. enter tries again; what was uploaded stays uploaded."
	case errors.Is(err, flows.ErrInvalidClient):
		return fmt.Sprintf("Wise refused %s's id and secret, so nothing could be uploaded: check them in Developer Hub, then enter.", s.client)
	case errors.Is(err, flows.ErrUnavailable):
		return sentence(err) + " enter tries again; what was uploaded stays uploaded."
	}
	return sentence(err) + " enter tries again; what was uploaded stays uploaded."
}

// wiseView shows both sides: what Wise now has of yours, what the wallet
// has of Wise's.
func (s *joseFlow) wiseView(v *stepView) {
	st := s.c.Styles
	v.Hint = "Wise checks your signatures with your public signing key and encrypts its answers to your public encryption key. With Wise's keys, its answers are checked and requests encrypted so that only Wise reads them."
	var rows [][2]string
	for _, e := range s.entries {
		rows = append(rows, [2]string{"  " + useWord(joseUse(e)), fmt.Sprintf("%-12s  key id %s", e.Algorithm, orNone(e.KeyID, "-"))})
	}
	body := st.Label.Render("Yours, at Wise") + "\n" + labelled(s.c, rows)
	if w := s.wise; w != nil {
		body += "\n" + st.Label.Render("Wise's, kept with "+s.client) + "\n" + labelled(s.c, [][2]string{
			{"  signing", fmt.Sprintf("%-12s  version %d: checks Wise's answers", w.Signing.Algorithm, w.Signing.Version)},
			{"  encryption", fmt.Sprintf("%-12s  version %d: encrypts your requests", w.Encryption.Algorithm, w.Encryption.Version)},
		})
	}
	v.Body = body
	modes := s.planned()
	v.Note = fmt.Sprintf("enter: try them on Wise's playground, one call each (%s).", strings.Join(modes, ", "))
	if len(modes) == 0 {
		v.Note = "No key of this client is uploaded, so there is nothing to try on Wise's playground yet."
	}
}

func (s *joseFlow) wiseHelp() []key.Binding {
	next := key.NewBinding(key.WithKeys(s.keys.Next.Keys()...), key.WithHelp("enter", "try the playground"))
	done := key.NewBinding(key.WithKeys(s.keys.Back.Keys()...), key.WithHelp("esc", "done"))
	return []key.Binding{next, done}
}

// leaveSaved is esc once the keys are uploaded: nothing to undo.
func (s *joseFlow) leaveSaved() tea.Cmd {
	if s.mode != joseSetup {
		return Pop()
	}
	return finishSaved(fmt.Sprintf("%s: uploaded to Wise. k on an entry tries Wise's playground.", quotedNames(s.entries)))
}

// planned are the playground calls the keys of the flow allow: the
// client's other keys count too, read with the clients.
func (s *joseFlow) planned() []string {
	keys := slices.Clone(s.entries)
	for _, e := range s.keysOf[s.client] {
		if !slices.ContainsFunc(keys, func(k flows.EntryView) bool { return k.Name == e.Name }) {
			keys = append(keys, e)
		}
	}
	return playModes(keys)
}

// playModes are the playground calls a client's uploaded keys allow, in
// Wise's order: signing alone, encryption (POST and GET), both, and
// direct encryption.
func playModes(keys []flows.EntryView) []string {
	sig := slices.ContainsFunc(keys, func(e flows.EntryView) bool { return e.Uploaded && joseUse(e) == flows.JOSEUseSig })
	enc := slices.ContainsFunc(keys, func(e flows.EntryView) bool { return e.Uploaded && joseUse(e) == flows.JOSEUseEnc })
	var out []string
	for _, m := range flows.PlaygroundModes {
		switch {
		case m == flows.PlaygroundJWS && sig,
			(m == flows.PlaygroundJWE || m == flows.PlaygroundJWEGet || m == flows.PlaygroundJWEDirect) && enc,
			m == flows.PlaygroundJWSJWE && sig && enc:
			out = append(out, m)
		}
	}
	return out
}

// toPlay is enter on Wise's keys: on to the playground, if there is one
// to try.
func (s *joseFlow) toPlay() (joseStep, string) {
	s.modes = s.planned()
	if len(s.modes) == 0 {
		return jsWise, "Upload a key first: nothing of this client's is at Wise yet."
	}
	return jsPlay, ""
}

// startPlay is the check's first call; each answer starts the next.
func (s *joseFlow) startPlay(ctx context.Context, id int) tea.Cmd {
	s.runs, s.sel = nil, 0
	if len(s.modes) == 0 {
		// Opened from an entry: the modes come with the client's keys.
		return nil
	}
	return s.playFrom(ctx, id)
}

// playFrom makes the next playground call of attempt id.
func (s *joseFlow) playFrom(ctx context.Context, id int) tea.Cmd {
	if len(s.modes) == 0 {
		s.op.stop()
		s.step = jsResult
		return nil
	}
	mode := s.modes[len(s.runs)]
	in := flows.JOSEPlaygroundInput{Client: s.client, Mode: mode, Message: joseMessage, Key: s.keyFor(mode)}
	return s.c.WalletCmd(func(svc Backend) tea.Msg {
		res, err := svc.JOSEPlaygroundWith(ctx, in)
		return josePlayedMsg{id: id, run: joseRun{mode: mode, res: res, err: err}}
	})
}

// keyFor is the flow's own key a playground call uses, so the call tries
// the key made, rotated or opened here even when the client has others
// (their newest is used for the rest): a signing key signs jws and
// jwsjwe, an encryption key opens the answers of jwe (and of jwsjwe when
// there is no signing key of the flow). Direct encryption uses neither.
func (s *joseFlow) keyFor(mode string) string {
	sig := mode == flows.PlaygroundJWS || mode == flows.PlaygroundJWSJWE
	enc := mode == flows.PlaygroundJWE || mode == flows.PlaygroundJWEGet || mode == flows.PlaygroundJWSJWE
	for _, want := range []string{flows.JOSEUseSig, flows.JOSEUseEnc} {
		for _, e := range s.entries {
			if joseUse(e) == want && ((want == flows.JOSEUseSig && sig) || (want == flows.JOSEUseEnc && enc)) {
				return e.Name
			}
		}
	}
	return ""
}

// played takes one call's answer and makes the next, or shows them all.
func (s *joseFlow) played(m josePlayedMsg) tea.Cmd {
	if !s.op.current(m.id) {
		return nil
	}
	s.runs = append(s.runs, m.run)
	if len(s.runs) < len(s.modes) && !errors.Is(m.run.err, context.Canceled) {
		return s.playFrom(s.op.ctx(), m.id)
	}
	s.op.stop()
	s.step, s.errMsg = jsResult, ""
	if len(s.entries) > 0 {
		s.saved = s.entries[0]
	}
	s.sel = 0
	for i, r := range s.runs {
		if r.err != nil {
			s.sel = i
			break
		}
	}
	// A call re-fetches Wise's keys when its check fails: the client's
	// entry may have changed.
	return WalletChanged()
}

// playNow starts the check without a step back to it.
func (s *joseFlow) playNow() tea.Cmd {
	ctx, id := s.op.start(s.c.Ctx)
	s.step, s.errMsg = jsPlay, ""
	s.runs, s.sel = nil, 0
	return tea.Batch(s.spin.Tick, s.playFrom(ctx, id))
}

// modeWords are what each playground call shows Wise can do, and how it
// is sent.
var modeWords = map[string][2]string{
	flows.PlaygroundJWS:       {"signed, both ways", "POST /v1/auth/jose/playground/jws"},
	flows.PlaygroundJWE:       {"encrypted, both ways", "POST /v1/auth/jose/playground/jwe"},
	flows.PlaygroundJWEGet:    {"no body; the answer encrypted", "GET /v1/auth/jose/playground/jwe"},
	flows.PlaygroundJWSJWE:    {"signed, then encrypted", "POST /v1/auth/jose/playground/jwsjwe"},
	flows.PlaygroundJWEDirect: {"answer under the request's key", "POST /v1/auth/jose/playground/jwe-direct-encryption"},
}

func (s *joseFlow) playing() string {
	var done []string
	for _, r := range s.runs {
		mark := "✓"
		if r.err != nil {
			mark = "✗"
		}
		done = append(done, mark+" "+r.mode)
	}
	if len(s.modes) == 0 {
		return "Reading the client's keys…"
	}
	now := s.modes[min(len(s.runs), len(s.modes)-1)]
	text := fmt.Sprintf("%s (%s)…", modeWords[now][1], modeWords[now][0])
	if len(done) > 0 {
		text = strings.Join(done, " · ") + "\n" + text
	}
	return text
}

// resultKey: ↑/↓ pick the call shown in full; r runs the check again.
func (s *joseFlow) resultKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	switch {
	case key.Matches(k, s.keys.Up):
		s.sel = max(s.sel-1, 0)
		return nil, true
	case key.Matches(k, s.keys.Down):
		s.sel = min(s.sel+1, max(len(s.runs)-1, 0))
		return nil, true
	case key.Matches(k, joseRetryKey) && len(s.modes) > 0:
		return s.playNow(), true
	}
	return nil, false
}

var joseRetryKey = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "run again"))

func (s *joseFlow) resultHelp() []key.Binding {
	done := s.keys.Done
	if s.mode != joseSetup {
		done = key.NewBinding(key.WithKeys(done.Keys()...), key.WithHelp("enter", "back to the entry"))
	}
	var out []key.Binding
	if len(s.runs) > 1 {
		out = append(out, key.NewBinding(key.WithKeys(append(s.keys.Up.Keys(), s.keys.Down.Keys()...)...), key.WithHelp("↑/↓", "show a call")))
	}
	if len(s.modes) > 0 {
		out = append(out, joseRetryKey)
	}
	return append(out, done)
}

// failures counts the calls that failed.
func (s *joseFlow) failures() int {
	n := 0
	for _, r := range s.runs {
		if r.err != nil {
			n++
		}
	}
	return n
}

// resultView: a line per call, then the chosen call step by step.
func (s *joseFlow) resultView(v *stepView) {
	st := s.c.Styles
	failed := s.failures()
	switch {
	case len(s.runs) == 0 && s.rotated != nil:
		v.Title = "✓ Rotated"
	case len(s.runs) == 0:
		v.Title, v.Tone = "✗ Nothing to try on Wise's playground", -1
	case failed == 0:
		v.Title = fmt.Sprintf("✓ Wise's playground answered all %d calls", len(s.runs))
		if len(s.runs) == 1 {
			v.Title = "✓ Wise's playground answered"
		}
	default:
		v.Title, v.Tone = fmt.Sprintf("✗ %d of %d playground calls failed", failed, len(s.runs)), -1
	}
	var parts []string
	if r := s.rotated; r != nil {
		up := "not uploaded: u on the entry uploads it"
		if r.Uploaded {
			up = "uploaded to Wise"
		}
		if s.rotateErr != nil {
			v.Title, v.Tone = "✗ Rotated, but the new key was not uploaded", -1
			up = "not uploaded: Wise still knows only the old key"
		}
		parts = append(parts, labelled(s.c, [][2]string{
			{"new key", r.KeyID}, {"", up},
			{"old key", r.PrevKeyID}, {"", "works until " + when(s.c, &r.RetiresAt)},
		}))
	}
	if len(s.runs) > 0 {
		var calls []string
		for i, r := range s.runs {
			mark, style := "✓", st.Success
			if r.err != nil {
				mark, style = "✗", st.Error
			}
			call := style.Render(mark) + " " + r.mode
			if i == s.sel && len(s.runs) > 1 {
				call = st.Selected.Render("[") + call + st.Selected.Render("]")
			} else {
				call = " " + call + " "
			}
			calls = append(calls, call)
		}
		parts = append(parts, truncate(strings.Join(calls, " "), s.c.Width)+"\n"+s.runView(s.runs[min(s.sel, len(s.runs)-1)]))
	}
	v.Body = strings.Join(parts, "\n\n")
	switch {
	case s.rotateErr != nil:
		v.Note = "Its upload failed (" + errText(errors.Unwrap(s.rotateErr)) + "). u on the entry uploads it; the old key keeps working until then."
	case len(s.runs) == 0 && s.rotated != nil && !s.rotated.Uploaded:
		v.Note = "The old key's private half is wiped once it retires."
	case len(s.runs) == 0:
		v.Note = "No key of this client is uploaded to Wise: u on a key's entry uploads it."
	case failed > 0:
	case s.mode == joseSetup:
		v.Note = "The dashboard counts the keys down; n on a key's entry rotates it."
	case s.rotated != nil:
		v.Note = "The old key is kept until it retires, for what Wise still does with it; then its private half is wiped."
	}
	s.fitResult(v)
}

// fitResult keeps the result within the screen: the closing note goes
// first, then the last lines of the call shown, with a word of what was
// cut (a taller terminal shows it, and ↑/↓ the other calls).
func (s *joseFlow) fitResult(v *stepView) {
	room := s.c.BodyHeight()
	height := func() int {
		probe := *v
		probe.Err = s.errMsg
		return lipgloss.Height(renderStep(s.c, probe))
	}
	if height() <= room {
		return
	}
	v.Note = ""
	over := height() - room
	if over <= 0 {
		return
	}
	lines := strings.Split(v.Body, "\n")
	keep := max(len(lines)-over-1, 1)
	v.Body = strings.Join(lines[:keep], "\n") + "\n" + s.c.Styles.Subtle.Render(truncate(fmt.Sprintf("… %d more lines: a taller terminal shows them", len(lines)-keep), s.c.Width))
}

// runView is one playground call step by step: what was done and what
// came of it, with the protected header of its token beneath.
func (s *joseFlow) runView(r joseRun) string {
	st := s.c.Styles
	w := max(s.c.Width, 20)
	words := modeWords[r.mode]
	method, path, _ := strings.Cut(words[1], " ")
	head := fmt.Sprintf("%s %s", orNone(r.res.Method, method), orNone(r.res.Path, path))
	if r.res.Status != 0 {
		head += fmt.Sprintf(" · HTTP %d", r.res.Status)
	}
	what := st.Body.Render(words[0])
	if r.res.TraceID != "" {
		what += st.Subtle.Render(" · ") + st.Label.Render("x-trace-id ") + st.Value.Render(r.res.TraceID)
	}
	lines := []string{truncate(st.Value.Render(head), w), truncate(what, w)}
	for i, step := range r.res.Steps {
		// What was done and its result, wrapped: the last result is
		// Wise's answer, worth reading whole.
		what := fmt.Sprintf("%d %s → ", i+1, step.Step)
		done := strings.Split(lipgloss.NewStyle().Width(w).Render(what+resultText(step.Result)), "\n")
		for j, l := range done {
			l = strings.TrimRight(l, " ")
			if j == 0 {
				lines = append(lines, st.Label.Render(what)+st.Body.Render(strings.TrimPrefix(l, what)))
				continue
			}
			lines = append(lines, st.Body.Render(l))
		}
		// A step on the token of the step before (the answer decrypted
		// from the JWE received) has its header: it is not repeated.
		if i > 0 && step.Header == r.res.Steps[i-1].Header {
			continue
		}
		for _, l := range wrapFields(headerJSON(step.Header), w-2) {
			lines = append(lines, "  "+st.Value.Render(l))
		}
	}
	if r.err != nil {
		p := explain(r.err)
		p.Todo = s.playTodo(r.err)
		lines = append(lines, "", renderProblem(s.c, p))
	}
	return strings.Join(lines, "\n")
}

// resultText is a step's result on one line: a payload as it is, a
// compact token by its start and length (its parts mean nothing to read).
func resultText(r string) string {
	r = oneLine(r)
	if strings.HasPrefix(r, "eyJ") && strings.Count(r, ".") >= 2 && !strings.Contains(r, " ") {
		kind := "JWS"
		if strings.Count(r, ".") == 4 {
			kind = "JWE"
		}
		return fmt.Sprintf("a compact %s, %d characters: %s…", kind, len(r), r[:min(len(r), 12)])
	}
	if r == "" {
		return "(empty)"
	}
	return r
}

// wrapFields lays out a header's JSON in lines of at most w cells,
// breaking only between its fields (a key id or a path is never cut in
// two, so it can be read and selected whole); a field wider than a line
// is cut.
func wrapFields(text string, w int) []string {
	var lines []string
	line := ""
	for _, f := range strings.SplitAfter(text, ", ") {
		switch {
		case line == "":
			line = f
		case lipgloss.Width(line+strings.TrimRight(f, " ")) <= w:
			line += f
		default:
			lines, line = append(lines, strings.TrimRight(line, " ")), f
		}
	}
	lines = append(lines, strings.TrimRight(line, " "))
	for i, l := range lines {
		lines[i] = truncate(l, w)
	}
	return lines
}

// headerJSON is a protected header as JSON, fields in JOSE's order, with
// a space after each comma so that it wraps between fields.
func headerJSON(h flows.JOSEHeaderView) string {
	if h == (flows.JOSEHeaderView{}) {
		return "(no protected header)"
	}
	b, err := json.Marshal(h)
	if err != nil {
		return "?"
	}
	return strings.ReplaceAll(string(b), `","`, `", "`)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// playTodo says what to do after a failed playground call, in the app's
// keys; the keys stay.
func (s *joseFlow) playTodo(err error) string {
	var refused *flows.TokenRefusedError
	var none *flows.NoJOSEKeyError
	switch {
	case errors.Is(err, context.Canceled):
		return "Cancelled. r runs the calls again."
	case errors.As(err, new(*flows.ExpiredKeyError)):
		return "Nothing was sent. Rotate the key: on its entry, n."
	case errors.As(err, new(*flows.NotUploadedError)):
		return "Nothing was sent. Upload the key first: on its entry, u."
	case errors.As(err, &none):
		return fmt.Sprintf("Nothing was sent. Make %s a key for it: a, then JOSE keys.", none.Client)
	case errors.As(err, &refused), errors.Is(err, crypto.ErrJOSE):
		return "Wise's answer failed its check, so it was not taken (Wise's keys were fetched again once first). r runs the calls again."
	case errors.Is(err, flows.ErrInvalidClient):
		return fmt.Sprintf("Wise refused %s's id and secret: check them in Developer Hub, then r.", orNone(s.client, "the client"))
	case errors.Is(err, flows.ErrUnavailable):
		return "Wise (or the network) did not answer. The keys stay as they are; r runs the calls again."
	}
	return "The keys stay as they are. r runs the calls again."
}

// rotateView says what a rotation does before it is done.
func (s *joseFlow) rotateView(v *stepView) {
	e := s.entries[0]
	v.Hint = "The new key is uploaded beside the current one, and the wallet keeps the old one for a day, so what Wise still signs or encrypts for it is read; then its private half is wiped. Nothing has to change at the same moment on both sides."
	up := "not uploaded: the new key is not either (u uploads it later)"
	if e.Uploaded {
		up = "uploaded: the new key is uploaded at once"
	}
	rows := [][2]string{
		{"entry", e.Name + " (" + useWord(joseUse(e)) + ")"},
		{"algorithm", orNone(e.Algorithm, "-") + ", as now"},
		{"current key", orNone(e.KeyID, "-")},
		{"", "valid until " + when(s.c, e.ValidTill)},
		{"at Wise", up},
	}
	v.Body = labelled(s.c, rows)
	v.Note = "enter makes the new key; esc goes back."
}

func (s *joseFlow) rotate(ctx context.Context, id int) tea.Cmd {
	name, client := s.entries[0].Name, s.client
	return s.c.WalletCmd(func(svc Backend) tea.Msg {
		rot, err := svc.JOSERotate(ctx, name, 0)
		m := joseRotatedMsg{id: id, rot: rot, err: err}
		if err == nil || errors.As(err, new(*flows.RotatedNotUploadedError)) {
			if e, err := svc.Entry(name); err == nil {
				e.Secrets = nil
				m.entry = e
			}
		}
		if err == nil {
			if client != "" && m.entry.Name != "" {
				// The calls of the rotated key's use.
				m.modes = playModes([]flows.EntryView{m.entry})
			}
		}
		return m
	})
}

func (s *joseFlow) rotating() string {
	e := s.entries[0]
	return fmt.Sprintf("Making a new %s key for %s…", orNone(e.Algorithm, "JOSE"), e.Name)
}

// rotateAnswered goes on to the check of the new key, or says why not.
func (s *joseFlow) rotateAnswered(m joseRotatedMsg) tea.Cmd {
	if !s.op.current(m.id) {
		if m.err == nil {
			return tea.Batch(WalletChanged(), Toast(fmt.Sprintf("The rotation you left went through: %q has a new key.", m.rot.Entry), false))
		}
		return nil
	}
	s.op.stop()
	var notUp *flows.RotatedNotUploadedError
	switch {
	case errors.As(m.err, &notUp) && m.entry.Name != "":
		// The new key is stored; only its upload failed. The result
		// says so, and u on the entry uploads it.
		e := m.entry
		rot := flows.JOSERotated{Entry: e.Name, KeyID: e.KeyID, PrevKeyID: e.PrevKeyID}
		if e.PrevRetiresAt != nil {
			rot.RetiresAt = *e.PrevRetiresAt
		}
		s.rotated, s.entries, s.modes, s.saved = &rot, []flows.EntryView{e}, nil, e
		s.rotateErr = notUp
		s.step = jsResult
		return WalletChanged()
	case m.err != nil:
		s.step, s.errMsg = jsRotate, sentence(m.err)+" Nothing was changed; enter tries again."
		s.back.pop()
		return nil
	}
	rot := m.rot
	s.rotated = &rot
	if m.entry.Name != "" {
		s.entries = []flows.EntryView{m.entry}
	}
	s.modes = m.modes
	s.saved = s.entries[0]
	if !rot.Uploaded || len(s.modes) == 0 {
		s.step = jsResult
		return WalletChanged()
	}
	return tea.Batch(WalletChanged(), s.playNow())
}

// frame names what a flow opened from an entry does, without a counter.
func (s *joseFlow) frame(v *stepView) {
	name := ""
	if len(s.entries) > 0 {
		name = s.entries[0].Name
	}
	switch s.mode {
	case joseUploadOne:
		v.Flow = "Upload " + name
	case joseRotation:
		v.Flow = "Rotate " + name
	case joseCheckOnly:
		v.Flow = "Check " + name + " on Wise's playground"
	default:
		return
	}
	v.Flow, v.N = truncate(v.Flow, s.c.Width), 0
}

func (s *joseFlow) doneText() string {
	names := quotedNames(s.entries)
	n, failed := len(s.runs), s.failures()
	switch {
	case s.rotated != nil && n == 0:
		return fmt.Sprintf("%s has a new key; the old one works until %s.", names, when(s.c, &s.rotated.RetiresAt))
	case n == 0:
		return fmt.Sprintf("%s: nothing was tried on Wise's playground.", names)
	case failed > 0:
		return fmt.Sprintf("%s: %d of %d playground calls failed.", names, failed, n)
	case s.rotated != nil:
		return fmt.Sprintf("%s has a new key, and Wise's playground took it.", names)
	case s.mode == joseCheckOnly:
		return fmt.Sprintf("%s: Wise's playground answered %d of %d calls.", names, n, n)
	}
	return fmt.Sprintf("%s: uploaded to Wise, and its playground answered %d of %d calls.", names, n, n)
}

func (s *joseFlow) Title() string {
	switch s.mode {
	case joseUploadOne:
		return "Upload a JOSE key"
	case joseRotation:
		return "Rotate a JOSE key"
	case joseCheckOnly:
		return "Check JOSE"
	}
	return joseSteps.title
}

// CapturesText on the name step, so typed letters reach it.
func (s *joseFlow) CapturesText() bool { return joseSteps.capturesText(s) }
func (s *joseFlow) View() string       { return joseSteps.render(s) }

func (s *joseFlow) ShortHelp() []key.Binding  { return joseSteps.shortHelp(s) }
func (s *joseFlow) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }
