package cli

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/wisewallet/wisewallet/flows"
)

// The command line words the typed errors of flows/ exactly as it did
// when flows/ wrote the words itself: scripts and users see no change.
func TestCLIWordsTypedErrorsWithItsFlagsAndCommands(t *testing.T) {
	cause := &flows.APIError{Op: "POST /oauth/token", Status: 400, Code: "invalid_grant", TraceID: "t-1"}
	_, envMissing := flows.ResolveEnv("", "")
	_, envUnknown := flows.ResolveEnv("staging", "")
	_, localNoURL := flows.ResolveEnv("local", "")
	_, badURL := flows.ResolveEnv("local", "http://example.com")
	for _, tc := range []struct {
		err  error
		want string
		code int
	}{
		{envMissing, "--env is required: sandbox, production or local", exitUsage},
		{envUnknown, `unknown environment "staging": use sandbox, production or local`, exitUsage},
		{localNoURL, "--env local needs --api-url (the URL 'wisewallet localwise' prints)", exitUsage},
		{badURL, `--api-url "http://example.com" is not on this machine: --env local is a localwise server on 127.0.0.1 or localhost (the URL 'wisewallet localwise' prints); for Wise's hosts use --env sandbox or --env production without --api-url`, exitUsage},
		{&flows.InputError{Input: flows.InputClientID, Reason: flows.ErrMissing}, "--client-id is required (Developer Hub shows it)", exitUsage},
		{&flows.InputError{Input: flows.InputRedirectURL, Value: "ftp://x", Reason: flows.ErrNotHTTPURL}, `--redirect-url "ftp://x" is not an http(s) URL`, exitUsage},
		{&flows.InputError{Input: flows.InputRedirectURL, Entry: "app", Reason: flows.ErrMissing},
			`client "app" has no redirect URL; add it again with --redirect-url (the URL registered with Wise)`, exitUsage},
		{&flows.InputError{Input: flows.InputEmail, Value: "x", Reason: flows.ErrNotEmail}, `--email "x" is not an email address`, exitUsage},
		{&flows.KindError{Entry: "tok", Kind: flows.KindPersonal, Want: flows.KindClient},
			`"tok" is a personal entry; login needs an OAuth client entry (wisewallet add client)`, exitUsage},
		{&flows.NameTakenError{Name: "bob", Client: "app"},
			`entry already exists: "bob" already exists and is not a login of client "app"; choose another --as name`, exitError},
		{&flows.NameTakenError{Name: "bob", Client: "app", CodeLogin: true},
			`entry already exists: "bob" holds a login by authorization code; choose another --as name for a registration-code user`, exitError},
		{&flows.ExistingAccountError{Email: "d@x.test", Client: "app", As: "dave"},
			"d@x.test already has a Wise account, which only its owner can link: use 'wisewallet login app --as dave' (authorization code)", exitError},
		{&flows.NeedsLoginError{Entry: "bob", Client: "app", Cause: cause},
			`"bob" needs login again: Wise rejected its refresh token (expired or revoked); run 'wisewallet login app --as bob': ` + cause.Error(), exitNeedsLogin},
		{&flows.NeedsLoginError{Entry: "eve", Client: "app", Email: "eve@x.test", Unfinished: true},
			`"eve" needs login again: its login did not finish; run 'wisewallet login app --as eve --registration-code --email eve@x.test'`, exitNeedsLogin},
		{&flows.NeedsLoginError{Entry: "bob", Client: "app", Cause: cause, Lost: errors.New("connection reset")},
			`"bob" needs login again: Wise rejected its refresh token (expired or revoked); run 'wisewallet login app --as bob': ` + cause.Error() +
				" (an earlier attempt got no answer, connection reset; Wise may have used the refresh token then)", exitNeedsLogin},
		{&flows.NeedsLoginError{Entry: "dave", Client: "app", Email: "d@x.test", CodeRefused: true, Cause: cause},
			"the registration code for d@x.test is no longer accepted by Wise (the user may have claimed the account); link it with 'wisewallet login app --as dave': " + cause.Error(), exitNeedsLogin},
		{&flows.MissingClientError{Entry: "bob", Client: "app"},
			`"bob" cannot be refreshed: its OAuth client "app" is gone; add the client again ('wisewallet add client app ...') or log in through another ('wisewallet login CLIENT --as bob')`, exitError},
		// Wrapped, the context around it stays.
		{fmt.Errorf("getting a token for %q: %w", "app", &flows.NeedsLoginError{Entry: "bob", Client: "app"}),
			`getting a token for "app": "bob" needs login again: Wise rejected its refresh token (expired or revoked); run 'wisewallet login app --as bob'`, exitNeedsLogin},
	} {
		var buf bytes.Buffer
		code := report(&buf, tc.err)
		if got := buf.String(); got != "wisewallet: "+tc.want+"\n" || code != tc.code {
			t.Errorf("report(%T) = %d %q\nwant %d %q", tc.err, code, got, tc.code, "wisewallet: "+tc.want+"\n")
		}
	}
}

// The SCA use cases' errors name the command or flag that fixes them.
func TestCLIWordsSCAErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&flows.InputError{Input: flows.InputKeyBits, Value: "1024", Reason: flows.ErrSCAKeyBits}, "--bits 1024: " + flows.ErrSCAKeyBits.Error()},
		{&flows.InputError{Input: flows.InputProfile, Entry: "u", Reason: flows.ErrMissing}, `"u" has no profile known: give one with --profile ID ('wisewallet whoami u' lists them)`},
		{&flows.KindError{Entry: "app", Kind: flows.KindClient, Want: flows.KindUser, For: "sca"}, "('wisewallet login CLIENT --as NAME'; for a personal token: 'wisewallet sca keygen NAME --for TOKEN')"},
		{&flows.FactorExistsError{Credential: "u", Profile: 7, Factor: flows.FactorPIN}, "('wisewallet sca pin change u --profile 7')"},
		{&flows.DeviceRefusedError{Credential: "u"}, "('wisewallet sca device rm u', then 'wisewallet sca device add u')"},
		{&flows.SCAKeyNotLinkedError{Entry: "k"}, "'wisewallet sca keygen NAME --for TOKEN'"},
		{&flows.MissingClientError{Entry: "u", Client: "app", Doing: "sca"}, "('wisewallet add client app ...')"},
		{&flows.NoSolvableFactorError{Credential: "u", Kind: flows.KindUser}, "('wisewallet sca pin set u', 'wisewallet sca device add u')"},
	} {
		var buf bytes.Buffer
		report(&buf, tc.err)
		if !bytes.Contains(buf.Bytes(), []byte(tc.want)) {
			t.Errorf("report(%T) = %q, want it to hold %q", tc.err, buf.String(), tc.want)
		}
	}
}
