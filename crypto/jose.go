package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// JOSEAlg names a JOSE algorithm wisewallet uses with Wise: the six
// signing algorithms Wise lists and the one key-encryption algorithm.
type JOSEAlg string

// The algorithms Wise accepts. RS256 is absent on purpose: Wise does not
// list it, so a key made for it could never be uploaded.
const (
	ES256      JOSEAlg = "ES256"
	ES384      JOSEAlg = "ES384"
	ES512      JOSEAlg = "ES512"
	PS256      JOSEAlg = "PS256"
	PS384      JOSEAlg = "PS384"
	PS512      JOSEAlg = "PS512"
	RSAOAEP256 JOSEAlg = "RSA-OAEP-256"
)

// SigningAlgs lists every signing algorithm wisewallet signs or verifies
// with. VerifyJWS never accepts an algorithm outside it, whatever its
// caller passes, so "none" and the HMAC family can never slip in.
var SigningAlgs = []JOSEAlg{ES256, ES384, ES512, PS256, PS384, PS512}

// MaxJOSEInput bounds every JOSE token and payload wisewallet reads or
// makes. Wise's bodies are small; the cap keeps a hostile or broken server
// from making us base64-decode, hash or decrypt an unbounded input.
const MaxJOSEInput = 1 << 20

// The JOSE refusals. Each wraps ErrJOSE, so callers can test for the family
// or for one reason; the messages name what was wrong and never contain a
// key, a CEK or a payload.
var (
	ErrJOSE = errors.New("jose")
	// ErrJOSEAlg: an algorithm outside the accepted list (none, HS256,
	// RS256, RSA-OAEP...), or one that does not match the key's.
	ErrJOSEAlg        = fmt.Errorf("%w: algorithm not accepted", ErrJOSE)
	ErrJOSESignature  = fmt.Errorf("%w: signature does not verify", ErrJOSE)
	ErrJOSEURL        = fmt.Errorf("%w: url header does not match the request", ErrJOSE)
	ErrJOSEKeyID      = fmt.Errorf("%w: no key with the token's key id or version", ErrJOSE)
	ErrJOSETooLarge   = fmt.Errorf("%w: input too large", ErrJOSE)
	ErrJOSECompressed = fmt.Errorf("%w: compressed (zip) content refused", ErrJOSE)
	ErrJOSEEnc        = fmt.Errorf("%w: content encryption not accepted", ErrJOSE)
	ErrJOSEDecrypt    = fmt.Errorf("%w: cannot decrypt", ErrJOSE)
	ErrJOSEMalformed  = fmt.Errorf("%w: malformed token", ErrJOSE)
	ErrJOSEKeyExpired = fmt.Errorf("%w: key is outside its validity period", ErrJOSE)
)

// ParseJOSEAlg checks an algorithm name as a user or Wise spelled it, for
// use "sig" (the six signing algorithms) or "enc" (RSA-OAEP-256, also
// spelled RSA_OAEP_256 as in Wise's key JSON). Case is ignored because
// the names are typed on command lines.
func ParseJOSEAlg(use, s string) (JOSEAlg, error) {
	up := strings.ToUpper(strings.TrimSpace(s))
	switch use {
	case "sig":
		if a := JOSEAlg(up); slices.Contains(SigningAlgs, a) {
			return a, nil
		}
		if strings.HasPrefix(up, "RS") {
			return "", fmt.Errorf("%w: %q: Wise does not accept RSASSA-PKCS1-v1_5 signatures; use PS256 (RSA) or ES256 (EC)", ErrJOSEAlg, clip(s))
		}
		return "", fmt.Errorf("%w: %q for signing (want one of %v)", ErrJOSEAlg, clip(s), SigningAlgs)
	case "enc":
		if up == string(RSAOAEP256) || up == RSAOAEP256.WiseName() {
			return RSAOAEP256, nil
		}
		return "", fmt.Errorf("%w: %q for encryption (want %s)", ErrJOSEAlg, clip(s), RSAOAEP256)
	}
	return "", fmt.Errorf("%w: key use %q (want sig or enc)", ErrJOSEAlg, clip(use))
}

