package tui

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/wisewallet/wisewallet/crypto"
	lwdemo "github.com/wisewallet/wisewallet/demo"
	"github.com/wisewallet/wisewallet/flows"
)

// coreClientEntry is a sandbox OAuth client with two fake secrets (the
// values are coreFake's).
func coreClientEntry() flows.EntryView {
	e := coreEntries()[0]
	e.RedirectURL = "http://127.0.0.1:53682/wisewallet/callback"
	return withSecrets(e, coreFake().secrets["acme-app"])
}

func coreDetails(c *Common, e flows.EntryView) details { return newDetails(c, e).(details) }

func TestDetailsGoldenMasked(t *testing.T) {
	c := coreCommon(coreFake(), 80, 24)
	s := coreDetails(c, coreClientEntry())
	noSecret(t, "the masked details", ansi.Strip(s.View()), "demo-client-secret-REVEALED", "demo-cc-token-0000")
	if !strings.Contains(ansi.Strip(s.View()), "•••••••• (27 chars)") {
		t.Errorf("the secret is not shown masked with its length:\n%s", ansi.Strip(s.View()))
	}
	coreGolden(t, coreAppOn(c, s))
}

func TestDetailsGoldenRevealed(t *testing.T) {
	c := coreCommon(coreFake(), 100, 30)
	var s Screen = coreDetails(c, coreClientEntry())
	s = press(s, "down", "v")
	v := ansi.Strip(s.View())
	if !strings.Contains(v, "demo-client-secret-REVEALED") {
		t.Fatalf("v did not reveal the selected secret:\n%s", v)
	}
	noSecret(t, "the details with one secret revealed", v, "demo-cc-token-0000")
	coreGolden(t, coreAppOn(c, s))
	s = press(s, "v")
	noSecret(t, "the details after v again", ansi.Strip(s.View()), "demo-client-secret-REVEALED")
	s = press(s, "v", "up")
	noSecret(t, "the details after moving on", ansi.Strip(s.View()), "demo-client-secret-REVEALED")
}

func TestDetailsRevealWrapsALongSecretWithinTheWidth(t *testing.T) {
	fake := coreFake()
	c := coreCommon(fake, 80, 24)
	long := strings.Repeat("demo-jwe-part.", 60)
	fake.secrets["acme-app"] = map[string]string{"access_token": long}
	e := withSecrets(coreClientEntry(), fake.secrets["acme-app"])
	s := press(coreDetails(c, e), "v")
	if !strings.Contains(strings.Join(strings.Fields(ansi.Strip(s.View())), ""), long[:100]) {
		t.Fatal("v did not reveal the long secret")
	}
	frame := coreFrame(coreAppOn(c, s))
	coreFits(t, c, frame)
}

func TestDetailsGoldenDeleteConfirm(t *testing.T) {
	c := coreCommon(coreFake(), 80, 24)
	s := press(coreDetails(c, coreClientEntry()), "d")
	coreGolden(t, coreAppOn(c, s))
}

func TestDetailsGoldenBreachConfirm(t *testing.T) {
	c := coreCommon(coreFake(), 100, 30)
	s := press(coreDetails(c, coreClientEntry()), "B")
	coreGolden(t, coreAppOn(c, s))
}

func TestDetailsConfirmDefaultsToNo(t *testing.T) {
	c := coreCommon(coreFake(), 80, 24)
	s := press(coreDetails(c, coreClientEntry()), "d")
	s, cmd := s.Update(keyPress("enter"))
	if cmd != nil || s.(details).mode != modeView {
		t.Fatal("enter on the delete dialog did not choose the default, keep")
	}
	s = press(s, "B", "esc")
	if s.(details).mode != modeView {
		t.Fatal("esc did not cancel the breach dialog")
	}
}

// coreDetailsOnDemo opens the details of a real entry of a demo wallet.
func coreDetailsOnDemo(t *testing.T, name string) (*lwdemo.Demo, *Common, *driver) {
	t.Helper()
	demo, c, _ := coreDemo(t, 100, 30)
	e, err := demo.Service.Entry(name)
	if err != nil {
		t.Fatal(err)
	}
	return demo, c, newDriver(t, newDetails(c, e))
}

