package crypto

import (
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// The SCA (strong customer authentication) building blocks: the legacy
// personal-token signature of a one-time token (SHA256withRSA), the device
// fingerprint a wisewallet install registers as a possession factor, and
// the shape checks of what a user types (PIN, OTP) or a server sends (the
// one-time token) before any of it is used.

// The SCA refusals. Each wraps ErrSCA, so callers can test for the family
// or for the one case. None of them carries the value it refuses: a PIN,
// an OTP, a one-time token and a signature are all secrets or bearer
// values, and errors end up in logs and on screens.
var (
	ErrSCA = errors.New("sca")
	// ErrOneTimeToken: a one-time token that is not a UUID.
	ErrOneTimeToken = fmt.Errorf("%w: one-time token is not a UUID", ErrSCA)
	// ErrPIN: a PIN that is not exactly PINLength ASCII digits.
	ErrPIN = fmt.Errorf("%w: a PIN is exactly %d digits (0-9)", ErrSCA, PINLength)
	// ErrOTP: a phone code that is not exactly OTPLength ASCII digits.
	ErrOTP = fmt.Errorf("%w: a phone code is exactly %d digits (0-9)", ErrSCA, OTPLength)
	// ErrSCASignature: a one-time-token signature that does not verify or
	// is not standard base64 of the key's size.
	ErrSCASignature = fmt.Errorf("%w: one-time-token signature does not verify", ErrSCA)
)

// Sizes fixed by Wise (PIN and OTP) or by this project (the fingerprint).
const (
	// PINLength: Wise's PIN factor is 4 digits.
	PINLength = 4
	// OTPLength: Wise's SMS, WhatsApp and voice codes are 6 digits.
	OTPLength = 6
	// DeviceFingerprintBytes is the entropy of a device fingerprint. 32
	// random bytes (256 bits) make it unguessable: it is the possession
	// factor itself, a bearer secret, not an identifier derived from the
	// machine (which another program on the machine could recompute).
	DeviceFingerprintBytes = 32
	// MinSCAKeyBits: Wise refuses SCA keys under 2048 bits.
	MinSCAKeyBits = 2048
)

// oneTimeTokenLen is the length of a UUID in its 8-4-4-4-12 text form.
const oneTimeTokenLen = 36

// maxSCASignatureB64 bounds the base64 signature accepted for verification:
// a 4096-bit RSA signature is 512 bytes, 684 characters in standard base64.
// Anything longer is refused before it is decoded.
const maxSCASignatureB64 = 684

// GenerateSCAKey makes an RSA key for signing one-time tokens. bits is
// 2048, 3072 or 4096, the sizes Wise accepts and the Key group's KeyType
// names (rsa2048, rsa3072, rsa4096); anything else is refused, a size under
// 2048 because Wise would refuse the public key at upload and because such a
// key no longer protects a payment approval.
func GenerateSCAKey(bits int) (*rsa.PrivateKey, error) {
	switch bits {
	case 2048, 3072, 4096:
		return rsa.GenerateKey(rand.Reader, bits)
	}
	if bits < MinSCAKeyBits {
		return nil, fmt.Errorf("%w: an SCA key of %d bits is too weak: Wise accepts RSA of 2048, 3072 or 4096 bits", ErrKey, bits)
	}
	return nil, fmt.Errorf("%w: an SCA key of %d bits: use 2048, 3072 or 4096", ErrKey, bits)
}

// CheckSCAKey reports whether pub (a public key, or a Signer whose public
// key is checked) is one Wise accepts for SCA signing: RSA of 2048, 3072 or
// 4096 bits. EC keys are refused: the legacy SCA signature is RSA only.
func CheckSCAKey(pub any) error {
	_, err := scaPublicKey(pub)
	return err
}

// scaPublicKey returns the RSA public key of pub after CheckSCAKey's rules.
func scaPublicKey(pub any) (*rsa.PublicKey, error) {
	if s, ok := pub.(stdcrypto.Signer); ok {
		pub = s.Public()
	}
	k, ok := pub.(*rsa.PublicKey)
	if !ok || k == nil || k.N == nil {
		return nil, fmt.Errorf("%w: an SCA key must be RSA, not %T", ErrKey, pub)
	}
	// TypeOf admits exactly 2048, 3072 and 4096 bits, the sizes of
	// GenerateSCAKey; an odd size such as 2049 is refused as elsewhere.
	if _, err := TypeOf(k); err != nil {
		return nil, err
	}
	return k, nil
}

// SignOneTimeToken signs a one-time token for Wise's legacy personal-token
// SCA: SHA256withRSA (RSASSA-PKCS1-v1_5 over SHA-256) of the token's bytes
// exactly as received, in standard base64 with padding, the value of the
// X-Signature header. It is what
//
//	printf '%s' "$OTT" | openssl dgst -sha256 -sign private.pem | base64 -w0
//
// prints. The token must be a UUID (CheckOneTimeToken): the token comes from
// a server's response header, and refusing anything else keeps the user's
// key from becoming a signing oracle for arbitrary strings a hostile or
// broken server might send.
func SignOneTimeToken(key stdcrypto.Signer, ott string) (string, error) {
	if key == nil {
		return "", fmt.Errorf("%w: no SCA key to sign with", ErrKey)
	}
	pub, err := scaPublicKey(key)
	if err != nil {
		return "", err
	}
	if err := CheckOneTimeToken(ott); err != nil {
		return "", err
	}
	digest := sha256.Sum256([]byte(ott))
	// Passing crypto.SHA256 (not *rsa.PSSOptions) selects PKCS#1 v1.5,
	// the scheme Wise's examples and openssl dgst -sign use.
	sig, err := key.Sign(rand.Reader, digest[:], stdcrypto.SHA256)
	if err != nil {
		// rsa's errors describe sizes and structure, never key material.
		return "", fmt.Errorf("%w: signing the one-time token failed: %v", ErrKey, err)
	}
	// A Signer other than *rsa.PrivateKey (a hardware or agent key) could
	// sign with another scheme or a different key than it reports; a
	// signature Wise would reject is caught here, not after the replay
	// spent the single-use token. (*rsa.PrivateKey already checks its own
	// signatures against fault attacks, so it skips the second check.)
	if _, ok := key.(*rsa.PrivateKey); !ok {
		if err := rsa.VerifyPKCS1v15(pub, stdcrypto.SHA256, digest[:], sig); err != nil {
			return "", fmt.Errorf("%w: the key signed something that does not verify with its own public key", ErrKey)
		}
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyOneTimeTokenSignature checks sigB64 (the X-Signature header: the
// standard base64 of a SHA256withRSA signature) over ott with pub, the way
// Wise checks it; localwise uses it for its stand-in of the legacy flow.
// pub is an *rsa.PublicKey, a crypto.Signer holding one, or the "PUBLIC KEY"
// PEM a user uploads, as []byte or string. Keys under 2048 bits are refused
// even for verifying, so a weak key uploaded to localwise fails there as it
// would at Wise.
func VerifyOneTimeTokenSignature(pub any, ott, sigB64 string) error {
	switch p := pub.(type) {
	case []byte:
		k, err := ParsePublicKeyPEM(p)
		if err != nil {
			return err
		}
		pub = k
	case string:
		k, err := ParsePublicKeyPEM([]byte(p))
		if err != nil {
			return err
		}
		pub = k
	}
	k, err := scaPublicKey(pub)
	if err != nil {
		return err
	}
	if err := CheckOneTimeToken(ott); err != nil {
		return err
	}
	// Bounded before decoding: the header is attacker-chosen input.
	if len(sigB64) > maxSCASignatureB64 {
		return fmt.Errorf("%w: signature longer than %d characters", ErrSCASignature, maxSCASignatureB64)
	}
	// Strict: standard alphabet, padding required, no whitespace (Go's
	// decoder skips CR and LF even in Strict mode, hence the byte check);
	// the signature has exactly one accepted spelling.
	sig, err := base64.StdEncoding.Strict().DecodeString(sigB64)
	if err != nil || !isStdBase64(sigB64) {
		return fmt.Errorf("%w: signature is not standard base64", ErrSCASignature)
	}
	if len(sig) != k.Size() {
		return fmt.Errorf("%w: signature of %d bytes, the key's is %d", ErrSCASignature, len(sig), k.Size())
	}
	digest := sha256.Sum256([]byte(ott))
	if err := rsa.VerifyPKCS1v15(k, stdcrypto.SHA256, digest[:], sig); err != nil {
		return ErrSCASignature
	}
	return nil
}

// NewDeviceFingerprint makes a fresh device fingerprint: DeviceFingerprintBytes
// random bytes, base64url without padding (43 characters), the value a
// wisewallet install registers with Wise as its possession factor and keeps
// as a secret. It is random per install rather than derived from the
// machine, so it identifies nothing about the machine and cannot be
// recomputed by another program there.
func NewDeviceFingerprint() Secret {
	b := make([]byte, DeviceFingerprintBytes)
	// crypto/rand.Read never returns an error (it aborts the program when
	// the system's source fails), so there is nothing to report.
	_, _ = rand.Read(b)
	defer Wipe(b)
	s := make([]byte, base64.RawURLEncoding.EncodedLen(len(b)))
	base64.RawURLEncoding.Encode(s, b)
	defer Wipe(s)
	return NewSecret(s)
}

// CheckOneTimeToken checks that ott has a UUID's shape (8-4-4-4-12 hex
// digits, either case), which is what Wise sends in x-2fa-approval. The
// token is used in a request header, a URL-free JSON body and a signature:
// refusing anything else keeps header injection (CR, LF), oversized values
// and signing-oracle input out. The error does not repeat the token.
func CheckOneTimeToken(ott string) error {
	if len(ott) != oneTimeTokenLen {
		// The length is not secret; it tells a truncated header from junk.
		return fmt.Errorf("%w: %d characters, a UUID has %d", ErrOneTimeToken, len(ott), oneTimeTokenLen)
	}
	for i := 0; i < len(ott); i++ {
		c := ott[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return fmt.Errorf("%w: want 8-4-4-4-12 hex digits", ErrOneTimeToken)
			}
		default:
			if !isHex(c) {
				return fmt.Errorf("%w: want 8-4-4-4-12 hex digits", ErrOneTimeToken)
			}
		}
	}
	return nil
}

// CheckPIN checks that pin is exactly PINLength ASCII digits, before it is
// encrypted and sent. The error says only the rule: not the PIN, not its
// length, not which character was wrong.
func CheckPIN(pin Secret) error {
	if !allDigits(pin, PINLength) {
		return ErrPIN
	}
	return nil
}

// CheckOTP checks that code is exactly OTPLength ASCII digits. As with
// CheckPIN, the error says only the rule.
func CheckOTP(code Secret) error {
	if !allDigits(code, OTPLength) {
		return ErrOTP
	}
	return nil
}

// allDigits reports whether s is n ASCII digits. Only ASCII: Unicode
// digits (Arabic-Indic, full-width) would pass unicode.IsDigit yet be a
// different PIN at Wise.
func allDigits(s Secret, n int) bool {
	b := s.Reveal()
	defer Wipe(b)
	if len(b) != n {
		return false
	}
	ok := true
	for _, c := range b {
		ok = ok && c >= '0' && c <= '9'
	}
	return ok
}

// isStdBase64 reports whether s holds only the standard base64 alphabet
// and '='.
func isStdBase64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
