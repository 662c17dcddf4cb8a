package tui

// The paste steps of the mTLS setup: Wise's certificate and its CA come
// as PEM, pasted into the terminal or saved to a file. A bracketed paste
// keeps its line breaks (a text field would fold them into spaces), so a
// paste that holds a PEM block is taken whole; anything typed is the path
// of a file, read in a command. A new paste replaces the last one, so a
// mistyped paste is simply pasted again. What was taken is shown as a
// summary (subject, issuer, not-after), never as the raw block: the flows
// check it for real when it is imported.

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// pemFileLimit bounds what a PEM file may hold: a certificate chain is a
// few KiB, so anything larger is the wrong file and is not read whole.
const pemFileLimit = 64 << 10

// pemWant is what a paste step expects.
type pemWant int

const (
	wantCertificate pemWant = iota // the client certificate Developer Hub shows
	wantCA                         // Wise's CA certificate ("Get Wise Certificate")
)

// pemInput is one paste step's state: the path field, what was taken and
// where from.
type pemInput struct {
	want pemWant
	path textinput.Model
	pem  []byte // the PEM taken, nil until one is
	from string // "pasted", or the file it was read from
	sum  certSummary
	load asyncOp // the file being read
}

func newPEMInput(c *Common, want pemWant) pemInput {
	hint := "or type the path of the saved certificate file"
	if want == wantCA {
		hint = "or type the path of wise.ca-certificate….pem"
	}
	return pemInput{want: want, path: newField(c, hint, 1024, false)}
}

// certSummary is what the screen says of a certificate taken.
type certSummary struct {
	Subject, Issuer string
	Serial          string
	NotBefore       time.Time
	NotAfter        time.Time
	IsCA            bool
	Blocks          int // certificates in the paste (a chain has several)
}

// pemProblem is why a paste or a file was not taken, as the step says it.
type pemProblem string

// takePEM checks that data holds what the step wants, by the PEM blocks
// in it, and summarises the first certificate. A private key is refused
// and forgotten: it never belongs in these steps (nor anywhere outside
// the wallet), and it is not kept or drawn.
func takePEM(want pemWant, data []byte) (certSummary, pemProblem) {
	what := "the certificate Developer Hub showed after you saved"
	if want == wantCA {
		what = "Wise's CA certificate (Developer Hub: Get Wise Certificate)"
	}
	if bytes.Contains(data, []byte("PRIVATE KEY-----")) {
		return certSummary{}, pemProblem("That was a private key: it was not kept. A private key never leaves the wallet; paste " + what + ".")
	}
	rest := data
	var sum certSummary
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
		case "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST":
			return certSummary{}, pemProblem("That is the certificate request (CSR) this wallet made. Paste " + what + ".")
		default:
			return certSummary{}, pemProblem(fmt.Sprintf("That holds a %q block, not a certificate. Paste %s.", b.Type, what))
		}
		sum.Blocks++
		if sum.Blocks > 1 {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return certSummary{}, pemProblem("The certificate block is damaged (" + err.Error() + "). Copy it again, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.")
		}
		sum.Subject, sum.Issuer = dnText(cert.Subject.CommonName, cert.Subject.Organization, cert.Subject.Country), dnText(cert.Issuer.CommonName, cert.Issuer.Organization, cert.Issuer.Country)
		sum.Serial = hex.EncodeToString(cert.SerialNumber.Bytes())
		sum.NotBefore, sum.NotAfter, sum.IsCA = cert.NotBefore, cert.NotAfter, cert.IsCA
	}
	if sum.Blocks == 0 {
		return certSummary{}, pemProblem("No certificate in that: paste " + what + ", including the -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- lines.")
	}
	return sum, ""
}

// dnText is a distinguished name as the screen shows it: CN, O, C.
func dnText(cn string, org, country []string) string {
	var parts []string
	if cn != "" {
		parts = append(parts, "CN="+cn)
	}
	for _, o := range org {
		parts = append(parts, "O="+o)
	}
	for _, c := range country {
		parts = append(parts, "C="+c)
	}
	if len(parts) == 0 {
		return "(empty)"
	}
	return strings.Join(parts, ", ")
}

