package localwise

import (
	"crypto/rand"
	"encoding/hex"
)

// The building blocks every state uses: a bounded table and random ids.

// fifo is a map with a size limit that evicts its oldest entries first.
// Tokens and codes are random, so a key is never inserted twice.
type fifo[V any] struct {
	m     map[string]V
	order []string // insertion order; may hold keys already deleted
	limit int
}

func newFIFO[V any](limit int) *fifo[V] {
	return &fifo[V]{m: make(map[string]V), limit: limit}
}

func (f *fifo[V]) get(k string) (V, bool) {
	v, ok := f.m[k]
	return v, ok
}

func (f *fifo[V]) put(k string, v V) {
	f.m[k] = v
	f.order = append(f.order, k)
	for len(f.m) > f.limit && len(f.order) > 0 {
		delete(f.m, f.order[0])
		f.order = f.order[1:]
	}
	// Deleted keys stay in order until here; compacting when the stale
	// entries outnumber the live ones keeps order within 2x the map.
	if len(f.order) > 2*len(f.m)+64 {
		live := make([]string, 0, len(f.m))
		for _, k := range f.order {
			if _, ok := f.m[k]; ok {
				live = append(live, k)
			}
		}
		f.order = live
	}
}

func (f *fifo[V]) delete(k string) { delete(f.m, k) }

func (f *fifo[V]) len() int { return len(f.m) }

// randomHex returns n random bytes, hex encoded.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// newUUID returns a random version 4 UUID, the shape of Wise's opaque tokens.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
