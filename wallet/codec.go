package wallet

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// The schema 2 body is a compact binary encoding, written and read without
// reflection: decoding the schema 1 JSON body of a 10,000-entry wallet
// took most of the time of opening it. The layout (also in README):
//
//	body    = "WWB" schema:u8 count:uvarint entry*count
//	entry   = length:u32le fields:u64le value*
//
// length counts the bytes after itself. Bit i of fields is set when field
// i (the f* constants below) is present, and the present fields' values
// follow in bit order. Strings, int64s and times are present when not
// zero, pointers when not nil, Profiles and Secrets when not empty, and
// Uploaded when true (it has no value: the bit is the value). Values:
//
//	string  = len:uvarint bytes
//	int64   = zigzag varint
//	time    = unix-seconds:zigzag varint, (nanoseconds<<1 | z):uvarint,
//	          and when z = 1 the zone offset in seconds east of UTC as a
//	          zigzag varint; z = 0 (written for offset 0) is UTC
//	profiles = count:uvarint (id:int64 type:string name:string)*count
//	secrets = count:uvarint (name:string value:string)*count, names
//	          strictly ascending
//
// Entries are in strictly ascending name order (byte-wise), as Contents
// keeps them.
//
// uvarint and zigzag varint are those of Go's encoding/binary (LEB128).
// A reader refuses a fields bit it does not know, rather than drop a field
// a newer version wrote and lose it on the next save; a new field is a new
// bit, and needs no new schema number.
const bodyMagic = "WWB"

// Entry fields in encoding order. Append only: the numbers are the format.
const (
	fName = iota
	fKind
	fEnvName
	fEnvAPIURL
	fEnvAuthorizeURL
	fEnvMTLSURL
	fCreatedAt
	fUpdatedAt
	fLinkedTo
	fStatus
	fUserID
	fUserEmail
	fUserName
	fProfileID
	fProfiles
	fClientID
	fRedirectURL
	fSecretCreatedAt
	fAccessIssuedAt
	fAccessExpiresAt
	fRefreshExpiresAt
	fKeyType
	fKeyID
	fAlgorithm
	fPublicKey
	fCSR
	fCertChain
	fCACert
	fNotAfter
	fValidFrom
	fValidTill
	fUploaded
	fSecrets
	numFields
)

const (
	entryHeaderSize = 4 + 8              // length, fields
	bodyHeaderSize  = len(bodyMagic) + 1 // magic, schema
	maxZoneOffset   = 24 * 60 * 60
)

// encodeBody encodes entries as a schema 2 body. The result is allocated
// once at its exact size: a buffer that grew would leave copies of the
// secrets in the garbage it outgrew, where nothing wipes them.
func encodeBody(entries []Entry) ([]byte, error) {
	size := bodyHeaderSize + uvarintSize(uint64(len(entries)))
	for i := range entries {
		// Readers refuse anything else (see decodeBody), so never write it.
		if i > 0 && entries[i-1].Name >= entries[i].Name {
			return nil, fmt.Errorf("wallet: encode: entries %q and %q are not in strict name order", entries[i-1].Name, entries[i].Name)
		}
		size += entrySize(&entries[i])
	}
	out := make([]byte, 0, size)
	out = append(out, bodyMagic...)
	out = append(out, bodySchema)
	out = binary.AppendUvarint(out, uint64(len(entries)))
	for i := range entries {
		out = appendEntry(out, &entries[i])
	}
	if len(out) != size || cap(out) != size {
		crypto.Wipe(out)
		return nil, fmt.Errorf("wallet: encode: body is %d bytes, sized %d", len(out), size)
	}
	return out, nil
}

