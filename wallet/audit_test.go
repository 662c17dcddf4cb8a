package wallet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func init() {
	helpers["auditappend"] = helperAuditAppend
}

// helperAuditAppend waits for "go", then appends K records with paths
// /ID/0 .. /ID/(K-1) to the audit log of the folder, under umask 000 so
// that a mode left to the umask would show; WWT_ARG is "ID K".
func helperAuditAppend() error {
	syscall.Umask(0)
	var id string
	var k int
	if _, err := fmt.Sscan(os.Getenv(envArg), &id, &k); err != nil {
		return err
	}
	if v := os.Getenv(envAuditRotate); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return err
		}
		AuditRotateSize = n
	}
	log := NewAuditLog(os.Getenv(envDir))
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	// A long trace id makes each line several write-sized pieces' worth
	// of bytes, were it written in pieces.
	pad := strings.Repeat("t", 2000)
	for i := 0; i < k; i++ {
		rec := AuditRecord{Time: time.Now(), Entry: id, Command: "test", Method: "GET", Host: "h", Path: fmt.Sprintf("/%s/%d", id, i), TraceID: pad, Result: "ok"}
		if err := log.Append(rec); err != nil {
			return err
		}
	}
	fmt.Println("done")
	return nil
}

// envAuditRotate sets AuditRotateSize in helperAuditAppend.
const envAuditRotate = "WWT_AUDIT_ROTATE"

// N processes appending at once: every record kept, every line whole,
// the file 0600 even under umask 000.
func TestAuditLogConcurrentProcessesKeepEveryLineWhole(t *testing.T) {
	dir := appendConcurrently(t, "")
	data, err := os.ReadFile(filepath.Join(dir, AuditFileName))
	if err != nil {
		t.Fatal(err)
	}
	checkEveryLineWhole(t, dir, data)
}

// The same with the log moved aside once in the middle of it (each line
// is ~2.2 KB, 800 of them ~1.8 MB, rotated past 1 MiB): of the processes
// that find it full at once, one moves it; no line is lost or cut, those
// written just as it moved are in the rotated file, and both are 0600.
func TestAuditLogConcurrentProcessesRotatingKeepEveryLineWhole(t *testing.T) {
	dir := appendConcurrently(t, "1048576")
	rotated, err := os.ReadFile(filepath.Join(dir, AuditRotatedName))
	if err != nil {
		t.Fatalf("no rotated log after ~1.8 MB with a 1 MiB limit: %v", err)
	}
	current, err := os.ReadFile(filepath.Join(dir, AuditFileName))
	if err != nil {
		t.Fatal(err)
	}
	if len(rotated) < 1<<19 || len(current) >= 1<<20 {
		t.Errorf("rotated %d bytes, current %d: want one rotation near 1 MiB", len(rotated), len(current))
	}
	checkEveryLineWhole(t, dir, append(rotated, current...))
	if info, err := os.Lstat(filepath.Join(dir, AuditRotatedName)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the rotated log: %v, mode %v", err, info.Mode())
	}
}

// appendConcurrently has 4 processes append 200 records each to the log
// of a new folder, rotating past rotate bytes ("": the default), and
// returns the folder.
func appendConcurrently(t *testing.T, rotate string) string {
	const n, k = 4, 200
	dir := filepath.Join(t.TempDir(), "w")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	children := make([]*child, n)
	for i := range children {
		children[i] = startChild(t, "auditappend", dir, fmt.Sprintf("%s=p%d %d", envArg, i, k), envAuditRotate+"="+rotate)
	}
	for _, c := range children {
		c.expect(t, "ready")
	}
	for _, c := range children {
		if _, err := c.stdin.Write([]byte("go\n")); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range children {
		c.expect(t, "done")
		c.finish(t)
	}
	return dir
}

// checkEveryLineWhole checks data, the log's lines, holds every record of
// appendConcurrently whole, and that ReadAuditLog reads them all.
func checkEveryLineWhole(t *testing.T, dir string, data []byte) {
	t.Helper()
	const n, k = 4, 200
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != n*k {
		t.Fatalf("%d lines after %d×%d appends", len(lines), n, k)
	}
	seen := map[string]bool{}
	for i, l := range lines {
		var rec AuditRecord
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %d is not a whole record (%v): %.80q", i+1, err, l)
		}
		seen[rec.Path] = true
	}
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			if p := fmt.Sprintf("/p%d/%d", i, j); !seen[p] {
				t.Errorf("record %s lost", p)
			}
		}
	}
	info, err := os.Lstat(filepath.Join(dir, AuditFileName))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("audit.log has mode %#o under umask 000, want 0600", info.Mode().Perm())
	}
	got, err := ReadAuditLog(dir, time.Time{})
	if err != nil || len(got.Records) != n*k || got.Skipped != 0 {
		t.Errorf("ReadAuditLog: %d records, %d skipped, %v; want %d, 0", len(got.Records), got.Skipped, err, n*k)
	}
}

