package wallet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

// Run with
//
//	go test ./wallet -run='^$' -bench=. -benchmem
//
// Targets for a 10,000-entry wallet: open with the key known < 50 ms,
// save one change (with fsync) < 150 ms, whole process < 100 MB.

func init() {
	helpers["opensave"] = helperOpenSave
}

const bigEntries = 10_000

// bigEntry is one of a realistic mix: personal tokens, OAuth clients and
// user tokens, with 40 to 100 byte secrets and the usual metadata.
func bigEntry(i int, t0 time.Time) Entry {
	env := Environment{Name: EnvSandbox, APIURL: "https://api.sandbox.transferwise.tech", AuthorizeURL: "https://sandbox.transferwise.tech/oauth/authorize"}
	if i%3 == 0 {
		env = Environment{Name: EnvProduction, APIURL: "https://api.wise.com", AuthorizeURL: "https://wise.com/oauth/authorize"}
	}
	created := t0.Add(-time.Duration(i) * time.Minute)
	e := Entry{Name: fmt.Sprintf("entry-%05d", i), Env: env, CreatedAt: created, UpdatedAt: created}
	secret := func(n int) crypto.Secret {
		return crypto.SecretString(fmt.Sprintf("%08x-%s", i, strings.Repeat("s", n-9)))
	}
	switch i % 3 {
	case 0:
		e.Kind = KindPersonal
		e.SecretCreatedAt = &created
		e.SetSecret(SecretToken, secret(40))
		e.LinkedTo = fmt.Sprintf("entry-%05d", (i+1)%bigEntries)
	case 1:
		e.Kind = KindClient
		e.ClientID = fmt.Sprintf("client-%d", i)
		e.RedirectURL = "http://127.0.0.1:8765/callback"
		e.SecretCreatedAt = &created
		e.SetSecret(SecretClientSecret, secret(64))
		e.SetSecret(SecretAccessToken, secret(100))
	default:
		e.Kind = KindUser
		access, refresh := created.Add(12*time.Hour), created.Add(20*365*24*time.Hour)
		e.AccessExpiresAt, e.RefreshExpiresAt = &access, &refresh
		e.UserID, e.UserEmail, e.ProfileID = int64(i), fmt.Sprintf("user%d@example.com", i), int64(100000+i)
		e.Profiles = []Profile{{ID: int64(100000 + i), Type: "personal", Name: "Ada Lovelace"}}
		e.LinkedTo = fmt.Sprintf("entry-%05d", i-1)
		e.SetSecret(SecretAccessToken, secret(100))
		e.SetSecret(SecretRefreshToken, secret(64))
	}
	return e
}