// looksLikePEM says whether a paste is a PEM block rather than a path.
func looksLikePEM(text string) bool { return strings.Contains(text, "-----BEGIN ") }

// paste takes a bracketed paste: a PEM block replaces what was taken
// before; anything else goes to the path field (reported false).
func (p *pemInput) paste(text string) (taken bool, problem pemProblem) {
	if !looksLikePEM(text) {
		return false, ""
	}
	p.load.stop()
	sum, problem := takePEM(p.want, []byte(text))
	if problem != "" {
		p.pem, p.from, p.sum = nil, "", certSummary{}
		return true, problem
	}
	p.pem, p.from, p.sum = []byte(strings.TrimSpace(text)+"\n"), "pasted", sum
	p.path.Reset()
	return true, ""
}

// pemLoadedMsg is the answer of reading a PEM file.
type pemLoadedMsg struct {
	id   int
	want pemWant
	path string
	data []byte
	err  error
}

// startLoad reads the file named in the path field, in a command.
func (p *pemInput) startLoad(c *Common) tea.Cmd {
	path := strings.TrimSpace(p.path.Value())
	ctx, id := p.load.start(c.Ctx)
	want := p.want
	return c.SessionCmd(func() tea.Msg {
		data, err := readPEMFile(ctx, path)
		return pemLoadedMsg{id: id, want: want, path: path, data: data, err: err}
	})
}

// loaded takes the file's contents; ok=false for a stale answer.
func (p *pemInput) loaded(m pemLoadedMsg) (ok bool, problem pemProblem) {
	if m.want != p.want || !p.load.current(m.id) {
		return false, ""
	}
	p.load.stop()
	if m.err != nil {
		return true, pemProblem(fileProblem(m.path, m.err))
	}
	sum, problem := takePEM(p.want, m.data)
	if problem != "" {
		return true, pemProblem(fmt.Sprintf("%s: %s", m.path, problem))
	}
	p.pem, p.from, p.sum = m.data, m.path, sum
	p.path.Reset()
	return true, ""
}

var errPEMTooLarge = errors.New("larger than 64 KiB")
var errNotRegular = errors.New("not a regular file")

// readPEMFile reads a small regular file; "~/" at the start is the home
// folder, as a user types it.
func readPEMFile(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(home, rest)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errNotRegular
	}
	data, err := io.ReadAll(io.LimitReader(f, pemFileLimit+1))
	if err != nil {
		return nil, err
	}
	if len(data) > pemFileLimit {
		return nil, errPEMTooLarge
	}
	return data, nil
}

// fileProblem words a failed read of a PEM file.
func fileProblem(path string, err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("There is no file %s. Type the path where it was saved (~/ is your home folder), or paste the certificate itself.", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("%s cannot be read (permission denied). Make it readable by you, or paste the certificate itself.", path)
	case errors.Is(err, errNotRegular):
		return fmt.Sprintf("%s is not a file (a folder?). Type the path of the .pem file itself.", path)
	case errors.Is(err, errPEMTooLarge):
		return fmt.Sprintf("%s is larger than 64 KiB, so it is not a certificate file. Check the path.", path)
	}
	return fmt.Sprintf("Could not read %s: %v.", path, err)
}

// view is the step's body: the path field, and what was taken.
func (p *pemInput) view(c *Common) string {
	st := c.Styles
	var b strings.Builder
	b.WriteString(p.path.View())
	if p.load.busy {
		b.WriteString("\n" + st.Subtle.Render("  reading the file…"))
	}
	if p.pem == nil {
		return b.String()
	}
	title := "certificate"
	if p.sum.Blocks > 1 {
		title = fmt.Sprintf("certificate chain (%d certificates)", p.sum.Blocks)
	}
	rows := [][2]string{
		{"subject", p.sum.Subject},
		{"issuer", p.sum.Issuer},
		{"valid until", when(c, &p.sum.NotAfter)},
	}
	if p.want == wantCertificate {
		rows = append(rows, [2]string{"serial", p.sum.Serial})
	}
	b.WriteString("\n\n" + st.Success.Render(truncate("✓ "+title+", "+p.from, c.Width)) + "\n" + labelled(c, rows))
	return b.String()
}
