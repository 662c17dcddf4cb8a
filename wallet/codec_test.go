package wallet

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// Fuzz the body decoder for a while with
//
//	go test ./wallet -run='^$' -fuzz=FuzzDecodeBody -fuzztime=30s

// fullEntry sets every field of Entry, its groups, Environment and
// Profile (checked by TestFullEntrySetsEveryField), with values that are
// awkward for an encoder: a zone that is not UTC, nanoseconds, a time
// before 1970, negative and large numbers, multi-byte UTF-8, long
// PEM-like strings.
func fullEntry() Entry {
	e := fullEntrySchema2()
	// Fields added after schema 2 get their values here, so that
	// fullEntrySchema2 stays what the schema 2 golden files hold.
	e.CertName, e.Organization, e.Country = "payouts-2026", "Acme Ltd", "GB"
	e.PendingCSR, e.PendingKeyType, e.PendingCertName = e.CSR+"renewal", "p384", "payouts-2027"
	e.SetSecret(SecretPendingKey, crypto.SecretString("pending key"))
	// JOSE (issue 9): a key's use, a rotation's previous key, Wise's keys.
	t0 := e.CreatedAt
	prevTill, retires, fetched := t0.Add(100*24*time.Hour), t0.Add(-36*time.Hour).In(time.FixedZone("", -7*3600)), t0.Add(time.Nanosecond)
	e.Use = "enc"
	e.PrevKeyID, e.PrevPublicKey, e.PrevValidTill, e.PrevRetiresAt, e.PrevUploaded = "9b2e6f1c-0d4a-4e8b-9c7d-2f1a3b4c5d6e", e.PublicKey+"prev", &prevTill, &retires, true
	e.SetSecret(SecretPreviousKey, crypto.SecretString("previous key"))
	e.WiseKeys = WiseKeys{
		WiseSigningKey: "MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQA" + strings.Repeat("a+/", 40), WiseSigningAlg: "ES512", WiseSigningVersion: 1<<31 - 1,
		WiseEncryptionKey: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + strings.Repeat("Zz9", 100), WiseEncryptionAlg: "RSA_OAEP_256", WiseEncryptionVersion: -3,
		WiseKeysFetchedAt: &fetched,
	}
	// SCA (issue 10): profile ids at both ends of int64 (ascending, as the
	// format requires), the registered device, a session end before 1970.
	registered, sessionUntil := t0.Add(-time.Nanosecond).In(time.FixedZone("", 14*3600)), time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC)
	e.SCA = SCA{SCAPINSet: []int64{-1 << 63, -7, 0, 1, 1<<63 - 1}, DeviceFingerprintID: "fp-ü-0a1b2c3d", DeviceRegisteredAt: &registered, SCASessionUntil: &sessionUntil}
	e.SetSecret(SecretDeviceFingerprint, crypto.SecretString("Hq3VxG6tq0iJ5mH0s1N4w3s8fI2yLrQpWbUeKdZcAaY"))
	return e
}

