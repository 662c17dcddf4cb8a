package wallet

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// Fuzz for a short while with
//
//	go test ./wallet -run='^$' -fuzz=FuzzDecodeFile -fuzztime=20s
//	go test ./wallet -run='^$' -fuzz=FuzzOpen -fuzztime=20s
//
// A plain `go test` runs the seeds below and anything under
// testdata/fuzz/.

// fuzzSeeds are the golden files and mutations of the first that reach
// different parts of the decoder.
func fuzzSeeds(f *testing.F) [][]byte {
	golden, err := os.ReadFile(goldenPath)
	if err != nil {
		f.Fatal(err)
	}
	golden2, err := os.ReadFile(goldenSchema2Path)
	if err != nil {
		f.Fatal(err)
	}
	seeds := [][]byte{golden, golden2, nil, []byte("WWLT"), golden[:minFileSize], golden[:len(golden)-1], append(bytes.Clone(golden), 0)}
	for _, off := range []int{5, 7, 32, 33, 35, 39, 42, 50, len(golden) - 40} {
		b := bytes.Clone(golden)
		b[off] ^= 0xff
		seeds = append(seeds, b, withTrailer(b))
	}
	return seeds
}

func FuzzDecodeFile(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := decodeFile(data)
		if err != nil {
			if sf != nil {
				t.Fatal("decodeFile returned a file and an error")
			}
			return
		}
		hdr := encodeHeader(sf.header, sf.bodyNonce, len(sf.body))
		if !bytes.Equal(hdr, sf.aad) || !bytes.Equal(hdr, data[:len(hdr)]) {
			t.Fatalf("header does not re-encode to the input prefix")
		}
		if !bytes.Equal(encodeFile(hdr, sf.body), data) {
			t.Fatalf("file does not re-encode to the input")
		}
	})
}

// FuzzOpen runs the whole Open path on a real FileStore. Inputs are also
// tried with their trailer recomputed, so the fuzzer gets past the
// checksum into the slots and the body. Only the committed golden files
// may open: a wallet made inside the fuzz function would differ per worker
// (random salt and nonces).
func FuzzOpen(f *testing.F) {
	// Each golden file, with the number of entries it holds.
	goldens := map[string]int{goldenPath: len(goldenEntries()), goldenSchema2Path: len(schema2GoldenEntries())}
	opens := map[string]int{}
	for path, n := range goldens {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		opens[string(b)] = n
	}
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	// One folder for all inputs (they run one at a time per process): a
	// new t.TempDir per input cost more than the Open itself.
	store := NewFileStore(filepath.Join(f.TempDir(), "ww"))
	if err := store.ensureDir(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if sf, err := decodeFile(withTrailerIfLong(data)); err == nil {
			if s, ok := sf.slot(slotPassphrase); ok && (s.kdf.MemoryKiB > 64 || s.kdf.Time > 2) {
				t.Skip("expensive KDF parameters")
			}
		}
		for _, in := range [][]byte{data, withTrailerIfLong(data)} {
			writeWallet(t, store, in)
			w, err := Open(context.Background(), store, passphrase(goldenPassphrase))
			if err == nil {
				n, ok := opens[string(in)]
				if !ok {
					t.Fatalf("a file other than the golden ones opened")
				}
				if w.Contents().Len() != n {
					t.Fatalf("golden file opened with %d entries, want %d", w.Contents().Len(), n)
				}
			}
		}
	})
}

func withTrailerIfLong(data []byte) []byte {
	if len(data) < trailerSize {
		return data
	}
	return withTrailer(data)
}
