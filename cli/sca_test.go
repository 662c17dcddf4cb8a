package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/flows"
)

// testOTT is a one-time token of the right shape, for the suites that
// only need one to get past the argument checks.
const testOTT = "3f1c5a6e-8a0b-4c1d-9e2f-123456789abc"

// Exit code 6 is every challenge that could not be cleared, and only
// those; Ctrl-C during one is still 130.
func TestSCAErrorsMapToExitCodes(t *testing.T) {
	cause := errors.New("HTTP 400")
	cases := []struct {
		err  error
		code int
	}{
		{&flows.SCABlockedError{Credential: "u", Until: time.Now().Add(15 * time.Minute)}, exitSCA},
		{fmt.Errorf("approving: %w", &flows.NoSolvableFactorError{Credential: "p", ActionType: "BALANCE__GET_STATEMENT",
			Factors: []flows.SCAFactorOption{{Factor: flows.FactorFaceMap, WhyNot: "not in a terminal"}}}), exitSCA},
		{&flows.ChallengeInterruptedError{Credential: "u", Cause: errNoTerminalToAnswer}, exitSCA},
		{&noTerminalError{command: "sca approve", needs: "to type"}, exitSCA},
		{&flows.ChallengeInterruptedError{Credential: "u", Cause: context.Canceled}, exitInterrupted},
		{&flows.WrongPINError{AttemptsLeft: 3, Cause: cause}, exitError},
		{&flows.WrongOTPError{Channel: flows.FactorSMS, AttemptsLeft: 2, Cause: cause}, exitError},
		{&flows.OTTUsedError{OTT: testOTT, Cause: cause}, exitError},
		{&flows.SCAKeyUnknownError{Key: "k", Cause: cause}, exitError},
		{&flows.FactorNotSetUpError{Credential: "u", Factor: flows.FactorPIN, Cause: cause}, exitError},
		{&flows.SCAUploadElsewhereError{Key: "k", Env: flows.EnvSandbox, Where: "API tokens"}, exitUsage},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		if got := report(&buf, c.err); got != c.code {
			t.Errorf("report(%v) = %d, want %d", c.err, got, c.code)
		}
		if !strings.HasPrefix(buf.String(), "wisewallet: ") || strings.Count(buf.String(), "\n") != 1 {
			t.Errorf("report(%v) printed %q", c.err, buf.String())
		}
	}
}

// The fixes named for a factor not set up, a full profile and a key
// localwise does not know are this command line's commands.
func TestSCAHintsNameTheCommand(t *testing.T) {
	cause := errors.New("HTTP 404")
	for _, c := range []struct {
		err  error
		want string
	}{
		{&flows.FactorNotSetUpError{Credential: "u1", Profile: 7, Factor: flows.FactorPIN, Cause: cause}, "'wisewallet sca pin set u1 --profile 7'"},
		{&flows.FactorNotSetUpError{Credential: "u1", Factor: flows.FactorDeviceFingerprint, Cause: cause}, "'wisewallet sca device add u1'"},
		{&flows.TooManyDevicesError{Credential: "u1", Profile: 7, Cause: cause}, "'wisewallet sca device rm u1 ID'"},
		{&flows.SCAKeyUnknownError{Key: "k1", Env: flows.EnvLocal, Cause: cause}, "'wisewallet sca upload k1'"},
	} {
		if got := scaHint(c.err, "u1").Error(); !strings.Contains(got, c.want) {
			t.Errorf("scaHint(%T) = %q, want it to name %s", c.err, got, c.want)
		}
	}
	noTTY := scaHint(&flows.ChallengeInterruptedError{Credential: "u1", Cause: errNoTerminalToAnswer}, "u1")
	if !strings.Contains(noTTY.Error(), "no terminal to answer on") || !errors.Is(noTTY, flows.ErrSCANotCleared) {
		t.Errorf("a challenge met without a terminal: %v", noTTY)
	}
	// A reason all factors share is said once, and the error is still
	// one that exits 6.
	why := "a personal token cannot clear them"
	none := fmt.Errorf("approving: %w", &flows.NoSolvableFactorError{Credential: "p1", Kind: flows.KindPersonal, ActionType: "TRANSFER__FUND", Instead: "use the app",
		Factors: []flows.SCAFactorOption{{Factor: flows.FactorPIN, WhyNot: why}, {Factor: flows.FactorFaceMap, WhyNot: why}, {Factor: flows.FactorSMS, WhyNot: why}}})
	got := scaHint(none, "p1")
	if want := `approving: this challenge (TRANSFER__FUND) cannot be cleared with "p1": none of its factors (PIN, FACE_MAP, SMS) can be used: a personal token cannot clear them; use the app`; got.Error() != want {
		t.Errorf("a shared reason:\n%s\nwant\n%s", got, want)
	}
	if report(io.Discard, got) != exitSCA {
		t.Error("the reworded refusal does not exit 6")
	}
	other := &flows.SCAKeyUnknownError{Key: "k1", Env: flows.EnvSandbox, Cause: cause}
	if got := scaHint(other, "u1"); got != error(other) {
		t.Errorf("a sandbox key's refusal got a localwise hint: %v", got)
	}
}