// bigWallet makes a wallet with bigEntries entries in a temp folder on
// disk (os.TempDir; /tmp is on the root disk here, not tmpfs).
func bigWallet(b *testing.B, kdf crypto.KDFParams, n int) (*FileStore, *Wallet) {
	b.Helper()
	store := NewFileStore(filepath.Join(b.TempDir(), "ww"))
	w, err := Create(context.Background(), store, crypto.SecretString(testPassphrase), Options{KDF: kdf})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	err = w.Update(context.Background(), func(c *Contents) error {
		for i := 0; i < n; i++ {
			if err := c.Put(bigEntry(i, t0)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return store, w
}

// reportHeap reports the heap the Go runtime obtained from the OS during
// the benchmark (HeapSys, which does not shrink quickly), as an upper
// bound on the peak heap.
func reportHeap(b *testing.B) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-sys-MB")
}

// cpuTime is this process's user+system CPU time. Reported per op next
// to wall time because the figures are taken on a shared 2-core machine,
// where the wall time also counts waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
}

func BenchmarkOpenKnownKey10k(b *testing.B) {
	store, w := bigWallet(b, cheapKDF, bigEntries)
	cpu := cpuTime()
	for b.Loop() {
		// Forget the file's checksum so that reload decrypts and decodes
		// the body, as a fresh process does.
		w.sum = [trailerSize]byte{}
		if err := w.reload(); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
	info, _ := os.Stat(store.Path())
	b.ReportMetric(float64(info.Size())/(1<<20), "file-MB")
	if w.Contents().Len() != bigEntries {
		b.Fatalf("%d entries", w.Contents().Len())
	}
	reportHeap(b)
}

func BenchmarkSave10k(b *testing.B) {
	_, w := bigWallet(b, cheapKDF, bigEntries)
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		i++
		err := w.Update(context.Background(), func(c *Contents) error {
			e, err := c.Get("entry-05002")
			if err != nil {
				return err
			}
			e.UpdatedAt = e.UpdatedAt.Add(time.Second)
			e.SetSecret(SecretAccessToken, crypto.SecretString(fmt.Sprintf("new-access-token-%d-%s", i, strings.Repeat("a", 60))))
			return c.Put(e)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
	reportHeap(b)
}

// helperOpenSave opens the wallet with its passphrase and saves one change,
// as a command like `wisewallet rename` would.
func helperOpenSave() error {
	ctx, cancel := helperContext()
	defer cancel()
	w, err := helperOpen()
	if err != nil {
		return err
	}
	err = w.Update(ctx, func(c *Contents) error {
		e, err := c.Get("entry-00001")
		if errors.Is(err, ErrEntryNotFound) {
			return c.Put(bigEntry(1, time.Now()))
		} else if err != nil {
			return err
		}
		e.UpdatedAt = e.UpdatedAt.Add(time.Second)
		return c.Put(e)
	})
	if err != nil {
		return err
	}
	// VmHWM is this process image's peak RSS. getrusage's ru_maxrss is not
	// usable here: Linux carries the pre-exec high-water mark over exec, and
	// Go starts children with vfork semantics, so the child would report
	// the parent's (benchmark process's) peak.
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return err
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			fmt.Println("vmhwm", strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return nil
}

// Whole-process peak memory (max RSS) of a child that opens and saves the
// 10k wallet, with the test KDF (the wallet code's own cost) and with the
// default KDF (what a user pays: Argon2id's 64 MiB on top), next to the
// same for an empty wallet.
func BenchmarkOpenSave10kProcessRSS(b *testing.B) {
	for _, kdf := range []struct {
		name string
		p    crypto.KDFParams
		n    int
	}{
		{"emptyWallet", cheapKDF, 0}, // the test binary's own baseline
		{"10k/cheapKDF", cheapKDF, bigEntries},
		{"10k/defaultKDF", crypto.DefaultKDFParams, bigEntries},
	} {
		b.Run(kdf.name, func(b *testing.B) {
			store, _ := bigWallet(b, kdf.p, kdf.n)
			var maxKiB int64
			for b.Loop() {
				c := startChild(b, "opensave", store.Dir())
				line := c.expect(b, "vmhwm ")
				c.finish(b)
				kib, err := strconv.ParseInt(strings.TrimPrefix(line, "vmhwm "), 10, 64)
				if err != nil {
					b.Fatal(err)
				}
				maxKiB = max(maxKiB, kib)
			}
			b.ReportMetric(float64(maxKiB)/1024, "maxrss-MB")
		})
	}
}

func BenchmarkKDFDefault(b *testing.B) {
	salt := crypto.RandomBytes(crypto.SaltSize)
	for b.Loop() {
		if _, err := crypto.DeriveKey([]byte(testPassphrase), salt, crypto.DefaultKDFParams); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

// The body codec alone on the 10k entries, in both schemas (schema 1,
// JSON, is still read from wallets saved before schema 2), with the
// encoded size per entry.
func BenchmarkBody10k(b *testing.B) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	entries := make([]Entry, bigEntries)
	for i := range entries {
		entries[i] = bigEntry(i, t0) // names sort as they are numbered
	}
	schema3, err := encodeBody(entries)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range []struct {
		name string
		body []byte
	}{{"schema1-json", jsonV1Body(b, entries)}, {"schema3", schema3}} {
		b.Run(s.name+"/decode", func(b *testing.B) {
			for b.Loop() {
				if _, err := unmarshalContents(s.body); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(s.body))/bigEntries, "body-B/entry")
		})
	}
	b.Run("schema3/encode", func(b *testing.B) {
		for b.Loop() {
			out, err := encodeBody(entries)
			if err != nil {
				b.Fatal(err)
			}
			crypto.Wipe(out)
		}
	})
}