// fullEntrySchema2 is fullEntry as it was when the schema 2 golden files
// (testdata/wallet-v1-schema2.ww, testdata/body-schema2.bin) were
// written: every field schema 2 had. It must not change.
func fullEntrySchema2() Entry {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	at := func(d time.Duration) *time.Time { t := t0.Add(d); return &t }
	kolkata := time.FixedZone("IST", 5*3600+30*60)
	old := time.Date(1969, 7, 20, 20, 17, 40, 0, time.FixedZone("", -4*3600))
	pem := "-----BEGIN CERTIFICATE-----\n" + strings.Repeat("MIIBszCCAVmgAwIBAgIU", 20) + "\n-----END CERTIFICATE-----\n"
	e := Entry{
		Name: "full.entry_1-x", Kind: KindMTLS,
		Env:       Environment{Name: EnvLocal, APIURL: "http://127.0.0.1:8700", AuthorizeURL: "http://127.0.0.1:8700/authorize", MTLSURL: "https://mtls.127.0.0.1:8701"},
		CreatedAt: t0, UpdatedAt: t0.Add(time.Hour).In(kolkata),
		LinkedTo: "other-entry", Status: StatusNeedsLogin,
		Identity: Identity{UserID: -1 << 62, UserEmail: "ünïcode@example.com", UserName: "Åda Løvelace ✓", ProfileID: 1<<63 - 1,
			Profiles: []Profile{{ID: 1, Type: "personal", Name: "Ada"}, {ID: -7, Type: "business", Name: "Acme Ltd"}}},
		OAuthClient: OAuthClient{ClientID: "client-id", RedirectURL: "http://127.0.0.1:8765/callback"}, SecretCreatedAt: at(-time.Hour),
		Tokens: Tokens{AccessIssuedAt: at(time.Minute), AccessExpiresAt: at(12 * time.Hour), RefreshExpiresAt: &old},
		Key: Key{KeyType: "RSA", KeyID: "kid-1", Algorithm: "RS256", PublicKey: pem + "pub",
			ValidFrom: at(-24 * time.Hour), ValidTill: at(9000 * 24 * time.Hour), Uploaded: true},
		Certificate: Certificate{CSR: pem + "csr", CertChain: pem + pem, CACert: pem + "ca", NotAfter: at(365 * 24 * time.Hour)},
	}
	e.SetSecret(SecretPrivateKey, crypto.SecretString(pem))
	e.SetSecret(SecretAccessToken, crypto.SecretString("access"))
	e.SetSecret(SecretRefreshToken, crypto.NewSecret([]byte{0, 0xff, '"', '\\', '\n', 0x80}))
	return e
}

// A field added to Entry without a value here would not be round-tripped
// by any test, and so could be left out of the codec unnoticed.
func TestFullEntrySetsEveryField(t *testing.T) {
	e := fullEntry()
	var check func(prefix string, v reflect.Value)
	check = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Anonymous {
				check(prefix+f.Name+".", v.Field(i))
			} else if v.Field(i).IsZero() {
				t.Errorf("fullEntry leaves %s%s zero: set it (and add it to its table in codec_groups.go)", prefix, f.Name)
			}
		}
	}
	check("", reflect.ValueOf(e))
	check("Env.", reflect.ValueOf(e.Env))
	for _, p := range e.Profiles {
		check("Profiles[].", reflect.ValueOf(p))
	}
}

// Every field of Entry has a line in a table, and every line reads the
// field of its own group: the header's table has Entry's own fields (Env's
// one by one), each embedded group has a section with a line per field,
// and zeroing a group clears exactly its section. With
// TestBodyRoundTripsEveryField (fullEntry sets every field), no field can
// be left out of the file.
func TestCodecTablesCoverEntry(t *testing.T) {
	own, groups := 0, map[string]bool{}
	et := reflect.TypeFor[Entry]()
	for i := range et.NumField() {
		switch f := et.Field(i); {
		case f.Anonymous:
			groups[f.Name] = true
		case f.Type == reflect.TypeFor[Environment]():
			own += f.Type.NumField()
		default:
			own++
		}
	}
	if len(entryHeader.fields) != own {
		t.Errorf("the header table has %d fields; Entry has %d of its own", len(entryHeader.fields), own)
	}
	full := fullEntry()
	all := append([]*group{entryHeader}, sections...)
	for _, s := range all {
		if got := s.presence(&full); got != s.known() {
			t.Errorf("%s: fullEntry has fields %#x, want all of %#x", s.name, got, s.known())
		}
	}
	for _, s := range sections {
		f, ok := et.FieldByName(s.of)
		if !ok || !f.Anonymous || !groups[s.of] {
			t.Errorf("section %s is for %q, which Entry does not embed", s.name, s.of)
			continue
		}
		delete(groups, s.of)
		if len(s.fields) != f.Type.NumField() {
			t.Errorf("section %s has %d fields; %s has %d", s.name, len(s.fields), s.of, f.Type.NumField())
		}
		e := fullEntry()
		v := reflect.ValueOf(&e).Elem().FieldByName(s.of)
		v.Set(reflect.Zero(v.Type()))
		for _, other := range all {
			want := other.known()
			if other == s {
				want = 0
			}
			if got := other.presence(&e); got != want {
				t.Errorf("with %s zero, section %s has fields %#x, want %#x", s.of, other.name, got, want)
			}
		}
	}
	for g := range groups {
		t.Errorf("Entry embeds %s, which has no section", g)
	}
}

