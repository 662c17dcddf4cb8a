package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/wallet"
)

func TestStampChangesWhenAnotherProcessSaves(t *testing.T) {
	f := newFixture(t, localwise.Config{})
	s1, err := f.svc.Stamp()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := f.svc.Stamp(); again != s1 {
		t.Fatal("the stamp changed without a save")
	}
	other := New(f.reopen(), Options{})
	if _, err := other.AddPersonal(context.Background(), "elsewhere", f.env, crypto.SecretString("t-elsewhere-1")); err != nil {
		t.Fatal(err)
	}
	s2, err := f.svc.Stamp()
	if err != nil {
		t.Fatal(err)
	}
	if s1 == s2 {
		t.Error("the stamp did not change after another process saved")
	}
	if _, err := f.svc.Entry("elsewhere"); !errors.Is(err, ErrEntryNotFound) {
		t.Fatal("the other process's entry is there before a reload")
	}
	if err := f.svc.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Entry("elsewhere"); err != nil {
		t.Errorf("after the reload: %v", err)
	}
}

func TestOpenWalletTellsAWrongPassphrase(t *testing.T) {
	dir := t.TempDir()
	if _, err := CreateWallet(context.Background(), dir, crypto.SecretString("right"), testKDF, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWallet(context.Background(), dir, crypto.SecretString("wrong"), Options{}); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
	if _, err := OpenWallet(context.Background(), dir, crypto.SecretString("right"), Options{}); err != nil {
		t.Errorf("right passphrase: %v", err)
	}
}

// The views a front end gets hold no secret value, in any form it might
// print; the value comes only from Reveal.
func TestViewsHoldSecretsByNameAndLengthOnly(t *testing.T) {
	f := newFixture(t, localwise.Config{})
	ctx := context.Background()
	token := canary("view-token")
	added, err := f.svc.AddPersonal(ctx, "p1", f.env, crypto.SecretString(token))
	if err != nil {
		t.Fatal(err)
	}
	client, err := f.svc.AddClient(ctx, ClientInput{Name: "app", Env: f.env, ClientID: localwise.DemoClientID,
		Secret: crypto.SecretString(localwise.DemoClientSecret), RedirectURL: localwise.DemoRedirectURL, Check: true})
	if err != nil {
		t.Fatal(err)
	}
	user, err := f.svc.LoginRegistrationCode(ctx, RegistrationRequest{Client: "app", As: "u1", Email: "view.user@localwise.test"})
	if err != nil {
		t.Fatal(err)
	}
	saved := f.saved("u1")
	secrets := []string{token, localwise.DemoClientSecret}
	for _, field := range saved.SecretFields() {
		secrets = append(secrets, secretOf(t, saved, field))
	}
	for _, v := range f.svc.Entries() {
		for _, sec := range v.Secrets {
			if !slices.Contains(SecretsOf(v.Kind), sec.Name) {
				t.Errorf("%s entry %s holds %s, which its kind does not declare (%v)", v.Kind, v.Name, sec.Name, SecretsOf(v.Kind))
			}
		}
	}
	for _, v := range append(f.svc.Entries(), added, client, user) {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		for verb, text := range map[string]string{"%v": fmt.Sprintf("%v", v), "%+v": fmt.Sprintf("%+v", v), "%#v": fmt.Sprintf("%#v", v), "json": string(j)} {
			assertNoSecret(t, "view "+v.Name+" "+verb, text, secrets...)
		}
	}
	want := []SecretInfo{{wallet.SecretAccessToken, len(secretOf(t, saved, wallet.SecretAccessToken))},
		{wallet.SecretRefreshToken, len(secretOf(t, saved, wallet.SecretRefreshToken))},
		{wallet.SecretRegistrationCode, len(secretOf(t, saved, wallet.SecretRegistrationCode))}}
	if !slices.Equal(user.Secrets, want) || user.UserEmail != "view.user@localwise.test" || user.LinkedTo != "app" {
		t.Errorf("the login's view: %+v, want secrets %v", user, want)
	}
	got, err := f.svc.Reveal("p1", wallet.SecretToken)
	if err != nil || got.RevealString() != token {
		t.Errorf("Reveal did not return the token: %v", err)
	}
	var none *NoSecretError
	if _, err := f.svc.Reveal("p1", wallet.SecretClientSecret); !errors.As(err, &none) || none.Entry != "p1" {
		t.Errorf("revealing a secret the entry does not hold: %v", err)
	}
	if _, err := f.svc.Reveal("nobody", wallet.SecretToken); !errors.Is(err, ErrEntryNotFound) {
		t.Errorf("revealing a secret of no entry: %v", err)
	}
}
