package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// The command line's words for what the layers below report as data: the
// typed errors of flows/ say what is wrong and what fixes it in fields;
// here the fix becomes this command line's commands and flags. Nothing
// below cli/ names a flag or a command (words_below_test.go checks).

// cliWords is err as the command line prints it: each typed error in its
// chain is worded with the commands and flags that fix it, in place, so
// the context others wrapped around it stays.
func cliWords(err error) string {
	msg := err.Error()
	reword := func(typed error, words string) {
		msg = strings.Replace(msg, typed.Error(), words, 1)
	}
	var input *flows.InputError
	if errors.As(err, &input) {
		reword(input, inputWords(input))
	}
	var kind *flows.KindError
	if errors.As(err, &kind) && kind.For == "edit" {
		reword(kind, kind.Error()+"; 'wisewallet list' shows the kinds")
	} else if errors.As(err, &kind) && kind.Want == flows.KindClient {
		reword(kind, kind.Error()+" (wisewallet add client)")
	}
	mtlsWords(err, reword)
	joseWords(err, reword)
	scaWords(err, reword)
	var taken *flows.NameTakenError
	if errors.As(err, &taken) {
		if taken.CodeLogin {
			reword(taken, fmt.Sprintf("%v: %q holds a login by authorization code; choose another --as name for a registration-code user", wallet.ErrEntryExists, taken.Name))
		} else {
			reword(taken, fmt.Sprintf("%v: %q already exists and is not a login of client %q; choose another --as name", wallet.ErrEntryExists, taken.Name, taken.Client))
		}
	}
	var account *flows.ExistingAccountError
	if errors.As(err, &account) {
		reword(account, fmt.Sprintf("%s already has a Wise account, which only its owner can link: use 'wisewallet login %s --as %s' (authorization code)", account.Email, account.Client, account.As))
	}
	var missing *flows.MissingClientError
	if errors.As(err, &missing) && missing.Doing == "sca" && missing.Client == "" {
		reword(missing, missing.Error()+" ('wisewallet login CLIENT --as NAME')")
	} else if errors.As(err, &missing) && missing.Doing == "sca" {
		reword(missing, missing.Error()+fmt.Sprintf(" ('wisewallet add client %s ...')", missing.Client))
	} else if errors.As(err, &missing) && missing.Doing == "uploaded" {
		reword(missing, fmt.Sprintf("%q cannot be uploaded: its OAuth client %q is gone; add the client again ('wisewallet add client %s ...') or make the key again for another ('wisewallet jose keygen NAME --for CLIENT')", missing.Entry, missing.Client, missing.Client))
	} else if errors.As(err, &missing) && missing.Doing == "checked" {
		reword(missing, fmt.Sprintf("%q cannot be checked: its OAuth client %q is gone; add the client again ('wisewallet add client %s ...') or link the entry to another ('wisewallet mtls link %s CLIENT')", missing.Entry, missing.Client, missing.Client, missing.Entry))
	} else if errors.As(err, &missing) {
		reword(missing, fmt.Sprintf("%q cannot be refreshed: its OAuth client %q is gone; add the client again ('wisewallet add client %s ...') or log in through another ('wisewallet login CLIENT --as %s')", missing.Entry, missing.Client, missing.Client, missing.Entry))
	}
	var pending *flows.PendingLoginError
	if errors.As(err, &pending) {
		reword(pending, strings.TrimSuffix(pending.Error(), pendingFix(pending))+
			fmt.Sprintf("run 'wisewallet login %s --as %s --registration-code --email %s' to finish", pending.Client, pending.Entry, pending.Email))
	}
	var login *flows.NeedsLoginError
	if errors.As(err, &login) {
		reword(login, login.Problem()+"; "+loginWords(login)+login.Detail())
	}
	return withWalletFixes(msg, err)
}

// pendingFix is the end of a PendingLoginError's text: the fix in flows'
// words, which the command line says as its command.
func pendingFix(e *flows.PendingLoginError) string {
	return fmt.Sprintf("log in again with its registration code (%s) through the OAuth client %q to finish", e.Email, e.Client)
}