// Bits and ids are the format: a field's bit is its place in its table
// (so the encoder and the decoder agree on it), names are unique (the
// schema 2 reader finds fields by name), section ids ascend.
func TestCodecTablesAreConsistent(t *testing.T) {
	seen := map[string]string{}
	var last uint64
	for n, s := range append([]*group{entryHeader}, sections...) {
		if n == 0 && s.id != 0 || n > 0 && s.id <= last {
			t.Errorf("section %s has id %d after %d", s.name, s.id, last)
		}
		last = s.id
		if len(s.fields) > 63 {
			t.Errorf("section %s has %d fields; presence bits hold 63", s.name, len(s.fields))
		}
		for i, f := range s.fields {
			if f.bit != uint(i) {
				t.Errorf("section %s: field %s is line %d with bit %d", s.name, f.name, i, f.bit)
			}
			if other, ok := seen[f.name]; ok {
				t.Errorf("field name %s is in %s and %s", f.name, other, s.name)
			}
			seen[f.name] = s.name
		}
	}
}

// Every schema 2 field has a place in today's tables.
func TestSchema2FieldsResolve(t *testing.T) {
	if len(schema2Fields) != 33 {
		t.Fatalf("%d schema 2 fields, want 33", len(schema2Fields))
	}
	for i, f := range schema2Fields {
		if f.s == nil {
			t.Errorf("schema 2 field %d (%s) is in no table", i, schema2FieldNames[i])
		}
	}
}

// sameTime: same instant, same offset, and UTC stays UTC.
func sameTime(got, want time.Time) bool {
	_, gOff := got.Zone()
	_, wOff := want.Zone()
	return got.Equal(want) && gOff == wOff && (want.Location() != time.UTC || got.Location() == time.UTC)
}

// entryDiff lists the fields in which got differs from want, looking into
// the groups. Secrets are compared in constant time and never printed.
func entryDiff(got, want Entry) []string {
	return valueDiff("", reflect.ValueOf(got), reflect.ValueOf(want))
}

func valueDiff(prefix string, gv, wv reflect.Value) []string {
	var diffs []string
	for i := range gv.NumField() {
		name := prefix + gv.Type().Field(i).Name
		if gv.Type().Field(i).Anonymous {
			diffs = append(diffs, valueDiff(name+".", gv.Field(i), wv.Field(i))...)
			continue
		}
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		same := false
		switch w := w.(type) {
		case time.Time:
			same = sameTime(g.(time.Time), w)
		case *time.Time:
			gp := g.(*time.Time)
			same = (gp == nil) == (w == nil) && (w == nil || sameTime(*gp, *w))
		case map[string]crypto.Secret:
			gm := g.(map[string]crypto.Secret)
			same = (gm == nil) == (w == nil) && slices.Equal(slices.Sorted(maps.Keys(gm)), slices.Sorted(maps.Keys(w)))
			for k := range w {
				same = same && gm[k].Equal(w[k])
			}
		default:
			same = reflect.DeepEqual(g, w)
		}
		if !same {
			diffs = append(diffs, fmt.Sprintf("%s: got %v, want %v", name, g, w))
		}
	}
	return diffs
}

func checkEntries(t *testing.T, got, want []Entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i := range want {
		for _, d := range entryDiff(got[i], want[i]) {
			t.Errorf("entry %d (%s): %s", i, want[i].Name, d)
		}
	}
}