// WiseName is the algorithm's spelling in Wise's key JSON, which writes
// RSA-OAEP-256 as RSA_OAEP_256 and the signing algorithms as in JOSE.
func (a JOSEAlg) WiseName() string {
	if a == RSAOAEP256 {
		return "RSA_OAEP_256"
	}
	return string(a)
}

// Use is "sig" for signing algorithms and "enc" for RSA-OAEP-256.
func (a JOSEAlg) Use() string {
	if a == RSAOAEP256 {
		return "enc"
	}
	return "sig"
}

// joseCurve is the curve an ES algorithm signs over (RFC 7518 §3.4 ties
// each ES algorithm to one curve), nil for the others.
func joseCurve(alg JOSEAlg) elliptic.Curve {
	switch alg {
	case ES256:
		return elliptic.P256()
	case ES384:
		return elliptic.P384()
	case ES512:
		return elliptic.P521()
	}
	return nil
}

// GenerateJOSEKey makes a new key for alg: the algorithm's curve for ES256
// (P-256), ES384 (P-384) and ES512 (P-521); an RSA key of type kt (default
// RSA2048) for PS* and RSA-OAEP-256. kt may be empty, or for ES keys the
// matching curve type.
func GenerateJOSEKey(alg JOSEAlg, kt KeyType) (stdcrypto.Signer, error) {
	if c := joseCurve(alg); c != nil {
		want := map[JOSEAlg]KeyType{ES256: ECP256, ES384: ECP384, ES512: ECP521}[alg]
		if kt != "" && kt != want {
			return nil, fmt.Errorf("%w: %s needs a %s key, not %q", ErrKey, alg, want, kt)
		}
		return ecdsa.GenerateKey(c, rand.Reader)
	}
	if alg != RSAOAEP256 && !slices.Contains(SigningAlgs, alg) {
		return nil, fmt.Errorf("%w: algorithm %q (want one of %v or %s)", ErrJOSEAlg, clip(string(alg)), SigningAlgs, RSAOAEP256)
	}
	switch kt {
	case "":
		kt = RSA2048
	case RSA2048, RSA3072, RSA4096:
	default:
		return nil, fmt.Errorf("%w: %s needs an RSA key (rsa2048, rsa3072 or rsa4096), not %q", ErrKey, alg, kt)
	}
	return GenerateKey(kt)
}

// CheckJOSEKey reports whether pub (a public key or a Signer) fits alg: an
// ES algorithm needs exactly its own curve, PS* and RSA-OAEP-256 need RSA
// of 2048, 3072 or 4096 bits. Checked on every sign, verify and encrypt,
// so a key can never be used with an algorithm it was not made for.
func CheckJOSEKey(alg JOSEAlg, pub any) error {
	if s, ok := pub.(stdcrypto.Signer); ok {
		pub = s.Public()
	}
	kt, err := JOSEKeyType(pub)
	if err != nil {
		return err
	}
	if c := joseCurve(alg); c != nil {
		if k, ok := pub.(*ecdsa.PublicKey); ok && k.Curve == c {
			return nil
		}
		return fmt.Errorf("%w: %s needs an EC %s key, not %s", ErrKey, alg, c.Params().Name, kt)
	}
	if alg != RSAOAEP256 && !slices.Contains(SigningAlgs, alg) {
		return fmt.Errorf("%w: algorithm %q (want one of %v or %s)", ErrJOSEAlg, clip(string(alg)), SigningAlgs, RSAOAEP256)
	}
	if _, ok := pub.(*rsa.PublicKey); !ok {
		return fmt.Errorf("%w: %s needs an RSA key of at least 2048 bits, not %s", ErrKey, alg, kt)
	}
	return nil
}

// maxPublicDER bounds ParsePublicDER's input; a 4096-bit RSA SPKI is about
// 750 base64 characters.
const maxPublicDER = 16 << 10

