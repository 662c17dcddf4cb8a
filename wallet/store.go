package wallet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Storage keeps the sealed wallet bytes. It knows nothing of keys or
// entries, so another backend (a Vault/OpenBao KV mount with
// check-and-set, say) can replace the file without touching flows/.
type Storage interface {
	// Load returns the sealed bytes, or an error wrapping ErrNoWallet.
	Load() ([]byte, error)
	// Lock takes the exclusive write lock shared by every process using
	// this storage, waiting until ctx is done.
	Lock(ctx context.Context) (unlock func(), err error)
	// Create stores the first version; it fails with ErrExists when there
	// is one. The caller holds the lock.
	Create(sealed []byte) error
	// Replace stores a new version atomically: a reader or a crash sees the
	// old bytes or the new, never a mix. The caller holds the lock.
	Replace(sealed []byte) error
	// Location describes where the wallet lives, for messages.
	Location() string
	// Stamp identifies the stored version cheaply (no read, no lock), so
	// a live view can tell that another process saved. Equal stamps mean
	// unchanged as far as the store can tell; an error means unknown, and
	// the caller reloads.
	Stamp() (Stamp, error)
}

// Stamp identifies one stored version of the wallet. A FileStore fills
// it from the file's metadata; another store may put its own version
// counter in Version and leave the rest zero.
type Stamp struct {
	Size     int64  // bytes stored
	Modified int64  // modification time, Unix nanoseconds
	Version  uint64 // the file's inode: a save renames a new file into place
}

// File names inside the wallet folder.
const (
	FileName     = "wallet.ww"
	lockName     = "wallet.lock"
	tempPrefix   = ".wallet.ww.tmp-"
	lockRetry    = 20 * time.Millisecond
	dirMode      = 0o700
	fileMode     = 0o600
	lockWaitHint = "another wisewallet process is using the wallet; try again"
)

// FileStore is the default Storage: one file in a private folder.
type FileStore struct {
	dir string
}

// NewFileStore returns a store for the wallet in dir. It creates nothing;
// Lock and Create make the folder (0700) when it is missing.
func NewFileStore(dir string) *FileStore {
	return &FileStore{dir: dir}
}

// Dir is the wallet folder.
func (s *FileStore) Dir() string { return s.dir }

// Path is the wallet file.
func (s *FileStore) Path() string { return filepath.Join(s.dir, FileName) }

// Location implements Storage.
func (s *FileStore) Location() string { return s.Path() }

// Stamp implements Storage with the file's size, modification time and
// inode. Every save renames a new file into place, so the inode changes
// even when a save lands within the file system's time resolution with
// the same size. Lstat: the stamp is of the name, as Load opens it (and
// Load refuses a symlink there).
func (s *FileStore) Stamp() (Stamp, error) {
	fi, err := os.Lstat(s.Path())
	if err != nil {
		return Stamp{}, fmt.Errorf("wallet: stat: %w", err)
	}
	st := Stamp{Size: fi.Size(), Modified: fi.ModTime().UnixNano()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.Version = uint64(sys.Ino)
	}
	return st, nil
}

// Exists reports whether a wallet file is present (of any type).
func (s *FileStore) Exists() bool {
	_, err := os.Lstat(s.Path())
	return err == nil
}

// Load implements Storage. It refuses symlinks, FIFOs and other
// non-regular files, files and folders owned by someone else, and files
// other users could read, and says how to fix them (FixError, or in the
// text where the fix is the same for every front end: chmod).
func (s *FileStore) Load() ([]byte, error) {
	f, info, err := s.openChecked()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, info.Size())
	if _, err := readFull(f, b); err != nil {
		return nil, fmt.Errorf("wallet: read: %w", err)
	}
	return b, nil
}

