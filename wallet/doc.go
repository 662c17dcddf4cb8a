// Package wallet is wisewallet's encrypted store: one file holding every
// credential, sealed under a random data key that key slots wrap.
//
// # File format, version 1
//
// All integers are big-endian. The file is canonical: decoding and
// re-encoding the header reproduces its bytes.
//
//	magic        4   "WWLT"
//	version      2   1 (other versions are refused: ErrUnsupportedVersion, FixUpgrade)
//	flags        2   0
//	wallet id   16   random; names the OS-keyring item
//	generation   8   incremented by every save
//	slot count   1   1..4: exactly one passphrase slot, at most one keyring slot
//	slots            type 1 (passphrase): t u32 | m KiB u32 | p u8 | salt[32] | nonce[24] | wrapped key[48]
//	                 type 2 (OS keyring): nonce[24] | wrapped key[48]
//	body nonce  24
//	body length  4   must equal the remaining bytes before the trailer
//	body         n   XChaCha20-Poly1305(data key, body nonce, body, AAD = all bytes above)
//	trailer     32   SHA-256 of all bytes above
//
// A slot's wrapped key is XChaCha20-Poly1305(slot key, slot nonce, data
// key, AAD = "wisewallet slot v1\x00" | wallet id | slot type | for a
// passphrase slot t | m | p | salt). The passphrase slot key is Argon2id
// over the passphrase and salt with the slot's parameters, which are range
// checked (crypto.KDFParams.Check) before the KDF runs. The keyring slot key
// is a random 256-bit key stored in the OS keyring as a small JSON item
// {"v":1,"wallet_id":...,"kek":...}; losing it costs convenience only.
//
// The trailer is not a secret and not a MAC: it classifies. A file whose
// trailer does not match is damaged (ErrDamaged), never "wrong
// passphrase"; ErrWrongPassphrase is only reported for an intact file.
//
// # Body, schema 3
//
// The decrypted body is a binary encoding of the entries (codec.go has
// the layout, codec_groups.go the table of every field; README.md repeats
// both):
//
//	body    = "WWB" 3:u8 count:uvarint entry*count     (entries in name order)
//	entry   = length:u32le header section*
//	header  = group                                   (name, kind, env, dates, link, status, secrets, secret age)
//	section = id:uvarint length:uvarint group         (ids ascending; only non-zero groups)
//	group   = fields:uvarint value*                   (bit i set: field i's value follows)
//
// Sections are 1 identity, 2 OAuth client, 3 tokens, 4 key, 5
// certificate, 6 Wise's keys, 7 SCA. A reader refuses a section id or a field bit it does not
// know (ErrUnsupportedVersion), so that nothing a newer version wrote is
// dropped by the next save; a new field is the next bit of its group, a
// new group the next section id, and neither needs a new schema.
//
// Older bodies are still read and are rewritten as schema 3 on the next
// save: schema 2 (codec_schema2.go: the same values in one flat group
// behind a u64le fields word) and schema 1, JSON
// {"schema":1,"entries":[...]} with a "secrets" map per entry.
// testdata/ holds golden wallets of both.
//
// # Saving
//
// Every change goes through Wallet.Update: take the flock on wallet.lock
// (checking that the file locked is still the one at that name) and on
// the folder, re-read the file, apply the change, seal it under a fresh
// data key rewrapped in every slot (rekey.go), and check that it decrypts
// and decodes with the key, write a 0600 temp file in the same folder,
// fsync, read it back and check it is exactly what was sealed, rename it
// over wallet.ww, and fsync the folder. The temp file is flocked until it
// is renamed, and only temp files nobody holds are cleaned up as left by a
// crash. A FIFO or other non-regular file at wallet.ww or wallet.lock, and
// a folder or file of another user, are refused rather than opened. A
// crash leaves the old or the new
// wallet; concurrent processes lose nothing; a version that would not open
// is never written. Storage is an interface (load sealed bytes, lock,
// replace), so a team store can replace FileStore later.
//
// This package never prints or prompts: passphrases arrive through
// callbacks (Unlocker), and errors are sentinels the caller maps to words
// and exit codes. An error whose fix is known is a FixError that names
// the fix (create the wallet, enable the keyring again, upgrade); the
// front end words it with its own commands, flags or keys.
package wallet
