package wallet

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestStampChangesWithEverySaveAndOnlyThen(t *testing.T) {
	store, w := newTestWallet(t)
	first, err := w.Stamp()
	if err != nil {
		t.Fatal(err)
	}
	if again, err := store.Stamp(); err != nil || again != first {
		t.Fatalf("two stamps of an unchanged file differ: %+v, %+v (%v)", first, again, err)
	}
	if _, err := os.ReadFile(store.Path()); err != nil {
		t.Fatal(err)
	}
	if again, _ := w.Stamp(); again != first {
		t.Fatal("reading the file changed its stamp")
	}

	// A save of the same size within the same clock tick still shows:
	// the new file has its own inode.
	if err := w.Update(context.Background(), func(*Contents) error { return nil }); err != nil {
		t.Fatal(err)
	}
	saved, err := w.Stamp()
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Lstat(store.Path())
	if err := os.Chtimes(store.Path(), time.Unix(0, first.Modified), time.Unix(0, first.Modified)); err != nil {
		t.Fatal(err)
	}
	sameTime, _ := w.Stamp()
	if saved == first || sameTime == first || sameTime.Version == first.Version {
		t.Fatalf("a save did not change the stamp: before %+v, after %+v, with the old time %+v (size %d)", first, saved, sameTime, fi.Size())
	}
}

func TestStampOfAMissingFileIsAnError(t *testing.T) {
	store := NewFileStore(t.TempDir())
	if _, err := store.Stamp(); err == nil {
		t.Fatal("no error for a wallet file that is not there")
	}
}
