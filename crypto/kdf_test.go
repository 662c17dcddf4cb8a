package crypto

import (
	"bytes"
	_ "embed"
	"encoding/hex"
	"errors"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// argon2idKAT holds vectors computed with the reference C implementation;
// the file says how.
//
//go:embed testdata/argon2id-kat.txt
var argon2idKAT string

func TestDeriveKeyKnownAnswers(t *testing.T) {
	n := 0
	for i, line := range strings.Split(argon2idKAT, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) != 6 {
			t.Fatalf("testdata line %d: %d fields, want 6", i+1, len(f))
		}
		tm, err1 := strconv.ParseUint(f[2], 10, 32)
		mem, err2 := strconv.ParseUint(f[3], 10, 32)
		thr, err3 := strconv.ParseUint(f[4], 10, 8)
		want, err4 := hex.DecodeString(f[5])
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			t.Fatalf("testdata line %d: %v", i+1, err)
		}
		p := KDFParams{Time: uint32(tm), MemoryKiB: uint32(mem), Threads: uint8(thr)}
		got, err := DeriveKey([]byte(f[0]), []byte(f[1]), p)
		if err != nil {
			t.Fatalf("line %d: DeriveKey(%+v): %v", i+1, p, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("line %d: DeriveKey(%+v) = %x, want %x", i+1, p, got, want)
		}
		n++
	}
	if n < 3 {
		t.Fatalf("only %d vectors in testdata/argon2id-kat.txt", n)
	}
}

func TestKDFParamsCheck(t *testing.T) {
	cases := []struct {
		name string
		p    KDFParams
		ok   bool
	}{
		{"defaults", DefaultKDFParams, true},
		{"test floor", KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}, true},
		{"all maxima", KDFParams{Time: MaxTime, MemoryKiB: MaxMemoryKiB, Threads: MaxThreads}, true},
		{"8 KiB per thread exactly", KDFParams{Time: 1, MemoryKiB: 8 * 4, Threads: 4}, true},
		{"zero value", KDFParams{}, false},
		{"time 0", KDFParams{Time: 0, MemoryKiB: 64, Threads: 1}, false},
		{"time above max", KDFParams{Time: MaxTime + 1, MemoryKiB: 64, Threads: 1}, false},
		{"time 2^31", KDFParams{Time: 1 << 31, MemoryKiB: 64, Threads: 1}, false},
		{"time max uint32", KDFParams{Time: math.MaxUint32, MemoryKiB: 64, Threads: 1}, false},
		{"threads 0", KDFParams{Time: 1, MemoryKiB: 64, Threads: 0}, false},
		{"threads above max", KDFParams{Time: 1, MemoryKiB: 1024, Threads: MaxThreads + 1}, false},
		{"threads 255", KDFParams{Time: 1, MemoryKiB: 4096, Threads: 255}, false},
		{"memory 0", KDFParams{Time: 1, MemoryKiB: 0, Threads: 1}, false},
		{"memory below min", KDFParams{Time: 1, MemoryKiB: MinMemoryKiB - 1, Threads: 1}, false},
		{"memory above max", KDFParams{Time: 1, MemoryKiB: MaxMemoryKiB + 1, Threads: 1}, false},
		{"memory max uint32", KDFParams{Time: 1, MemoryKiB: math.MaxUint32, Threads: 1}, false},
		{"memory below 8 KiB per thread", KDFParams{Time: 1, MemoryKiB: 8*4 - 1, Threads: 4}, false},
		// The caps in numbers, so that moving them is a visible decision:
		// 1 GiB and 16 passes are the most a file may ask for.
		{"memory 1 GiB, 16 passes", KDFParams{Time: 16, MemoryKiB: 1 << 20, Threads: 4}, true},
		{"memory 1 GiB + 1 KiB", KDFParams{Time: 1, MemoryKiB: 1<<20 + 1, Threads: 4}, false},
		{"17 passes", KDFParams{Time: 17, MemoryKiB: 64 * 1024, Threads: 4}, false},
		{"memory 4 GiB (the old cap)", KDFParams{Time: 1, MemoryKiB: 4 << 20, Threads: 4}, false},
		{"64 passes (the old cap)", KDFParams{Time: 64, MemoryKiB: 64 * 1024, Threads: 4}, false},
		{"min memory with 2 threads", KDFParams{Time: 1, MemoryKiB: MinMemoryKiB, Threads: 2}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Check()
			if c.ok && err != nil {
				t.Fatalf("Check(%+v) = %v, want nil", c.p, err)
			}
			if !c.ok && !errors.Is(err, ErrParams) {
				t.Fatalf("Check(%+v) = %v, want ErrParams", c.p, err)
			}
		})
	}
}

// The production defaults must not drift below design.md's floor
// (Argon2id, m = 64 MiB, t = 3, p = 4 or stronger).
func TestDefaultKDFParamsAtOrAboveFloor(t *testing.T) {
	p := DefaultKDFParams
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	if p.MemoryKiB < 64*1024 || p.Time < 3 || p.Threads < 4 {
		t.Fatalf("DefaultKDFParams = %+v, below m=65536 t=3 p=4", p)
	}
}

