package wallet

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestOneWalletSharedByGoroutines uses one Wallet from several goroutines,
// as the terminal app does (its view reads entries while commands refresh
// tokens). Under -race a missing lock shows up here; and no update is lost
// even though all of them go through the same handle.
func TestOneWalletSharedByGoroutines(t *testing.T) {
	_, w := newTestWallet(t)
	ctx := context.Background()
	const writers, perWriter = 4, 10
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readerWG sync.WaitGroup
	for r := 0; r < 2; r++ {
		readerWG.Add(1)
		go func() {
			defer readerWG.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, e := range w.Entries() {
					_, _ = w.Get(e.Name)
				}
				_ = w.Generation()
				_ = w.HasKeyringSlot()
				_ = w.KDF()
			}
		}()
	}
	errs := make(chan error, writers*perWriter)
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				e := personal(fmt.Sprintf("g%d-e%d", g, i), "tok")
				errs <- w.Update(ctx, func(c *Contents) error { return c.Add(e) })
			}
		}(g)
	}
	wg.Wait()
	close(stop)
	readerWG.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := len(w.Entries()); got != writers*perWriter {
		t.Fatalf("%d entries after %d concurrent adds", got, writers*perWriter)
	}
}
