package wallet

import (
	"encoding/binary"
	"slices"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// A group is the table of one group of Entry fields: the header, or a
// section (codec_groups.go).
type group struct {
	id   uint64 // section id; 0 for the header, which has no frame
	name string // for messages
	// of names the Entry field the group is (its embedded struct); empty
	// for the header, whose fields are Entry's own.
	of     string
	fields []field // in bit order: fields[i] has bit i
}

// A field is one value of a group: its presence bit, its name (for
// messages and the schema 2 reader), its value type, and the accessor for
// that type (only the one of its type is set).
type field struct {
	bit  uint
	name string
	kind valueKind
	str  func(*Entry) *string
	i64  func(*Entry) *int64
	i64s func(*Entry) *[]int64
	num  func(*Entry) *int
	tm   func(*Entry) *time.Time
	opt  func(*Entry) **time.Time
	flag func(*Entry) *bool
	prof func(*Entry) *[]Profile
	sec  func(*Entry) *map[string]crypto.Secret
}

// valueKind is a field's value type. Presence, size, encoding and
// decoding are written once per kind (below), never per field. A switch
// rather than an interface per value type: one indirect call per field
// and pass (the accessor) instead of two, on a path that runs for every
// field of every entry at each save.
type valueKind uint8

const (
	kindText            valueKind = iota // string, absent when empty
	kindSharedText                       // string that repeats across entries (interned on decode)
	kindInteger                          // int64, zigzag varint, absent when 0
	kindNumber                           // int, encoded as kindInteger, absent when 0
	kindInstant                          // time.Time, absent when zero
	kindOptionalInstant                  // *time.Time, absent when nil
	kindBool                             // bool: the bit is the value, no bytes
	kindProfiles                         // []Profile, absent when empty
	kindSecrets                          // map[string]crypto.Secret, absent when empty
	kindIntegerSet                       // []int64 strictly ascending, absent when empty
)

// The constructors of the table lines, one per value kind.

func text(bit uint, name string, at func(*Entry) *string) field {
	return field{bit: bit, name: name, kind: kindText, str: at}
}

// sharedText is for values that repeat across entries (kinds, hosts,
// algorithms), which the decoder interns.
func sharedText(bit uint, name string, at func(*Entry) *string) field {
	return field{bit: bit, name: name, kind: kindSharedText, str: at}
}

func integer(bit uint, name string, at func(*Entry) *int64) field {
	return field{bit: bit, name: name, kind: kindInteger, i64: at}
}

// number is integer for an int field; the bytes are the same.
func number(bit uint, name string, at func(*Entry) *int) field {
	return field{bit: bit, name: name, kind: kindNumber, num: at}
}

func instant(bit uint, name string, at func(*Entry) *time.Time) field {
	return field{bit: bit, name: name, kind: kindInstant, tm: at}
}

// optionalInstant: a pointer to the zero time is present, and stays a
// pointer to the zero time.
func optionalInstant(bit uint, name string, at func(*Entry) **time.Time) field {
	return field{bit: bit, name: name, kind: kindOptionalInstant, opt: at}
}

func boolean(bit uint, name string, at func(*Entry) *bool) field {
	return field{bit: bit, name: name, kind: kindBool, flag: at}
}

func profiles(bit uint, name string, at func(*Entry) *[]Profile) field {
	return field{bit: bit, name: name, kind: kindProfiles, prof: at}
}

// secrets: names are written strictly ascending, which makes the encoding
// deterministic and lets a reader refuse a repeated name instead of
// silently keeping one value.
func secrets(bit uint, name string, at func(*Entry) *map[string]crypto.Secret) field {
	return field{bit: bit, name: name, kind: kindSecrets, sec: at}
}

// integerSet is a set of int64 kept as a strictly ascending slice (a
// profile id list). Readers refuse it unsorted or repeated, so the
// encoding is deterministic and a repeated id cannot hide; writers never
// get one (Contents.check and encodeBody refuse it).
func integerSet(bit uint, name string, at func(*Entry) *[]int64) field {
	return field{bit: bit, name: name, kind: kindIntegerSet, i64s: at}
}

func (g *group) known() uint64 { return 1<<len(g.fields) - 1 }

// present reports whether f has a value in e.
func (f *field) present(e *Entry) bool {
	switch f.kind {
	case kindText, kindSharedText:
		return *f.str(e) != ""
	case kindInteger:
		return *f.i64(e) != 0
	case kindNumber:
		return *f.num(e) != 0
	case kindInstant:
		return !f.tm(e).IsZero()
	case kindOptionalInstant:
		return *f.opt(e) != nil
	case kindBool:
		return *f.flag(e)
	case kindProfiles:
		return len(*f.prof(e)) > 0
	case kindSecrets:
		return len(*f.sec(e)) > 0
	case kindIntegerSet:
		return len(*f.i64s(e)) > 0
	}
	return false
}

// size is the encoded size of f's value in e, when present.
func (f *field) size(e *Entry) int {
	switch f.kind {
	case kindText, kindSharedText:
		return stringSize(*f.str(e))
	case kindInteger:
		return varintSize(*f.i64(e))
	case kindNumber:
		return varintSize(int64(*f.num(e)))
	case kindInstant:
		return timeSize(*f.tm(e))
	case kindOptionalInstant:
		return timeSize(**f.opt(e))
	case kindProfiles:
		ps := *f.prof(e)
		n := uvarintSize(uint64(len(ps)))
		for _, p := range ps {
			n += varintSize(p.ID) + stringSize(p.Type) + stringSize(p.Name)
		}
		return n
	case kindSecrets:
		m := *f.sec(e)
		n := uvarintSize(uint64(len(m)))
		for k, s := range m {
			n += stringSize(k) + uvarintSize(uint64(s.Len())) + s.Len()
		}
		return n
	case kindIntegerSet:
		vs := *f.i64s(e)
		n := uvarintSize(uint64(len(vs)))
		for _, v := range vs {
			n += varintSize(v)
		}
		return n
	}
	return 0 // kindBool
}

// appendValue appends f's value in e, which is present.
func (f *field) appendValue(b []byte, e *Entry) []byte {
	switch f.kind {
	case kindText, kindSharedText:
		return appendString(b, *f.str(e))
	case kindInteger:
		return binary.AppendVarint(b, *f.i64(e))
	case kindNumber:
		return binary.AppendVarint(b, int64(*f.num(e)))
	case kindInstant:
		return appendTime(b, *f.tm(e))
	case kindOptionalInstant:
		return appendTime(b, **f.opt(e))
	case kindProfiles:
		ps := *f.prof(e)
		b = binary.AppendUvarint(b, uint64(len(ps)))
		for _, p := range ps {
			b = binary.AppendVarint(b, p.ID)
			b = appendString(b, p.Type)
			b = appendString(b, p.Name)
		}
	case kindSecrets:
		m := *f.sec(e)
		b = binary.AppendUvarint(b, uint64(len(m)))
		keys := make([]string, 0, 8) // on the stack for up to 8 secrets
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			// The revealed copy is wiped at once; the body it went into is
			// wiped by the caller.
			s := m[k].Reveal()
			b = appendString(b, k)
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
			crypto.Wipe(s)
		}
	case kindIntegerSet:
		vs := *f.i64s(e)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = binary.AppendVarint(b, v)
		}
	}
	return b // kindBool has no bytes
}

