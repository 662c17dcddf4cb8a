package wallet

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"

	"github.com/wisewallet/wisewallet/crypto"
)

// File format constants; the layout is in doc.go.
const (
	magic          = "WWLT"
	formatVersion  = 1
	walletIDSize   = 16
	trailerSize    = sha256.Size
	wrappedKeySize = crypto.KeySize + crypto.Overhead
	maxSlots       = 4
	// maxBodySize bounds the sealed body, and with it (maxFileSize) what
	// Load reads: a crafted file is refused on its size before it is read,
	// decrypted or hashed. A 10,000-entry wallet is about 3 MB, so 64 MiB
	// leaves room for twenty times that while capping what a planted file
	// costs an open at 64 MB and well under a second (the old 256 MiB cap
	// let one cost 538 MB and 5 s). A save that would exceed it is refused
	// before anything is written (verifySealed decodes the new file).
	maxBodySize = 64 << 20

	slotPassphrase byte = 1
	slotKeyring    byte = 2

	// fixed part: magic, version, flags, wallet id, generation, slot count
	fixedHeaderSize   = 4 + 2 + 2 + walletIDSize + 8 + 1
	passphraseSlotLen = 1 + 4 + 4 + 1 + crypto.SaltSize + crypto.NonceSize + wrappedKeySize
	keyringSlotLen    = 1 + crypto.NonceSize + wrappedKeySize
	minFileSize       = fixedHeaderSize + keyringSlotLen + crypto.NonceSize + 4 + crypto.Overhead + trailerSize
	maxHeaderSize     = fixedHeaderSize + maxSlots*passphraseSlotLen + crypto.NonceSize + 4
	maxFileSize       = maxHeaderSize + maxBodySize + trailerSize
)

// slot wraps the data key once. A passphrase slot derives its key with
// Argon2id from the passphrase; a keyring slot uses a random key held by
// the OS keyring.
type slot struct {
	kind    byte
	kdf     crypto.KDFParams // passphrase slots only
	salt    []byte           // passphrase slots only
	nonce   []byte
	wrapped []byte
}

// header is everything before the body; all of it is the body's
// associated data, so no header byte can change without detection.
type header struct {
	version    uint16
	flags      uint16
	id         [walletIDSize]byte
	generation uint64
	slots      []slot
}

// sealedFile is a decoded but not yet decrypted wallet file.
type sealedFile struct {
	header
	bodyNonce []byte
	body      []byte
	aad       []byte // header bytes through the body length
	sum       [trailerSize]byte
}

func (h *header) slot(kind byte) (slot, bool) {
	for _, s := range h.slots {
		if s.kind == kind {
			return s, true
		}
	}
	return slot{}, false
}

func (h *header) withSlot(s slot) {
	for i := range h.slots {
		if h.slots[i].kind == s.kind {
			h.slots[i] = s
			return
		}
	}
	h.slots = append(h.slots, s)
}

func (h *header) withoutSlot(kind byte) {
	out := h.slots[:0]
	for _, s := range h.slots {
		if s.kind != kind {
			out = append(out, s)
		}
	}
	h.slots = out
}

// slotAAD binds a wrapped data key to this wallet and to the slot's own
// parameters, so a slot cannot be moved into another wallet or have its
// KDF parameters swapped without the unwrap failing.
func slotAAD(id [walletIDSize]byte, s slot) []byte {
	var b bytes.Buffer
	b.WriteString("wisewallet slot v1\x00")
	b.Write(id[:])
	b.WriteByte(s.kind)
	if s.kind == slotPassphrase {
		_ = binary.Write(&b, binary.BigEndian, s.kdf.Time)
		_ = binary.Write(&b, binary.BigEndian, s.kdf.MemoryKiB)
		b.WriteByte(s.kdf.Threads)
		b.Write(s.salt)
	}
	return b.Bytes()
}

// encodeHeader writes the header and the body length; the result is the
// body's associated data.
func encodeHeader(h header, bodyNonce []byte, bodyLen int) []byte {
	b := make([]byte, 0, fixedHeaderSize+len(h.slots)*passphraseSlotLen+crypto.NonceSize+4)
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint16(b, h.version)
	b = binary.BigEndian.AppendUint16(b, h.flags)
	b = append(b, h.id[:]...)
	b = binary.BigEndian.AppendUint64(b, h.generation)
	b = append(b, byte(len(h.slots)))
	for _, s := range h.slots {
		b = append(b, s.kind)
		if s.kind == slotPassphrase {
			b = binary.BigEndian.AppendUint32(b, s.kdf.Time)
			b = binary.BigEndian.AppendUint32(b, s.kdf.MemoryKiB)
			b = append(b, s.kdf.Threads)
			b = append(b, s.salt...)
		}
		b = append(b, s.nonce...)
		b = append(b, s.wrapped...)
	}
	b = append(b, bodyNonce...)
	b = binary.BigEndian.AppendUint32(b, uint32(bodyLen))
	return b
}