// PublicDER encodes the public half of key as standard base64 of its SPKI
// DER, the form of Wise's keyMaterial fields.
func PublicDER(pub any) (string, error) {
	if s, ok := pub.(stdcrypto.Signer); ok {
		pub = s.Public()
	}
	if _, err := JOSEKeyType(pub); err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrKey, err)
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// ParsePublicDER decodes a keyMaterial value (standard base64, padded or
// not, line breaks allowed, of an SPKI DER) and accepts only RSA 2048, 3072
// or 4096 and EC P-256, P-384 or P-521 public keys.
func ParsePublicDER(b64 string) (any, error) {
	if len(b64) > maxPublicDER {
		return nil, fmt.Errorf("%w: key material longer than %d characters", ErrKey, maxPublicDER)
	}
	s := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, b64)
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if der, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return nil, fmt.Errorf("%w: key material is not standard base64", ErrKey)
		}
	}
	// ParsePKIXPublicKey refuses trailing bytes, so one DER has one text.
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: key material is not a public key (SPKI DER): %v", ErrKey, err)
	}
	if _, err := JOSEKeyType(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// VerifyKey is one key a JWS may be signed with. KeyID matches a "kid"
// header (our own keys), Version a "version" header (Wise's keys). Alg is
// the one algorithm the key was issued for. NotBefore and NotAfter bound
// its validity; a zero time leaves that side open.
type VerifyKey struct {
	Key       any
	KeyID     string
	Version   int
	Alg       JOSEAlg
	NotBefore time.Time
	NotAfter  time.Time
}

// JOSEHeader is the part of a protected header wisewallet reads. Version is
// 0 when the header has none. Zip is only ever reported, never honoured.
type JOSEHeader struct {
	Alg, Enc, KeyID, URL string
	Version              int
	Zip                  string
}

// SignJWS makes a compact JWS of payload with the protected header
// {"alg","kid","url"} (kid and url left out when empty), as Wise asks of
// request bodies.
func SignJWS(key stdcrypto.Signer, alg JOSEAlg, kid, url string, payload []byte) (string, error) {
	if !slices.Contains(SigningAlgs, alg) {
		return "", fmt.Errorf("%w: cannot sign with %q (want one of %v)", ErrJOSEAlg, clip(string(alg)), SigningAlgs)
	}
	if len(payload) > MaxJOSEInput {
		return "", fmt.Errorf("%w: payload of %d bytes, more than %d", ErrJOSETooLarge, len(payload), MaxJOSEInput)
	}
	if err := CheckJOSEKey(alg, key); err != nil {
		return "", err
	}
	// go-jose signs only its own key types; anything else (an HSM Signer)
	// would be refused there with a vaguer error.
	switch key.(type) {
	case *ecdsa.PrivateKey, *rsa.PrivateKey:
	default:
		return "", fmt.Errorf("%w: cannot sign with a %T", ErrKey, key)
	}
	opts := &jose.SignerOptions{}
	if url != "" {
		opts.WithHeader("url", url)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrKey, err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("%w: signing failed: %v", ErrJOSE, err)
	}
	return obj.CompactSerialize()
}

// VerifyJWS checks a compact JWS and returns its payload only when all of
// these hold: the header's alg is in algs (itself cut to SigningAlgs) and
// equals the chosen key's Alg; the key is chosen by the header's kid, else
// by its version, else each key is tried; the signature verifies; the key
// is valid at now; and, when wantURL is not empty, the url header equals it
// exactly (a header with both a kid no key has and a version falls back to
// the version). The header is returned for display even on some failures.
func VerifyJWS(token string, keys []VerifyKey, algs []JOSEAlg, wantURL string, now time.Time) ([]byte, JOSEHeader, error) {
	token, err := checkSize(token)
	if err != nil {
		return nil, JOSEHeader{}, err
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, JOSEHeader{}, fmt.Errorf("%w: a compact JWS has 3 dot-separated parts, this has %d", ErrJOSEMalformed, len(parts))
	}
	h, err := parseProtected(parts[0])
	if err != nil {
		return nil, JOSEHeader{}, err
	}
	// JWS has no zip (RFC 7515); a token carrying one was made by something
	// we do not understand, so it is refused rather than ignored.
	if h.Zip != "" {
		return nil, h, fmt.Errorf("%w: a JWS with a zip header", ErrJOSECompressed)
	}
	// The accepted list is what the caller asked for AND what wisewallet
	// supports: no caller can widen it to none, HS* or RS*.
	var allowed []jose.SignatureAlgorithm
	for _, a := range algs {
		if slices.Contains(SigningAlgs, a) {
			allowed = append(allowed, jose.SignatureAlgorithm(a))
		}
	}
	if !slices.Contains(allowed, jose.SignatureAlgorithm(h.Alg)) {
		return nil, h, fmt.Errorf("%w: header alg %q (want one of %v)", ErrJOSEAlg, clip(h.Alg), allowed)
	}
	candidates, err := pickVerifyKeys(h, keys)
	if err != nil {
		return nil, h, err
	}
	obj, err := jose.ParseSignedCompact(token, allowed)
	if err != nil {
		return nil, h, fmt.Errorf("%w: %v", ErrJOSEMalformed, err)
	}
	if len(obj.Signatures) != 1 {
		return nil, h, fmt.Errorf("%w: %d signatures, want 1", ErrJOSEMalformed, len(obj.Signatures))
	}
	var algMatched, expired bool
	for _, k := range candidates {
		pub := publicOf(k.Key)
		// The key's own algorithm decides, not the header's: an ES256
		// key never verifies an ES384 header, an RSA key never an ES one.
		if string(k.Alg) != h.Alg || CheckJOSEKey(k.Alg, pub) != nil {
			continue
		}
		algMatched = true
		payload, err := obj.Verify(pub)
		if err != nil {
			continue
		}
		// Validity is judged after the signature so that "expired" is
		// only ever said of a token the key really signed.
		if (!k.NotBefore.IsZero() && now.Before(k.NotBefore)) || (!k.NotAfter.IsZero() && now.After(k.NotAfter)) {
			expired = true
			continue
		}
		// The url binds the token to one request: a signed body replayed
		// against another endpoint is refused.
		if wantURL != "" && h.URL != wantURL {
			return nil, h, fmt.Errorf("%w: token is for %q, the request is %q", ErrJOSEURL, clip(h.URL), clip(wantURL))
		}
		return payload, h, nil
	}
	switch {
	case expired:
		return nil, h, fmt.Errorf("%w: the signing key is not valid at %s", ErrJOSEKeyExpired, now.UTC().Format(time.RFC3339))
	case !algMatched:
		return nil, h, fmt.Errorf("%w: header alg %s does not match the key's algorithm", ErrJOSEAlg, h.Alg)
	}
	return nil, h, ErrJOSESignature
}

// publicOf is the bare public key of a Signer, a JWK or a public key, so
// that go-jose is only ever handed a public key to verify with.
func publicOf(key any) any {
	switch k := key.(type) {
	case jose.JSONWebKey:
		key = k.Key
	case *jose.JSONWebKey:
		if k != nil {
			key = k.Key
		}
	}
	if s, ok := key.(stdcrypto.Signer); ok {
		return s.Public()
	}
	return key
}

// pickVerifyKeys narrows keys by the header's kid, else its version (also
// when the kid names none of the keys: Wise's keys may be known by version
// only), else keeps them all. A kid or version that names no key is
// refused, not answered by trying the others: the sender said which key it
// used, and the choice only ever picks which keys to try, never skips the
// signature check.
func pickVerifyKeys(h JOSEHeader, keys []VerifyKey) ([]VerifyKey, error) {
	if h.KeyID == "" && h.Version == 0 {
		if len(keys) == 0 {
			return nil, fmt.Errorf("%w: no keys to verify with", ErrJOSEKeyID)
		}
		return keys, nil
	}
	var out []VerifyKey
	if h.KeyID != "" {
		for _, k := range keys {
			if k.KeyID == h.KeyID {
				out = append(out, k)
			}
		}
	}
	if len(out) == 0 && h.Version != 0 {
		for _, k := range keys {
			if k.Version == h.Version {
				out = append(out, k)
			}
		}
	}
	switch {
	case len(out) > 0:
		return out, nil
	case h.Version == 0:
		return nil, fmt.Errorf("%w: no key has kid %q", ErrJOSEKeyID, clip(h.KeyID))
	case h.KeyID == "":
		return nil, fmt.Errorf("%w: no key has version %d; fetch the sender's current keys", ErrJOSEKeyID, h.Version)
	}
	return nil, fmt.Errorf("%w: no key has kid %q or version %d; fetch the sender's current keys", ErrJOSEKeyID, clip(h.KeyID), h.Version)
}

// EncryptJWE encrypts plaintext to pub with RSA-OAEP-256 and A256GCM (the
// only pair Wise accepts), header {"alg","enc","kid","url"}, kid and url
// left out when empty.
func EncryptJWE(pub *rsa.PublicKey, kid, url string, plaintext []byte) (string, error) {
	if err := checkEncrypt(pub, plaintext); err != nil {
		return "", err
	}
	opts := &jose.EncrypterOptions{}
	if url != "" {
		opts.WithHeader("url", url)
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: pub, KeyID: kid}, opts)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrKey, err)
	}
	obj, err := enc.Encrypt(plaintext)
	if err != nil {
		return "", fmt.Errorf("%w: encryption failed: %v", ErrJOSE, err)
	}
	return obj.CompactSerialize()
}

