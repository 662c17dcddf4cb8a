package tui

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lwdemo "github.com/wisewallet/wisewallet/demo"
	"github.com/wisewallet/wisewallet/flows"
)

// Issue 13: a Wise that cannot be reached is not worded as a refusal,
// and no x-trace-id is asked for: there was no answer to carry one.
func TestPersonalFlowSaysAnUnreachableWiseCouldNotBeReached(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d, err := lwdemo.Start(ctx, lwdemo.Options{Dir: t.TempDir(), TokenTTL: 3 * time.Minute, KDF: lwdemo.FastKDF})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	c := NewCommon(ctx, d.Service, time.Now, Environment{Demo: true, WalletPath: filepath.Join(d.Dir, "wallet.ww"), DemoAPIURL: dead})

	dr := wzChoose(t, c, 0)
	f := dr.s.(*personalFlow)
	dr.typeText("ops-offline")
	dr.press("enter")
	dr.until("the environment step", func() bool { return f.step == psEnv })
	dr.press("enter", "enter") // local, the (dead) URL filled in
	dr.typeText("some-token-for-a-dead-host")
	dr.press("enter")
	dr.until("the check's result", func() bool { return f.step == psResult })
	if !errors.Is(f.err, flows.ErrUnreachable) {
		t.Fatalf("want an unreachable host, got %v", f.err)
	}
	view := wzFlat(f)
	if strings.Contains(view, "did not accept") || strings.Contains(view, "Quote the x-trace-id") {
		t.Errorf("an unreachable Wise is worded as a refusal or asks for a trace id:\n%s", wzPlain(f))
	}
	if !strings.Contains(view, "Wise could not be reached") || !strings.Contains(view, "could not be reached") {
		t.Errorf("the failure does not say Wise could not be reached:\n%s", wzPlain(f))
	}
	if _, err := d.Service.Entry("ops-offline"); !errors.Is(err, flows.ErrEntryNotFound) {
		t.Errorf("stored although Wise was not reached (%v)", err)
	}
}