func TestDetailsRenameThroughTheWallet(t *testing.T) {
	demo, _, d := coreDetailsOnDemo(t, "acme-app")
	d.send(keyPress("r"))
	if !d.s.(details).CapturesText() {
		t.Fatal("the rename input does not capture typed letters")
	}
	for range len("acme-app") {
		d.send(keyPress("backspace"))
	}
	for _, r := range "bad name" {
		d.send(keyPress(string(r)))
	}
	d.send(keyPress("enter"))
	if v := d.view(); !strings.Contains(v, "Not a valid name") {
		t.Fatalf("an invalid name is not refused:\n%s", v)
	}
	d.send(keyPress("ctrl+u"))
	for _, r := range "acme-oauth" {
		d.send(keyPress(string(r)))
	}
	d.send(keyPress("enter"))
	if _, err := demo.Service.Entry("acme-oauth"); err != nil {
		t.Fatalf("the entry was not renamed in the wallet: %v", err)
	}
	user, _ := demo.Service.Entry("partner-user")
	if user.LinkedTo != "acme-oauth" {
		t.Errorf("the user's link was not renamed: %q", user.LinkedTo)
	}
	if _, ok := firstNav[walletChangedMsg](d); !ok {
		t.Error("the rename did not tell the dashboard")
	}
	if d.s.Title() != "acme-oauth" || d.s.(details).mode != modeView {
		t.Errorf("after renaming the screen shows %q in mode %d", d.s.Title(), d.s.(details).mode)
	}
}

func TestDetailsDeleteAfterConfirmation(t *testing.T) {
	demo, _, d := coreDetailsOnDemo(t, "acme-personal")
	d.send(keyPress("d"))
	d.send(keyPress("y"))
	if _, err := demo.Service.Entry("acme-personal"); !errors.Is(err, flows.ErrEntryNotFound) {
		t.Fatalf("the entry is still in the wallet: %v", err)
	}
	if _, ok := firstNav[popMsg](d); !ok {
		t.Error("deleting did not go back to the dashboard")
	}
	if _, ok := firstNav[walletChangedMsg](d); !ok {
		t.Error("deleting did not tell the dashboard")
	}
}