// roundTrip encodes entries as the wallet saves them and decodes the result.
func roundTrip(t *testing.T, entries ...Entry) []Entry {
	t.Helper()
	c := &Contents{}
	for _, e := range entries {
		if err := c.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	body, err := c.marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(body, []byte("WWB\x03")) {
		t.Fatalf("body starts %q, want schema 3", body[:min(4, len(body))])
	}
	got, err := unmarshalContents(body)
	if err != nil {
		t.Fatal(err)
	}
	return got.entries
}

// jsonV1Body encodes entries as schema 1 did (the marshal of every
// wallet before schema 2), to check that both schemas read alike.
func jsonV1Body(t testing.TB, entries []Entry) []byte {
	t.Helper()
	recs := make([]record, len(entries))
	for i, e := range entries {
		recs[i].Entry = e
		if len(e.Secrets) > 0 {
			recs[i].Secrets = map[string][]byte{}
			for k, s := range e.Secrets {
				recs[i].Secrets[k] = s.Reveal()
			}
		}
	}
	b, err := json.Marshal(jsonBody{Schema: 1, Entries: recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBodyRoundTripsEveryField(t *testing.T) {
	want := fullEntry()
	checkEntries(t, roundTrip(t, want), []Entry{want})
}

// The same entries read the same from a schema 1 (JSON) body and from a
// schema 3 one, so a wallet keeps its contents when its next save
// rewrites it in schema 3.
func TestBodySchema1AndSchema3ReadAlike(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	entries := append(goldenEntries(), fullEntry(), bigEntry(0, t0), bigEntry(1, t0), bigEntry(2, t0))
	fromJSON, err := unmarshalContents(jsonV1Body(t, entries))
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, roundTrip(t, entries...), fromJSON.entries)
}

// nil and a pointer to the zero time are different values and stay so;
// a zero Profile survives inside Profiles.
func TestBodyKeepsNilApartFromZero(t *testing.T) {
	zero := time.Time{}
	e := Entry{Name: "zeros", Kind: KindPersonal, SecretCreatedAt: &zero,
		Identity: Identity{Profiles: []Profile{{}, {ID: 1}}}}
	got := roundTrip(t, e)
	checkEntries(t, got, []Entry{e})
	if got[0].SecretCreatedAt == nil || got[0].AccessIssuedAt != nil || got[0].Secrets != nil {
		t.Errorf("SecretCreatedAt %v, AccessIssuedAt %v, Secrets %v", got[0].SecretCreatedAt, got[0].AccessIssuedAt, got[0].Secrets)
	}
	if len(got[0].Profiles) != 2 || got[0].Profiles[0] != (Profile{}) {
		t.Errorf("profiles %+v", got[0].Profiles)
	}
}

// Secret values are bytes, not text: every byte value, a large value and
// an empty one (a name with a zero Secret, which schema 1 also kept).
func TestBodySecretsRoundTripByteForByte(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	e := Entry{Name: "secrets", Kind: KindJOSE, Secrets: map[string]crypto.Secret{
		"all-bytes": crypto.NewSecret(all),
		"large":     crypto.NewSecret(bytes.Repeat(all, 300)),
		"empty":     {},
	}}
	for i := range 20 {
		e.Secrets[fmt.Sprintf("s%02d", 19-i)] = crypto.SecretString(strings.Repeat("x", i+1))
	}
	got := roundTrip(t, e)
	checkEntries(t, got, []Entry{e})
	if s, ok := got[0].Secrets["empty"]; !ok || !s.IsZero() {
		t.Errorf("empty secret: present %v, zero %v", ok, s.IsZero())
	}
}

func TestBodyTimesKeepInstantAndOffset(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 3, 1, 12, 0, 0, 999999999, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(1900, 2, 28, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("", 14*3600)),
		time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("NPT", 5*3600+45*60)),
		time.Date(1960, 3, 1, 12, 0, 0, 5, time.FixedZone("", -9*3600-30*60)),
		time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("GMT", 0)),
		time.Now(), // local zone, with a monotonic reading, which is dropped
	}
	var entries []Entry
	for i, tm := range times {
		entries = append(entries, Entry{Name: fmt.Sprintf("t%02d", i), Kind: KindUser, CreatedAt: tm, UpdatedAt: tm, Certificate: Certificate{NotAfter: &tm}})
	}
	got := roundTrip(t, entries...)
	checkEntries(t, got, entries)
	// Schema 1 read the same times into the same zones (time.Parse's
	// rules), so no zone changes when a wallet moves to schema 3.
	fromJSON, err := unmarshalContents(jsonV1Body(t, entries))
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if g, j := got[i].CreatedAt, fromJSON.entries[i].CreatedAt; !sameTime(g, j) || g.Location().String() != j.Location().String() {
			t.Errorf("%v: schema 3 reads %v (%s), schema 1 %v (%s)", times[i], g, g.Location(), j, j.Location())
		}
	}
}

