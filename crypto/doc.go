// Package crypto holds wisewallet's cryptographic building blocks: the
// redacting Secret type, Argon2id key derivation with range-checked
// parameters, XChaCha20-Poly1305 sealing, RSA and EC key generation, and
// PKCS#8/PEM and JWK encoding, JOSE, and SCA's pieces (the legacy
// one-time-token signature, device fingerprints, and the shape checks of
// PINs, phone codes and one-time tokens).
//
// The package does no I/O and imports nothing from the rest of wisewallet,
// so every function here can be tested with fixed vectors and fuzzed
// without a file system. Algorithms are fixed by the caller's choice of
// function, never by attacker-controlled input.
package crypto