// inputWords names the flag of a refused input.
func inputWords(e *flows.InputError) string {
	switch {
	case e.Input == flows.InputEnv && e.Reason == flows.ErrMissing:
		return "--env is required: sandbox, production or local"
	case e.Input == flows.InputAPIURL && e.Reason == flows.ErrMissing:
		return "--env local needs --api-url (the URL 'wisewallet localwise' prints)"
	case e.Input == flows.InputAPIURL && e.Reason == flows.ErrOnlyLocal:
		return fmt.Sprintf("--api-url %q is only for --env local: --env sandbox and --env production always use Wise's own hosts; leave out --api-url, or use --env local for a localwise server on this machine", e.Value)
	case e.Input == flows.InputAPIURL && e.Reason == flows.ErrNotLoopback:
		return fmt.Sprintf("--api-url %q is not on this machine: --env local is a localwise server on 127.0.0.1 or localhost (the URL 'wisewallet localwise' prints); for Wise's hosts use --env sandbox or --env production without --api-url", e.Value)
	case e.Input == flows.InputAPIURL:
		return fmt.Sprintf("--api-url %q %v", e.Value, e.Reason)
	case e.Input == flows.InputClientID && e.Reason == flows.ErrMissing:
		return "--client-id is required (Developer Hub shows it)"
	case e.Input == flows.InputRedirectURL && e.Entry != "":
		return fmt.Sprintf("client %q has no redirect URL; add it again with --redirect-url (the URL registered with Wise)", e.Entry)
	case e.Input == flows.InputRedirectURL:
		return fmt.Sprintf("--redirect-url %q %v", e.Value, e.Reason)
	case e.Input == flows.InputEmail:
		return fmt.Sprintf("--email %q %v", e.Value, e.Reason)
	case e.Input == flows.InputOrganisation && e.Reason == flows.ErrMissing:
		return "--org is required: Wise refuses a CSR without an organisation (O); give your company's legal name"
	case e.Input == flows.InputOrganisation:
		return fmt.Sprintf("--org: %v", e.Reason)
	case e.Input == flows.InputCountry:
		return fmt.Sprintf("--country %q: %v", e.Value, e.Reason)
	case e.Input == flows.InputKeyType:
		return fmt.Sprintf("--type %q %v", e.Value, e.Reason)
	case e.Input == flows.InputCertName:
		return fmt.Sprintf("--cert-name %q %v", e.Value, e.Reason)
	case e.Input == flows.InputMTLSURL && e.Entry != "":
		return fmt.Sprintf("%q has no mTLS URL; make it again with --mtls-url", e.Entry)
	case e.Input == flows.InputMTLSURL && e.Reason == flows.ErrMissing:
		return "a local client needs --mtls-url: the mtls_url that 'wisewallet localwise --json' prints"
	case e.Input == flows.InputMTLSURL && e.Reason == flows.ErrOnlyLocal:
		return fmt.Sprintf("--mtls-url %q is only for a local client: sandbox and production always use Wise's own mTLS host; leave out --mtls-url", e.Value)
	case e.Input == flows.InputMTLSURL && e.Reason == flows.ErrNotLoopback:
		return fmt.Sprintf("--mtls-url %q is not on this machine: a local client's mTLS host is localwise's, on 127.0.0.1 or localhost (the mtls_url that 'wisewallet localwise --json' prints)", e.Value)
	case e.Input == flows.InputMTLSURL:
		return fmt.Sprintf("--mtls-url %q %v", e.Value, e.Reason)
	case e.Input == flows.InputJOSEUse && e.Reason == flows.ErrMissing:
		return "--use is required: sig (a signing key) or enc (an encryption key)"
	case e.Input == flows.InputJOSEUse:
		return fmt.Sprintf("--use %q %v", e.Value, e.Reason)
	case e.Input == flows.InputJOSEAlg:
		return fmt.Sprintf("--alg: %v", e.Reason)
	case e.Input == flows.InputValidity:
		return fmt.Sprintf("--valid-for %s %v", e.Value, e.Reason)
	case e.Input == flows.InputOverlap:
		return fmt.Sprintf("--overlap %s %v", e.Value, e.Reason)
	case e.Input == flows.InputJOSEURL && e.Reason == flows.ErrMissing:
		return "--url is required: the path of the request the token is for (e.g. /v1/auth/jose/playground/jws)"
	case e.Input == flows.InputJOSEURL:
		return fmt.Sprintf("--url %q %v", e.Value, e.Reason)
	case e.Input == flows.InputKeyFormat:
		return fmt.Sprintf("key format %q: use --jwk, --pem or --der", e.Value)
	case e.Input == flows.InputPlaygroundMode:
		return fmt.Sprintf("%q %v", e.Value, e.Reason)
	case e.Input == flows.InputMessage:
		return fmt.Sprintf("--message %v", e.Reason)
	case e.Input == flows.InputKeyBits:
		return fmt.Sprintf("--bits %s: %v", e.Value, e.Reason)
	case e.Input == flows.InputProfile && e.Reason == flows.ErrMissing:
		return fmt.Sprintf("%q has no profile known: give one with --profile ID ('wisewallet whoami %s' lists them)", e.Entry, e.Entry)
	case e.Input == flows.InputProfile:
		return fmt.Sprintf("--profile %s %v ('wisewallet whoami CREDENTIAL' lists them)", e.Value, e.Reason)
	case e.Input == flows.InputDeviceID:
		return fmt.Sprintf("device %q %v ('wisewallet sca device list CREDENTIAL' shows them)", e.Value, e.Reason)
	}
	return e.Error()
}

