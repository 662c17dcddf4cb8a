package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wisewallet/wisewallet/wallet"
	"github.com/wisewallet/wisewallet/wise"
)

// The one place that says, per kind of entry: what in it expires, whether
// and how it renews, what revoking it means at Wise, how it is described
// field by field, and which secrets it holds. The command line's `show`,
// `status` and `list`, the app's dashboard and details, and the renewer
// all read it; adding a kind means adding its row (a test fails when a
// kind has none).

// Kind says what an entry holds (wallet.Kind; the strings are the
// command line's `list --json` contract).
type Kind = wallet.Kind

// The kinds of entry.
const (
	KindPersonal = wallet.KindPersonal
	KindClient   = wallet.KindClient
	KindUser     = wallet.KindUser
	KindSCA      = wallet.KindSCA
	KindMTLS     = wallet.KindMTLS
	KindJOSE     = wallet.KindJOSE
)

// Status marks entries that need the user's attention (wallet.Status).
type Status = wallet.Status

// Entry statuses.
const (
	StatusOK         = wallet.StatusOK
	StatusNeedsLogin = wallet.StatusNeedsLogin
	StatusRevoked    = wallet.StatusRevoked
)

// RotationReminder is the default age after which a personal token or an
// OAuth client secret is shown as due for rotation. Wise does not expire
// either, so a stolen copy works until someone rotates it; 90 days is the
// common policy of secret scanners and auditors.
const RotationReminder = 90 * 24 * time.Hour

// ExpiryKind says what in an entry expires or ages. Front ends place
// their countdowns and bars by it.
type ExpiryKind int

// The things that expire or age.
const (
	AccessToken            ExpiryKind = iota + 1 // a user's access token, renewed with the refresh token
	ClientCredentialsToken                       // an OAuth client's cached client-credentials token
	RefreshToken                                 // a user's refresh token: then the user logs in again
	Certificate                                  // an mTLS certificate's not-after
	KeyValidity                                  // a JOSE key's valid-till
	SecretAge                                    // a token or client secret against RotationReminder
	PreviousKeyRetires                           // a rotated JOSE key's previous key, at the end of the overlap
)

var expiryWords = map[ExpiryKind][2]string{
	AccessToken:            {"access token", "Access token"},
	ClientCredentialsToken: {"client-credentials token", "Cached token"},
	RefreshToken:           {"refresh token", "Refresh token"},
	Certificate:            {"certificate", "Certificate"},
	KeyValidity:            {"key validity", "Key valid till"},
	SecretAge:              {"secret age", "Secret age"},
	PreviousKeyRetires:     {"previous key", "Previous key retires"},
}

// String is the name `status` and `show --json` print ("access token").
func (k ExpiryKind) String() string {
	if w, ok := expiryWords[k]; ok {
		return w[0]
	}
	return fmt.Sprintf("expiry(%d)", int(k))
}

// Label names it at the head of a line ("Access token").
func (k ExpiryKind) Label() string {
	if w, ok := expiryWords[k]; ok {
		return w[1]
	}
	return k.String()
}

