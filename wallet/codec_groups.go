package wallet

import (
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// The tables of the schema 3 body: one per group of Entry fields. Adding
// a field to a group is one line at the end of its table (the next bit);
// adding a group is a new table with the next section id, listed in
// sections. Bits and ids are the format: never reuse or renumber them.
// A value is present when not zero: a string or number not empty or 0, an
// instant not the zero time, an optional instant not nil, a bool true, a
// list not empty (codec_values.go).

// entryHeader holds the fields every entry has. It is written first,
// without a section frame.
var entryHeader = &group{
	name: "header",
	fields: []field{
		text(0, "name", func(e *Entry) *string { return &e.Name }),
		sharedText(1, "kind", func(e *Entry) *string { return (*string)(&e.Kind) }),
		sharedText(2, "env.name", func(e *Entry) *string { return (*string)(&e.Env.Name) }),
		sharedText(3, "env.api_url", func(e *Entry) *string { return &e.Env.APIURL }),
		sharedText(4, "env.authorize_url", func(e *Entry) *string { return &e.Env.AuthorizeURL }),
		sharedText(5, "env.mtls_url", func(e *Entry) *string { return &e.Env.MTLSURL }),
		instant(6, "created_at", func(e *Entry) *time.Time { return &e.CreatedAt }),
		instant(7, "updated_at", func(e *Entry) *time.Time { return &e.UpdatedAt }),
		text(8, "linked_to", func(e *Entry) *string { return &e.LinkedTo }),
		sharedText(9, "status", func(e *Entry) *string { return (*string)(&e.Status) }),
		secrets(10, "secrets", func(e *Entry) *map[string]crypto.Secret { return &e.Secrets }),
		optionalInstant(11, "secret_created_at", func(e *Entry) **time.Time { return &e.SecretCreatedAt }),
	},
}

// sections are the optional groups, in ascending id order, the order in
// which they are written.
var sections = []*group{
	{id: 1, name: "identity", of: "Identity", fields: []field{
		integer(0, "user_id", func(e *Entry) *int64 { return &e.Identity.UserID }),
		text(1, "user_email", func(e *Entry) *string { return &e.Identity.UserEmail }),
		sharedText(2, "user_name", func(e *Entry) *string { return &e.Identity.UserName }),
		integer(3, "profile_id", func(e *Entry) *int64 { return &e.Identity.ProfileID }),
		profiles(4, "profiles", func(e *Entry) *[]Profile { return &e.Identity.Profiles }),
	}},
	{id: 2, name: "oauth_client", of: "OAuthClient", fields: []field{
		text(0, "client_id", func(e *Entry) *string { return &e.OAuthClient.ClientID }),
		sharedText(1, "redirect_url", func(e *Entry) *string { return &e.OAuthClient.RedirectURL }),
	}},
	{id: 3, name: "tokens", of: "Tokens", fields: []field{
		optionalInstant(0, "access_issued_at", func(e *Entry) **time.Time { return &e.Tokens.AccessIssuedAt }),
		optionalInstant(1, "access_expires_at", func(e *Entry) **time.Time { return &e.Tokens.AccessExpiresAt }),
		optionalInstant(2, "refresh_expires_at", func(e *Entry) **time.Time { return &e.Tokens.RefreshExpiresAt }),
	}},
	{id: 4, name: "key", of: "Key", fields: []field{
		sharedText(0, "key_type", func(e *Entry) *string { return &e.Key.KeyType }),
		text(1, "key_id", func(e *Entry) *string { return &e.Key.KeyID }),
		sharedText(2, "algorithm", func(e *Entry) *string { return &e.Key.Algorithm }),
		text(3, "public_key", func(e *Entry) *string { return &e.Key.PublicKey }),
		optionalInstant(4, "valid_from", func(e *Entry) **time.Time { return &e.Key.ValidFrom }),
		optionalInstant(5, "valid_till", func(e *Entry) **time.Time { return &e.Key.ValidTill }),
		boolean(6, "uploaded", func(e *Entry) *bool { return &e.Key.Uploaded }),
		sharedText(7, "use", func(e *Entry) *string { return &e.Key.Use }),
		text(8, "prev_key_id", func(e *Entry) *string { return &e.Key.PrevKeyID }),
		text(9, "prev_public_key", func(e *Entry) *string { return &e.Key.PrevPublicKey }),
		optionalInstant(10, "prev_valid_till", func(e *Entry) **time.Time { return &e.Key.PrevValidTill }),
		optionalInstant(11, "prev_retires_at", func(e *Entry) **time.Time { return &e.Key.PrevRetiresAt }),
		boolean(12, "prev_uploaded", func(e *Entry) *bool { return &e.Key.PrevUploaded }),
	}},
	{id: 5, name: "certificate", of: "Certificate", fields: []field{
		text(0, "csr", func(e *Entry) *string { return &e.Certificate.CSR }),
		text(1, "cert_chain", func(e *Entry) *string { return &e.Certificate.CertChain }),
		sharedText(2, "ca_cert", func(e *Entry) *string { return &e.Certificate.CACert }),
		optionalInstant(3, "not_after", func(e *Entry) **time.Time { return &e.Certificate.NotAfter }),
		text(4, "cert_name", func(e *Entry) *string { return &e.Certificate.CertName }),
		sharedText(5, "organization", func(e *Entry) *string { return &e.Certificate.Organization }),
		sharedText(6, "country", func(e *Entry) *string { return &e.Certificate.Country }),
		text(7, "pending_csr", func(e *Entry) *string { return &e.Certificate.PendingCSR }),
		sharedText(8, "pending_key_type", func(e *Entry) *string { return &e.Certificate.PendingKeyType }),
		text(9, "pending_cert_name", func(e *Entry) *string { return &e.Certificate.PendingCertName }),
	}},
	// Wise's keys repeat across the client entries of one environment,
	// hence shared text.
	{id: 6, name: "wise_keys", of: "WiseKeys", fields: []field{
		sharedText(0, "wise_signing_key", func(e *Entry) *string { return &e.WiseKeys.WiseSigningKey }),
		sharedText(1, "wise_signing_alg", func(e *Entry) *string { return &e.WiseKeys.WiseSigningAlg }),
		number(2, "wise_signing_version", func(e *Entry) *int { return &e.WiseKeys.WiseSigningVersion }),
		sharedText(3, "wise_encryption_key", func(e *Entry) *string { return &e.WiseKeys.WiseEncryptionKey }),
		sharedText(4, "wise_encryption_alg", func(e *Entry) *string { return &e.WiseKeys.WiseEncryptionAlg }),
		number(5, "wise_encryption_version", func(e *Entry) *int { return &e.WiseKeys.WiseEncryptionVersion }),
		optionalInstant(6, "wise_keys_fetched_at", func(e *Entry) **time.Time { return &e.WiseKeys.WiseKeysFetchedAt }),
	}},
	// What a credential knows of its SCA factors (issue 10); the device
	// fingerprint itself is a secret in the header's secrets.
	{id: 7, name: "sca", of: "SCA", fields: []field{
		integerSet(0, "sca_pin_set", func(e *Entry) *[]int64 { return &e.SCA.SCAPINSet }),
		text(1, "device_fingerprint_id", func(e *Entry) *string { return &e.SCA.DeviceFingerprintID }),
		optionalInstant(2, "device_registered_at", func(e *Entry) **time.Time { return &e.SCA.DeviceRegisteredAt }),
		optionalInstant(3, "sca_session_until", func(e *Entry) **time.Time { return &e.SCA.SCASessionUntil }),
	}},
}

// sectionByID finds the section with id; nil when this version does not
// know it.
func sectionByID(id uint64) *group {
	for _, s := range sections {
		if s.id == id {
			return s
		}
	}
	return nil
}