// openChecked opens the wallet file for reading after every check that
// needs no read: the folder, the type, the owner, the mode, the size.
func (s *FileStore) openChecked() (*os.File, fs.FileInfo, error) {
	if err := s.checkDir(); err != nil {
		return nil, nil, err
	}
	// O_NONBLOCK: opening a FIFO for reading blocks until someone opens it
	// for writing, which would hang every command on a planted FIFO before
	// the type check below could refuse it. It changes nothing for a
	// regular file.
	f, err := os.OpenFile(s.Path(), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, nil, noWallet(s.Path())
		case errors.Is(err, syscall.ELOOP):
			return nil, nil, fmt.Errorf("%w: %s is a symbolic link; wisewallet only opens a regular file it owns", ErrUnsafe, s.Path())
		}
		return nil, nil, fmt.Errorf("wallet: open: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("wallet: stat: %w", err)
	}
	if err := checkFileInfo(s.Path(), info, os.Getuid()); err != nil {
		f.Close()
		return nil, nil, err
	}
	// Refused on the size alone, before anything is read.
	if info.Size() > maxFileSize {
		f.Close()
		return nil, nil, damaged("file of %d bytes is larger than any wallet (at most %d)", info.Size(), maxFileSize)
	}
	return f, info, nil
}

// loadHeader reads only the start of the file, enough for the header, for
// a look at it (InspectHeader) that must not read and hash a whole file
// which the Open that follows reads again.
func (s *FileStore) loadHeader() ([]byte, error) {
	f, info, err := s.openChecked()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, min(info.Size(), maxHeaderSize))
	if _, err := readFull(f, b); err != nil {
		return nil, fmt.Errorf("wallet: read: %w", err)
	}
	return b, nil
}

func readFull(f *os.File, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := f.Read(b[n:])
		n += m
		if err != nil {
			if n == len(b) {
				break
			}
			return n, err
		}
	}
	return n, nil
}

// checkFileInfo enforces the owner and mode rules on the wallet file.
// Separate from Load so the owner rule can be tested with a fake FileInfo
// (tests run as root in CI).
func checkFileInfo(path string, info fs.FileInfo, uid int) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrUnsafe, path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %#o, readable or writable by others; run 'chmod 600 %s' if you trust its contents",
			ErrUnsafe, path, perm, path)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && uid >= 0 && int(st.Uid) != uid {
		return fmt.Errorf("%w: %s is owned by uid %d, not by you (uid %d)", ErrUnsafe, path, st.Uid, uid)
	}
	return nil
}

func (s *FileStore) checkDir() error {
	info, err := os.Lstat(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return noWallet(s.Path())
	}
	if err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	return checkDirInfo(s.dir, info, os.Getuid())
}

// checkDirInfo enforces the folder rules. uid is the user the folder must
// belong to (negative: not checked), a parameter so that tests can check
// the rule without being root.
func checkDirInfo(dir string, info fs.FileInfo, uid int) error {
	if info.Mode()&fs.ModeSymlink != 0 {
		// Lstat does not follow it; whoever can change the link can move
		// the wallet (and its lock) somewhere else.
		return &FixError{What: fmt.Sprintf("%v: %s is a symbolic link", ErrUnsafe, dir), Location: dir, Fix: FixRealFolder, Err: ErrUnsafe}
	}
	if !info.IsDir() {
		return fmt.Errorf("%w: %s is not a folder", ErrUnsafe, dir)
	}
	// Group or world write on the folder would let someone else rename a
	// file of theirs over the wallet.
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%w: folder %s has mode %#o, writable by others; run 'chmod 700 %s'", ErrUnsafe, dir, perm, dir)
	}
	// As OpenSSH's StrictModes: the owner of the folder can rename any
	// file in it, so a folder of someone else's lets them swap the wallet
	// (and the lock) whatever its mode says.
	if st, ok := info.Sys().(*syscall.Stat_t); ok && uid >= 0 && int(st.Uid) != uid {
		return fmt.Errorf("%w: folder %s is owned by uid %d, not by you (uid %d); use a folder of your own", ErrUnsafe, dir, st.Uid, uid)
	}
	return nil
}

func (s *FileStore) ensureDir() error {
	if err := os.MkdirAll(s.dir, dirMode); err != nil {
		return fmt.Errorf("wallet: create folder: %w", err)
	}
	return s.checkDir()
}

