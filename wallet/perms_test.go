package wallet

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
)

func init() {
	helpers["umask0"] = helperUmask0
}

// helperUmask0 creates and updates a wallet under umask 000, so any mode
// the code leaves to the umask shows up as world-accessible.
func helperUmask0() error {
	syscall.Umask(0)
	ctx, cancel := helperContext()
	defer cancel()
	w, err := Create(ctx, NewFileStore(os.Getenv(envDir)), crypto.SecretString(testPassphrase), Options{KDF: cheapKDF})
	if err != nil {
		return err
	}
	return w.Update(ctx, func(c *Contents) error { return c.Add(personal("one", "x")) })
}

func TestCreateUnderUmask000MakesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config", "wisewallet")
	startChild(t, "umask0", dir).finish(t)
	for _, c := range []struct {
		path string
		want fs.FileMode
	}{
		{filepath.Dir(dir), 0o700},
		{dir, 0o700},
		{filepath.Join(dir, FileName), 0o600},
		{filepath.Join(dir, lockName), 0o600},
	} {
		info, err := os.Lstat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != c.want {
			t.Errorf("%s has mode %#o, want %#o", c.path, info.Mode().Perm(), c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("folder holds %d files, want the wallet and its lock", len(entries))
	}
}

func TestOpenRefusesWalletReadableByOthers(t *testing.T) {
	store, w := newTestWallet(t)
	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o660, 0o606} {
		if err := os.Chmod(store.Path(), mode); err != nil {
			t.Fatal(err)
		}
		_, err := openWith(store, testPassphrase)
		if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %#o: got %v, want ErrUnsafe saying chmod 600", mode, err)
		}
		if err := w.Update(context.Background(), func(*Contents) error { return nil }); !errors.Is(err, ErrUnsafe) {
			t.Errorf("mode %#o: Update: %v, want ErrUnsafe", mode, err)
		}
	}
	if err := os.Chmod(store.Path(), 0o600); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, store, testPassphrase)
}

func TestOpenRefusesSymlinkAtWalletPath(t *testing.T) {
	real, _ := newTestWallet(t)
	store, _ := newTestWallet(t)
	if err := os.Remove(store.Path()); err != nil {
		t.Fatal(err)
	}
	// The target is a good wallet with the right passphrase: only the link
	// is wrong.
	if err := os.Symlink(real.Path(), store.Path()); err != nil {
		t.Fatal(err)
	}
	_, err := openWith(store, testPassphrase)
	if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Open through a symlink: %v, want ErrUnsafe", err)
	}
	if _, err := Inspect(store); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("Inspect through a symlink: %v, want ErrUnsafe", err)
	}
}

func TestOpenRefusesFolderWritableByOthers(t *testing.T) {
	store, w := newTestWallet(t)
	for _, mode := range []fs.FileMode{0o770, 0o730, 0o707, 0o777, 0o702} {
		if err := os.Chmod(store.Dir(), mode); err != nil {
			t.Fatal(err)
		}
		_, err := openWith(store, testPassphrase)
		if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "chmod 700") {
			t.Errorf("folder mode %#o: Open: %v, want ErrUnsafe saying chmod 700", mode, err)
		}
		if err := w.Update(context.Background(), func(*Contents) error { return nil }); !errors.Is(err, ErrUnsafe) {
			t.Errorf("folder mode %#o: Update: %v, want ErrUnsafe", mode, err)
		}
	}
	// Readable by the group but not writable is not a way to swap the file.
	if err := os.Chmod(store.Dir(), 0o750); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, store, testPassphrase)
}

// fakeInfo is an fs.FileInfo with a chosen owner: tests run as root, where
// a real file of another owner would still be readable.
type fakeInfo struct {
	mode fs.FileMode
	uid  uint32
}

func (f fakeInfo) Name() string       { return FileName }
func (f fakeInfo) Size() int64        { return 1000 }
func (f fakeInfo) Mode() fs.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fakeInfo) Sys() any           { return &syscall.Stat_t{Uid: f.uid} }

func TestCheckFileInfoOwnerAndMode(t *testing.T) {
	const me = 1000
	for _, c := range []struct {
		info fakeInfo
		ok   bool
		says string
	}{
		{fakeInfo{0o600, me}, true, ""},
		{fakeInfo{0o400, me}, true, ""},
		{fakeInfo{0o600, me + 1}, false, "owned by uid 1001"},
		{fakeInfo{0o600, 0}, false, "owned by uid 0"},
		{fakeInfo{0o640, me}, false, "chmod 600"},
		{fakeInfo{0o602, me}, false, "chmod 600"},
		{fakeInfo{fs.ModeDir | 0o700, me}, false, "not a regular file"},
		{fakeInfo{fs.ModeNamedPipe | 0o600, me}, false, "not a regular file"},
	} {
		err := checkFileInfo("/x/wallet.ww", c.info, me)
		if c.ok {
			if err != nil {
				t.Errorf("%+v: %v", c.info, err)
			}
			continue
		}
		if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%+v: got %v, want ErrUnsafe saying %q", c.info, err, c.says)
		}
	}
}

// As root the owner rule can also be checked on a real file.
func TestOpenRefusesWalletOwnedBySomeoneElse(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to give the file away")
	}
	store, _ := newTestWallet(t)
	if err := os.Chown(store.Path(), 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if _, err := openWith(store, testPassphrase); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "owned by uid 4242") {
		t.Fatalf("Open of a file owned by uid 4242: %v", err)
	}
}

// A symlink in place of the wallet folder is refused, and the message
// says that it is a link (not "not a folder", which sent people looking
// for a file where the folder should be).
func TestOpenRefusesSymlinkedWalletFolder(t *testing.T) {
	real, _ := newTestWallet(t)
	link := filepath.Join(t.TempDir(), "linked")
	if err := os.Symlink(real.Dir(), link); err != nil {
		t.Fatal(err)
	}
	store := NewFileStore(link)
	_, err := openWith(store, testPassphrase)
	if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), link+" is a symbolic link") || strings.Contains(err.Error(), "not a folder") {
		t.Fatalf("Open with a symlinked folder: %v, want ErrUnsafe saying it is a symbolic link", err)
	}
	if _, err := store.Lock(context.Background()); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("Lock with a symlinked folder: %v, want ErrUnsafe", err)
	}
	// A plain file where the folder should be is still "not a folder".
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openWith(NewFileStore(file), testPassphrase); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "is not a folder") {
		t.Fatalf("Open with a file as the folder: %v", err)
	}
}
