package wallet

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// The schema 3 body is a compact binary encoding, written and read without
// reflection: decoding the schema 1 JSON body of a 10,000-entry wallet
// took most of the time of opening it. The layout (also in README):
//
//	body    = "WWB" schema:u8 count:uvarint entry*count
//	entry   = length:u32le header section*
//	header  = group
//	section = id:uvarint length:uvarint group
//	group   = fields:uvarint value*
//
// An entry's length counts the bytes after itself, a section's the bytes
// of its group. The header holds what every entry has; each section holds
// one optional group of fields (identity, OAuth client, tokens, key,
// certificate, Wise's keys, SCA), and is written only when one of its fields is present,
// in ascending id order. codec_groups.go has the table of every group:
// the field behind each bit of fields, and the section ids. Bit i of
// fields is set when field i is present, and the present fields' values
// follow in bit order. Values (present when not zero, see
// codec_groups.go):
//
//	string   = len:uvarint bytes
//	int64    = zigzag varint
//	time     = unix-seconds:zigzag varint, (nanoseconds<<1 | z):uvarint,
//	           and when z = 1 the zone offset in seconds east of UTC as a
//	           zigzag varint; z = 0 (written for offset 0) is UTC
//	bool     = no bytes: the bit is the value (set when true)
//	profiles = count:uvarint (id:int64 type:string name:string)*count
//	secrets  = count:uvarint (name:string value:string)*count, names
//	           strictly ascending
//	int64s   = count:uvarint int64*count, strictly ascending
//
// Entries are in strictly ascending name order (byte-wise), as Contents
// keeps them. uvarint and zigzag varint are those of Go's encoding/binary
// (LEB128).
//
// A reader refuses a field bit or a section id it does not know
// (ErrUnsupportedVersion), rather than drop what a newer version wrote
// and lose it on the next save. A new field is a new bit in its group, a
// new group a new section id; neither needs a new schema number. It
// refuses as damaged what no writer produces: a section out of order or
// twice, an empty section, bytes left over in a section or an entry.
const bodyMagic = "WWB"

const (
	bodyHeaderSize = len(bodyMagic) + 1 // magic, schema
	maxZoneOffset  = 24 * 60 * 60
	// The smallest entry of each schema: its length, and a header fields
	// varint (schema 3) or the fields word (schema 2).
	minEntrySize3 = 4 + 1
	minEntrySize2 = 4 + 8
)

