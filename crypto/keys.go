package crypto

import (
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// KeyType names the private-key kinds wisewallet makes. Wise accepts RSA
// 2048/3072/4096 and ECC P-256/P-384 for mTLS, RSA >= 2048 for SCA signing,
// and ES/PS signing or RSA-OAEP-256 encryption keys for JOSE.
type KeyType string

// The key types wisewallet generates and accepts.
const (
	RSA2048 KeyType = "rsa2048"
	RSA3072 KeyType = "rsa3072"
	RSA4096 KeyType = "rsa4096"
	ECP256  KeyType = "p256"
	ECP384  KeyType = "p384"
	// ECP521 is for JOSE ES512 keys only. It is deliberately not in
	// KeyTypes, GenerateKey or TypeOf: Wise refuses P-521 for mTLS, so the
	// mTLS flag check (flows.ParseKeyType), CSR creation and CSR checks,
	// which all go through those, keep refusing it.
	ECP521 KeyType = "p521"
)

// KeyTypes lists every key type accepted for mTLS, for flag help and
// validation. ECP521 is not in it (see ECP521).
var KeyTypes = []KeyType{RSA2048, RSA3072, RSA4096, ECP256, ECP384}

// ErrKey means a key is malformed, of an unsupported type, or too weak.
var ErrKey = errors.New("crypto: unsupported or malformed key")

// maxPEMInput bounds the PEM parser's input; keys and chains are a few KiB.
const maxPEMInput = 1 << 20

// GenerateKey makes a new private key of type t.
func GenerateKey(t KeyType) (stdcrypto.Signer, error) {
	switch t {
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	case ECP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	}
	return nil, fmt.Errorf("%w: key type %q (want one of %v)", ErrKey, t, KeyTypes)
}

// TypeOf reports the KeyType of a private or public key, or an error when
// the key is not one wisewallet accepts for mTLS (RSA under 2048 bits, other
// curves, P-521 included: see JOSEKeyType for the JOSE set).
func TypeOf(key any) (KeyType, error) {
	return typeOf(key, false)
}

// JOSEKeyType is TypeOf widened by P-521 (ECP521), the curve of ES512, for
// JOSE keys.
func JOSEKeyType(key any) (KeyType, error) {
	return typeOf(key, true)
}

// typeOf classifies key; p521 admits the JOSE-only curve.
func typeOf(key any, p521 bool) (KeyType, error) {
	if s, ok := key.(stdcrypto.Signer); ok {
		key = s.Public()
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		switch k.N.BitLen() {
		case 2048:
			return RSA2048, nil
		case 3072:
			return RSA3072, nil
		case 4096:
			return RSA4096, nil
		}
		return "", fmt.Errorf("%w: RSA key of %d bits (want 2048, 3072 or 4096)", ErrKey, k.N.BitLen())
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return ECP256, nil
		case elliptic.P384():
			return ECP384, nil
		case elliptic.P521():
			if p521 {
				return ECP521, nil
			}
		}
		if p521 {
			return "", fmt.Errorf("%w: EC curve %s (want P-256, P-384 or P-521)", ErrKey, k.Curve.Params().Name)
		}
		return "", fmt.Errorf("%w: EC curve %s (want P-256 or P-384)", ErrKey, k.Curve.Params().Name)
	}
	return "", fmt.Errorf("%w: %T", ErrKey, key)
}

// MarshalPrivateKeyPEM encodes key as a PKCS#8 "PRIVATE KEY" PEM block,
// wrapped in a Secret because the result is the key itself.
func MarshalPrivateKeyPEM(key stdcrypto.Signer) (Secret, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Secret{}, fmt.Errorf("%w: %v", ErrKey, err)
	}
	defer Wipe(der)
	b := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	defer Wipe(b)
	return NewSecret(b), nil
}

// ParsePrivateKeyPEM decodes a PKCS#8 (or legacy PKCS#1 / SEC 1) private
// key PEM and checks that it is a type wisewallet accepts (JOSEKeyType: the
// mTLS types and P-521). It decodes stored keys of every kind; the mTLS
// policy is enforced where keys are made and CSRs checked (TypeOf).
func ParsePrivateKeyPEM(pemKey Secret) (stdcrypto.Signer, error) {
	raw := pemKey.Reveal()
	defer Wipe(raw)
	if len(raw) > maxPEMInput {
		return nil, fmt.Errorf("%w: input larger than %d bytes", ErrKey, maxPEMInput)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrKey)
	}
	defer Wipe(block.Bytes)
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%w: PEM block %q is not a private key", ErrKey, block.Type)
	}
	if err != nil {
		// The parser's message never contains key material, only structure.
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	signer, ok := key.(stdcrypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrKey, key)
	}
	if _, err := JOSEKeyType(signer); err != nil {
		return nil, err
	}
	if k, ok := signer.(*rsa.PrivateKey); ok {
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
	}
	return signer, nil
}

// MarshalPublicKeyPEM encodes a public key as a "PUBLIC KEY" (SPKI) PEM, the
// form Wise asks for when a public key is uploaded.
func MarshalPublicKeyPEM(pub any) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKeyPEM decodes a "PUBLIC KEY" PEM and checks its type
// (JOSEKeyType).
func ParsePublicKeyPEM(b []byte) (any, error) {
	if len(b) > maxPEMInput {
		return nil, fmt.Errorf("%w: input larger than %d bytes", ErrKey, maxPEMInput)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%w: no PUBLIC KEY PEM block found", ErrKey)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	if _, err := JOSEKeyType(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// Thumbprint is the RFC 7638 SHA-256 JWK thumbprint of a public key,
// base64url without padding; wisewallet uses it as a default key id.
func Thumbprint(pub any) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(stdcrypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrKey, err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// PublicJWK encodes the public half of key as a JWK with the given key id,
// algorithm and use ("sig" or "enc"). It refuses to emit anything that is
// not a public key, so a private member can never reach the output.
func PublicJWK(key any, kid, alg, use string) ([]byte, error) {
	if s, ok := key.(stdcrypto.Signer); ok {
		key = s.Public()
	}
	if _, err := JOSEKeyType(key); err != nil {
		return nil, err
	}
	jwk := jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: use}
	if !jwk.IsPublic() || !jwk.Valid() {
		return nil, fmt.Errorf("%w: not a valid public key", ErrKey)
	}
	return json.Marshal(jwk)
}

// ParsePublicJWK decodes a JWK and accepts it only when it is a valid public
// key of an accepted type; a JWK with private members is refused rather than
// silently stripped, because it means a private key was pasted by mistake.
func ParsePublicJWK(b []byte) (jose.JSONWebKey, error) {
	if len(b) > maxPEMInput {
		return jose.JSONWebKey{}, fmt.Errorf("%w: input larger than %d bytes", ErrKey, maxPEMInput)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(b); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("%w: %v", ErrKey, err)
	}
	if !jwk.Valid() {
		return jose.JSONWebKey{}, fmt.Errorf("%w: JWK is not valid", ErrKey)
	}
	if !jwk.IsPublic() {
		return jose.JSONWebKey{}, fmt.Errorf("%w: JWK holds a private key; give the public key only", ErrKey)
	}
	if _, err := JOSEKeyType(jwk.Key); err != nil {
		return jose.JSONWebKey{}, err
	}
	return jwk, nil
}

// SHA256 is a convenience for fingerprints shown to the user.
func SHA256(b []byte) [32]byte { return sha256.Sum256(b) }