// encodeFile assembles header, body and the SHA-256 trailer.
func encodeFile(aad, body []byte) []byte {
	out := make([]byte, 0, len(aad)+len(body)+trailerSize)
	out = append(out, aad...)
	out = append(out, body...)
	sum := sha256.Sum256(out)
	return append(out, sum[:]...)
}

// reader is a bounds-checked cursor; every read past the end sets failed
// instead of panicking, so the decoder needs one check at the end.
type reader struct {
	b      []byte
	off    int
	failed bool
}

func (r *reader) next(n int) []byte {
	if r.failed || n < 0 || len(r.b)-r.off < n {
		r.failed = true
		return make([]byte, n&0xffff) // harmless zeros; the result is discarded
	}
	out := r.b[r.off : r.off+n]
	r.off += n
	return out
}

func (r *reader) u8() byte    { return r.next(1)[0] }
func (r *reader) u16() uint16 { return binary.BigEndian.Uint16(r.next(2)) }
func (r *reader) u32() uint32 { return binary.BigEndian.Uint32(r.next(4)) }
func (r *reader) u64() uint64 { return binary.BigEndian.Uint64(r.next(8)) }
func (r *reader) bytes(n int) []byte {
	return bytes.Clone(r.next(n))
}

// decodeFile parses and checks structure and integrity without any key.
// It tells a damaged file from a foreign one; it never runs the KDF.
func decodeFile(data []byte) (*sealedFile, error) {
	if len(data) < len(magic) || string(data[:len(magic)]) != magic {
		return nil, ErrNotWallet
	}
	if len(data) < minFileSize {
		return nil, damaged("file is truncated (%d bytes)", len(data))
	}
	// The trailer is checked first and over the whole file, so any changed,
	// missing or extra byte is reported as damage, never as a wrong
	// passphrase and never as a version from the future.
	content, trailer := data[:len(data)-trailerSize], data[len(data)-trailerSize:]
	if sum := sha256.Sum256(content); !bytes.Equal(sum[:], trailer) {
		return nil, damaged("checksum mismatch: the file was truncated, extended or modified")
	}
	r := &reader{b: content, off: len(magic)}
	var f sealedFile
	copy(f.sum[:], trailer)
	if err := r.header(&f.header); err != nil {
		return nil, err
	}
	f.bodyNonce = r.bytes(crypto.NonceSize)
	bodyLen := r.u32()
	if r.failed {
		return nil, damaged("header is truncated")
	}
	if bodyLen > maxBodySize || int(bodyLen) != len(content)-r.off {
		return nil, damaged("body length %d does not match the file", bodyLen)
	}
	f.aad = content[:r.off]
	f.body = content[r.off:]
	return &f, nil
}

// header reads the header's fields and slots, checking each as it goes.
func (r *reader) header(h *header) error {
	h.version = r.u16()
	if r.failed {
		return damaged("header is truncated")
	}
	if h.version != formatVersion {
		return newerVersion("format version %d (this build reads version %d)", h.version, formatVersion)
	}
	h.flags = r.u16()
	if h.flags != 0 {
		return damaged("unknown flags %#04x", h.flags)
	}
	copy(h.id[:], r.next(walletIDSize))
	h.generation = r.u64()
	n := int(r.u8())
	if r.failed {
		return damaged("header is truncated")
	}
	if n < 1 || n > maxSlots {
		return damaged("%d key slots (want 1 to %d)", n, maxSlots)
	}
	seen := map[byte]bool{}
	for i := 0; i < n; i++ {
		var s slot
		s.kind = r.u8()
		switch s.kind {
		case slotPassphrase:
			s.kdf.Time = r.u32()
			s.kdf.MemoryKiB = r.u32()
			s.kdf.Threads = r.u8()
			s.salt = r.bytes(crypto.SaltSize)
		case slotKeyring:
		default:
			return damaged("unknown key slot type %d", s.kind)
		}
		if seen[s.kind] {
			return damaged("duplicate key slot type %d", s.kind)
		}
		seen[s.kind] = true
		s.nonce = r.bytes(crypto.NonceSize)
		s.wrapped = r.bytes(wrappedKeySize)
		h.slots = append(h.slots, s)
	}
	if r.failed {
		return damaged("header is truncated")
	}
	if !seen[slotPassphrase] {
		return damaged("no passphrase slot")
	}
	return nil
}

// decodeHeaderPrefix parses the header at the start of data, which may be
// only a prefix of the file; nothing is authenticated or checksummed.
func decodeHeaderPrefix(data []byte) (header, error) {
	if len(data) < len(magic) || string(data[:len(magic)]) != magic {
		return header{}, ErrNotWallet
	}
	var h header
	r := &reader{b: data, off: len(magic)}
	err := r.header(&h)
	return h, err
}
