package wallet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// The audit log: audit.log in the wallet folder, one JSON object per line,
// appended to and never rewritten. It says which entry was used, by which
// command, for which host and path, with what result and x-trace-id. It
// holds no secret by construction (AuditRecord has no field that could
// carry one), so it is not encrypted and reading it needs no passphrase;
// it is 0600 all the same, because which credentials are used when is
// nobody else's business.

// AuditFileName is the audit log's name in the wallet folder.
const AuditFileName = "audit.log"

// AuditRotatedName is where a full log goes: one generation is kept, so
// the log takes at most twice AuditRotateSize.
const AuditRotatedName = AuditFileName + ".1"

// AuditRotateSize is the size past which the log is moved aside: about
// 40,000 records, months of a script that asks for a token each minute. A
// variable for tests.
var AuditRotateSize int64 = 8 << 20

// maxAuditLine bounds one line read back: a record is a few hundred bytes,
// so anything longer is not one of ours.
const maxAuditLine = 64 << 10

// AuditRecord is one exchange with Wise.
type AuditRecord struct {
	Time    time.Time `json:"time"`
	Entry   string    `json:"entry,omitempty"`
	Command string    `json:"command,omitempty"`
	Method  string    `json:"method"`
	Host    string    `json:"host"`
	// Path has its query's values removed.
	Path    string `json:"path"`
	Status  int    `json:"status,omitempty"`
	TraceID string `json:"trace_id,omitempty"`
	// Result is "ok" or a class of failure ("rejected", "server_error",
	// "connect", ...), never an error's text.
	Result string `json:"result"`
	Millis int64  `json:"ms"`
	// Secret and To are a hand-out's, not an exchange with Wise: which of
	// the entry's secrets left the program (its name, never its value) and
	// where to ("stdout", "clipboard", "screen", "exec child", "token
	// file"). Method, Host and Path are empty then.
	Secret string `json:"secret,omitempty"`
	To     string `json:"to,omitempty"`
}

// AuditLog appends records to the audit log of one wallet folder.
type AuditLog struct {
	dir string
}

// NewAuditLog is the audit log of the wallet folder dir. It creates
// nothing until the first Append.
func NewAuditLog(dir string) *AuditLog { return &AuditLog{dir: dir} }

// Path is the log file.
func (l *AuditLog) Path() string { return filepath.Join(l.dir, AuditFileName) }

// Append adds rec as one line. The file is opened for each record with
// O_APPEND and the line written with one write(2), so that the lines of
// processes appending at once never mix and none is lost; opening it each
// time follows a log the user moved aside. It is created 0600, never
// through a symlink, and only in a folder that passes the wallet's checks
// (a folder someone else could write to would let them swap the log). A
// log the line would take past AuditRotateSize is moved aside first.
func (l *AuditLog) Append(rec AuditRecord) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	line = append(line, '\n')
	info, err := os.Lstat(l.dir)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if err := checkDirInfo(l.dir, info, os.Getuid()); err != nil {
		return err
	}
	f, size, err := l.openAppend()
	if err != nil {
		return err
	}
	if size > 0 && size+int64(len(line)) > AuditRotateSize {
		if f, err = l.rotate(f); err != nil {
			return err
		}
	}
	defer f.Close()
	if _, err := f.Write(line); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

// openAppend opens the log for appending, creating it, and checks it as
// the wallet's own files are checked; it returns the file and its size.
func (l *AuditLog) openAppend() (*os.File, int64, error) {
	// O_NONBLOCK: a FIFO planted there would block the open forever.
	f, err := os.OpenFile(l.Path(), os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, fileMode)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, 0, fmt.Errorf("%w: %s is a symbolic link; wisewallet only appends to a regular file it owns", ErrUnsafe, l.Path())
		}
		return nil, 0, fmt.Errorf("audit log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("audit log: %w", err)
	}
	if err := checkFileInfo(l.Path(), fi, os.Getuid()); err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// rotate moves the full log open as full aside to AuditRotatedName
// (replacing the one before), under a flock on it: of the processes that
// find it full at once, one moves it and the others, finding it moved
// once they hold the lock, write into the new log. A process that opened
// the full log just before the move writes its line there, so it is in
// the rotated file, not lost. It returns the file to write to; when the
// move cannot be made (the lock not had in time), the full one: a record
// is worth more than the size.
func (l *AuditLog) rotate(full *os.File) (*os.File, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if flockWait(ctx, full) != nil {
		return full, nil
	}
	if sameFile(full, l.Path()) {
		if err := os.Rename(l.Path(), filepath.Join(l.dir, AuditRotatedName)); err != nil {
			return full, nil
		}
	}
	f, _, err := l.openAppend()
	full.Close() // and with it the lock: the others find the log moved
	return f, err
}

// AuditLogRead is what ReadAuditLog found.
type AuditLogRead struct {
	Records []AuditRecord // since the time asked for, oldest first
	// Skipped counts lines that are not records (cut short by a crash or
	// a full disk, or written by something else).
	Skipped int
}

// ReadAuditLog reads the audit log of the wallet folder dir: the records
// at or after since (zero: all), oldest first. No log yet is no records.
// The folder and the file must pass the wallet's checks: a log someone
// else could write could tell the user anything.
func ReadAuditLog(dir string, since time.Time) (AuditLogRead, error) {
	var out AuditLogRead
	info, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("audit log: %w", err)
	}
	if err := checkDirInfo(dir, info, os.Getuid()); err != nil {
		return out, err
	}
	// The rotated generation first: its records are the older.
	for _, name := range []string{AuditRotatedName, AuditFileName} {
		if err := readAuditFile(filepath.Join(dir, name), since, &out); err != nil {
			return out, err
		}
	}
	// Processes append in the order their calls end; a slow call that
	// began first comes later. Newest last by the time of each call.
	slices.SortStableFunc(out.Records, func(a, b AuditRecord) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// readAuditFile adds the records of the log file at path to out; a file
// that is not there adds none.
func readAuditFile(path string, since time.Time, out *AuditLogRead) error {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, syscall.ELOOP):
		return fmt.Errorf("%w: %s is a symbolic link; wisewallet only reads a regular file it owns", ErrUnsafe, path)
	case err != nil:
		return fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if err := checkFileInfo(path, fi, os.Getuid()); err != nil {
		return err
	}
	rd := bufio.NewReaderSize(f, maxAuditLine)
	for {
		line, err := rd.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// Not one of ours: skip to the end of it and go on.
			out.Skipped++
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = rd.ReadSlice('\n')
			}
			line = nil // no longer valid, and not a record anyway
		}
		if len(line) > 0 {
			var rec AuditRecord
			switch {
			case json.Unmarshal(line, &rec) != nil || rec.Time.IsZero():
				out.Skipped++
			case since.IsZero() || !rec.Time.Before(since):
				out.Records = append(out.Records, rec)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("audit log: %w", err)
		}
	}
	return nil
}