// EncryptJWEKeepingCEK is EncryptJWE that also hands back the content key,
// for direct mode: Wise encrypts the answer with the request's CEK.
// go-jose cannot return the CEK of an RSA-OAEP encryption, so this makes
// the CEK, encrypts with go-jose in direct mode while the header says
// RSA-OAEP-256 (ExtraHeaders are applied after alg, and the protected
// header is the AAD, so the tag covers the RSA-OAEP-256 header), and then
// fills the compact form's empty key part with the CEK wrapped by
// RSA-OAEP-256, which no AAD covers. The result is a normal RSA-OAEP-256
// JWE to any receiver.
func EncryptJWEKeepingCEK(pub *rsa.PublicKey, kid, url string, plaintext []byte) (string, Secret, error) {
	if err := checkEncrypt(pub, plaintext); err != nil {
		return "", Secret{}, err
	}
	cek := make([]byte, 32)
	defer Wipe(cek)
	if _, err := rand.Read(cek); err != nil {
		return "", Secret{}, fmt.Errorf("%w: no randomness: %v", ErrJOSE, err)
	}
	opts := &jose.EncrypterOptions{}
	opts.WithHeader("alg", string(jose.RSA_OAEP_256))
	if url != "" {
		opts.WithHeader("url", url)
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: cek, KeyID: kid}, opts)
	if err != nil {
		return "", Secret{}, fmt.Errorf("%w: %v", ErrJOSE, err)
	}
	obj, err := enc.Encrypt(plaintext)
	if err != nil {
		return "", Secret{}, fmt.Errorf("%w: encryption failed: %v", ErrJOSE, err)
	}
	compact, err := obj.CompactSerialize()
	if err != nil {
		return "", Secret{}, fmt.Errorf("%w: %v", ErrJOSE, err)
	}
	parts := strings.Split(compact, ".")
	if len(parts) != 5 || parts[1] != "" {
		return "", Secret{}, fmt.Errorf("%w: unexpected direct-mode form from go-jose", ErrJOSE)
	}
	// Make sure the header really is the one the receiver will see: had a
	// go-jose change left alg "dir" in it, the AAD would not match.
	if h, err := parseProtected(parts[0]); err != nil || h.Alg != string(RSAOAEP256) || h.Enc != string(jose.A256GCM) {
		return "", Secret{}, fmt.Errorf("%w: go-jose did not write the RSA-OAEP-256 header", ErrJOSE)
	}
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, cek, nil)
	if err != nil {
		return "", Secret{}, fmt.Errorf("%w: %v", ErrKey, err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(wrapped)
	return strings.Join(parts, "."), NewSecret(cek), nil
}

// checkEncrypt is EncryptJWE's common precondition.
func checkEncrypt(pub *rsa.PublicKey, plaintext []byte) error {
	if pub == nil {
		return fmt.Errorf("%w: no encryption key", ErrKey)
	}
	if err := CheckJOSEKey(RSAOAEP256, pub); err != nil {
		return err
	}
	if len(plaintext) > MaxJOSEInput {
		return fmt.Errorf("%w: plaintext of %d bytes, more than %d", ErrJOSETooLarge, len(plaintext), MaxJOSEInput)
	}
	return nil
}

// DecryptKey is one private key a JWE may be encrypted to; KeyID matches
// the token's kid.
type DecryptKey struct {
	Key   *rsa.PrivateKey
	KeyID string
}

// DecryptJWE decrypts a compact RSA-OAEP-256/A256GCM JWE. The header's kid
// picks the key (an unknown kid is refused); without a kid each key is
// tried. Compressed tokens are refused before any decryption.
func DecryptJWE(token string, keys []DecryptKey) ([]byte, JOSEHeader, error) {
	h, obj, err := parseJWE(token, RSAOAEP256)
	if err != nil {
		return nil, h, err
	}
	var candidates []DecryptKey
	for _, k := range keys {
		if h.KeyID == "" || k.KeyID == h.KeyID {
			candidates = append(candidates, k)
		}
	}
	if len(candidates) == 0 {
		if h.KeyID != "" {
			return nil, h, fmt.Errorf("%w: no key has kid %q", ErrJOSEKeyID, clip(h.KeyID))
		}
		return nil, h, fmt.Errorf("%w: no keys to decrypt with", ErrJOSEKeyID)
	}
	for _, k := range candidates {
		if k.Key == nil || CheckJOSEKey(RSAOAEP256, k.Key) != nil {
			continue
		}
		if pt, err := obj.Decrypt(k.Key); err == nil {
			return pt, h, nil
		}
	}
	// One message for every failure (wrong key, altered ciphertext, tag),
	// so the error tells an attacker nothing about which part failed.
	return nil, h, fmt.Errorf("%w: the token was not encrypted to this key or was altered", ErrJOSEDecrypt)
}

// cekKeeper is a go-jose OpaqueKeyDecrypter that unwraps the CEK itself
// with RSA-OAEP-256 and keeps it, for the server side of direct mode.
type cekKeeper struct {
	key *rsa.PrivateKey
	cek []byte
}

// DecryptKey implements jose.OpaqueKeyDecrypter.
func (c *cekKeeper) DecryptKey(encryptedKey []byte, header jose.Header) ([]byte, error) {
	// parseJWE has pinned alg; this is a second lock on the same door.
	if header.Algorithm != string(jose.RSA_OAEP_256) {
		return nil, ErrJOSEAlg
	}
	cek, err := rsa.DecryptOAEP(sha256.New(), nil, c.key, encryptedKey, nil)
	if err != nil {
		return nil, err
	}
	c.cek = cek
	return cek, nil
}

// DecryptJWEKeepingCEK decrypts an RSA-OAEP-256/A256GCM JWE to key and also
// returns the CEK, with which a direct-mode answer is encrypted.
func DecryptJWEKeepingCEK(token string, key *rsa.PrivateKey) ([]byte, JOSEHeader, Secret, error) {
	h, obj, err := parseJWE(token, RSAOAEP256)
	if err != nil {
		return nil, h, Secret{}, err
	}
	if key == nil {
		return nil, h, Secret{}, fmt.Errorf("%w: no decryption key", ErrKey)
	}
	if err := CheckJOSEKey(RSAOAEP256, key); err != nil {
		return nil, h, Secret{}, err
	}
	keeper := &cekKeeper{key: key}
	defer func() { Wipe(keeper.cek) }()
	pt, err := obj.Decrypt(keeper)
	if err != nil || len(keeper.cek) != 32 {
		return nil, h, Secret{}, fmt.Errorf("%w: the token was not encrypted to this key or was altered", ErrJOSEDecrypt)
	}
	return pt, h, NewSecret(keeper.cek), nil
}

// EncryptDirect encrypts plaintext with the 32-byte cek, header
// {"alg":"dir","enc":"A256GCM"}, as Wise answers a direct-mode request.
func EncryptDirect(cek Secret, plaintext []byte) (string, error) {
	k := cek.Reveal()
	defer Wipe(k)
	if len(k) != 32 {
		return "", fmt.Errorf("%w: a direct-mode key has 32 bytes, this has %d", ErrKey, len(k))
	}
	if len(plaintext) > MaxJOSEInput {
		return "", fmt.Errorf("%w: plaintext of %d bytes, more than %d", ErrJOSETooLarge, len(plaintext), MaxJOSEInput)
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: k}, nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrJOSE, err)
	}
	obj, err := enc.Encrypt(plaintext)
	if err != nil {
		return "", fmt.Errorf("%w: encryption failed: %v", ErrJOSE, err)
	}
	return obj.CompactSerialize()
}

