package wallet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// N processes appending at once: every record kept, every line whole,
// the file 0600 even under umask 000.
func TestAuditLogConcurrentProcessesKeepEveryLineWhole(t *testing.T) {
	const n, k = 4, 200
	dir := filepath.Join(t.TempDir(), "w")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	children := make([]*child, n)
	for i := range children {
		children[i] = startChild(t, "auditappend", dir, fmt.Sprintf("%s=p%d %d", envArg, i, k))
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
	data, err := os.ReadFile(filepath.Join(dir, AuditFileName))
	if err != nil {
		t.Fatal(err)
	}
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