// scaWords words the SCA use cases' errors with the commands that fix
// them (cli_words_sca.go adds the hints that need the command's own
// arguments). Never a PIN, code or fingerprint: flows' texts hold none.
func scaWords(err error, reword func(typed error, words string)) {
	var kind *flows.KindError
	if errors.As(err, &kind) && kind.For == "sca" && kind.Want == flows.KindPersonal {
		reword(kind, kind.Error()+"; 'wisewallet list' shows the kinds")
	} else if errors.As(err, &kind) && kind.For == "sca" {
		reword(kind, kind.Error()+" ('wisewallet login CLIENT --as NAME'; for a personal token: 'wisewallet sca keygen NAME --for TOKEN')")
	}
	var exists *flows.FactorExistsError
	if errors.As(err, &exists) && exists.Factor == flows.FactorPIN {
		reword(exists, exists.Error()+fmt.Sprintf(" ('wisewallet sca pin change %s --profile %d')", exists.Credential, exists.Profile))
	} else if errors.As(err, &exists) {
		reword(exists, exists.Error()+fmt.Sprintf(" ('wisewallet sca device list %s' shows it)", exists.Credential))
	}
	var refused *flows.DeviceRefusedError
	if errors.As(err, &refused) {
		reword(refused, refused.Error()+fmt.Sprintf(" ('wisewallet sca device rm %s', then 'wisewallet sca device add %s')", refused.Credential, refused.Credential))
	}
	var notLinked *flows.SCAKeyNotLinkedError
	if errors.As(err, &notLinked) {
		reword(notLinked, fmt.Sprintf("the SCA key %q signs for no personal token: make one for it with 'wisewallet sca keygen NAME --for TOKEN'", notLinked.Entry))
	}
	var none *flows.NoSolvableFactorError
	if errors.As(err, &none) && none.Kind == flows.KindUser {
		reword(none, none.Error()+fmt.Sprintf(" ('wisewallet sca pin set %s', 'wisewallet sca device add %s')", none.Credential, none.Credential))
	}
}