// The README describes schema 3 byte by byte; this body is written from
// that description, not from the encoder.
func TestBodyLayoutMatchesDescription(t *testing.T) {
	west := time.Unix(-1, 0).In(time.FixedZone("", -3600))
	e := Entry{Name: "ab", Kind: KindUser, CreatedAt: time.Unix(1, 5).UTC(),
		Identity: Identity{UserID: -2, Profiles: []Profile{{ID: 3, Type: "p"}}},
		Tokens:   Tokens{AccessExpiresAt: &west},
		Key:      Key{Uploaded: true},
		Secrets:  map[string]crypto.Secret{"t": crypto.NewSecret([]byte{0, 0xff})}}
	want := strings.Join([]string{
		"575742 03",       // "WWB", schema 3
		"01",              // one entry
		"25000000",        // entry length 37, u32le
		"c308",            // header fields: bits 0 1 6 10, uvarint
		"02 6162",         // 0 name "ab"
		"04 75736572",     // 1 kind "user"
		"02 0a",           // 6 created_at: second 1, 5 ns << 1, UTC
		"01 0174 02 00ff", // 10 secrets: 1, "t" = 00 ff
		"01 07 11",        // section 1 (identity), 7 bytes, fields: bits 0 4
		"03",              // 0 user_id -2
		"01 06 0170 00",   // 4 profiles: 1, id 3, type "p", name ""
		"03 05 02",        // section 3 (tokens), 5 bytes, fields: bit 1
		"01 01 9f38",      // 1 access_expires_at: second -1, 0 ns, zoned, offset -3600
		"04 01 40",        // section 4 (key), 1 byte, fields: bit 6 (uploaded has no value)
	}, "")
	want = strings.ReplaceAll(want, " ", "")
	body, err := encodeBody([]Entry{e})
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(body); got != want {
		t.Errorf("encoding differs from the description:\n got %s\nwant %s", got, want)
	}
	raw, _ := hex.DecodeString(want)
	c, err := unmarshalContents(raw)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, c.entries, []Entry{e})
}

// validBody is a small schema 3 body for the rejection tests.
func validBody(t testing.TB) []byte {
	t.Helper()
	body, err := encodeBody(goldenEntriesSorted())
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func goldenEntriesSorted() []Entry {
	es := goldenEntries()
	slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return es
}

// body assembles a schema 3 body from entries in the order given, which
// encodeBody would refuse when it is not name order.
func body(entries ...Entry) []byte {
	b := binary.AppendUvarint([]byte("WWB\x03"), uint64(len(entries)))
	for i := range entries {
		b = appendEntry(b, &entries[i])
	}
	return b
}

// rawBody assembles a schema 3 body from entries given as their bytes
// after the length, in hex (spaces ignored) or raw.
func rawBody(entries ...[]byte) []byte {
	b := binary.AppendUvarint([]byte("WWB\x03"), uint64(len(entries)))
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(e)))
		b = append(b, e...)
	}
	return b
}

// h decodes hex with spaces, and appends the byte slices that follow.
func h(s string, more ...[]byte) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	for _, m := range more {
		b = append(b, m...)
	}
	return b
}

// entryAt returns the offset of entry i's bytes after its length.
func entryAt(t testing.TB, b []byte, i int) int {
	t.Helper()
	_, n := binary.Uvarint(b[4:])
	off := 4 + n
	for range i {
		off += 4 + int(binary.LittleEndian.Uint32(b[off:]))
	}
	return off + 4
}