// decodeValue reads f's value into e; its bit is set.
func (f *field) decodeValue(d *entryDecoder, e *Entry) {
	switch f.kind {
	case kindText:
		*f.str(e) = d.string()
	case kindSharedText:
		*f.str(e) = d.shared()
	case kindInteger:
		*f.i64(e) = d.varint()
	case kindNumber:
		v := d.varint()
		// Where int has 32 bits a larger value cannot be kept; refusing it
		// beats truncating it silently.
		if int64(int(v)) != v {
			d.fail("%s: %d does not fit an int", f.name, v)
			return
		}
		*f.num(e) = int(v)
	case kindInstant:
		*f.tm(e) = d.time()
	case kindOptionalInstant:
		t := d.time()
		*f.opt(e) = &t
	case kindBool:
		*f.flag(e) = true
	case kindProfiles:
		n := d.uvarint()
		// Each profile takes at least 3 bytes.
		if n > uint64(len(d.b)/3) {
			d.fail("%d profiles in %d bytes", n, len(d.b))
			return
		}
		if n == 0 {
			return
		}
		ps := make([]Profile, n)
		for i := range ps {
			ps[i] = Profile{ID: d.varint(), Type: d.shared(), Name: d.shared()}
		}
		*f.prof(e) = ps
	case kindSecrets:
		n := d.uvarint()
		// Each secret takes at least 2 bytes.
		if n > uint64(len(d.b)/2) {
			d.fail("%d secrets in %d bytes", n, len(d.b))
			return
		}
		if n == 0 {
			return
		}
		m := make(map[string]crypto.Secret, n)
		prev := ""
		for i := range n {
			k := d.shared()
			if i > 0 && k <= prev {
				d.fail("secret names out of order")
				return
			}
			// NewSecret copies the value out of the body, which the
			// caller wipes.
			m[k] = crypto.NewSecret(d.bytes())
			prev = k
		}
		*f.sec(e) = m
	case kindIntegerSet:
		n := d.uvarint()
		// Each value takes at least 1 byte.
		if n > uint64(len(d.b)) {
			d.fail("%s: %d values in %d bytes", f.name, n, len(d.b))
			return
		}
		if n == 0 {
			return
		}
		vs := make([]int64, n)
		for i := range vs {
			vs[i] = d.varint()
			if i > 0 && vs[i] <= vs[i-1] {
				d.fail("%s: values not strictly ascending", f.name)
				return
			}
		}
		*f.i64s(e) = vs
	}
}

// measure returns the presence bits of g in e and the size of its values;
// bits == 0 means the group is zero and is not written.
func (g *group) measure(e *Entry) (bits uint64, n int) {
	for i := range g.fields {
		if f := &g.fields[i]; f.present(e) {
			bits |= 1 << i
			n += f.size(e)
		}
	}
	return bits, n
}

// presence returns the presence bits alone.
func (g *group) presence(e *Entry) (bits uint64) {
	for i := range g.fields {
		if g.fields[i].present(e) {
			bits |= 1 << i
		}
	}
	return bits
}

// anyPresent reports whether g has a field present in e.
func (g *group) anyPresent(e *Entry) bool {
	for i := range g.fields {
		if g.fields[i].present(e) {
			return true
		}
	}
	return false
}

func (g *group) decodeValues(d *entryDecoder, e *Entry, bits uint64) {
	for i := range g.fields {
		if bits&(1<<i) != 0 {
			g.fields[i].decodeValue(d, e)
		}
	}
}