// DecryptDirect decrypts a {"alg":"dir","enc":"A256GCM"} JWE with cek.
func DecryptDirect(token string, cek Secret) ([]byte, error) {
	_, obj, err := parseJWE(token, "dir")
	if err != nil {
		return nil, err
	}
	k := cek.Reveal()
	defer Wipe(k)
	if len(k) != 32 {
		return nil, fmt.Errorf("%w: a direct-mode key has 32 bytes, this has %d", ErrKey, len(k))
	}
	pt, err := obj.Decrypt(k)
	if err != nil {
		return nil, fmt.Errorf("%w: the answer was not encrypted with this request's key or was altered", ErrJOSEDecrypt)
	}
	return pt, nil
}

// parseJWE checks a compact JWE's size, form and header (alg must be
// wantAlg, enc A256GCM, no zip, no crit) before go-jose sees it, then
// parses it with go-jose pinned to the same single algorithms.
func parseJWE(token string, wantAlg JOSEAlg) (JOSEHeader, *jose.JSONWebEncryption, error) {
	token, err := checkSize(token)
	if err != nil {
		return JOSEHeader{}, nil, err
	}
	parts := strings.Split(token, ".")
	if len(parts) != 5 {
		return JOSEHeader{}, nil, fmt.Errorf("%w: a compact JWE has 5 dot-separated parts, this has %d", ErrJOSEMalformed, len(parts))
	}
	h, err := parseProtected(parts[0])
	if err != nil {
		return JOSEHeader{}, nil, err
	}
	if h.Alg != string(wantAlg) {
		return h, nil, fmt.Errorf("%w: header alg %q (want %s)", ErrJOSEAlg, clip(h.Alg), wantAlg)
	}
	if h.Enc != string(jose.A256GCM) {
		return h, nil, fmt.Errorf("%w: header enc %q (want A256GCM)", ErrJOSEEnc, clip(h.Enc))
	}
	// go-jose would inflate DEFLATE content; refusing zip outright removes
	// a decompression bomb and a compression side channel, and Wise never
	// compresses.
	if h.Zip != "" {
		return h, nil, fmt.Errorf("%w: header zip %q", ErrJOSECompressed, clip(h.Zip))
	}
	// Direct mode has no wrapped key (RFC 7516 §4.1.1): a key part there
	// means the token is not what its header says.
	if wantAlg == "dir" && parts[1] != "" {
		return h, nil, fmt.Errorf("%w: a direct-mode token with an encrypted key", ErrJOSEMalformed)
	}
	obj, err := jose.ParseEncryptedCompact(token, []jose.KeyAlgorithm{jose.KeyAlgorithm(wantAlg)}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return h, nil, fmt.Errorf("%w: %v", ErrJOSEMalformed, err)
	}
	return h, obj, nil
}