// Lock implements Storage with flock(2) on a sidecar file that is never
// renamed, so every process locks the same inode. The kernel drops the
// lock when its holder dies, so a killed process cannot wedge the wallet.
//
// Two things make it hold when wallet.lock is deleted or replaced (by a
// user tidying up, or a cleaner): after taking the flock, the inode locked
// must still be the one at the path, else the lock is taken again on the
// new file (a process that locked a deleted file would exclude nobody);
// and the folder itself is flocked as well, since a lock file deleted
// while its holder is saving lets the next process lock a new file while
// the first is still writing. The folder cannot be swapped under the
// wallet it holds, so the two together exclude every other saver.
func (s *FileStore) Lock(ctx context.Context) (func(), error) {
	if err := s.ensureDir(); err != nil {
		return nil, err
	}
	lockPath := filepath.Join(s.dir, lockName)
	for {
		lf, err := openLockFile(lockPath)
		if err != nil {
			return nil, err
		}
		if err := flockWait(ctx, lf); err != nil {
			lf.Close()
			return nil, err
		}
		if sameFile(lf, lockPath) {
			df, err := os.OpenFile(s.dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
			if err != nil {
				lf.Close()
				return nil, fmt.Errorf("wallet: lock folder: %w", err)
			}
			if err := flockWait(ctx, df); err != nil {
				df.Close()
				lf.Close()
				return nil, err
			}
			return func() {
				// Closing drops the flocks; the folder's goes first, so
				// the order of taking (file, then folder) is never waited
				// on the other way round.
				df.Close()
				lf.Close()
			}, nil
		}
		// Deleted or replaced while we waited: lock what is there now.
		lf.Close()
	}
}

// openLockFile opens (creating it 0600: flock would use 0644) the lock file
// without blocking and without following a symlink, and refuses anything
// but a regular file of ours: opening a FIFO planted there would block
// forever.
func openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, fileMode)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%w: %s is a symbolic link; remove it", ErrUnsafe, path)
		}
		return nil, fmt.Errorf("wallet: lock file: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("wallet: lock file: %w", err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w: %s is not a regular file (%s); remove it, wisewallet makes a new one", ErrUnsafe, path, fileType(info))
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		f.Close()
		return nil, fmt.Errorf("%w: %s is owned by uid %d, not by you (uid %d)", ErrUnsafe, path, st.Uid, os.Getuid())
	}
	return f, nil
}

// fileType names a non-regular file's type for messages.
func fileType(info fs.FileInfo) string {
	switch m := info.Mode(); {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a folder"
	}
	return "not a plain file"
}

// flockWait takes an exclusive flock on f, polling until ctx is done.
func flockWait(ctx context.Context, f *os.File) error {
	fd := int(f.Fd())
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return fmt.Errorf("wallet: lock: %w", err)
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				// Waited as long as the caller allows: someone else has it.
				return fmt.Errorf("%w: %s", ErrLocked, lockWaitHint)
			}
			// Cancelled (Ctrl-C): say so, so that the command exits as
			// interrupted rather than blaming another process.
			return fmt.Errorf("wallet: waiting for the lock: %w", ctx.Err())
		case <-time.After(lockRetry):
		}
	}
}

// sameFile reports whether the open file f is still the file at path.
func sameFile(f *os.File, path string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	pi, err := os.Lstat(path)
	return err == nil && os.SameFile(fi, pi)
}

// Create implements Storage.
func (s *FileStore) Create(sealed []byte) error {
	if err := s.ensureDir(); err != nil {
		return err
	}
	if s.Exists() {
		return fmt.Errorf("%w at %s; it was left as it is", ErrExists, s.Path())
	}
	return s.Replace(sealed)
}

// replaceHook is a test seam: when set, Replace calls it after each step
// (see replaceSteps), and an error it returns fails the save there. Tests
// use it to fail or kill a save at an exact point. Always nil otherwise.
var replaceHook func(step string) error

// replaceSteps names the points at which Replace calls replaceHook, in order.
var replaceSteps = []string{"create", "write", "fsync", "verify", "close", "rename", "syncdir"}

