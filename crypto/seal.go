package crypto

import (
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// KeySize is the size of data keys and key-encryption keys: 256 bits.
const KeySize = chacha20poly1305.KeySize

// NonceSize is the XChaCha20-Poly1305 nonce size. 192-bit nonces are safe
// to pick at random for every message, so no nonce counter has to be kept
// on disk.
const NonceSize = chacha20poly1305.NonceSizeX

// Overhead is the authentication tag size added by [Seal].
const Overhead = chacha20poly1305.Overhead

// SaltSize is the Argon2id salt size.
const SaltSize = 32

var (
	// ErrOpen means authenticated decryption failed: the key is wrong or the
	// data or its associated data were modified. It deliberately does not
	// say which; callers classify with other evidence.
	ErrOpen = errors.New("crypto: message authentication failed")
	// ErrParams means Argon2id parameters are outside the accepted range.
	ErrParams = errors.New("crypto: key derivation parameters out of range")
)

// KDFParams are Argon2id parameters as stored in a wallet header.
type KDFParams struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
}

// DefaultKDFParams follow RFC 9106's second recommended option (64 MiB, t=3,
// p=4), the floor design.md sets for wallets on ordinary laptops.
var DefaultKDFParams = KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

// Bounds on parameters read from a file. They are checked before the KDF
// runs because the header is attacker-controlled until the passphrase slot
// opens: anyone who can rewrite the file could otherwise make opening it
// allocate gigabytes or grind for minutes (compare go-jose's p2c cap,
// CVE-2023-50658). At the caps, one derivation allocates 1 GiB and makes
// 16 passes over it: 16 times the defaults' memory and 85 times their
// work, which still leaves room for deliberately strong settings. Threads
// add lanes, not work.
const (
	MinMemoryKiB = 8       // RFC 9106 minimum is 8*p KiB; also checked below
	MaxMemoryKiB = 1 << 20 // 1 GiB
	MinTime      = 1
	MaxTime      = 16
	MinThreads   = 1
	MaxThreads   = 64
)

// Check reports whether p is within the accepted bounds.
func (p KDFParams) Check() error {
	switch {
	case p.Time < MinTime || p.Time > MaxTime:
		return fmt.Errorf("%w: time %d not in [%d, %d]", ErrParams, p.Time, MinTime, MaxTime)
	case p.Threads < MinThreads || p.Threads > MaxThreads:
		return fmt.Errorf("%w: threads %d not in [%d, %d]", ErrParams, p.Threads, MinThreads, MaxThreads)
	case p.MemoryKiB < MinMemoryKiB || p.MemoryKiB > MaxMemoryKiB:
		return fmt.Errorf("%w: memory %d KiB not in [%d, %d]", ErrParams, p.MemoryKiB, MinMemoryKiB, MaxMemoryKiB)
	case p.MemoryKiB < 8*uint32(p.Threads):
		return fmt.Errorf("%w: memory %d KiB below 8 KiB per thread", ErrParams, p.MemoryKiB)
	}
	return nil
}

// DeriveKey runs Argon2id over passphrase and salt. It refuses parameters
// that fail [KDFParams.CheckBounded] without doing any work: the bound on
// cost holds for every caller, not only for the wallet's.
func DeriveKey(passphrase, salt []byte, p KDFParams) ([]byte, error) {
	if err := p.CheckBounded(); err != nil {
		return nil, err
	}
	if len(salt) < 16 {
		return nil, fmt.Errorf("crypto: salt of %d bytes is too short", len(salt))
	}
	return argon2.IDKey(passphrase, salt, p.Time, p.MemoryKiB, p.Threads, KeySize), nil
}

// RandomBytes returns n bytes from the system CSPRNG. crypto/rand.Read
// cannot fail since Go 1.24; it aborts the process rather than return
// predictable bytes.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// NewKey returns a fresh random 256-bit key.
func NewKey() []byte { return RandomBytes(KeySize) }

// Seal encrypts plaintext under key with XChaCha20-Poly1305 and a fresh
// random nonce, authenticating aad as well. It returns nonce and ciphertext
// separately because the wallet places the nonce in its header.
func Seal(key, plaintext, aad []byte) (nonce, ciphertext []byte, err error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, nil, fmt.Errorf("crypto: %w", err)
	}
	nonce = RandomBytes(NonceSize)
	return nonce, aead.Seal(nil, nonce, plaintext, aad), nil
}

// SealWithNonce is Seal with a caller-chosen nonce, for callers that must
// know the nonce before the ciphertext (it goes into the associated data).
// The nonce must come from [RandomBytes]; reusing one under a key breaks
// both confidentiality and authenticity.
func SealWithNonce(key, nonce, plaintext, aad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("crypto: %w", err)
	}
	if len(nonce) != NonceSize {
		return nil, fmt.Errorf("crypto: nonce of %d bytes, want %d", len(nonce), NonceSize)
	}
	return aead.Seal(nil, nonce, plaintext, aad), nil
}

// Open reverses Seal. Any failure is [ErrOpen].
func Open(key, nonce, ciphertext, aad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil || len(nonce) != NonceSize {
		return nil, ErrOpen
	}
	pt, err := aead.Open(nil, nonce, ciphertext, aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Wipe overwrites b with zeros. Go may have copied the bytes elsewhere, so
// this narrows the window a secret sits in memory; it promises no more.
func Wipe(b []byte) { clear(b) }