// answersTTY is a terminal typed into line by line; it records what was
// written to it.
type answersTTY struct {
	out     bytes.Buffer
	answers []string
}

func (f *answersTTY) Write(b []byte) (int, error) { return f.out.Write(b) }
func (f *answersTTY) next() ([]byte, error) {
	if len(f.answers) == 0 {
		return nil, io.EOF
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return []byte(a), nil
}
func (f *answersTTY) ReadPassword() ([]byte, error) { return f.next() }
func (f *answersTTY) ReadLine() ([]byte, error)     { return f.next() }
func (f *answersTTY) Close() error                  { return nil }

func TestTerminalSolverChoosesAFactor(t *testing.T) {
	ch := flows.SCAChallengeView{Primary: flows.FactorPIN, Alternatives: []flows.SCAFactor{flows.FactorFaceMap, flows.FactorSMS},
		Required: true, Index: 1, Total: 2, ActionType: "BALANCE__GET_STATEMENT", Options: []flows.SCAFactorOption{
			{Factor: flows.FactorPIN, Solvable: true}, {Factor: flows.FactorFaceMap, WhyNot: "a face scan cannot be captured in a terminal"},
			{Factor: flows.FactorSMS, Solvable: true}}}
	for _, c := range []struct {
		answers []string
		want    flows.SCAFactor
	}{
		{[]string{"2"}, flows.FactorSMS}, {[]string{""}, flows.FactorPIN}, {[]string{"sms"}, flows.FactorSMS},
		{[]string{"3", "face_map", "1"}, flows.FactorPIN},
	} {
		tt := &answersTTY{answers: c.answers}
		got, err := (&termSolver{t: tt}).Choose(context.Background(), ch)
		if err != nil || got != c.want {
			t.Errorf("answers %q: %q, %v; want %q", c.answers, got, err, c.want)
		}
		screen := tt.out.String()
		for _, want := range []string{"Challenge 1 of 2 (BALANCE__GET_STATEMENT)", "1. PIN", "2. code by SMS", "face scan (FaceTec): cannot, a face scan cannot be captured"} {
			if !strings.Contains(screen, want) {
				t.Errorf("the terminal shows no %q:\n%s", want, screen)
			}
		}
	}
	// Three answers that are none: given up, as an interruption.
	_, err := (&termSolver{t: &answersTTY{answers: []string{"9", "x", "0"}}}).Choose(context.Background(), ch)
	if !errors.Is(err, flows.ErrSCAInterrupted) {
		t.Errorf("three wrong choices: %v, want ErrSCAInterrupted", err)
	}
	// One factor left: taken without a question.
	one := ch
	one.Options = []flows.SCAFactorOption{{Factor: flows.FactorDeviceFingerprint, Solvable: true}, {Factor: flows.FactorFaceMap, WhyNot: "no"}}
	tt := &answersTTY{}
	if got, err := (&termSolver{t: tt}).Choose(context.Background(), one); err != nil || got != flows.FactorDeviceFingerprint {
		t.Errorf("the one solvable factor: %q, %v", got, err)
	}
}

// A PIN or code of the wrong shape is asked again without being sent;
// an empty answer gives up; neither is ever written to the terminal.
func TestTerminalSolverReadsCodesHidden(t *testing.T) {
	tt := &answersTTY{answers: []string{"12a4", "98765", "4821"}}
	pin, err := (&termSolver{t: tt}).PIN(context.Background(), 3)
	if err != nil || pin.RevealString() != "4821" {
		t.Fatalf("PIN: %d bytes, %v", pin.Len(), err)
	}
	if s := tt.out.String(); !strings.Contains(s, "3 attempts left") || strings.Count(s, "not a 4-digit PIN") != 2 {
		t.Errorf("the PIN prompts:\n%s", s)
	}
	tt = &answersTTY{answers: []string{"583016"}}
	code, err := (&termSolver{t: tt}).OTP(context.Background(), flows.FactorWhatsApp, "*********8888")
	if err != nil || code.RevealString() != "583016" || !strings.Contains(tt.out.String(), "code by WhatsApp to *********8888") {
		t.Errorf("OTP: %v\n%s", err, tt.out.String())
	}
	for _, typed := range []string{"4821", "12a4", "98765", "583016"} {
		if strings.Contains(tt.out.String(), typed) {
			t.Errorf("the terminal shows %q", typed)
		}
	}
	if _, err := (&termSolver{t: &answersTTY{answers: []string{""}}}).PIN(context.Background(), -1); !errors.Is(err, flows.ErrSCAInterrupted) {
		t.Errorf("an empty PIN: %v, want ErrSCAInterrupted", err)
	}
	if _, err := (&termSolver{t: &answersTTY{answers: []string{"1", "2", "3"}}}).OTP(context.Background(), flows.FactorSMS, ""); !errors.Is(err, flows.ErrSCAInterrupted) {
		t.Errorf("three malformed codes: %v, want ErrSCAInterrupted", err)
	}
}
