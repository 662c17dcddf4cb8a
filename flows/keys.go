package flows

import (
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/wallet"
)

// Operations with a key entry's private key (mTLS, JOSE, SCA) inside the
// process that holds the wallet: the agent serves them so that a client
// signs and decrypts without ever holding the key (ssh-agent's model).
// What may be asked is narrow on purpose: digests of the SHA-2 sizes,
// RSA decryption with OAEP only (PKCS #1 v1.5 decryption over a socket
// would be a padding oracle).

// NotKeyError: the entry holds no private key to use.
type NotKeyError struct {
	Entry string
	Kind  Kind
}

func (e *NotKeyError) Error() string {
	return fmt.Sprintf("%q is a %s entry, which holds no private key; keys are mtls, jose and sca entries", e.Entry, e.Kind)
}

func (e *NotKeyError) Unwrap() error { return ErrUsage }

// ErrKeyOperation: a sign or decrypt request the key entry refuses (an
// unsupported hash, padding, or key type); nothing was computed.
var ErrKeyOperation = errors.New("key operation refused")

// privateKey is name's current private key.
func (s *Service) privateKey(name string) (stdcrypto.Signer, error) {
	e, err := s.w.Get(name)
	if err != nil {
		return nil, err
	}
	switch e.Kind {
	case wallet.KindMTLS, wallet.KindJOSE, wallet.KindSCA:
	default:
		return nil, &NotKeyError{Entry: name, Kind: e.Kind}
	}
	if e.Status == wallet.StatusRevoked || e.Secret(wallet.SecretPrivateKey).IsZero() {
		return nil, fmt.Errorf("%q was revoked after a suspected breach: its key is gone", name)
	}
	key, err := crypto.ParsePrivateKeyPEM(e.Secret(wallet.SecretPrivateKey))
	if err != nil {
		return nil, fmt.Errorf("%q: its private key: %w", name, err)
	}
	return key, nil
}

// KeyPublic is the key entry's public key, PKIX DER.
func (s *Service) KeyPublic(name string) ([]byte, error) {
	key, err := s.privateKey(name)
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKIXPublicKey(key.Public())
}

// signHashes are the digests a key entry signs: what TLS 1.2/1.3, JWS
// (ES/PS/RS 256-512) and Wise's SCA signature use.
var signHashes = map[stdcrypto.Hash]bool{stdcrypto.SHA256: true, stdcrypto.SHA384: true, stdcrypto.SHA512: true}

// KeySign signs digest (of hash) with the key entry's private key: RSA
// PKCS #1 v1.5, RSA-PSS when pss (saltLength as rsa.PSSOptions), ECDSA
// (ASN.1, as crypto.Signer does).
func (s *Service) KeySign(name string, digest []byte, hash stdcrypto.Hash, pss bool, saltLength int) ([]byte, error) {
	if !signHashes[hash] || len(digest) != hash.Size() {
		return nil, fmt.Errorf("%w: a digest of SHA-256, SHA-384 or SHA-512, of its size, is signed", ErrKeyOperation)
	}
	key, err := s.privateKey(name)
	if err != nil {
		return nil, err
	}
	var opts stdcrypto.SignerOpts = hash
	switch key.(type) {
	case *rsa.PrivateKey:
		if pss {
			opts = &rsa.PSSOptions{SaltLength: saltLength, Hash: hash}
		}
	case *ecdsa.PrivateKey:
		if pss {
			return nil, fmt.Errorf("%w: %q is an EC key: no PSS", ErrKeyOperation, name)
		}
	default:
		return nil, fmt.Errorf("%w: %q is not an RSA or EC key", ErrKeyOperation, name)
	}
	return key.Sign(rand.Reader, digest, opts)
}

// KeyDecrypt decrypts an RSA-OAEP ciphertext (hash for OAEP and MGF1,
// label) with the key entry's private key.
func (s *Service) KeyDecrypt(name string, ciphertext []byte, hash stdcrypto.Hash, label []byte) ([]byte, error) {
	if hash != stdcrypto.SHA1 && !signHashes[hash] {
		return nil, fmt.Errorf("%w: RSA-OAEP with SHA-1, SHA-256, SHA-384 or SHA-512 only", ErrKeyOperation)
	}
	key, err := s.privateKey(name)
	if err != nil {
		return nil, err
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not an RSA key: it does not decrypt", ErrKeyOperation, name)
	}
	return rk.Decrypt(rand.Reader, ciphertext, &rsa.OAEPOptions{Hash: hash, MGFHash: hash, Label: label})
}
