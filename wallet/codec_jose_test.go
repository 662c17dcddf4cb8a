package wallet

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// The JOSE fields (issue 9) are bits 7-12 of the key section and section 6
// (wise_keys); this body is written by hand from that layout, not from the
// encoder, so a renumbered bit or id fails here even if encoder and
// decoder moved together.
func TestBodyJOSEFieldsLayout(t *testing.T) {
	e := Entry{Name: "a",
		Key:      Key{Use: "sig", PrevUploaded: true},
		WiseKeys: WiseKeys{WiseSigningAlg: "ES512", WiseSigningVersion: 2}}
	want := strings.ReplaceAll(strings.Join([]string{
		"575742 03", "01", "15000000", // schema 3, one entry of 21 bytes
		"01 0161",          // header: bit 0, name "a"
		"04 06 8021",       // section 4 (key), 6 bytes, fields: bits 7 12
		"03 736967",        // 7 use "sig"; 12 prev_uploaded has no value
		"06 08 06",         // section 6 (wise_keys), 8 bytes, fields: bits 1 2
		"05 4553353132 04", // 1 wise_signing_alg "ES512", 2 wise_signing_version 2
	}, ""), " ", "")
	if got := hex.EncodeToString(body(e)); got != want {
		t.Errorf("encoding differs from the layout:\n got %s\nwant %s", got, want)
	}
	raw, _ := hex.DecodeString(want)
	c, err := unmarshalContents(raw)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, c.entries, []Entry{e})

	// A newer version's field in either group is refused, not dropped.
	for name, c := range map[string]struct{ b, msg string }{
		"wise_keys bit 7": {"01 0161 06 02 8001", "field 7 of the entry wise_keys"},
		"key bit 13":      {"01 0161 04 02 8040", "field 13 of the entry key"},
	} {
		_, err := unmarshalContents(rawBody(h(c.b)))
		if !errors.Is(err, ErrUnsupportedVersion) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v; want unsupported format with %q", name, err, c.msg)
		}
	}
}

// A rotating JOSE entry keeps both keys and both private keys through a
// save, and the previous key is gone once cleared, as flows clears it at
// PrevRetiresAt.
func TestJOSERotationFieldsRoundTrip(t *testing.T) {
	from := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	till, retires := from.AddDate(1, 0, 0), from.Add(24*time.Hour)
	e := Entry{Name: "jose-sig", Kind: KindJOSE, LinkedTo: "client", CreatedAt: from, UpdatedAt: from,
		Key: Key{KeyType: "p256", KeyID: "new-id", Algorithm: "ES256", PublicKey: "new pem", ValidFrom: &from, ValidTill: &till, Uploaded: true, Use: "sig",
			PrevKeyID: "old-id", PrevPublicKey: "old pem", PrevValidTill: &till, PrevRetiresAt: &retires, PrevUploaded: true}}
	e.SetSecret(SecretPrivateKey, crypto.SecretString("new private"))
	e.SetSecret(SecretPreviousKey, crypto.SecretString("old private"))
	got := roundTrip(t, e)
	checkEntries(t, got, []Entry{e})
	if s := got[0].Secret(SecretPreviousKey).RevealString(); s != "old private" {
		t.Fatalf("previous key = %q", s)
	}
	retired := got[0]
	retired.PrevKeyID, retired.PrevPublicKey, retired.PrevValidTill, retired.PrevRetiresAt, retired.PrevUploaded = "", "", nil, nil, false
	retired.SetSecret(SecretPreviousKey, crypto.Secret{})
	after := roundTrip(t, retired)
	if after[0].PrevKeyID != "" || after[0].PrevRetiresAt != nil || !after[0].Secret(SecretPreviousKey).IsZero() {
		t.Fatalf("retired previous key survived a save: %+v", after[0].Key)
	}
	if after[0].Secret(SecretPrivateKey).RevealString() != "new private" || after[0].KeyID != "new-id" {
		t.Fatal("retiring the previous key touched the current one")
	}
}
