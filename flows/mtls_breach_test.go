package flows

import (
	"context"
	"strings"
	"testing"

	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
)

// A breach of an mTLS key wipes it; the client's calls then fail with
// words that say so, before anything is sent, rather than moving to the
// plain host (which Wise refuses once a partner's mTLS is set up).
func TestBreachedCertificateStopsItsClientsCalls(t *testing.T) {
	t.Parallel()
	f := newFixture(t, localwise.Config{})
	ctx := context.Background()
	f.addDemoClient("c1")
	if _, err := f.svc.MTLSKeygen(ctx, MTLSKeyInput{Name: "m1", Client: "c1", Org: "Acme", MTLSURL: f.srv.MTLSURL()}); err != nil {
		t.Fatal(err)
	}
	csr, err := f.svc.MTLSCSR("m1")
	if err != nil {
		t.Fatal(err)
	}
	cert, ca := lwtest.IssueCertificate(t, f.srv, localwise.DemoClientID, localwise.DemoClientSecret, "m1", []byte(csr))
	if _, err := f.svc.MTLSImportCert(ctx, "m1", cert, ca); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MarkBreached(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.svc.Entry("m1"); len(v.Secrets) != 0 {
		t.Fatalf("the breached entry still holds %v", v.Secrets)
	}
	f.makeDue() // the client's cached token is due: a call is needed
	before := f.srv.Stats().Requests
	for what, call := range map[string]func() error{
		"check": func() error { _, err := f.svc.MTLSCheck(ctx, "m1"); return err },
		"token": func() error { _, err := f.svc.AccessToken(ctx, "c1"); return err },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "revoked after a suspected breach") {
			t.Errorf("%s after the breach: %v", what, err)
		}
	}
	if after := f.srv.Stats().Requests; after != before {
		t.Errorf("%d calls reached localwise after the breach", after-before)
	}
}