func TestBodyRejectsMalformed(t *testing.T) {
	valid := validBody(t)
	if _, err := unmarshalContents(valid); err != nil {
		t.Fatalf("valid body: %v", err)
	}
	patch := func(off int, bs ...byte) []byte {
		b := bytes.Clone(valid)
		copy(b[off:], bs)
		return b
	}
	first := entryAt(t, valid, 0)
	one := Entry{Name: "a", Kind: KindPersonal}
	uv := func(x uint64) []byte { return binary.AppendUvarint(nil, x) }
	// Entry "a": header fields bit 0, name "a".
	const a = "01 0161"
	cases := []struct {
		name string
		body []byte
		want error
		msg  string
	}{
		{"magic only", []byte("WWB"), ErrDamaged, "no schema"},
		{"newer schema", append([]byte("WWB\x04"), valid[4:]...), ErrUnsupportedVersion, "schema 4"},
		// No writer made a binary body below schema 2: damage, not "upgrade".
		{"binary schema 0", append([]byte("WWB\x00"), valid[4:]...), ErrDamaged, "binary body of schema 0"},
		{"binary schema 1", append([]byte("WWB\x01"), valid[4:]...), ErrDamaged, "binary body of schema 1"},
		{"schema 1 as JSON with another number", []byte(`{"schema":2,"entries":[]}`), ErrUnsupportedVersion, "schema 2"},
		{"neither schema", []byte("WBB\x02\x00"), ErrDamaged, "invalid character"},
		{"trailing byte", append(bytes.Clone(valid), 0), ErrDamaged, "1 bytes after the last entry"},
		{"count larger than the entries", patch(4, 4), ErrDamaged, "entry 3: truncated"},
		{"count too large for the bytes", patch(4, 0xff, 0xff, 0xff, 0xff, 0x0f), ErrDamaged, "entries in"},
		{"overlong varint", append([]byte("WWB\x03"), bytes.Repeat([]byte{0x80}, 11)...), ErrDamaged, "bad varint"},
		{"entry length past the end", patch(first-4, 0xff, 0xff, 0, 0), ErrDamaged, "entry 0: length 65535"},
		{"entry of no bytes", rawBody(nil, h(a)), ErrDamaged, "entry 0: length 0"},
		{"unknown header field", rawBody(h("8120 0161")), ErrUnsupportedVersion, "field 12 of the entry header"},
		{"unknown header field 63", rawBody(h("81 8080808080808080 01 0161")), ErrUnsupportedVersion, "field 63 of the entry header"},
		{"unknown field of a section", rawBody(h(a + "01 01 20")), ErrUnsupportedVersion, "field 5 of the entry identity"},
		{"unknown section", rawBody(h(a + "08 01 01")), ErrUnsupportedVersion, "entry section 8"},
		{"unknown section after known ones", rawBody(h(a + "01 02 01 02  05 03 08 0200  3f 01 01")), ErrUnsupportedVersion, "entry section 63"},
		{"section out of order", rawBody(h(a + "03 03 02 0200  01 02 01 02")), ErrDamaged, "section 1 after section 3"},
		{"section twice", rawBody(h(a + "01 02 01 02  01 02 01 04")), ErrDamaged, "section 1 after section 1"},
		{"section 0", rawBody(h(a + "00 01 01")), ErrDamaged, "section 0 after section 0"},
		{"empty section", rawBody(h(a + "01 01 00")), ErrDamaged, "section identity is empty"},
		{"section past the entry", rawBody(h(a + "01 7f 01 02")), ErrDamaged, "section identity of 127 bytes with 2 left"},
		{"bytes left in a section", rawBody(h(a + "01 03 01 02 00")), ErrDamaged, "1 bytes after the last field of section identity"},
		{"string past the entry", rawBody(h("01 ff01 61")), ErrDamaged, "value of 255 bytes"},
		{"string past its section", rawBody(h(a+"02 02 01 05", []byte("hello"))), ErrDamaged, "value of 5 bytes with 0 left"},
		{"out of name order", body(Entry{Name: "b"}, Entry{Name: "a"}), ErrDamaged, `"a" after "b"`},
		{"name twice", body(one, one), ErrDamaged, `"a" after "a"`},
		{"secret names out of order", func() []byte {
			b := body(Entry{Name: "a", Secrets: map[string]crypto.Secret{"x": crypto.SecretString("1"), "y": crypto.SecretString("2")}})
			i := bytes.Index(b, []byte("\x01x\x011\x01y"))
			copy(b[i:], "\x01y\x011\x01x")
			return b
		}(), ErrDamaged, "secret names out of order"},
		{"secret name twice", func() []byte {
			b := body(Entry{Name: "a", Secrets: map[string]crypto.Secret{"x": crypto.SecretString("1"), "y": crypto.SecretString("2")}})
			i := bytes.Index(b, []byte("\x01y\x012"))
			b[i+1] = 'x'
			return b
		}(), ErrDamaged, "secret names out of order"},
		// created_at (bit 6): second 1, then nanoseconds of 2e9.
		{"nanoseconds out of range", rawBody(h("41 0161 02", uv(2_000_000_000<<1))), ErrDamaged, "2000000000 nanoseconds"},
		// created_at: second 1, zoned, offset 25 hours.
		{"zone offset out of range", rawBody(h("41 0161 02 01", binary.AppendVarint(nil, 25*3600))), ErrDamaged, "zone offset 90000"},
		// secrets (bit 10).
		{"more secrets than bytes", rawBody(h("8108 0161", uv(1000))), ErrDamaged, "1000 secrets in 0 bytes"},
		// identity section, profiles (bit 4).
		{"more profiles than bytes", rawBody(h(a+"01 03 10", uv(1000))), ErrDamaged, "1000 profiles in 0 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := unmarshalContents(tc.body)
			if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.msg) {
				t.Errorf("got %v, want %v with %q", err, tc.want, tc.msg)
			}
			// A newer version's data says how to read it: upgrade.
			var fe *FixError
			if errors.Is(tc.want, ErrUnsupportedVersion) && (!errors.As(err, &fe) || fe.Fix != FixUpgrade) {
				t.Errorf("%v: no FixUpgrade", err)
			}
		})
	}
	// Every truncation is damage, never a shorter wallet.
	for n := range len(valid) {
		if _, err := unmarshalContents(valid[:n]); !errors.Is(err, ErrDamaged) {
			t.Fatalf("body cut to %d of %d bytes: %v", n, len(valid), err)
		}
	}
}

