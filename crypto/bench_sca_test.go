package crypto

import (
	"fmt"
	"testing"
)

// The cost of the legacy SCA signature a personal-token call adds when Wise
// challenges it (`sca sign` without the process and the wallet around it;
// scripts/bench_sca.sh times the whole command against openssl), by key
// size, and of localwise's check of it.
//
//	go test -run x -bench SCA ./crypto/

func BenchmarkSCASign(b *testing.B) {
	for _, bits := range []int{2048, 3072, 4096} {
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			key := vectorKey(b)
			if bits != 2048 {
				var err error
				if key, err = GenerateSCAKey(bits); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				if _, err := SignOneTimeToken(key, testOTT); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSCAVerify(b *testing.B) {
	key := vectorKey(b)
	for b.Loop() {
		if err := VerifyOneTimeTokenSignature(&key.PublicKey, scaVectors[0].ott, scaVectors[0].sig); err != nil {
			b.Fatal(err)
		}
	}
}