// encodeBody encodes entries as a schema 3 body. The result is allocated
// once at its exact size: a buffer that grew would leave copies of the
// secrets in the garbage it outgrew, where nothing wipes them.
func encodeBody(entries []Entry) ([]byte, error) {
	size := bodyHeaderSize + uvarintSize(uint64(len(entries)))
	for i := range entries {
		// Readers refuse anything else (see decodeBody), so never write it.
		if i > 0 && entries[i-1].Name >= entries[i].Name {
			return nil, fmt.Errorf("wallet: encode: entries %q and %q are not in strict name order", entries[i-1].Name, entries[i].Name)
		}
		// Checked again here, not only in Contents.check: an unreadable
		// file would lose every entry, not just this one.
		if err := entries[i].checkSCAPINSet(); err != nil {
			return nil, err
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

// groupSize is the size of a group with presence bits and n bytes of
// values.
func groupSize(bits uint64, n int) int { return uvarintSize(bits) + n }

// entrySize is the encoded size of e; it mirrors appendEntry.
func entrySize(e *Entry) int {
	bits, n := entryHeader.measure(e)
	size := 4 + groupSize(bits, n)
	for _, s := range sections {
		if bits, n := s.measure(e); bits != 0 {
			g := groupSize(bits, n)
			size += uvarintSize(s.id) + uvarintSize(uint64(g)) + g
		}
	}
	return size
}

// appendEntry appends e's encoding, testing each field once. Lengths and
// presence bits come before what they describe but are known after it:
// one byte is reserved for each, and what follows moves up in place when
// it needs more (putUvarintAt). The buffer was sized by entrySize, so
// this stays within it and nothing is copied elsewhere.
func appendEntry(b []byte, e *Entry) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	b, _ = appendGroup(b, entryHeader, e)
	for _, s := range sections {
		// Asked first, so that nothing is written for a zero group: even
		// a byte written and taken back could pass the buffer's end.
		if !s.anyPresent(e) {
			continue
		}
		b = binary.AppendUvarint(b, s.id)
		at := len(b)
		b = append(b, 0)
		b, _ = appendGroup(b, s, e)
		b = putUvarintAt(b, at, uint64(len(b)-at-1))
	}
	binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	return b
}

// appendGroup appends g's presence bits and values in e.
func appendGroup(b []byte, g *group, e *Entry) ([]byte, uint64) {
	at := len(b)
	b = append(b, 0)
	var bits uint64
	for i := range g.fields {
		if f := &g.fields[i]; f.present(e) {
			bits |= 1 << i
			b = f.appendValue(b, e)
		}
	}
	return putUvarintAt(b, at, bits), bits
}

// putUvarintAt writes x as a uvarint at b[at], where one byte was
// reserved, moving what follows up when x needs more.
func putUvarintAt(b []byte, at int, x uint64) []byte {
	if extra := uvarintSize(x) - 1; extra > 0 {
		end := len(b)
		b = append(b, make([]byte, extra)...)
		copy(b[at+1+extra:], b[at+1:end])
	}
	binary.PutUvarint(b[at:], x)
	return b
}

// decodeBody decodes the entries of a schema 2 or 3 body that follow the
// magic and the schema byte. The body is authenticated, so errors here
// mean a bug; they are still errors and never panics.
func decodeBody(b []byte, schema byte) ([]Entry, error) {
	minEntry := minEntrySize3
	if schema == 2 {
		minEntry = minEntrySize2
	}
	count, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, fmt.Errorf("entry count: bad varint")
	}
	b = b[n:]
	if count > uint64(len(b)/minEntry) {
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
		if uint64(l) > uint64(len(b)-4) || l < uint32(minEntry-4) {
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
		if err := decodeEntries(entries, spans, 0, schema); err != nil {
			return nil, err
		}
		return entries, checkOrder(entries)
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*len(entries)/parts, (p+1)*len(entries)/parts
		wg.Go(func() { errs[p] = decodeEntries(entries[lo:hi], spans[lo:hi], lo, schema) })
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

func decodeEntries(entries []Entry, spans [][]byte, first int, schema byte) error {
	d := entryDecoder{intern: make(map[string]string)}
	for i := range entries {
		d.b = spans[i]
		if schema == 2 {
			d.decodeEntrySchema2(&entries[i])
		} else {
			d.decodeEntry(&entries[i])
		}
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

// decodeEntry reads a schema 3 entry: the header, then the sections.
func (d *entryDecoder) decodeEntry(e *Entry) {
	d.decodeGroup(entryHeader, e, d.uvarint())
	var last uint64
	for len(d.b) > 0 && d.err == nil {
		id := d.uvarint()
		if id <= last {
			d.fail("section %d after section %d", id, last)
			return
		}
		last = id
		s := sectionByID(id)
		if s == nil {
			d.newer("entry section %d", id)
			return
		}
		l := d.uvarint()
		if l > uint64(len(d.b)) {
			d.fail("section %s of %d bytes with %d left", s.name, l, len(d.b))
			return
		}
		rest := d.b[l:]
		d.b = d.b[:l]
		bits := d.uvarint()
		if d.err == nil && bits == 0 {
			d.fail("section %s is empty", s.name)
			return
		}
		d.decodeGroup(s, e, bits)
		if d.err != nil {
			return
		}
		if len(d.b) != 0 {
			d.fail("%d bytes after the last field of section %s", len(d.b), s.name)
			return
		}
		d.b = rest
	}
}

// decodeGroup reads the values of a group with the presence bits present,
// and refuses a bit this version does not know.
func (d *entryDecoder) decodeGroup(s *group, e *Entry, present uint64) {
	if d.err != nil {
		return
	}
	if unknown := present &^ s.known(); unknown != 0 {
		d.newer("field %d of the entry %s", bits.TrailingZeros64(unknown), s.name)
		return
	}
	s.decodeValues(d, e, present)
}

// newer fails with ErrUnsupportedVersion: a newer version wrote
// something this one does not know.
func (d *entryDecoder) newer(format string, args ...any) {
	if d.err == nil {
		d.err = newerVersion("contents have "+format+", unknown to this version", args...)
	}
	d.b = nil
}
