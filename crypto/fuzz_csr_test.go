package crypto

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzCheckCSR: CheckCSR reads text a person pasted (or a file someone
// sent), so it must not panic on any input, and whatever it accepts must
// be what Developer Hub takes: one CERTIFICATE REQUEST block and nothing
// else, a self-signature that verifies, an organisation, and a key type
// Wise accepts. The seeds are a good CSR and every refusal of
// TestCheckCSRRefusals; `go test` runs them alone, in milliseconds.
func FuzzCheckCSR(f *testing.F) {
	f.Add(goodCSR())
	for _, c := range csrRefusals(f) {
		f.Add(c.text)
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		csr, err := CheckCSR(text)
		if err != nil {
			if csr != nil {
				t.Fatal("CheckCSR returned a CSR with its error")
			}
			return
		}
		trimmed := bytes.TrimSpace(text)
		if !bytes.HasPrefix(trimmed, []byte("-----BEGIN CERTIFICATE REQUEST-----")) || bytes.Count(trimmed, []byte("-----BEGIN")) != 1 || bytes.Count(trimmed, []byte("-----END")) != 1 {
			t.Fatalf("accepted text that is not one CERTIFICATE REQUEST block and nothing else: %q", trimmed)
		}
		if len(csr.Subject.Organization) == 0 || strings.TrimSpace(csr.Subject.Organization[0]) == "" {
			t.Fatalf("accepted a CSR without an organisation: %s", csr.Subject)
		}
		if _, err := TypeOf(csr.PublicKey); err != nil {
			t.Fatalf("accepted a CSR with a key Wise refuses: %v", err)
		}
		if err := csr.CheckSignature(); err != nil {
			t.Fatalf("accepted a CSR whose signature does not verify: %v", err)
		}
	})
}