// PeekJOSEHeader decodes a compact JWS's or JWE's protected header without
// verifying anything, to show it and to choose a key. Nothing in it may be
// trusted until VerifyJWS or DecryptJWE has accepted the token.
func PeekJOSEHeader(token string) (JOSEHeader, error) {
	token, err := checkSize(token)
	if err != nil {
		return JOSEHeader{}, err
	}
	first, _, _ := strings.Cut(token, ".")
	if n := strings.Count(token, ".") + 1; n != 3 && n != 5 {
		return JOSEHeader{}, fmt.Errorf("%w: a compact JWS has 3 parts and a JWE 5, this has %d", ErrJOSEMalformed, n)
	}
	return parseProtected(first)
}

// NewKeyID returns a random (version 4) UUID, the form Wise wants for an
// uploaded key's keyId.
func NewKeyID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// checkSize trims white space around a token (a pasted or file-read token
// often ends in a newline) and enforces MaxJOSEInput.
func checkSize(token string) (string, error) {
	if len(token) > MaxJOSEInput+64 {
		return "", fmt.Errorf("%w: token of %d bytes, more than %d", ErrJOSETooLarge, len(token), MaxJOSEInput)
	}
	token = strings.TrimSpace(token)
	if len(token) > MaxJOSEInput {
		return "", fmt.Errorf("%w: token of %d bytes, more than %d", ErrJOSETooLarge, len(token), MaxJOSEInput)
	}
	if token == "" {
		return "", fmt.Errorf("%w: empty token", ErrJOSEMalformed)
	}
	return token, nil
}

