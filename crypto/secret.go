package crypto

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
)

// redacted is what every printing or encoding path shows instead of a secret.
const redacted = "[redacted]"

// Secret holds sensitive bytes (a token, a password, a private key). Its
// fmt, slog, JSON and text forms are all "[redacted]", so a Secret that
// slips into a log line, an error or a JSON document leaks nothing. The only
// way to the bytes is [Secret.Reveal], which makes every use of the clear
// value easy to find in review.
//
// The value sits behind a *string: fmt cannot call Format on a Secret held
// in an unexported struct field and prints such a field by reflection,
// where a pointer to a string shows as an address under every verb (fmt
// expands pointers to slices, arrays, structs and maps, so *[]byte would
// leak under %s). A plain []byte field would print the secret in clear.
type Secret struct {
	_ [0]func() // not comparable: == would compare pointers, not secrets
	p *string   // nil for the zero Secret; immutable once set
}

// NewSecret wraps b. The Secret keeps its own copy, so the caller may clear b.
func NewSecret(b []byte) Secret {
	if len(b) == 0 {
		return Secret{}
	}
	c := string(b)
	return Secret{p: &c}
}

// value returns the stored string ("" for the zero Secret).
func (s Secret) value() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// SecretString wraps s.
func SecretString(s string) Secret { return NewSecret([]byte(s)) }

// Reveal returns a copy of the secret bytes. Callers should clear the copy
// when done with it.
func (s Secret) Reveal() []byte { return []byte(s.value()) }

// RevealString returns the secret as a string, for HTTP headers and forms
// that take strings. Prefer Reveal where a []byte will do.
func (s Secret) RevealString() string { return s.value() }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return len(s.value()) == 0 }

// Len is the length in bytes, which is not considered secret.
func (s Secret) Len() int { return len(s.value()) }

// Equal compares two secrets in constant time.
func (s Secret) Equal(o Secret) bool {
	a, b := s.Reveal(), o.Reveal()
	defer Wipe(a)
	defer Wipe(b)
	return subtle.ConstantTimeCompare(a, b) == 1
}

// String implements fmt.Stringer.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer, covering %#v.
func (s Secret) GoString() string { return redacted }

// Format implements fmt.Formatter so that every verb (%x, %q, %d, ...) is
// redacted, not only %v and %s.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler. The wallet stores secrets through
// Reveal explicitly; no JSON document gets one by accident.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler for encoders other than JSON.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
