package demo

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
)

func TestStartFillsAWalletThroughTheRealFlows(t *testing.T) {
	dir := t.TempDir()
	d, err := Start(context.Background(), Options{Dir: dir, TokenTTL: time.Minute, KDF: FastKDF})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]flows.Kind{"acme-app": flows.KindClient, "acme-personal": flows.KindPersonal, "partner-user": flows.KindUser, "acme-mtls": flows.KindMTLS,
		DemoJOSESigning: flows.KindJOSE, DemoJOSEEncryption: flows.KindJOSE, DemoSCAUser: flows.KindUser}
	entries := d.Service.Entries()
	if len(entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(entries), len(want))
	}
	for _, e := range entries {
		if want[e.Name] != e.Kind || e.Env.Name != flows.EnvLocal || e.Env.APIURL != d.Server.Demo().APIURL {
			t.Errorf("entry %s: kind %s at %s", e.Name, e.Kind, e.Env.APIURL)
		}
	}
	// The user came through the registration-code login, and its tokens
	// live for the short lifetime asked for.
	user, err := d.Service.Entry("partner-user")
	if err != nil || user.UserID == 0 || user.AccessExpiresAt == nil || user.AccessExpiresAt.Sub(*user.AccessIssuedAt) > time.Minute ||
		user.AccessExpiresAt.Sub(*user.AccessIssuedAt) < time.Minute/2 || !user.LogsInWithCode() {
		t.Fatalf("partner-user: %+v (%v)", user, err)
	}
	// The client's certificate came from the Developer Hub stand-in, for
	// the demo's short life, inside the renewal reminder so the dashboard
	// shows it; and it works: the mTLS playground accepts it.
	m, err := d.Service.Entry("acme-mtls")
	if err != nil || m.LinkedTo != "acme-app" || m.NotAfter == nil || !m.CertificateRenewalDue(time.Now()) ||
		m.NotAfter.Sub(time.Now()) > DefaultCertTTL || m.NotAfter.Sub(time.Now()) < DefaultCertTTL-time.Hour {
		t.Fatalf("acme-mtls: %+v (%v)", m, err)
	}
	if r, err := d.Service.MTLSCheck(context.Background(), "acme-mtls"); err != nil || r.Status != http.StatusOK {
		t.Fatalf("the demo certificate's check: %+v %v", r, err)
	}
	// The client's JOSE keys are uploaded and counted down, Wise's keys
	// are in the client entry, and every playground round-trips with them.
	for _, name := range []string{DemoJOSESigning, DemoJOSEEncryption} {
		k, err := d.Service.Entry(name)
		if err != nil || k.LinkedTo != "acme-app" || !k.Uploaded || k.KeyID == "" || k.ValidTill == nil ||
			k.ValidTill.Sub(time.Now()) < flows.DefaultJOSEValidity-time.Hour || k.ValidTill.Sub(time.Now()) > flows.DefaultJOSEValidity {
			t.Fatalf("%s: %+v (%v)", name, k, err)
		}
		found := false
		for _, x := range k.Expiries() {
			found = found || x.Kind == flows.KeyValidity
		}
		if !found {
			t.Errorf("%s: no key validity among its expiries, so the dashboard shows no countdown", name)
		}
	}
	if keys := d.Service.JOSEKeys("acme-app"); len(keys) != 2 {
		t.Errorf("JOSEKeys(acme-app): %d entries, want 2", len(keys))
	}
	for _, mode := range flows.PlaygroundModes {
		if r, err := d.Service.JOSEPlayground(context.Background(), "acme-app", mode, "demo"); err != nil || r.Status != http.StatusOK {
			t.Errorf("the demo's %s playground: %+v %v", mode, r, err)
		}
	}
	// The demo user is logged in for its personal profile, through the
	// client, and has no PIN or device yet: ready for the 2FA setup.
	u, err := d.Service.Entry(DemoSCAUser)
	if err != nil || u.LinkedTo != "acme-app" || u.UserEmail != d.Server.Demo().UserEmail || len(u.Profiles) == 0 || u.Profiles[0].ID != d.Server.Demo().PersonalProfileID {
		t.Fatalf("%s: %+v (%v)", DemoSCAUser, u, err)
	}
	f := d.Service.SCAFactors(DemoSCAUser)
	usable := map[flows.SCAFactor]bool{}
	for _, o := range f.Factors {
		usable[o.Factor] = o.Solvable
	}
	if !usable[flows.FactorPIN] || !usable[flows.FactorSMS] || usable[flows.FactorDeviceFingerprint] || len(f.PINProfiles) != 0 || f.DeviceID != "" {
		t.Errorf("%s's factors: %+v", DemoSCAUser, f)
	}
	// The wallet on disk opens with the demo passphrase.
	if _, err := flows.OpenWallet(context.Background(), dir, crypto.SecretString(Passphrase), flows.Options{}); err != nil {
		t.Fatalf("the demo wallet does not open with %q: %v", Passphrase, err)
	}
	base := d.Server.Demo().APIURL
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(base + "/v1/me"); err == nil {
		resp.Body.Close()
		t.Error("localwise still answers after Close")
	}
}

func TestStartFailsInAFolderWithAWallet(t *testing.T) {
	dir := t.TempDir()
	d, err := Start(context.Background(), Options{Dir: dir, KDF: FastKDF})
	if err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	if d, err := Start(context.Background(), Options{Dir: dir, KDF: FastKDF}); err == nil {
		_ = d.Close()
		t.Fatal("a second demo wrote over the first one's wallet")
	}
}