// Appending never rewrites what is there: the old bytes stay the file's
// first bytes, and the lines read back are those appended, oldest first,
// from the time asked for.
func TestAuditLogAppendsAndReadsSince(t *testing.T) {
	dir := t.TempDir()
	log := NewAuditLog(dir)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var before []byte
	for i := 0; i < 3; i++ {
		if err := log.Append(AuditRecord{Time: t0.Add(time.Duration(i) * time.Hour), Entry: "e", Method: "GET", Host: "h", Path: fmt.Sprint("/", i), Result: "ok"}); err != nil {
			t.Fatal(err)
		}
		now, err := os.ReadFile(log.Path())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(now, before) || len(now) <= len(before) {
			t.Fatalf("append %d did not keep the earlier bytes as they were", i)
		}
		before = now
	}
	// A torn last line (a crash mid-write) and a line of something else
	// are skipped, not fatal.
	f, err := os.OpenFile(log.Path(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "not json\n%s\n{\"time\":\"2026-12-01T1", strings.Repeat("x", maxAuditLine+10))
	f.Close()
	got, err := ReadAuditLog(dir, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Records) != 2 || got.Records[0].Path != "/1" || got.Records[1].Path != "/2" || got.Skipped != 3 {
		t.Errorf("since the 2nd: %+v, want /1 and /2 with 3 lines skipped", got)
	}
	if empty, err := ReadAuditLog(t.TempDir(), time.Time{}); err != nil || len(empty.Records) != 0 {
		t.Errorf("no log yet: %+v %v, want nothing and no error", empty, err)
	}
}

// The log is refused, written or read, where the wallet would be: a
// symlink in its place, a file others can read, a folder others can
// write.
func TestAuditLogRefusesUnsafeFiles(t *testing.T) {
	dir := t.TempDir()
	log := NewAuditLog(dir)
	rec := AuditRecord{Time: time.Now(), Method: "GET", Host: "h", Path: "/", Result: "ok"}
	elsewhere := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Symlink(elsewhere, log.Path()); err != nil {
		t.Fatal(err)
	}
	if err := log.Append(rec); !errors.Is(err, ErrUnsafe) {
		t.Errorf("through a symlink: %v, want ErrUnsafe", err)
	}
	if _, err := os.Lstat(elsewhere); err == nil {
		t.Error("the symlink's target was created")
	}
	if _, err := ReadAuditLog(dir, time.Time{}); !errors.Is(err, ErrUnsafe) {
		t.Errorf("reading through a symlink: %v, want ErrUnsafe", err)
	}
	os.Remove(log.Path())
	if err := log.Append(rec); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(log.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := log.Append(rec); !errors.Is(err, ErrUnsafe) {
		t.Errorf("a world-readable log: %v, want ErrUnsafe", err)
	}
	if _, err := ReadAuditLog(dir, time.Time{}); !errors.Is(err, ErrUnsafe) {
		t.Errorf("reading a world-readable log: %v, want ErrUnsafe", err)
	}
	if err := os.Chmod(log.Path(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := log.Append(rec); !errors.Is(err, ErrUnsafe) {
		t.Errorf("a folder others can write: %v, want ErrUnsafe", err)
	}
}

// BenchmarkAuditAppend is what the audit log adds to each call to Wise:
// the folder and file checks, the open, one write, the close.
func BenchmarkAuditAppend(b *testing.B) {
	log := NewAuditLog(b.TempDir())
	rec := AuditRecord{Time: time.Now(), Entry: "acme", Command: "request", Method: "GET", Host: "api.wise-sandbox.com",
		Path: "/v1/profiles?type=", Status: 200, TraceID: strings.Repeat("a", 32), Result: "ok", Millis: 120}
	for b.Loop() {
		if err := log.Append(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// A log past AuditRotateSize is moved aside to audit.log.1 before the
// next line, which starts a new log; ReadAuditLog reads both, oldest
// first. One generation is kept: the next rotation drops the oldest. A
// rotated log someone replaced with a symlink is refused as the log is.
func TestAuditLogRotatesPastItsSize(t *testing.T) {
	defer func(n int64) { AuditRotateSize = n }(AuditRotateSize)
	AuditRotateSize = 2000
	dir := filepath.Join(t.TempDir(), "w")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	log := NewAuditLog(dir)
	start := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	appendN := func(from, to int) {
		for i := from; i < to; i++ {
			rec := AuditRecord{Time: start.Add(time.Duration(i) * time.Second), Entry: "e", Command: "test", Method: "GET", Host: "h", Path: fmt.Sprintf("/r/%d", i), Result: "ok"}
			if err := log.Append(rec); err != nil {
				t.Fatal(err)
			}
		}
	}
	paths := func() []string {
		got, err := ReadAuditLog(dir, time.Time{})
		if err != nil || got.Skipped != 0 {
			t.Fatalf("ReadAuditLog: %v, %d skipped", err, got.Skipped)
		}
		var out []string
		for _, r := range got.Records {
			out = append(out, r.Path)
		}
		return out
	}
	size := func(name string) int64 {
		info, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			return -1
		}
		return info.Size()
	}
	line, _ := json.Marshal(AuditRecord{Time: start, Entry: "e", Command: "test", Method: "GET", Host: "h", Path: "/r/10", Result: "ok"})
	perFile := int(AuditRotateSize) / (len(line) + 1)

	appendN(0, perFile)
	if size(AuditRotatedName) != -1 {
		t.Fatalf("rotated at %d bytes, under the limit", size(AuditFileName))
	}
	appendN(perFile, perFile+1)
	if size(AuditRotatedName) <= 0 || size(AuditFileName) != int64(len(line)+1) {
		t.Fatalf("after the line past the limit: rotated %d bytes, current %d (want one line)", size(AuditRotatedName), size(AuditFileName))
	}
	if got := paths(); len(got) != perFile+1 || got[0] != "/r/0" || got[perFile] != fmt.Sprintf("/r/%d", perFile) {
		t.Fatalf("read across the rotation: %d records %v", len(got), got)
	}
	if info, _ := os.Lstat(filepath.Join(dir, AuditRotatedName)); info.Mode().Perm() != 0o600 {
		t.Errorf("audit.log.1 has mode %#o", info.Mode().Perm())
	}

	appendN(perFile+1, 2*perFile+1)
	got := paths()
	if len(got) != perFile+1 || got[0] != fmt.Sprintf("/r/%d", perFile) || size(AuditFileName) > AuditRotateSize || size(AuditRotatedName) > AuditRotateSize {
		t.Fatalf("after a second rotation: %d records from %v; sizes %d and %d", len(got), got[:1], size(AuditRotatedName), size(AuditFileName))
	}

	if err := os.Remove(filepath.Join(dir, AuditRotatedName)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, AuditFileName), filepath.Join(dir, AuditRotatedName)); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadAuditLog(dir, time.Time{}); !errors.Is(err, ErrUnsafe) {
		t.Errorf("a symlinked audit.log.1 read: %v, want ErrUnsafe", err)
	}
}
