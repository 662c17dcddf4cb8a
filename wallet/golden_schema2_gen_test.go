package wallet

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wisewallet/wisewallet/crypto"
)

// Run once, with the schema 2 encoder, to write the schema 2 golden files:
//
//	WISEWALLET_WRITE_SCHEMA2_GOLDEN=1 go test ./wallet -run TestWriteSchema2Golden
//
// The encoder goes away with schema 3; the files stay as they were written.
func TestWriteSchema2Golden(t *testing.T) {
	if os.Getenv("WISEWALLET_WRITE_SCHEMA2_GOLDEN") == "" {
		t.Skip("set WISEWALLET_WRITE_SCHEMA2_GOLDEN=1 to write testdata/wallet-v1-schema2.ww")
	}
	entries := append(goldenEntries(), fullEntry())
	store := NewFileStore(filepath.Join(t.TempDir(), "golden"))
	w, err := Create(context.Background(), store, crypto.SecretString(goldenPassphrase), Options{KDF: cheapKDF})
	if err != nil {
		t.Fatal(err)
	}
	addEntries(t, w, entries...)
	if err := os.WriteFile("testdata/wallet-v1-schema2.ww", mustRead(t, store.Path()), 0o644); err != nil {
		t.Fatal(err)
	}
	body, err := w.Contents().marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/body-schema2.bin", body, 0o644); err != nil {
		t.Fatal(err)
	}
}