func TestBodyEncoderRefusesWhatReadersRefuse(t *testing.T) {
	for _, es := range [][]Entry{{{Name: "b"}, {Name: "a"}}, {{Name: "a"}, {Name: "a"}}} {
		if b, err := encodeBody(es); err == nil {
			t.Errorf("encoded %v as %d bytes; readers refuse that order", names(es), len(b))
		}
	}
}

// Large bodies are decoded by several goroutines; the entries come back
// whole and in order, and an error in any part names the right entry.
func TestBodyLargeDecodesInParts(t *testing.T) {
	const n = 2500 // at least two parts at 1000 entries per part
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	want := make([]Entry, n)
	for i := range want {
		want[i] = bigEntry(i, t0)
	}
	got := roundTrip(t, want...)
	checkEntries(t, got, want)

	b, err := encodeBody(want)
	if err != nil {
		t.Fatal(err)
	}
	// Entry 2400's header fields take two bytes (bits 0-11); bit 5 of the
	// second is field 12, which no version has yet.
	b[entryAt(t, b, 2400)+1] |= 0x20
	if _, err := unmarshalContents(b); !errors.Is(err, ErrUnsupportedVersion) || !strings.Contains(err.Error(), "entry 2400: unsupported wallet format: contents have field 12 of the entry header") {
		t.Errorf("unknown field in entry 2400: %v", err)
	}
	// Out of order across the boundary between the parts.
	swapped := slices.Clone(want)
	swapped[n/2-1], swapped[n/2] = swapped[n/2], swapped[n/2-1]
	if _, err := unmarshalContents(body(swapped...)); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), fmt.Sprintf("entry %d:", n/2)) {
		t.Errorf("entries %d and %d swapped: %v", n/2-1, n/2, err)
	}
}

// A wallet in schema 1 (the golden file) opens, saves in schema 3 and
// reopens with the same entries.
func TestSchema1WalletIsRewrittenInSchema3(t *testing.T) {
	store, _ := goldenStore(t)
	w, err := openWith(store, goldenPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Update(context.Background(), func(*Contents) error { return nil }); err != nil {
		t.Fatal(err)
	}
	f, err := decodeFile(mustRead(t, store.Path()))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := crypto.Open(w.dek, f.bodyNonce, f.body, f.aad)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pt, []byte("WWB\x03")) {
		t.Errorf("saved body starts %q, want schema 3", pt[:min(4, len(pt))])
	}
	checkEntries(t, mustOpen(t, store, goldenPassphrase).Entries(), goldenEntriesSorted())
}