// loginWords is the command that logs a user entry in again.
func loginWords(e *flows.NeedsLoginError) string {
	switch {
	case e.CodeRefused:
		return fmt.Sprintf("link it with 'wisewallet login %s --as %s'", e.Client, e.Entry)
	case e.Email != "":
		return fmt.Sprintf("run 'wisewallet login %s --as %s --registration-code --email %s'", e.Client, e.Entry, e.Email)
	}
	return fmt.Sprintf("run 'wisewallet login %s --as %s'", e.Client, e.Entry)
}

// withListHint points a user who mistyped a name at the list of names.
func withListHint(err error) error {
	if errors.Is(err, wallet.ErrEntryNotFound) {
		return fmt.Errorf("%w; 'wisewallet list' shows the names", err)
	}
	return err
}

// mtlsWords words the mTLS use cases' errors with the commands that fix
// them.
func mtlsWords(err error, reword func(typed error, words string)) {
	var noCert *flows.NoCertificateError
	if errors.As(err, &noCert) {
		reword(noCert, fmt.Sprintf("%q has no certificate yet: give Developer Hub its CSR ('wisewallet mtls csr %s'), then 'wisewallet mtls import-cert %s CERT.pem --ca CA.pem'", noCert.Entry, noCert.Entry, noCert.Entry))
	}
	var expired *flows.ExpiredCertificateError
	if errors.As(err, &expired) {
		reword(expired, expired.Error()+fmt.Sprintf(" ('wisewallet mtls renew %s')", expired.Entry))
	}
	var notLinked *flows.NotLinkedError
	if errors.As(err, &notLinked) {
		reword(notLinked, notLinked.Error()+fmt.Sprintf(" ('wisewallet mtls link %s CLIENT')", notLinked.Entry))
	}
	var certErr *flows.CertificateError
	if errors.As(err, &certErr) && errors.Is(certErr.Reason, crypto.ErrNoCACertificate) {
		reword(certErr, fmt.Sprintf("%q: no CA certificate to check the certificate against; give Wise's CA certificate with --ca (Developer Hub: Get Wise Certificate)", certErr.Entry))
	}
	var kind *flows.KindError
	if errors.As(err, &kind) && kind.Want == flows.KindMTLS {
		reword(kind, kind.Error()+"; 'wisewallet list' shows the kinds")
	}
}

// joseWords words the JOSE use cases' errors with the commands that fix
// them.
func joseWords(err error, reword func(typed error, words string)) {
	var expired *flows.ExpiredKeyError
	if errors.As(err, &expired) && !expired.NotYet {
		reword(expired, expired.Error()+fmt.Sprintf(" ('wisewallet jose rotate %s')", expired.Entry))
	}
	var notUp *flows.NotUploadedError
	if errors.As(err, &notUp) {
		reword(notUp, notUp.Error()+fmt.Sprintf(" ('wisewallet jose upload %s')", notUp.Entry))
	}
	var noKey *flows.NoJOSEKeyError
	if errors.As(err, &noKey) {
		reword(noKey, noKey.Error()+fmt.Sprintf(" ('wisewallet jose keygen NAME --use %s --for %s', then 'wisewallet jose upload NAME')", noKey.Use, noKey.Client))
	}
	var notLinked *flows.KeyNotLinkedError
	if errors.As(err, &notLinked) {
		reword(notLinked, fmt.Sprintf("the JOSE key %q is not linked to an OAuth client: link it with 'wisewallet jose link %s CLIENT', or make a key for one with 'wisewallet jose keygen NAME --for CLIENT'", notLinked.Entry, notLinked.Entry))
	}
	var underway *flows.RotationUnderwayError
	if errors.As(err, &underway) {
		reword(underway, underway.Error()+"; 'wisewallet status' counts it down")
	}
	var notUploaded *flows.RotatedNotUploadedError
	if errors.As(err, &notUploaded) {
		reword(notUploaded, notUploaded.Error()+fmt.Sprintf(" ('wisewallet jose upload %s')", notUploaded.Entry))
	}
	var kind *flows.KindError
	if errors.As(err, &kind) && kind.Want == flows.KindJOSE {
		reword(kind, kind.Error()+"; 'wisewallet list' shows the kinds")
	}
}