// maxHeader bounds a protected header; ours are under 200 bytes.
const maxHeader = 8 << 10

// parseProtected decodes a base64url protected header into a JOSEHeader.
// It is stricter than go-jose on purpose: a duplicated member is refused
// (two parsers picking different "alg"s is a known JWS attack), members
// with a wrong JSON type are refused, and so are "crit" and "b64", the
// extensions that change how the signature is computed, since wisewallet
// uses none.
func parseProtected(part string) (JOSEHeader, error) {
	if len(part) > maxHeader {
		return JOSEHeader{}, fmt.Errorf("%w: protected header longer than %d bytes", ErrJOSEMalformed, maxHeader)
	}
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return JOSEHeader{}, fmt.Errorf("%w: protected header is not base64url", ErrJOSEMalformed)
	}
	members, err := jsonObject(raw)
	if err != nil {
		return JOSEHeader{}, fmt.Errorf("%w: protected header: %v", ErrJOSEMalformed, err)
	}
	var h JOSEHeader
	str := func(name string, dst *string) error {
		v, ok := members[name]
		if !ok {
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return fmt.Errorf("%w: header %q is not a string", ErrJOSEMalformed, name)
		}
		return nil
	}
	for name, dst := range map[string]*string{"alg": &h.Alg, "enc": &h.Enc, "kid": &h.KeyID, "url": &h.URL, "zip": &h.Zip} {
		if err := str(name, dst); err != nil {
			return JOSEHeader{}, err
		}
	}
	if v, ok := members["version"]; ok {
		// json.Number would also take "1" (a string); Wise writes a number.
		var n json.Number
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		if err := d.Decode(&n); err != nil || bytes.HasPrefix(v, []byte(`"`)) {
			return JOSEHeader{}, fmt.Errorf("%w: header version is not a number", ErrJOSEMalformed)
		}
		i, err := n.Int64()
		if err != nil || i < 1 || i > math.MaxInt32 {
			return JOSEHeader{}, fmt.Errorf("%w: header version %s is not a positive whole number", ErrJOSEMalformed, clip(n.String()))
		}
		h.Version = int(i)
	}
	for _, name := range []string{"crit", "b64"} {
		if _, ok := members[name]; ok {
			return JOSEHeader{}, fmt.Errorf("%w: header %q (an extension wisewallet does not use)", ErrJOSEMalformed, name)
		}
	}
	if h.Alg == "" {
		return JOSEHeader{}, fmt.Errorf("%w: protected header has no alg", ErrJOSEMalformed)
	}
	return h, nil
}

// jsonObject decodes one JSON object into its members, refusing duplicate
// names and anything after the object.
func jsonObject(b []byte) (map[string]json.RawMessage, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	out := map[string]json.RawMessage{}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, errors.New("not a JSON object")
		}
		name, ok := t.(string)
		if !ok {
			return nil, errors.New("not a JSON object")
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("member %q appears twice", clip(name))
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, errors.New("not a JSON object")
		}
		out[name] = v
	}
	if _, err := d.Token(); err != nil {
		return nil, errors.New("not a JSON object")
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("text after the JSON object")
	}
	return out, nil
}

// clip shortens an attacker-chosen string quoted in an error, so a hostile
// header cannot flood a terminal or a log.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
