package wallet

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// Schema 2, the body that saves wrote before schema 3, is still read; the
// next save rewrites it as schema 3. Its entries were one flat group:
//
//	entry = length:u32le fields:u64le value*
//
// with the values of the fields below, in this (bit) order, encoded as in
// schema 3. The list is frozen: schema 2 gets no new fields.
var schema2FieldNames = []string{
	"name", "kind", "env.name", "env.api_url", "env.authorize_url", "env.mtls_url",
	"created_at", "updated_at", "linked_to", "status",
	"user_id", "user_email", "user_name", "profile_id", "profiles",
	"client_id", "redirect_url", "secret_created_at",
	"access_issued_at", "access_expires_at", "refresh_expires_at",
	"key_type", "key_id", "algorithm", "public_key", "csr", "cert_chain", "ca_cert",
	"not_after", "valid_from", "valid_till", "uploaded", "secrets",
}

// schema2Field is where a schema 2 field lives now: field i of group s.
type schema2Field struct {
	s *group
	i int
}

// schema2Fields resolves schema2FieldNames against today's tables, so
// that schema 2 values decode with the same code as schema 3 ones. A name
// that no table has leaves a zero schema2Field (TestSchema2FieldsResolve).
var schema2Fields = func() []schema2Field {
	out := make([]schema2Field, len(schema2FieldNames))
	for n, name := range schema2FieldNames {
		for _, s := range append([]*group{entryHeader}, sections...) {
			if i := slices.IndexFunc(s.fields, func(f field) bool { return f.name == name }); i >= 0 {
				out[n] = schema2Field{s, i}
				break
			}
		}
	}
	return out
}()

func (d *entryDecoder) decodeEntrySchema2(e *Entry) {
	if len(d.b) < 8 {
		d.fail("truncated")
		return
	}
	fields := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	if unknown := fields &^ (1<<len(schema2Fields) - 1); unknown != 0 {
		d.newer("entry field %d", bits.TrailingZeros64(unknown))
		return
	}
	for bit, f := range schema2Fields {
		if fields&(1<<bit) != 0 {
			f.s.fields[f.i].decodeValue(d, e)
		}
	}
}
