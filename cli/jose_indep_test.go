package cli

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// A second JOSE implementation, for the tests of the command line only:
// the standard library and golang.org/x/crypto, not go-jose and not the
// project's code. What `jose sign` makes must verify here, and what this
// encrypts must decrypt with `jose decrypt`; if both sides shared a
// library, a mistake in it would pass both.

var b64 = base64.RawURLEncoding

// indepHash is the hash of a JWS algorithm (RFC 7518 §3.1).
func indepHash(alg string) (crypto.Hash, error) {
	switch alg {
	case "ES256", "PS256":
		return crypto.SHA256, nil
	case "ES384", "PS384":
		return crypto.SHA384, nil
	case "ES512", "PS512":
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("algorithm %q is not one Wise takes", alg)
}

func digest(h crypto.Hash, data []byte) []byte {
	switch h {
	case crypto.SHA384:
		d := sha512.Sum384(data)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(data)
		return d[:]
	}
	d := sha256.Sum256(data)
	return d[:]
}

// indepVerifyJWS checks a compact JWS with pub and returns its protected
// header and payload (RFC 7515 §5.2, RFC 7518 §3.4 and §3.5).
func indepVerifyJWS(token string, pub any) (map[string]any, []byte, error) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return nil, nil, fmt.Errorf("a compact JWS has 3 parts, this has %d", len(parts))
	}
	rawHeader, err := b64.DecodeString(parts[0])
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	var header map[string]any
	if err := json.Unmarshal(rawHeader, &header); err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	alg, _ := header["alg"].(string)
	h, err := indepHash(alg)
	if err != nil {
		return nil, nil, err
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return nil, nil, fmt.Errorf("payload: %w", err)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return nil, nil, fmt.Errorf("signature: %w", err)
	}
	d := digest(h, []byte(parts[0]+"."+parts[1]))
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if alg[:2] != "ES" {
			return nil, nil, fmt.Errorf("%s with an EC key", alg)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return nil, nil, fmt.Errorf("an %s signature is %d bytes, this is %d", alg, 2*size, len(sig))
		}
		der, err := ecdsaRawToDER(sig)
		if err != nil {
			return nil, nil, err
		}
		if !ecdsa.VerifyASN1(k, d, der) {
			return nil, nil, errors.New("the ECDSA signature does not verify")
		}
	case *rsa.PublicKey:
		if alg[:2] != "PS" {
			return nil, nil, fmt.Errorf("%s with an RSA key", alg)
		}
		if err := rsa.VerifyPSS(k, h, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}); err != nil {
			return nil, nil, fmt.Errorf("the PSS signature does not verify: %w", err)
		}
	default:
		return nil, nil, fmt.Errorf("key of type %T", pub)
	}
	return header, payload, nil
}

// indepParseJWK reads a public JWK (RFC 7517, RFC 7518 §6) by hand and
// refuses one with private members.
func indepParseJWK(raw []byte) (any, map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, err
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
		if _, ok := m[private]; ok {
			return nil, nil, fmt.Errorf("the JWK has the private member %q", private)
		}
	}
	member := func(name string) ([]byte, error) {
		s, _ := m[name].(string)
		b, err := b64.DecodeString(s)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("member %q: not base64url (%v)", name, err)
		}
		return b, nil
	}
	switch m["kty"] {
	case "EC":
		var curve elliptic.Curve
		switch m["crv"] {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, nil, fmt.Errorf("curve %v", m["crv"])
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err := member("x")
		if err != nil {
			return nil, nil, err
		}
		y, err := member("y")
		if err != nil {
			return nil, nil, err
		}
		if len(x) != size || len(y) != size {
			return nil, nil, fmt.Errorf("coordinates of %d and %d bytes, want %d", len(x), len(y), size)
		}
		// The parser checks that the point is on the curve.
		k, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		return k, m, err
	case "RSA":
		n, err := member("n")
		if err != nil {
			return nil, nil, err
		}
		e, err := member("e")
		if err != nil {
			return nil, nil, err
		}
		exp := new(big.Int).SetBytes(e)
		if !exp.IsInt64() || exp.Int64() > 1<<31 {
			return nil, nil, errors.New("exponent out of range")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}, m, nil
	}
	return nil, nil, fmt.Errorf("kty %v", m["kty"])
}

// indepEncryptJWE makes a compact JWE, RSA-OAEP-256 + A256GCM (RFC 7516
// §5.1, RFC 7518 §4.3 and §5.3), with the given protected header members
// (alg and enc are set here unless given).
func indepEncryptJWE(pub *rsa.PublicKey, members map[string]any, plaintext []byte) (string, error) {
	header := map[string]any{"alg": "RSA-OAEP-256", "enc": "A256GCM"}
	for k, v := range members {
		header[k] = v
	}
	rawHeader, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	protected := b64.EncodeToString(rawHeader)
	cek := make([]byte, 32)
	iv := make([]byte, 12)
	if _, err := rand.Read(cek); err != nil {
		return "", err
	}
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	encryptedKey, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, cek, nil)
	if err != nil {
		return "", err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	// The AAD is the ASCII of the encoded protected header.
	sealed := gcm.Seal(nil, iv, plaintext, []byte(protected))
	ct, tag := sealed[:len(sealed)-gcm.Overhead()], sealed[len(sealed)-gcm.Overhead():]
	return strings.Join([]string{protected, b64.EncodeToString(encryptedKey), b64.EncodeToString(iv), b64.EncodeToString(ct), b64.EncodeToString(tag)}, "."), nil
}

// indepDecryptJWE opens a compact RSA-OAEP-256 + A256GCM JWE with priv.
func indepDecryptJWE(token string, priv *rsa.PrivateKey) (map[string]any, []byte, error) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 5 {
		return nil, nil, fmt.Errorf("a compact JWE has 5 parts, this has %d", len(parts))
	}
	var raw [5][]byte
	for i, p := range parts {
		b, err := b64.DecodeString(p)
		if err != nil {
			return nil, nil, fmt.Errorf("part %d: %w", i+1, err)
		}
		raw[i] = b
	}
	var header map[string]any
	if err := json.Unmarshal(raw[0], &header); err != nil {
		return nil, nil, err
	}
	if header["alg"] != "RSA-OAEP-256" || header["enc"] != "A256GCM" || header["zip"] != nil {
		return nil, nil, fmt.Errorf("header %v", header)
	}
	cek, err := rsa.DecryptOAEP(sha256.New(), nil, priv, raw[1], nil)
	if err != nil {
		return nil, nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, err
	}
	if len(raw[2]) != gcm.NonceSize() {
		return nil, nil, errors.New("IV length")
	}
	plain, err := gcm.Open(nil, raw[2], append(raw[3], raw[4]...), []byte(parts[0]))
	return header, plain, err
}

// ecdsaRawToDER turns a JWS's r||s into the ASN.1 DER SEQUENCE of two
// INTEGERs that openssl dgst -verify reads.
func ecdsaRawToDER(sig []byte) ([]byte, error) {
	if len(sig) == 0 || len(sig)%2 != 0 {
		return nil, fmt.Errorf("an r||s signature of %d bytes", len(sig))
	}
	r, s := new(big.Int).SetBytes(sig[:len(sig)/2]), new(big.Int).SetBytes(sig[len(sig)/2:])
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(s)
	})
	return b.Bytes()
}
