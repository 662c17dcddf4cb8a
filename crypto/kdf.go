package crypto

import "fmt"

// Bounds on the cost of one derivation, tighter than Check's ranges.
// Check's caps (1 GiB, 16 passes, 64 lanes) let a crafted wallet header
// cost about 12 s and 1 GB of memory per open on a 2-core machine; the
// header is attacker-controlled until the passphrase slot opens, so the
// cost a file may ask for must be bounded, not just finite.
//
// Argon2id's cost is memory × passes (lanes split the work, they do not add
// to it). On the 2-core CI machine the defaults (64 MiB × 3) take about
// 0.2 s and 256 MiB × 4 about 0.9 s, so capping memory at 256 MiB and
// memory × passes at 1 GiB·pass keeps the worst file under about 1 s idle
// and under 2 s on a loaded machine, while leaving 4 to 5 times the
// defaults' work for users who want stronger settings (256 MiB × 3, the
// README's example, is allowed). What `init --kdf-*` and `passwd --kdf-*`
// accept is exactly this, so every wallet this program writes opens.
const (
	MaxFileMemoryKiB = 256 << 10 // 256 MiB
	MaxFileTime      = 8
	MaxFileThreads   = 16
	// MaxFileWorkKiB bounds MemoryKiB × Time (KiB·passes): 1 GiB·pass.
	MaxFileWorkKiB = 1 << 20
)

// CheckBounded reports whether p is within Check's ranges and within the
// cost bounds above. Wallets check it before the KDF runs on a file's
// parameters and before writing new ones.
func (p KDFParams) CheckBounded() error {
	if err := p.Check(); err != nil {
		return err
	}
	switch {
	case p.Time > MaxFileTime:
		return fmt.Errorf("%w: time %d above %d", ErrParams, p.Time, MaxFileTime)
	case p.Threads > MaxFileThreads:
		return fmt.Errorf("%w: threads %d above %d", ErrParams, p.Threads, MaxFileThreads)
	case p.MemoryKiB > MaxFileMemoryKiB:
		return fmt.Errorf("%w: memory %d KiB above %d KiB", ErrParams, p.MemoryKiB, MaxFileMemoryKiB)
	case uint64(p.MemoryKiB)*uint64(p.Time) > MaxFileWorkKiB:
		return fmt.Errorf("%w: memory × time %d KiB·passes above %d (at most 1 GiB·pass)", ErrParams, uint64(p.MemoryKiB)*uint64(p.Time), MaxFileWorkKiB)
	}
	return nil
}