// heapAllocated runs f and reports the bytes it allocated on the heap.
func heapAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// DeriveKey must refuse before Argon2id runs: the parameters come from an
// attacker-controlled header. Running first would allocate the parameter's
// memory (64 MiB to 4 GiB here), so a small allocation total proves the
// refusal came first without a timing threshold.
func TestDeriveKeyRefusesBeforeWork(t *testing.T) {
	salt := make([]byte, SaltSize)
	cases := []struct {
		name string
		p    KDFParams
		salt []byte
		want error
	}{
		{"memory max uint32", KDFParams{Time: 1, MemoryKiB: math.MaxUint32, Threads: 1}, salt, ErrParams},
		{"memory just above max", KDFParams{Time: 1, MemoryKiB: MaxMemoryKiB + 1, Threads: 4}, salt, ErrParams},
		{"time just above max", KDFParams{Time: MaxTime + 1, MemoryKiB: 64 * 1024, Threads: 4}, salt, ErrParams},
		{"time 2^31", KDFParams{Time: 1 << 31, MemoryKiB: 64 * 1024, Threads: 4}, salt, ErrParams},
		{"threads 0", KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 0}, salt, ErrParams},
		{"short salt, default params", DefaultKDFParams, salt[:15], nil},
		{"no salt, default params", DefaultKDFParams, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var key []byte
			var err error
			n := heapAllocated(func() { key, err = DeriveKey([]byte("passphrase"), c.salt, c.p) })
			if err == nil || key != nil {
				t.Fatalf("DeriveKey(%+v, %d-byte salt) = %x, %v; want an error", c.p, len(c.salt), key, err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if n > 1<<20 {
				t.Fatalf("DeriveKey allocated %d bytes before refusing", n)
			}
		})
	}
}

func TestDeriveKeyDependsOnEveryInput(t *testing.T) {
	base := KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}
	salt := bytes.Repeat([]byte{7}, SaltSize)
	ref, err := DeriveKey([]byte("pw"), salt, base)
	if err != nil {
		t.Fatal(err)
	}
	if len(ref) != KeySize {
		t.Fatalf("key of %d bytes, want %d", len(ref), KeySize)
	}
	otherSalt := bytes.Clone(salt)
	otherSalt[SaltSize-1] ^= 1
	variants := map[string]func() ([]byte, error){
		"passphrase": func() ([]byte, error) { return DeriveKey([]byte("pW"), salt, base) },
		"salt":       func() ([]byte, error) { return DeriveKey([]byte("pw"), otherSalt, base) },
		"time":       func() ([]byte, error) { p := base; p.Time++; return DeriveKey([]byte("pw"), salt, p) },
		"memory":     func() ([]byte, error) { p := base; p.MemoryKiB += 8; return DeriveKey([]byte("pw"), salt, p) },
		"threads":    func() ([]byte, error) { p := base; p.Threads++; return DeriveKey([]byte("pw"), salt, p) },
	}
	for name, f := range variants {
		k, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bytes.Equal(k, ref) {
			t.Errorf("changing the %s did not change the key", name)
		}
	}
}

// BenchmarkDeriveKeyDefault measures what opening a wallet costs a user
// with the production parameters.
func BenchmarkDeriveKeyDefault(b *testing.B) {
	salt := RandomBytes(SaltSize)
	pw := []byte("a passphrase of ordinary length")
	for b.Loop() {
		if _, err := DeriveKey(pw, salt, DefaultKDFParams); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/op")
}

// The cost bounds in numbers: a file may ask for at most 256 MiB, 8
// passes, 16 lanes and 1 GiB·pass, so a crafted header costs about a
// second, not twelve.
func TestKDFParamsCheckBounded(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    KDFParams
		ok   bool
	}{
		{"defaults", DefaultKDFParams, true},
		{"test floor", KDFParams{Time: 1, MemoryKiB: 8, Threads: 1}, true},
		{"256 MiB, 3 passes (the README's example)", KDFParams{Time: 3, MemoryKiB: 256 << 10, Threads: 4}, true},
		{"256 MiB, 4 passes", KDFParams{Time: 4, MemoryKiB: 256 << 10, Threads: 4}, true},
		{"128 MiB, 8 passes", KDFParams{Time: 8, MemoryKiB: 128 << 10, Threads: 16}, true},
		{"256 MiB, 5 passes", KDFParams{Time: 5, MemoryKiB: 256 << 10, Threads: 4}, false},
		{"256 MiB + 1 KiB", KDFParams{Time: 1, MemoryKiB: 256<<10 + 1, Threads: 4}, false},
		{"9 passes", KDFParams{Time: 9, MemoryKiB: 64 << 10, Threads: 4}, false},
		{"17 threads", KDFParams{Time: 1, MemoryKiB: 64 << 10, Threads: 17}, false},
		{"the old caps", KDFParams{Time: MaxTime, MemoryKiB: MaxMemoryKiB, Threads: MaxThreads}, false},
		{"zero value", KDFParams{}, false},
	} {
		err := tc.p.CheckBounded()
		if (err == nil) != tc.ok {
			t.Errorf("%s: CheckBounded(%+v) = %v, want ok=%v", tc.name, tc.p, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrParams) {
			t.Errorf("%s: %v does not match ErrParams", tc.name, err)
		}
	}
}
