package wallet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

const (
	goldenPath       = "testdata/wallet-v1.ww"
	goldenPassphrase = "golden-passphrase"
)

// goldenEntries is what testdata/wallet-v1.ww holds (and, with
// fullEntrySchema2, the schema 2 golden files). It must not change: the
// file has a schema 1 body, which no save writes any more, so it cannot be
// rewritten; a format change adds a new golden file and keeps this one
// opening.
func goldenEntries() []Entry {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	access := t0.Add(12 * time.Hour)
	refresh := t0.Add(20 * 365 * 24 * time.Hour)
	token := Entry{Name: "sandbox-token", Kind: KindPersonal, CreatedAt: t0, UpdatedAt: t0, SecretCreatedAt: &t0,
		Env: Environment{Name: EnvSandbox, APIURL: "https://api.sandbox.transferwise.tech"}}
	token.SetSecret(SecretToken, crypto.SecretString("golden-personal-token-0123456789abcdef"))
	client := Entry{Name: "acme-client", Kind: KindClient, CreatedAt: t0, UpdatedAt: t0,
		OAuthClient: OAuthClient{ClientID: "acme-client-id", RedirectURL: "http://127.0.0.1:8765/callback"}, SecretCreatedAt: &t0,
		Env: Environment{Name: EnvProduction, APIURL: "https://api.wise.com", AuthorizeURL: "https://wise.com/oauth/authorize"}}
	client.SetSecret(SecretClientSecret, crypto.SecretString("golden-client-secret"))
	user := Entry{Name: "acme-user", Kind: KindUser, CreatedAt: t0, UpdatedAt: t0, LinkedTo: "acme-client",
		Env: client.Env,
		Identity: Identity{UserID: 4242, UserEmail: "user@example.com", ProfileID: 12345,
			Profiles: []Profile{{ID: 12345, Type: "personal", Name: "Ada"}, {ID: 67890, Type: "business", Name: "Acme Ltd"}}},
		Tokens: Tokens{AccessExpiresAt: &access, RefreshExpiresAt: &refresh}}
	user.SetSecret(SecretAccessToken, crypto.SecretString("golden-access-token"))
	user.SetSecret(SecretRefreshToken, crypto.SecretString("golden-refresh-token"))
	return []Entry{client, user, token}
}

// goldenStore copies the committed golden file into a private folder:
// git does not keep the 0600 mode the store insists on.
func goldenStore(t *testing.T) (*FileStore, []byte) {
	t.Helper()
	data := mustRead(t, goldenPath)
	store := NewFileStore(filepath.Join(t.TempDir(), "ww"))
	if err := store.ensureDir(); err != nil {
		t.Fatal(err)
	}
	writeWallet(t, store, data)
	return store, data
}

func TestGoldenWalletV1Opens(t *testing.T) {
	store, data := goldenStore(t)
	w, err := openWith(store, goldenPassphrase)
	if err != nil {
		t.Fatalf("golden wallet does not open: %v", err)
	}
	if w.Generation() != 2 || w.KDF() != cheapKDF || w.HasKeyringSlot() {
		t.Errorf("header: generation %d, kdf %+v, keyring slot %v; want 2, %+v, false", w.Generation(), w.KDF(), w.HasKeyringSlot(), cheapKDF)
	}
	want := goldenEntries()
	got := w.Entries()
	if fmt.Sprint(names(got)) != "[acme-client acme-user sandbox-token]" {
		t.Fatalf("entries %v", names(got))
	}
	for i := range want {
		g, e := got[i], want[i]
		gs, es := g.Secrets, e.Secrets
		g.Secrets, e.Secrets = nil, nil
		if fmt.Sprintf("%+v", g) != fmt.Sprintf("%+v", e) {
			t.Errorf("entry %s metadata differs:\n got %+v\nwant %+v", e.Name, g, e)
		}
		if len(gs) != len(es) {
			t.Errorf("entry %s has secrets %v, want %v", e.Name, g.SecretFields(), e.SecretFields())
		}
		for k, v := range es {
			if !gs[k].Equal(v) {
				t.Errorf("entry %s: secret %s differs", e.Name, k)
			}
		}
	}
	if _, err := openWith(store, "golden-passphrasE"); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("golden wallet with a wrong passphrase: %v", err)
	}
	if got := mustRead(t, store.Path()); !bytes.Equal(got, data) {
		t.Error("opening changed the golden file")
	}
}