// The decoder never panics, fails only with ErrDamaged or
// ErrUnsupportedVersion, and what it accepts re-encodes stably.
func FuzzDecodeBody(f *testing.F) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, es := range [][]Entry{nil, goldenEntriesSorted(), {fullEntry()}, {bigEntry(0, t0), bigEntry(1, t0), bigEntry(2, t0)}} {
		b, err := encodeBody(es)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(jsonV1Body(f, goldenEntries()))
	schema2, err := os.ReadFile(goldenSchema2BodyPath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(schema2)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := unmarshalContents(data)
		if err != nil {
			if !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrUnsupportedVersion) {
				t.Fatalf("error is neither damage nor a newer version: %v", err)
			}
			return
		}
		for i := 1; i < len(c.entries); i++ {
			if c.entries[i-1].Name == c.entries[i].Name {
				return // a schema 1 body may hold a name twice; schemas 2 and 3 refuse that
			}
		}
		// Empty and absent lists read alike; compare them alike.
		for i := range c.entries {
			if len(c.entries[i].Profiles) == 0 {
				c.entries[i].Profiles = nil
			}
			if len(c.entries[i].Secrets) == 0 {
				c.entries[i].Secrets = nil
			}
		}
		once, err := c.marshal()
		if err != nil {
			t.Fatalf("accepted contents do not encode: %v", err)
		}
		c2, err := unmarshalContents(once)
		if err != nil {
			t.Fatalf("re-encoded body does not decode: %v", err)
		}
		checkEntries(t, c2.entries, c.entries)
		twice, err := c2.marshal()
		if err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("encoding is not stable (%v)", err)
		}
	})
}

// time.FixedZone takes any offset, and readers refuse one beyond ±24 h
// (schema 1 could not hold one either). Such a time is written as UTC,
// same instant, so that a save never writes a body the next Open refuses.
func TestBodyTimesWithAnUnreadableZoneAreWrittenAsUTC(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 5, time.UTC)
	cases := []struct {
		offset int
		kept   bool
	}{{25 * 3600, false}, {-26 * 3600, false}, {1 << 30, false}, {24 * 3600, true}, {-24 * 3600, true}}
	var entries []Entry
	for i, c := range cases {
		tm := at.In(time.FixedZone("", c.offset))
		entries = append(entries, Entry{Name: fmt.Sprintf("t%02d", i), Kind: KindUser, CreatedAt: tm, Certificate: Certificate{NotAfter: &tm}})
	}
	got := roundTrip(t, entries...)
	for i, c := range cases {
		for field, tm := range map[string]time.Time{"created_at": got[i].CreatedAt, "not_after": *got[i].NotAfter} {
			_, off := tm.Zone()
			switch {
			case !tm.Equal(at):
				t.Errorf("offset %d, %s: %v, want the instant %v", c.offset, field, tm, at)
			case c.kept && off != c.offset:
				t.Errorf("offset %d, %s: read back with offset %d", c.offset, field, off)
			case !c.kept && tm.Location() != time.UTC:
				t.Errorf("offset %d, %s: read back in %v, want UTC", c.offset, field, tm.Location())
			}
		}
	}

	// And through a real save: the wallet still opens.
	store, w := newTestWallet(t)
	odd := at.In(time.FixedZone("", 100*3600))
	e := personal("odd-zone", "x")
	e.CreatedAt, e.UpdatedAt = odd, odd
	addEntries(t, w, e)
	saved, err := mustOpen(t, store, testPassphrase).Get("odd-zone")
	if err != nil || !saved.CreatedAt.Equal(at) {
		t.Fatalf("after saving a time with offset +100 h: %v, %v", saved.CreatedAt, err)
	}
}

// A section's length takes one byte below 128 and more above; the encoder
// reserves one and moves the section up when it needs more. Every size
// around the boundaries of one, two and three bytes round-trips, and the
// body has exactly the size it was given (encodeBody checks).
func TestBodySectionLengthsAcrossVarintBoundaries(t *testing.T) {
	var entries []Entry
	for _, n := range []int{0, 1, 120, 124, 125, 126, 127, 128, 129, 16370, 16380, 16383, 16384, 16385, 1 << 21} {
		e := Entry{Name: fmt.Sprintf("n%08d", n), Kind: KindMTLS, Certificate: Certificate{CSR: strings.Repeat("c", n)},
			Key: Key{PublicKey: strings.Repeat("k", n/2), Uploaded: true}}
		e.SetSecret(SecretPrivateKey, crypto.SecretString(strings.Repeat("s", n)))
		entries = append(entries, e)
	}
	checkEntries(t, roundTrip(t, entries...), entries)
}