func replaceStep(step string) error {
	if replaceHook == nil {
		return nil
	}
	if err := replaceHook(step); err != nil {
		return fmt.Errorf("wallet: save: %s: %w", step, err)
	}
	return nil
}

// Replace implements Storage: write a temp file in the same folder, fsync
// it, read it back and check it, rename it over the wallet, and fsync the
// folder so the rename itself survives a power cut. The copy read back
// must be exactly sealed; the Wallet has checked before that sealed
// decrypts and decodes with its key (Wallet.verifySealed), so what
// replaces the wallet is a file the next Open accepts.
func (s *FileStore) Replace(sealed []byte) (err error) {
	s.removeStaleTemps()
	tmp, err := os.CreateTemp(s.dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("wallet: save: %w", err)
	}
	tmpName := tmp.Name()
	// The temp file is flocked from now until after the rename, through a
	// second descriptor that outlives the close below: removeStaleTemps
	// deletes only temp files nobody holds such a lock on, so it never
	// takes a live writer's file, even if the wallet lock failed to
	// exclude that writer. The kernel drops the flock when a writer dies,
	// which is what makes its leftover provably stale.
	held, lockErr := holdTemp(tmp)
	defer func() {
		if err != nil {
			tmp.Close()
			if lockErr == nil {
				_ = os.Remove(tmpName)
			}
		}
		if held != nil {
			held.Close()
		}
	}()
	if lockErr != nil {
		// Someone else locked our brand-new file: do not touch it.
		return fmt.Errorf("wallet: save: temp file %s: %w", tmpName, lockErr)
	}
	// CreateTemp already uses 0600; Chmod makes that independent of it.
	if err = replaceStep("create"); err != nil {
		return err
	}
	if err = tmp.Chmod(fileMode); err != nil {
		return fmt.Errorf("wallet: save: %w", err)
	}
	if _, err = tmp.Write(sealed); err != nil {
		return fmt.Errorf("wallet: save: %w", err)
	}
	if err = replaceStep("write"); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("wallet: save: %w", err)
	}
	if err = replaceStep("fsync"); err != nil {
		return err
	}
	back := make([]byte, len(sealed))
	if _, err = tmp.ReadAt(back, 0); err != nil {
		return fmt.Errorf("wallet: save: read back: %w", err)
	}
	if !bytes.Equal(back, sealed) {
		return errors.New("wallet: save: the copy read back differs from what was written; the old wallet is kept")
	}
	if _, err = decodeFile(back); err != nil {
		return fmt.Errorf("wallet: save: the written copy does not verify (%v); the old wallet is kept", err)
	}
	if err = replaceStep("verify"); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("wallet: save: %w", err)
	}
	if err = replaceStep("close"); err != nil {
		return err
	}
	if err = os.Rename(tmpName, s.Path()); err != nil {
		return fmt.Errorf("wallet: save: %w", err)
	}
	if err = replaceStep("rename"); err != nil {
		return err
	}
	if err = syncDir(s.dir); err != nil {
		return err
	}
	return replaceStep("syncdir")
}

// holdTemp flocks the temp file f through a duplicate descriptor (a flock
// belongs to the open file description, which the duplicate shares, so
// closing f keeps it held).
func holdTemp(f *os.File) (*os.File, error) {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	held := os.NewFile(uintptr(fd), f.Name())
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		held.Close()
		return nil, err
	}
	return held, nil
}

// removeStaleTemps deletes temp files left by a process killed mid-save:
// those that are regular files and that nobody holds a flock on (a live
// writer holds one on its temp file until it is renamed into place; see
// Replace). Each is removed while this process holds that flock itself,
// so no writer can take it in between.
func (s *FileStore) removeStaleTemps() {
	matches, _ := filepath.Glob(filepath.Join(s.dir, tempPrefix+"*"))
	for _, m := range matches {
		f, err := os.OpenFile(m, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
		if err != nil {
			continue
		}
		if info, err := f.Stat(); err == nil && info.Mode().IsRegular() &&
			syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil && sameFile(f, m) {
			_ = os.Remove(m)
		}
		f.Close()
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("wallet: sync folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("wallet: sync folder: %w", err)
	}
	return nil
}
