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
type Secret struct {
	b []byte
}

// NewSecret wraps b. The Secret keeps its own copy, so the caller may clear b.
func NewSecret(b []byte) Secret {
	if len(b) == 0 {
		return Secret{}
	}
	return Secret{b: append([]byte(nil), b...)}
}

// SecretString wraps s.
func SecretString(s string) Secret { return NewSecret([]byte(s)) }

// Reveal returns a copy of the secret bytes. Callers should clear the copy
// when done with it.
func (s Secret) Reveal() []byte { return append([]byte(nil), s.b...) }

// RevealString returns the secret as a string, for HTTP headers and forms
// that take strings. Prefer Reveal where a []byte will do.
func (s Secret) RevealString() string { return string(s.b) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return len(s.b) == 0 }

// Len is the length in bytes, which is not considered secret.
func (s Secret) Len() int { return len(s.b) }

// Equal compares two secrets in constant time.
func (s Secret) Equal(o Secret) bool { return subtle.ConstantTimeCompare(s.b, o.b) == 1 }

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