// MarshalText makes it its String in JSON.
func (k ExpiryKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Expiry is one thing in an entry that stops working, or is due for
// rotation, at a known time.
type Expiry struct {
	Kind ExpiryKind `json:"what"`
	// Since is when it began (issued, valid from, created), so a bar can
	// show the part of its life that is left.
	Since time.Time `json:"-"`
	At    time.Time `json:"expires_at"`
}

// renewal is how an entry's access token is kept valid.
type renewal int

const (
	renewNever   renewal = iota // nothing to renew
	renewRefresh                // a user: the refresh-token grant, early
	renewCached                 // a client: its cached client-credentials token, while one is cached
)

// access is what `token` hands out for an entry.
type access int

const (
	accessNone   access = iota // a key entry: no bearer token
	accessStored               // the stored token as it is
	accessOAuth                // an OAuth access token, fetched or refreshed when due
)

// lifetime is what makes the entry as a whole stop working.
type lifetime int

const (
	lastsUntilSoonest   lifetime = iota // its first expiry
	lastsUntilRefresh                   // the refresh token (the access token renews itself)
	lastsForever                        // nothing (a client's cached token is replaced on demand)
	lastsUntilValidTill                 // its key's valid-till (a rotation's previous key ends first, by design)
)

// kindSpec is one kind's row.
type kindSpec struct {
	// secrets are the secret fields an entry of the kind holds.
	secrets  []string
	expiries []expirySpec
	// ages: its secret is a long-lived token or client secret whose age
	// counts against RotationReminder.
	ages     bool
	lifetime lifetime
	renewal  renewal
	access   access
	fields   []fieldSpec
	revoke   func(v EntryView, web, hub string) RevokeAdvice
}

type expirySpec struct {
	kind  ExpiryKind
	at    func(v EntryView) *time.Time
	since func(v EntryView) *time.Time // nil: the entry's creation
}

// kinds is filled in by init: the description of expiries reads the
// table, which would make a package-level initializer refer to itself.
var kinds map[Kind]kindSpec

func init() { kinds = kindTable() }

func kindTable() map[Kind]kindSpec {
	return map[Kind]kindSpec{
		KindPersonal: {
			secrets:  []string{wallet.SecretToken},
			ages:     true,
			renewal:  renewNever,
			access:   accessStored,
			fields:   []fieldSpec{fieldEnv, fieldUser, fieldProfiles, fieldCreated, fieldSecretAge, fieldExpiries},
			revoke:   revokePersonal,
			lifetime: lastsUntilSoonest,
		},
		KindClient: {
			secrets:  []string{wallet.SecretClientSecret, wallet.SecretAccessToken},
			expiries: []expirySpec{{ClientCredentialsToken, func(v EntryView) *time.Time { return v.AccessExpiresAt }, accessIssued}},
			ages:     true,
			lifetime: lastsForever,
			renewal:  renewCached,
			access:   accessOAuth,
			fields:   []fieldSpec{fieldEnv, fieldClientID, fieldRedirectURL, fieldWiseKeys, fieldCreated, fieldSecretAge, fieldExpiries},
			revoke:   revokeClient,
		},
		KindUser: {
			secrets: []string{wallet.SecretAccessToken, wallet.SecretRefreshToken, wallet.SecretRegistrationCode, wallet.SecretDeviceFingerprint},
			expiries: []expirySpec{
				{AccessToken, func(v EntryView) *time.Time { return v.AccessExpiresAt }, accessIssued},
				// A rotated refresh token was issued with the latest access token.
				{RefreshToken, func(v EntryView) *time.Time { return v.RefreshExpiresAt }, func(v EntryView) *time.Time {
					if v.AccessIssuedAt != nil && v.RefreshExpiresAt != nil && v.AccessIssuedAt.Before(*v.RefreshExpiresAt) {
						return v.AccessIssuedAt
					}
					return nil
				}},
			},
			lifetime: lastsUntilRefresh,
			renewal:  renewRefresh,
			access:   accessOAuth,
			fields:   []fieldSpec{fieldEnv, fieldUser, fieldProfiles, fieldLinkedTo, fieldSCA, fieldCreated, fieldExpiries},
			revoke:   revokeUser,
		},
		KindSCA: {
			secrets: []string{wallet.SecretPrivateKey},
			fields:  []fieldSpec{fieldEnv, fieldLinkedTo, fieldKey, fieldSCAUploaded, fieldCreated, fieldExpiries},
			revoke: func(_ EntryView, web, _ string) RevokeAdvice {
				return RevokeAdvice{Steps: []string{
					"Delete the public key at Wise (" + web + "):",
					"  Your account → Integrations and tools → API tokens → Manage public keys.",
				}}
			},
		},
		KindMTLS: {
			secrets:  []string{wallet.SecretPrivateKey, wallet.SecretPendingKey},
			expiries: []expirySpec{{Certificate, func(v EntryView) *time.Time { return v.NotAfter }, certIssued}},
			fields:   []fieldSpec{fieldEnv, fieldLinkedTo, fieldKey, fieldCertificate, fieldRenewal, fieldCreated, fieldExpiries},
			revoke: func(_ EntryView, _, hub string) RevokeAdvice {
				return RevokeAdvice{Steps: []string{
					"Revoke the certificate in the Developer Hub (" + hub + "):",
					"  your application → Authentication → certificates; then generate a new key and CSR.",
				}}
			},
		},
		KindJOSE: {
			secrets: []string{wallet.SecretPrivateKey, wallet.SecretPreviousKey},
			expiries: []expirySpec{
				{KeyValidity, func(v EntryView) *time.Time { return v.ValidTill }, func(v EntryView) *time.Time { return v.ValidFrom }},
				// Counted down only while the previous key is kept: after
				// that it is a record (fieldRotation), not a countdown.
				{PreviousKeyRetires, func(v EntryView) *time.Time {
					if !v.Holds(wallet.SecretPreviousKey) {
						return nil
					}
					return v.PrevRetiresAt
				}, func(v EntryView) *time.Time { return v.ValidFrom }},
			},
			lifetime: lastsUntilValidTill,
			fields:   []fieldSpec{fieldEnv, fieldLinkedTo, fieldJOSEKey, fieldUploaded, fieldRotation, fieldCreated, fieldExpiries},
			revoke: func(v EntryView, _, hub string) RevokeAdvice {
				return RevokeAdvice{Steps: []string{
					"Remove the uploaded public key (key id " + orDash(v.KeyID) + ") in the Developer Hub (" + hub + "),",
					"  then generate and upload a new key pair.",
				}}
			},
		},
	}
}

func accessIssued(v EntryView) *time.Time { return v.AccessIssuedAt }

// specOf is the row of a kind; an unknown kind (a newer wallet's) gets an
// empty row: described by its environment and creation, nothing renewed.
func specOf(k Kind) kindSpec {
	if s, ok := kinds[k]; ok {
		return s
	}
	return kindSpec{fields: []fieldSpec{fieldEnv, fieldCreated}}
}

// SecretsOf lists the secret fields an entry of kind k may hold.
func SecretsOf(k Kind) []string { return slices.Clone(specOf(k).secrets) }

// Expiries lists what expires in v, soonest first. A secret's age is not
// among them (see Countdowns): it is a reminder, not an end.
func (v EntryView) Expiries() []Expiry {
	var out []Expiry
	for _, x := range specOf(v.Kind).expiries {
		at := x.at(v)
		if at == nil || at.IsZero() {
			continue
		}
		since := v.CreatedAt
		if x.since != nil {
			if s := x.since(v); s != nil {
				since = *s
			}
		}
		out = append(out, Expiry{Kind: x.kind, Since: since, At: *at})
	}
	slices.SortStableFunc(out, func(a, b Expiry) int { return a.At.Compare(b.At) })
	return out
}

// Countdowns is everything a live view counts down for v: its expiries,
// soonest first, then the age of its secret against RotationReminder
// (At is when the reminder is due). A revoked entry counts nothing.
func (v EntryView) Countdowns() []Expiry {
	if v.Status == StatusRevoked {
		return nil
	}
	out := v.Expiries()
	if specOf(v.Kind).ages && v.SecretCreatedAt != nil {
		out = append(out, Expiry{Kind: SecretAge, Since: *v.SecretCreatedAt, At: v.SecretCreatedAt.Add(RotationReminder)})
	}
	return out
}

// ExpiresAt is when the entry as a whole stops being usable without user
// action: the refresh token for a user entry (the access token renews
// itself), nothing for a client (its cached token is replaced on demand),
// otherwise the soonest expiry. Nil when nothing expires.
func (v EntryView) ExpiresAt() *time.Time {
	switch specOf(v.Kind).lifetime {
	case lastsForever:
		return nil
	case lastsUntilRefresh:
		if v.RefreshExpiresAt != nil {
			return v.RefreshExpiresAt
		}
	case lastsUntilValidTill:
		if v.ValidTill != nil {
			t := *v.ValidTill
			return &t
		}
		return nil
	}
	if x := v.Expiries(); len(x) > 0 {
		t := x[0].At
		return &t
	}
	return nil
}

// StatusAt is the entry's state at now as `status` and the dashboard show
// it: "ok", "needs_login", "revoked" or "expired". A user whose refresh
// token has run out needs to log in again; anything else past its end
// has expired.
func (v EntryView) StatusAt(now time.Time) string {
	switch v.Status {
	case StatusNeedsLogin:
		return "needs_login"
	case StatusRevoked:
		return "revoked"
	}
	if specOf(v.Kind).lifetime == lastsUntilRefresh {
		if v.RefreshExpiresAt != nil && !now.Before(*v.RefreshExpiresAt) {
			return "needs_login"
		}
		return "ok" // an expired access token is renewed, not the end
	}
	if t := v.ExpiresAt(); t != nil && !now.Before(*t) {
		return "expired"
	}
	return "ok"
}

// Renews reports whether the renewer keeps v's access token fresh.
func (v EntryView) Renews() bool {
	if v.Status != StatusOK {
		return false
	}
	switch specOf(v.Kind).renewal {
	case renewRefresh:
		return true
	case renewCached:
		return v.AccessExpiresAt != nil // only a cached token is kept fresh
	}
	return false
}

// FieldKind says how a described value is shown.
type FieldKind int

// Kinds of described values.
const (
	FieldText   FieldKind = iota // Text as it is
	FieldTime                    // a date and time, Time
	FieldAge                     // the age of a secret created at Time, against RotationReminder
	FieldExpiry                  // a countdown to Time, of Expiry
)

// Field is one line of an entry's description. A field with an empty
// Label continues the one before it (a second profile).
type Field struct {
	Label  string
	Kind   FieldKind
	Text   string
	Time   time.Time
	Expiry ExpiryKind
}

// fieldSpec describes one part of an entry: zero or more lines.
type fieldSpec func(v EntryView) []Field

func textField(label, text string) []Field {
	if text == "" {
		return nil
	}
	return []Field{{Label: label, Kind: FieldText, Text: text}}
}

var (
	fieldEnv = func(v EntryView) []Field {
		return slices.Concat(textField("API", v.Env.APIURL), textField("Authorize", v.Env.AuthorizeURL), textField("mTLS host", v.Env.MTLSURL))
	}
	fieldClientID    = func(v EntryView) []Field { return textField("Client id", v.ClientID) }
	fieldRedirectURL = func(v EntryView) []Field { return textField("Redirect URL", v.RedirectURL) }
	fieldLinkedTo    = func(v EntryView) []Field { return textField("Linked to", v.LinkedTo) }
	fieldUser        = func(v EntryView) []Field {
		if v.UserID == 0 && v.UserEmail == "" && v.UserName == "" {
			return nil
		}
		// Only the parts Wise gave: no "<>" for a missing email.
		var parts []string
		if v.UserName != "" {
			parts = append(parts, v.UserName)
		}
		if v.UserEmail != "" {
			parts = append(parts, "<"+v.UserEmail+">")
		}
		if v.UserID != 0 {
			parts = append(parts, fmt.Sprintf("(user %d)", v.UserID))
		}
		return textField("User", strings.Join(parts, " "))
	}
	fieldProfiles = func(v EntryView) []Field {
		var out []Field
		for i, p := range v.Profiles {
			label := ""
			if i == 0 {
				label = "Profiles"
			}
			text := fmt.Sprintf("%d %s", p.ID, p.Type)
			if p.Name != "" {
				text += " · " + p.Name
			}
			out = append(out, Field{Label: label, Kind: FieldText, Text: text})
		}
		return out
	}
	fieldKey = func(v EntryView) []Field {
		return textField("Key", strings.TrimSpace(v.KeyType+" "+v.Algorithm+" "+v.KeyID))
	}
	fieldJOSEKey = func(v EntryView) []Field {
		use := map[string]string{JOSEUseSig: "signing", JOSEUseEnc: "encryption"}[v.Use]
		return slices.Concat(
			textField("Key", strings.Join(slices.DeleteFunc([]string{use, v.Algorithm, keyTypeWords(v.KeyType)}, func(s string) bool { return s == "" }), " ")),
			textField("Key id", v.KeyID))
	}
	fieldUploaded = func(v EntryView) []Field {
		if v.Kind != KindJOSE {
			return nil
		}
		if v.Uploaded {
			return textField("Uploaded", "yes, registered with Wise as "+scopeOf(v.Use))
		}
		return textField("Uploaded", "no: Wise does not know this key yet")
	}
	// fieldSCA is what a user entry knows of its SCA factors; nothing
	// when none is set up.
	fieldSCA = func(v EntryView) []Field {
		var out []Field
		if len(v.SCAPINSet) > 0 {
			var ps []string
			for _, p := range v.SCAPINSet {
				if p == 0 {
					ps = append(ps, "every profile (v1)")
				} else {
					ps = append(ps, strconv.FormatInt(p, 10))
				}
			}
			out = append(out, textField("SCA PIN", "set for profile "+strings.Join(ps, ", "))...)
		}
		if v.DeviceFingerprintID != "" {
			out = append(out, textField("SCA device", "this device, registered as "+v.DeviceFingerprintID)...)
			if v.DeviceRegisteredAt != nil {
				out = append(out, Field{Label: "Registered", Kind: FieldTime, Time: *v.DeviceRegisteredAt})
			}
		}
		if v.SCASessionUntil != nil {
			out = append(out, Field{Label: "SCA session until", Kind: FieldTime, Time: *v.SCASessionUntil})
		}
		return out
	}
	fieldSCAUploaded = func(v EntryView) []Field {
		if v.Uploaded {
			return textField("Uploaded", "yes (legacy personal-token SCA, withdrawn by Wise)")
		}
		return textField("Uploaded", "no (legacy): upload the public key under API tokens > Manage public keys")
	}
	fieldRotation = func(v EntryView) []Field {
		if v.PrevKeyID == "" {
			return nil
		}
		if !v.Holds(wallet.SecretPreviousKey) {
			when := ""
			if v.PrevRetiresAt != nil {
				when = " " + ShowTime(*v.PrevRetiresAt, time.UTC)
			}
			return textField("Previous key", v.PrevKeyID+" retired"+when+"; its private key is wiped")
		}
		text := v.PrevKeyID + ", kept beside the new key until it retires"
		if v.PrevUploaded && !v.Uploaded {
			text = v.PrevKeyID + ", the one Wise knows: upload the new key before it retires"
		}
		return textField("Previous key", text)
	}
	fieldWiseKeys = func(v EntryView) []Field {
		if v.WiseKeysFetchedAt == nil {
			return nil
		}
		return []Field{
			{Label: "Wise's keys", Kind: FieldText, Text: fmt.Sprintf("signing %s version %d, encryption %s version %d", v.WiseSigningAlg, v.WiseSigningVersion, v.WiseEncryptionAlg, v.WiseEncryptionVersion)},
			{Label: "Fetched", Kind: FieldTime, Time: *v.WiseKeysFetchedAt},
		}
	}
	fieldCertificate = func(v EntryView) []Field {
		subject := "O=" + v.Organization
		if v.Country != "" {
			subject = "C=" + v.Country + ", " + subject
		}
		out := textField("Certificate name", v.CertName)
		if v.Organization != "" {
			out = append(out, textField("CSR subject", subject)...)
		}
		leaf := v.leafCertificate()
		if leaf == nil {
			return append(out, textField("Issued", "not yet: have the CSR signed in Developer Hub, then import the certificate")...)
		}
		return slices.Concat(out,
			textField("Issued to", "CN="+leaf.Subject.CommonName+" by "+leaf.Issuer.CommonName),
			textField("Serial", leaf.SerialNumber.Text(16)))
	}
	fieldRenewal = func(v EntryView) []Field {
		if v.PendingCSR == "" {
			return nil
		}
		return textField("Renewal", fmt.Sprintf("new %s key and CSR, to be issued as %q; the current certificate works until it is imported", v.PendingKeyType, v.PendingCertName))
	}
	fieldCreated   = func(v EntryView) []Field { return []Field{{Label: "Created", Kind: FieldTime, Time: v.CreatedAt}} }
	fieldSecretAge = func(v EntryView) []Field {
		if v.SecretCreatedAt == nil {
			return nil
		}
		return []Field{{Label: SecretAge.Label(), Kind: FieldAge, Time: *v.SecretCreatedAt}}
	}
	fieldExpiries = func(v EntryView) []Field {
		var out []Field
		for _, x := range v.Expiries() {
			out = append(out, Field{Label: x.Kind.Label(), Kind: FieldExpiry, Time: x.At, Expiry: x.Kind})
		}
		return out
	}
)

// Describe is v's description, line by line, as both `show` and the
// app's details screen present it (below the name, kind, environment and
// status, above the secrets). Empty values are left out.
func (v EntryView) Describe() []Field {
	var out []Field
	for _, f := range specOf(v.Kind).fields {
		out = append(out, f(v)...)
	}
	return out
}

// Mask is how a secret is shown without its value: that it exists, and
// its length.
func Mask(length int) string { return fmt.Sprintf("•••••••• (%d chars)", length) }

// RevokeAdvice says where the credential of an entry is revoked or
// rotated at Wise. Wise has no revocation endpoint (reference/
// wise-auth.md, decisions), so this is the user's part of a breach.
type RevokeAdvice struct {
	// Steps say where and how, in Wise's words, one line each.
	Steps []string
	// AddAgain is the kind of entry to add to the wallet afterwards (the
	// new token or client secret), or "" when there is none; front ends
	// say how in their own terms.
	AddAgain Kind
	Env      wallet.EnvName
	ClientID string
}

// RevokeAdvice is the advice for v.
func (v EntryView) RevokeAdvice() RevokeAdvice {
	hosts, atWise := wiseHosts(v.Env)
	if !atWise {
		return RevokeAdvice{Steps: []string{
			fmt.Sprintf("This is a %s credential for %s (localwise): it works nowhere else,", v.Env.Name, v.Env.APIURL),
			"so there is nothing to revoke at Wise. Restarting localwise forgets it.",
		}}
	}
	spec := specOf(v.Kind)
	if spec.revoke == nil {
		return RevokeAdvice{Steps: []string{"Revoke or rotate the credential where it was created at Wise (" + hosts.Web + ")."}}
	}
	a := spec.revoke(v, hosts.Web, hosts.DeveloperHub())
	a.Env = v.Env.Name
	return a
}

func revokePersonal(_ EntryView, web, _ string) RevokeAdvice {
	return RevokeAdvice{Steps: []string{
		"Revoke the token in the Wise web app (" + web + "):",
		"  Your account → Integrations and tools → API tokens → the token → Revoke.",
	}, AddAgain: KindPersonal}
}

func revokeClient(v EntryView, _, hub string) RevokeAdvice {
	return RevokeAdvice{Steps: []string{
		"Rotate the client secret in the Developer Hub (" + hub + "):",
		"  your application → credentials → rotate the client secret (client id " + orDash(v.ClientID) + ").",
		"Every user login made through this client must then be refreshed with the new secret.",
	}, AddAgain: KindClient, ClientID: v.ClientID}
}

func revokeUser(v EntryView, web, hub string) RevokeAdvice {
	return RevokeAdvice{Steps: []string{
		"Ask the user (" + orDash(v.UserEmail) + ") to remove this application's access in the Wise web app (" + web + ")",
		"  (Your account → Integrations and tools → connected apps), which revokes its refresh token.",
		"Rotate the secret of the OAuth client " + orDash(v.LinkedTo) + " in the Developer Hub (" + hub + "):",
		"  your application → credentials → rotate the client secret; a stolen refresh token is useless without it.",
	}}
}

// wiseHosts are the hosts of Wise's environment env; false for a
// localwise entry, which lives nowhere at Wise.
func wiseHosts(env Environment) (wise.Hosts, bool) {
	switch env.Name {
	case wallet.EnvProduction:
		return wise.Production(), true
	case wallet.EnvSandbox:
		return wise.Sandbox(), true
	}
	return wise.Hosts{}, false
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