// The header re-encodes to the same bytes, and the parameters sit at the
// documented offsets (catches swapped or misplaced fields).
func TestGoldenHeaderRoundTripsAndLayout(t *testing.T) {
	_, data := goldenStore(t)
	f, err := decodeFile(data)
	if err != nil {
		t.Fatal(err)
	}
	hdr := encodeHeader(f.header, f.bodyNonce, len(f.body))
	if !bytes.Equal(hdr, data[:len(hdr)]) || !bytes.Equal(hdr, f.aad) {
		t.Fatalf("encodeHeader(decodeFile(x)) differs from x's header")
	}
	if re := encodeFile(hdr, f.body); !bytes.Equal(re, data) {
		t.Fatal("encodeFile(decodeFile(x)) differs from x")
	}
	be := binary.BigEndian
	checks := []struct {
		what      string
		got, want uint64
	}{
		{"version", uint64(be.Uint16(data[4:])), formatVersion},
		{"flags", uint64(be.Uint16(data[6:])), 0},
		{"generation", be.Uint64(data[24:]), 2},
		{"slot count", uint64(data[32]), 1},
		{"slot type", uint64(data[33]), uint64(slotPassphrase)},
		{"time", uint64(be.Uint32(data[34:])), 1},
		{"memory KiB", uint64(be.Uint32(data[38:])), 8},
		{"threads", uint64(data[42]), 1},
		{"body length", uint64(be.Uint32(data[33+passphraseSlotLen+crypto.NonceSize:])), uint64(len(f.body))},
	}
	if string(data[:4]) != "WWLT" {
		t.Errorf("magic %q", data[:4])
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
		}
	}
	if len(data) != len(hdr)+len(f.body)+trailerSize {
		t.Errorf("file is %d bytes; header %d + body %d + trailer %d", len(data), len(hdr), len(f.body), trailerSize)
	}
}

func TestDefaultKDFParamsAtOrAboveFloor(t *testing.T) {
	p := crypto.DefaultKDFParams
	if p.Time < 3 || p.MemoryKiB < 64*1024 || p.Threads < 1 {
		t.Errorf("DefaultKDFParams %+v below the floor t=3, m=64 MiB, p>=1", p)
	}
	if err := p.Check(); err != nil {
		t.Errorf("DefaultKDFParams fail their own check: %v", err)
	}
}

// withKDF rewrites the passphrase slot's parameters in place (first slot,
// fixed offsets) and recomputes the trailer, as a crafted file would.
func withKDF(data []byte, p crypto.KDFParams) []byte {
	b := bytes.Clone(data)
	binary.BigEndian.PutUint32(b[fixedHeaderSize+1:], p.Time)
	binary.BigEndian.PutUint32(b[fixedHeaderSize+5:], p.MemoryKiB)
	b[fixedHeaderSize+9] = p.Threads
	return withTrailer(b)
}

// Hostile parameters are refused before any passphrase is asked for and
// before Argon2 runs: each of these would exhaust memory, spin for days or
// panic inside argon2 if it ran.
func TestOpenRefusesHostileKDFParamsBeforeTheKDF(t *testing.T) {
	_, data := goldenStore(t)
	for _, p := range []crypto.KDFParams{
		{Time: 1, MemoryKiB: 1<<32 - 1, Threads: 1},
		{Time: 1 << 31, MemoryKiB: 8, Threads: 1},
		{Time: 1, MemoryKiB: 8, Threads: 0},
		{Time: 1, MemoryKiB: 8 * 255, Threads: 255},
		{Time: 1, MemoryKiB: 8*4 - 1, Threads: 4},
		{Time: 0, MemoryKiB: 8, Threads: 1},
		{Time: 1, MemoryKiB: 0, Threads: 1},
		// One pass over the cap: cheap to run here, so it shows that Open
		// relies on crypto's caps rather than on some limit of its own.
		{Time: crypto.MaxTime + 1, MemoryKiB: 8, Threads: 1},
	} {
		crafted := withKDF(data, p)
		f, err := decodeFile(crafted)
		if err != nil {
			t.Fatalf("%+v: crafted file does not decode: %v", p, err)
		}
		if s, _ := f.slot(slotPassphrase); s.kdf != p {
			t.Fatalf("crafted params %+v read back as %+v", p, s.kdf)
		}
		for _, u := range []Unlocker{
			passphrase(goldenPassphrase),
			passphrase("anything else"),
			{Passphrase: func() (crypto.Secret, error) { return crypto.Secret{}, errors.New("user pressed ctrl-c") }},
			{},
		} {
			_, err := Open(context.Background(), memStore{crafted}, u)
			if !errors.Is(err, ErrDamaged) || !errors.Is(err, crypto.ErrParams) {
				t.Errorf("%+v: got %v, want ErrDamaged and crypto.ErrParams", p, err)
			}
		}
	}
}