func TestDetailsBreachWipesSecretsMarksRevokedAndSaysWhereToRevoke(t *testing.T) {
	demo, c, d := coreDetailsOnDemo(t, "acme-personal")
	tok, err := demo.Service.Reveal("acme-personal", "token")
	if err != nil {
		t.Fatal(err)
	}
	token := tok.RevealString()
	d.send(keyPress("B"))
	if v := d.view(); !strings.Contains(v, "It cannot revoke anything at Wise") {
		t.Fatalf("the breach dialog does not say what it does:\n%s", v)
	}
	d.send(keyPress("y"))
	after, err := demo.Service.Entry("acme-personal")
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != flows.StatusRevoked || len(after.Secrets) != 0 {
		t.Fatalf("after the breach the entry is %q with secrets %v", after.Status, after.Secrets)
	}
	// The file on disk holds no secret of it either.
	reopened, err := flows.OpenWallet(context.Background(), demo.Dir, crypto.SecretString(lwdemo.Passphrase), flows.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := reopened.Entry("acme-personal"); len(e.Secrets) != 0 || e.Status != flows.StatusRevoked {
		t.Error("the wiped secrets are still in the wallet file")
	}
	v := d.view()
	for _, want := range []string{"Wiped 1 secret(s) of acme-personal", "Now revoke it at Wise", "localwise"} {
		if !strings.Contains(v, want) {
			t.Errorf("the breach result does not say %q:\n%s", want, v)
		}
	}
	noSecret(t, "the breach result", v, token)
	_ = c
}

func TestDetailsGoldenBreachResult(t *testing.T) {
	c := coreCommon(coreFake(), 100, 30)
	var s Screen = press(coreDetails(c, coreEntries()[6]), "B")
	e := coreEntries()[6]
	e.Secrets, e.Status = nil, flows.StatusRevoked
	s, _ = s.Update(breachedMsg{e})
	v := ansi.Strip(s.View())
	for _, want := range []string{"https://wise.com", "Integrations and tools → API tokens"} {
		if !strings.Contains(v, want) {
			t.Errorf("the production advice lacks %q:\n%s", want, v)
		}
	}
	coreGolden(t, coreAppOn(c, s))
}

func TestDetailsCopyWithoutAClipboardSaysSo(t *testing.T) {
	c := coreCommon(coreFake(), 80, 24)
	c.clip.getenv = func(string) string { return "" }
	s, cmd := coreDetails(c, coreClientEntry()).Update(keyPress("c"))
	msg := cmdMsg(cmd)
	_, cmd = s.Update(msg)
	toast, ok := cmdMsg(cmd).(ToastMsg)
	if !ok || !toast.Error || !strings.Contains(toast.Text, "no clipboard") {
		t.Fatalf("copying without a clipboard is not explained: %+v", toast)
	}
	noSecret(t, "the notice", toast.Text, "demo-client-secret-REVEALED", "demo-cc-token-0000")
}

func TestDetailsCopyUsesTheClipboard(t *testing.T) {
	store, _ := coreFakeClip(t)
	c := coreCommon(coreFake(), 80, 24)
	c.clip.getenv = func(k string) string {
		if k == "DISPLAY" {
			return ":0"
		}
		return ""
	}
	c.clip.clearAfter = 1 << 62
	d := newDriver(t, coreDetails(c, coreClientEntry()))
	d.send(keyPress("down"))
	d.send(keyPress("c"))
	got, _ := os.ReadFile(store)
	if string(got) != "demo-client-secret-REVEALED" {
		t.Fatal("c did not copy the selected secret")
	}
	toast, ok := firstNav[ToastMsg](d)
	if !ok || toast.Error || !strings.Contains(toast.Text, "Copied client_secret") {
		t.Fatalf("the copy is not confirmed: %+v", toast)
	}
	noSecret(t, "the details after copying", d.view(), "demo-client-secret-REVEALED")
}

func TestDetailsFollowsARenewalWithoutRevealingAnotherSecret(t *testing.T) {
	fake := coreFake()
	c := coreCommon(fake, 100, 30)
	var s Screen = press(coreDetails(c, coreClientEntry()), "v") // reveals access_token
	fake.secrets["acme-app"] = map[string]string{"client_secret": "demo-client-secret-REVEALED", "access_token": "demo-cc-token-RENEWED"}
	renewed := withSecrets(coreClientEntry(), fake.secrets["acme-app"])
	s, _ = s.Update(entriesChangedMsg{[]flows.EntryView{renewed}})
	if v := ansi.Strip(s.View()); !strings.Contains(v, "demo-cc-token-RENEWED") {
		t.Fatalf("the revealed token is not the renewed one:\n%s", v)
	}
	fake.secrets["acme-app"] = map[string]string{"client_secret": "demo-client-secret-REVEALED"}
	gone := withSecrets(coreClientEntry(), fake.secrets["acme-app"])
	s, _ = s.Update(entriesChangedMsg{[]flows.EntryView{gone}})
	noSecret(t, "details after the revealed field went away", ansi.Strip(s.View()), "demo-client-secret-REVEALED")
}

// The answer of a copy comes in the session it was started in, so the App
// drops it after a lock, as it does the wallet's answers.
func TestDetailsCopiedAnswerBelongsToItsSession(t *testing.T) {
	c := coreCommon(coreFake(), 80, 24)
	c.clip.getenv = func(string) string { return "" }
	_, cmd := coreDetails(c, coreClientEntry()).Update(keyPress("c"))
	if cmd == nil {
		t.Fatal("c returned no command")
	}
	msg, ok := cmd().(sessionMsg)
	if !ok || msg.session != c.session {
		t.Fatalf("the copy answered with %T, want it in the current session", msg)
	}
	if _, ok := msg.msg.(copiedMsg); !ok {
		t.Fatalf("the session envelope holds %T, want the copy's answer", msg.msg)
	}
}

// The registration code of a partner-created user is never shown (the
// README and the registration's result promise it): v and c on it say
// why, and neither reveals nor copies it.
func TestDetailsNeverShowsTheRegistrationCode(t *testing.T) {
	const code = "demo-registration-code-REVEALED-0123456789"
	fake := coreFake()
	fake.secrets["partner-user"] = map[string]string{"access_token": "fake-access-token", "registration_code": code}
	var user flows.EntryView
	for _, e := range coreEntries() {
		if e.Name == "partner-user" {
			user = withSecrets(e, fake.secrets["partner-user"])
		}
	}
	store, _ := coreFakeClip(t)
	c := coreCommon(fake, 80, 24)
	c.clip.getenv = func(k string) string {
		if k == "DISPLAY" {
			return ":0"
		}
		return ""
	}
	c.clip.clearAfter = 1 << 62
	var s Screen = coreDetails(c, user)
	s = press(s, "down") // access_token, then registration_code
	for _, k := range []string{"v", "c"} {
		next, cmd := s.Update(keyPress(k))
		if m, ok := cmdMsg(cmd).(ToastMsg); !ok || !strings.Contains(m.Text, "never shown") {
			t.Errorf("%s on the registration code: %v, want a notice that it is never shown", k, cmdMsg(cmd))
		}
		noSecret(t, "the details after "+k, ansi.Strip(next.View()), code)
	}
	if got, _ := os.ReadFile(store); strings.Contains(string(got), code) {
		t.Error("c copied the registration code")
	}
	// The other secrets still reveal.
	if v := ansi.Strip(press(s, "up", "v").View()); !strings.Contains(v, "fake-access-token") {
		t.Errorf("v on the access token did not reveal it:\n%s", v)
	}
}

// A secret revealed on the screen or copied to the clipboard is a
// hand-out the audit log records (by name, never by value); hiding it,
// a renewal's re-reveal of the same field and a failed copy are not.
func TestDetailsRecordsRevealsAndCopiesAsHandOuts(t *testing.T) {
	fake := coreFake()
	c := coreCommon(fake, 100, 30)
	shown := newDriver(t, coreDetails(c, coreClientEntry()))
	shown.send(keyPress("v")) // access_token shown,
	shown.send(keyPress("v")) // hidden,
	shown.send(keyPress("v")) // and shown again
	fake.secrets["acme-app"]["access_token"] = "demo-cc-token-RENEWED"
	shown.send(entriesChangedMsg{[]flows.EntryView{withSecrets(coreClientEntry(), fake.secrets["acme-app"])}})
	want := []string{"acme-app access_token screen", "acme-app access_token screen"}
	if !slices.Equal(fake.handedOut, want) {
		t.Errorf("after two reveals and a renewal: %q, want %q", fake.handedOut, want)
	}

	store, _ := coreFakeClip(t)
	copying := coreFake()
	c = coreCommon(copying, 80, 24)
	c.clip.getenv = func(string) string { return "" }
	d := newDriver(t, coreDetails(c, coreClientEntry()))
	d.send(keyPress("c")) // no clipboard here
	c.clip.getenv = func(k string) string {
		if k == "DISPLAY" {
			return ":0"
		}
		return ""
	}
	c.clip.clearAfter = 1 << 62
	d.send(keyPress("down"))
	d.send(keyPress("c"))
	if got, _ := os.ReadFile(store); string(got) != "demo-client-secret-REVEALED" {
		t.Fatal("c did not copy the selected secret")
	}
	copying.mu.Lock()
	defer copying.mu.Unlock()
	if want := []string{"acme-app client_secret clipboard"}; !slices.Equal(copying.handedOut, want) {
		t.Errorf("after a failed copy and a copy: %q, want %q", copying.handedOut, want)
	}
}