func uvarintSize(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

func varintSize(x int64) int { return uvarintSize(uint64(x)<<1 ^ uint64(x>>63)) }

func stringSize(s string) int { return uvarintSize(uint64(len(s))) + len(s) }

// zoneOffset is t's offset from UTC in seconds. An offset of 0 is stored
// as UTC, as schema 1 (RFC 3339 "Z") did. So is an offset beyond the
// ±24 h that readers accept (time.FixedZone takes any): the instant is
// kept, and the wallet stays readable, which matters more than a zone no
// real place has.
func zoneOffset(t time.Time) int {
	if t.Location() == time.UTC {
		return 0
	}
	_, off := t.Zone()
	if off < -maxZoneOffset || off > maxZoneOffset {
		return 0
	}
	return off
}

func timeSize(t time.Time) int {
	n := varintSize(t.Unix())
	if off := zoneOffset(t); off != 0 {
		return n + uvarintSize(uint64(t.Nanosecond())<<1|1) + varintSize(int64(off))
	}
	return n + uvarintSize(uint64(t.Nanosecond())<<1)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	if off := zoneOffset(t); off != 0 {
		b = binary.AppendUvarint(b, uint64(t.Nanosecond())<<1|1)
		return binary.AppendVarint(b, int64(off))
	}
	return binary.AppendUvarint(b, uint64(t.Nanosecond())<<1)
}

// entrySize is the encoded size of e; it mirrors appendEntry.
func entrySize(e *Entry) int {
	n := entryHeaderSize
	str := func(s string) {
		if s != "" {
			n += stringSize(s)
		}
	}
	tm := func(t *time.Time) {
		if t != nil {
			n += timeSize(*t)
		}
	}
	i64 := func(x int64) {
		if x != 0 {
			n += varintSize(x)
		}
	}
	str(e.Name)
	str(string(e.Kind))
	str(string(e.Env.Name))
	str(e.Env.APIURL)
	str(e.Env.AuthorizeURL)
	str(e.Env.MTLSURL)
	if !e.CreatedAt.IsZero() {
		n += timeSize(e.CreatedAt)
	}
	if !e.UpdatedAt.IsZero() {
		n += timeSize(e.UpdatedAt)
	}
	str(e.LinkedTo)
	str(string(e.Status))
	i64(e.UserID)
	str(e.UserEmail)
	str(e.UserName)
	i64(e.ProfileID)
	if len(e.Profiles) > 0 {
		n += uvarintSize(uint64(len(e.Profiles)))
		for _, p := range e.Profiles {
			n += varintSize(p.ID) + stringSize(p.Type) + stringSize(p.Name)
		}
	}
	str(e.ClientID)
	str(e.RedirectURL)
	tm(e.SecretCreatedAt)
	tm(e.AccessIssuedAt)
	tm(e.AccessExpiresAt)
	tm(e.RefreshExpiresAt)
	str(e.KeyType)
	str(e.KeyID)
	str(e.Algorithm)
	str(e.PublicKey)
	str(e.CSR)
	str(e.CertChain)
	str(e.CACert)
	tm(e.NotAfter)
	tm(e.ValidFrom)
	tm(e.ValidTill)
	if len(e.Secrets) > 0 {
		n += uvarintSize(uint64(len(e.Secrets)))
		for k, s := range e.Secrets {
			n += stringSize(k) + uvarintSize(uint64(s.Len())) + s.Len()
		}
	}
	return n
}

// appendEntry appends e's encoding. It reserves the length and the fields
// word, appends the present values and fills both in at the end, so the
// test for presence is written once per field.
func appendEntry(b []byte, e *Entry) []byte {
	start := len(b)
	b = append(b, make([]byte, entryHeaderSize)...)
	var fields uint64
	str := func(f int, s string) {
		if s != "" {
			fields |= 1 << f
			b = appendString(b, s)
		}
	}
	tm := func(f int, t *time.Time) {
		if t != nil {
			fields |= 1 << f
			b = appendTime(b, *t)
		}
	}
	i64 := func(f int, x int64) {
		if x != 0 {
			fields |= 1 << f
			b = binary.AppendVarint(b, x)
		}
	}
	str(fName, e.Name)
	str(fKind, string(e.Kind))
	str(fEnvName, string(e.Env.Name))
	str(fEnvAPIURL, e.Env.APIURL)
	str(fEnvAuthorizeURL, e.Env.AuthorizeURL)
	str(fEnvMTLSURL, e.Env.MTLSURL)
	if !e.CreatedAt.IsZero() {
		tm(fCreatedAt, &e.CreatedAt)
	}
	if !e.UpdatedAt.IsZero() {
		tm(fUpdatedAt, &e.UpdatedAt)
	}
	str(fLinkedTo, e.LinkedTo)
	str(fStatus, string(e.Status))
	i64(fUserID, e.UserID)
	str(fUserEmail, e.UserEmail)
	str(fUserName, e.UserName)
	i64(fProfileID, e.ProfileID)
	if len(e.Profiles) > 0 {
		fields |= 1 << fProfiles
		b = binary.AppendUvarint(b, uint64(len(e.Profiles)))
		for _, p := range e.Profiles {
			b = binary.AppendVarint(b, p.ID)
			b = appendString(b, p.Type)
			b = appendString(b, p.Name)
		}
	}
	str(fClientID, e.ClientID)
	str(fRedirectURL, e.RedirectURL)
	tm(fSecretCreatedAt, e.SecretCreatedAt)
	tm(fAccessIssuedAt, e.AccessIssuedAt)
	tm(fAccessExpiresAt, e.AccessExpiresAt)
	tm(fRefreshExpiresAt, e.RefreshExpiresAt)
	str(fKeyType, e.KeyType)
	str(fKeyID, e.KeyID)
	str(fAlgorithm, e.Algorithm)
	str(fPublicKey, e.PublicKey)
	str(fCSR, e.CSR)
	str(fCertChain, e.CertChain)
	str(fCACert, e.CACert)
	tm(fNotAfter, e.NotAfter)
	tm(fValidFrom, e.ValidFrom)
	tm(fValidTill, e.ValidTill)
	if e.Uploaded {
		fields |= 1 << fUploaded
	}
	if len(e.Secrets) > 0 {
		fields |= 1 << fSecrets
		b = binary.AppendUvarint(b, uint64(len(e.Secrets)))
		// Sorted names make the encoding deterministic and let the reader
		// refuse a repeated name instead of silently keeping one value.
		keys := make([]string, 0, 8) // on the stack for up to 8 secrets
		for k := range e.Secrets {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := e.Secrets[k].Reveal()
			b = appendString(b, k)
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
			crypto.Wipe(v)
		}
	}
	binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	binary.LittleEndian.PutUint64(b[start+4:], fields)
	return b
}

// decodeBody decodes the entries of a schema 2 body that follow the magic
// and the schema byte. The body is authenticated, so errors here mean a
// bug; they are still errors and never panics.
func decodeBody(b []byte) ([]Entry, error) {
	count, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, fmt.Errorf("entry count: bad varint")
	}
	b = b[n:]
	if count > uint64(len(b)/entryHeaderSize) {
		return nil, fmt.Errorf("%d entries in %d bytes", count, len(b))
	}
	// Find every entry first (one hop per entry), so that the decoding
	// itself can be split between goroutines.
	spans := make([][]byte, count)
	for i := range spans {
		if len(b) < 4 {
			return nil, fmt.Errorf("entry %d: truncated", i)
		}
		l := binary.LittleEndian.Uint32(b)
		if uint64(l) > uint64(len(b)-4) || l < entryHeaderSize-4 {
			return nil, fmt.Errorf("entry %d: length %d with %d bytes left", i, l, len(b)-4)
		}
		spans[i], b = b[4:4+l], b[4+l:]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%d bytes after the last entry", len(b))
	}
	entries := make([]Entry, count)
	parts := decodeParallelism(len(entries))
	if parts == 1 {
		if err := decodeEntries(entries, spans, 0); err != nil {
			return nil, err
		}
		return entries, checkOrder(entries)
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*len(entries)/parts, (p+1)*len(entries)/parts
		wg.Go(func() { errs[p] = decodeEntries(entries[lo:hi], spans[lo:hi], lo) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return entries, checkOrder(entries)
}

// checkOrder requires the order Contents keeps (sorted, no name twice),
// which writers produce, so that readers need not sort.
func checkOrder(entries []Entry) error {
	for i := 1; i < len(entries); i++ {
		if entries[i-1].Name >= entries[i].Name {
			return fmt.Errorf("entry %d: %q after %q", i, entries[i].Name, entries[i-1].Name)
		}
	}
	return nil
}

// decodeParallelism is how many goroutines decode n entries: one per
// core, for wallets large enough that it pays.
func decodeParallelism(n int) int {
	const minPerPart = 1000
	return max(1, min(runtime.GOMAXPROCS(0), n/minPerPart))
}

func decodeEntries(entries []Entry, spans [][]byte, first int) error {
	d := entryDecoder{intern: make(map[string]string)}
	for i := range entries {
		d.b = spans[i]
		d.decodeEntry(&entries[i])
		if d.err == nil && len(d.b) != 0 {
			d.fail("%d bytes after the last field", len(d.b))
		}
		if d.err != nil {
			return fmt.Errorf("entry %d: %w", first+i, d.err)
		}
	}
	return nil
}

// entryDecoder reads one entry's fields. The first error sticks and makes
// every later read return a zero value, so decodeEntry checks once.
type entryDecoder struct {
	b   []byte
	err error
	// intern shares the strings that repeat across entries (kinds, hosts,
	// secret names), which saves an allocation each.
	intern map[string]string
}

func (d *entryDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
	d.b = nil
}

func (d *entryDecoder) uvarint() uint64 {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *entryDecoder) varint() int64 {
	x, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return x
}

// bytes returns the next length-prefixed value, pointing into the body.
func (d *entryDecoder) bytes() []byte {
	l := d.uvarint()
	if l > uint64(len(d.b)) {
		d.fail("value of %d bytes with %d left", l, len(d.b))
		return nil
	}
	v := d.b[:l]
	d.b = d.b[l:]
	return v
}

func (d *entryDecoder) string() string { return string(d.bytes()) }

// shared is string for values that repeat across entries.
func (d *entryDecoder) shared() string {
	v := d.bytes()
	if s, ok := d.intern[string(v)]; ok {
		return s
	}
	s := string(v)
	if len(s) <= 4096 && len(d.intern) < 1024 {
		d.intern[s] = s
	}
	return s
}

func (d *entryDecoder) time() time.Time {
	sec := d.varint()
	x := d.uvarint()
	nsec, zoned := int64(x>>1), x&1 == 1
	if nsec > 999_999_999 {
		d.fail("%d nanoseconds", nsec)
		return time.Time{}
	}
	t := time.Unix(sec, nsec)
	if !zoned {
		return t.UTC()
	}
	off := d.varint()
	if off < -maxZoneOffset || off > maxZoneOffset {
		d.fail("zone offset %d s", off)
		return time.Time{}
	}
	// As time.Parse does: the local zone when it has this offset then,
	// else an unnamed fixed zone.
	if _, lo := t.Zone(); int64(lo) == off {
		return t
	}
	return t.In(time.FixedZone("", int(off)))
}

func (d *entryDecoder) timePtr() *time.Time {
	t := d.time()
	return &t
}

func (d *entryDecoder) decodeEntry(e *Entry) {
	if len(d.b) < 8 {
		d.fail("truncated")
		return
	}
	fields := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	if unknown := fields &^ (1<<numFields - 1); unknown != 0 {
		d.err = fmt.Errorf("%w: contents have entry field %d, unknown to this version; upgrade wisewallet", ErrUnsupportedVersion, bits.TrailingZeros64(unknown))
		return
	}
	has := func(f int) bool { return fields&(1<<f) != 0 }
	if has(fName) {
		e.Name = d.string()
	}
	if has(fKind) {
		e.Kind = Kind(d.shared())
	}
	if has(fEnvName) {
		e.Env.Name = EnvName(d.shared())
	}
	if has(fEnvAPIURL) {
		e.Env.APIURL = d.shared()
	}
	if has(fEnvAuthorizeURL) {
		e.Env.AuthorizeURL = d.shared()
	}
	if has(fEnvMTLSURL) {
		e.Env.MTLSURL = d.shared()
	}
	if has(fCreatedAt) {
		e.CreatedAt = d.time()
	}
	if has(fUpdatedAt) {
		e.UpdatedAt = d.time()
	}
	if has(fLinkedTo) {
		e.LinkedTo = d.string()
	}
	if has(fStatus) {
		e.Status = Status(d.shared())
	}
	if has(fUserID) {
		e.UserID = d.varint()
	}
	if has(fUserEmail) {
		e.UserEmail = d.string()
	}
	if has(fUserName) {
		e.UserName = d.shared()
	}
	if has(fProfileID) {
		e.ProfileID = d.varint()
	}
	if has(fProfiles) {
		n := d.uvarint()
		// Each profile takes at least 3 bytes.
		if n > uint64(len(d.b)/3) {
			d.fail("%d profiles in %d bytes", n, len(d.b))
			return
		}
		if n > 0 {
			e.Profiles = make([]Profile, n)
		}
		for i := range e.Profiles {
			e.Profiles[i] = Profile{ID: d.varint(), Type: d.shared(), Name: d.shared()}
		}
	}
	if has(fClientID) {
		e.ClientID = d.string()
	}
	if has(fRedirectURL) {
		e.RedirectURL = d.shared()
	}
	if has(fSecretCreatedAt) {
		e.SecretCreatedAt = d.timePtr()
	}
	if has(fAccessIssuedAt) {
		e.AccessIssuedAt = d.timePtr()
	}
	if has(fAccessExpiresAt) {
		e.AccessExpiresAt = d.timePtr()
	}
	if has(fRefreshExpiresAt) {
		e.RefreshExpiresAt = d.timePtr()
	}
	if has(fKeyType) {
		e.KeyType = d.shared()
	}
	if has(fKeyID) {
		e.KeyID = d.string()
	}
	if has(fAlgorithm) {
		e.Algorithm = d.shared()
	}
	if has(fPublicKey) {
		e.PublicKey = d.string()
	}
	if has(fCSR) {
		e.CSR = d.string()
	}
	if has(fCertChain) {
		e.CertChain = d.string()
	}
	if has(fCACert) {
		e.CACert = d.shared()
	}
	if has(fNotAfter) {
		e.NotAfter = d.timePtr()
	}
	if has(fValidFrom) {
		e.ValidFrom = d.timePtr()
	}
	if has(fValidTill) {
		e.ValidTill = d.timePtr()
	}
	e.Uploaded = has(fUploaded)
	if has(fSecrets) {
		n := d.uvarint()
		// Each secret takes at least 2 bytes.
		if n > uint64(len(d.b)/2) {
			d.fail("%d secrets in %d bytes", n, len(d.b))
			return
		}
		if n > 0 {
			e.Secrets = make(map[string]crypto.Secret, n)
		}
		prev := ""
		for i := range n {
			k := d.shared()
			if i > 0 && k <= prev {
				d.fail("secret names out of order")
				return
			}
			// NewSecret copies the value out of the body, which the
			// caller wipes.
			e.Secrets[k] = crypto.NewSecret(d.bytes())
			prev = k
		}
	}
}
