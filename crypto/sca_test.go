package crypto

import (
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"

	_ "embed"
)

// The fixed vectors: a 2048-bit test key made with openssl genpkey (test
// use only: it signs nothing real) and the signatures
//
//	printf '%s' "$OTT" | openssl dgst -sha256 -sign sca-test-rsa2048.key.pem | base64 -w0
//
// printed for two one-time tokens. PKCS#1 v1.5 is deterministic, so
// SignOneTimeToken must print the same bytes.
var scaVectors = []struct{ ott, sig string }{
	{"5f2e1c9a-3b7d-4e8f-a1c6-0d9b8e7f6a5c", "mEPbyBdZb4VCvwdnUnuJk84OazCrQ+hRe+OfLyQNNxUuAadhUbpRxG5i9t8qdO+TDknPCwWeDHeB/EeDLUQnT8nbl45DQuEYLSmpjohBn675kDih685bzIUGtAAv9j0nScfWYUYmqqa+s0IOxhV75iDEbDhraUmHSAUeRwdXINtKA2pDK7J2lqKZgb53dwIIm7PUbTnyI5wF9xFttuR/wc9R8u6kYXceZiCk6oodxa9/Yn36mbI0fAPPqp+ArKl9zx2KQCaiuL4uw4WPTD15lELSi34fA3/T20uV9ebEsOWC7cjAodRvIeWpVkWu3yO0m6RIQPAR/G1f9uikhTy6Ig=="},
	{"00000000-0000-0000-0000-000000000000", "Knuuk5HkkpM/BdV57vDIl1SFfEp1yF2M/SFn4KDfIhDTBCLObp1niEJas1d2iWuejVz4nNn3mDJm/DajzSkm8Q80zXQ2xoSOcN/xk2j08mDulUTST121ztYwzbUhkpofJABPjAnJi7nDXUIcvFkWpJn/B4xPTDcOCzkJ/aCrADnofn5z0tuupjHFDdGvuBzhbcEqugmTQHWJ4fVEfYZkPi0Aa8ciAtfHvxcEW5MEFLQZy832PE3HtdZJGxpzR16P6/WBAzvRiXpNkmY0L/sySVgx/NANxvyMCI4qs+clQcfcwdoKXezXeSeYuWwOsQ21Db6g9Pqv3HgilkZm+qZSQw=="},
}

const testOTT = "5f2e1c9a-3b7d-4e8f-a1c6-0d9b8e7f6a5c"

// The test keys, embedded: crypto/ does no I/O, not even in its tests.
var (
	//go:embed testdata/sca-test-rsa2048.key.pem
	scaTestKeyPEM []byte
	//go:embed testdata/sca-test-rsa2048.pub.pem
	scaTestPubPEM []byte
	//go:embed testdata/sca-test-rsa1024.pub.pem
	scaWeakPubPEM []byte
)

func vectorKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := ParsePrivateKeyPEM(NewSecret(scaTestKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

func TestSignOneTimeTokenVectors(t *testing.T) {
	key := vectorKey(t)
	pubPEM := scaTestPubPEM
	for _, v := range scaVectors {
		got, err := SignOneTimeToken(key, v.ott)
		if err != nil {
			t.Fatalf("SignOneTimeToken(%s): %v", v.ott, err)
		}
		if got != v.sig {
			t.Errorf("SignOneTimeToken(%s) differs from openssl's signature:\n got %s\nwant %s", v.ott, got, v.sig)
		}
		// openssl's signature verifies with our verifier, from the PEM
		// (bytes and string) and from the parsed key.
		for _, pub := range []any{pubPEM, string(pubPEM), &key.PublicKey, key} {
			if err := VerifyOneTimeTokenSignature(pub, v.ott, v.sig); err != nil {
				t.Errorf("verify openssl's signature with %T: %v", pub, err)
			}
		}
	}
	// One token's signature is not another's.
	if err := VerifyOneTimeTokenSignature(pubPEM, scaVectors[1].ott, scaVectors[0].sig); !errors.Is(err, ErrSCASignature) {
		t.Errorf("signature of another token: got %v, want ErrSCASignature", err)
	}
}

func TestGenerateSCAKey(t *testing.T) {
	if testing.Short() {
		t.Skip("RSA 4096 generation is slow")
	}
	for _, bits := range []int{2048, 3072, 4096} {
		k, err := GenerateSCAKey(bits)
		if err != nil {
			t.Fatalf("GenerateSCAKey(%d): %v", bits, err)
		}
		if k.N.BitLen() != bits {
			t.Errorf("GenerateSCAKey(%d) made %d bits", bits, k.N.BitLen())
		}
		kt, err := TypeOf(k)
		if err != nil || string(kt) != fmt.Sprintf("rsa%d", bits) {
			t.Errorf("TypeOf(GenerateSCAKey(%d)) = %q, %v", bits, kt, err)
		}
		sig, err := SignOneTimeToken(k, testOTT)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyOneTimeTokenSignature(&k.PublicKey, testOTT, sig); err != nil {
			t.Errorf("%d bits: own signature does not verify: %v", bits, err)
		}
	}
}

// Wise refuses SCA keys under 2048 bits; so does every entry point here:
// making one, signing with one, verifying with one (localwise would
// otherwise accept a weak uploaded key that Wise refuses).
func TestSCAKeyBelow2048Refused(t *testing.T) {
	for _, bits := range []int{0, -1, 512, 1024, 2047, 2049, 8192} {
		k, err := GenerateSCAKey(bits)
		if k != nil || !errors.Is(err, ErrKey) {
			t.Errorf("GenerateSCAKey(%d) = %v, %v; want nil, ErrKey", bits, k != nil, err)
		}
		if bits < 2048 && (err == nil || !strings.Contains(err.Error(), "too weak")) {
			t.Errorf("GenerateSCAKey(%d): %v, want it to say too weak", bits, err)
		}
	}
	// A 1024-bit key made by openssl: refused for verifying, as PEM and as
	// a parsed key.
	weakPEM := scaWeakPubPEM
	if err := VerifyOneTimeTokenSignature(weakPEM, testOTT, scaVectors[0].sig); !errors.Is(err, ErrKey) {
		t.Errorf("verify with a 1024-bit PEM: got %v, want ErrKey", err)
	}
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SignOneTimeToken(weak, testOTT); !errors.Is(err, ErrKey) {
		t.Errorf("sign with 1024 bits: got %v, want ErrKey", err)
	}
	if err := CheckSCAKey(&weak.PublicKey); !errors.Is(err, ErrKey) {
		t.Errorf("CheckSCAKey(1024 bits): got %v, want ErrKey", err)
	}
	// EC is refused: the legacy SCA signature is RSA only.
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := SignOneTimeToken(ec, testOTT); !errors.Is(err, ErrKey) {
		t.Errorf("sign with P-256: got %v, want ErrKey", err)
	}
	if err := VerifyOneTimeTokenSignature(&ec.PublicKey, testOTT, scaVectors[0].sig); !errors.Is(err, ErrKey) {
		t.Errorf("verify with P-256: got %v, want ErrKey", err)
	}
	if _, err := SignOneTimeToken(nil, testOTT); !errors.Is(err, ErrKey) {
		t.Errorf("sign with nil: got %v, want ErrKey", err)
	}
	if err := CheckSCAKey(vectorKey(t)); err != nil {
		t.Errorf("CheckSCAKey(2048-bit signer): %v", err)
	}
}

// The signature openssl checks: SignOneTimeToken's output verifies with
// `openssl dgst -sha256 -verify` and the PEM public key, the form a user
// uploads to Wise. crypto/ imports no os, so a shell writes the files, in a
// temporary folder, from variables (no quoting of key or signature).
func TestSignOneTimeTokenOpenSSLVerifies(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to run openssl with")
	}
	key, err := GenerateSCAKey(2048)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ott := "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
	sig, err := SignOneTimeToken(key, ott)
	if err != nil {
		t.Fatal(err)
	}
	const script = `printf '%s' "$PUB" > pub.pem && printf '%s' "$SIG" | "$OPENSSL" base64 -d -A > sig.bin &&
printf '%s' "$DATA" | "$OPENSSL" dgst -sha256 -verify pub.pem -signature sig.bin`
	verify := func(data string) (string, error) {
		cmd := exec.Command(sh, "-c", script)
		cmd.Dir = t.TempDir()
		cmd.Env = []string{"OPENSSL=" + openssl, "PUB=" + string(pubPEM), "SIG=" + sig, "DATA=" + data}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := verify(ott); err != nil || !strings.Contains(out, "Verified OK") {
		t.Fatalf("openssl does not verify SignOneTimeToken's signature: %v\n%s", err, out)
	}
	// The check is real: the same signature over another token fails.
	if out, err := verify("0a1b2c3d-4e5f-6789-abcd-ef0123456788"); err == nil || strings.Contains(out, "Verified OK") {
		t.Fatalf("openssl verified the signature over another token:\n%s", out)
	}
}

func TestVerifyOneTimeTokenSignatureRefusals(t *testing.T) {
	key := vectorKey(t)
	pub := &key.PublicKey
	good := scaVectors[0].sig
	raw, _ := base64.StdEncoding.DecodeString(good)
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)/2] ^= 1
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, c := range map[string]struct {
		pub      any
		ott, sig string
		want     error
	}{
		"flipped bit":      {pub, testOTT, base64.StdEncoding.EncodeToString(flipped), ErrSCASignature},
		"other key":        {&other.PublicKey, testOTT, good, ErrSCASignature},
		"raw url base64":   {pub, testOTT, base64.RawURLEncoding.EncodeToString(raw), ErrSCASignature},
		"no padding":       {pub, testOTT, strings.TrimRight(good, "="), ErrSCASignature},
		"newline inside":   {pub, testOTT, good[:64] + "\n" + good[64:], ErrSCASignature},
		"trailing newline": {pub, testOTT, good + "\n", ErrSCASignature},
		"empty":            {pub, testOTT, "", ErrSCASignature},
		"short":            {pub, testOTT, base64.StdEncoding.EncodeToString(raw[:255]), ErrSCASignature},
		"long":             {pub, testOTT, base64.StdEncoding.EncodeToString(append(raw, 0)), ErrSCASignature},
		"huge":             {pub, testOTT, strings.Repeat("A", 1<<20), ErrSCASignature},
		"upper-cased ott":  {pub, strings.ToUpper(testOTT), good, ErrSCASignature},
		"not a uuid":       {pub, "hello", good, ErrOneTimeToken},
		"bad pem":          {[]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), testOTT, good, ErrKey},
		"private pem":      {scaTestKeyPEM, testOTT, good, ErrKey},
		"nil":              {nil, testOTT, good, ErrKey},
		"rsa value":        {*pub, testOTT, good, ErrKey},
		"nil rsa":          {(*rsa.PublicKey)(nil), testOTT, good, ErrKey},
	} {
		err := VerifyOneTimeTokenSignature(c.pub, c.ott, c.sig)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
		if err != nil && len(c.sig) >= 16 && strings.Contains(err.Error(), c.sig[:16]) {
			t.Errorf("%s: error repeats the signature: %v", name, err)
		}
	}
}

// A token that is not a UUID is refused before signing, so a hostile
// server cannot use the user's key as an oracle for arbitrary strings.
func TestSignOneTimeTokenRefusesNonUUID(t *testing.T) {
	key := vectorKey(t)
	for _, ott := range []string{"", "hello", testOTT + "\r\nX-Evil: 1", " " + testOTT, strings.ReplaceAll(testOTT, "-", ""), `{"amount":1000000}`} {
		if sig, err := SignOneTimeToken(key, ott); !errors.Is(err, ErrOneTimeToken) || sig != "" {
			t.Errorf("SignOneTimeToken(%q) = %q, %v; want ErrOneTimeToken", ott, sig, err)
		}
	}
}

// signerFunc is a crypto.Signer that is not an *rsa.PrivateKey, like a
// hardware or agent key.
type signerFunc struct {
	pub  stdcrypto.PublicKey
	sign func(digest []byte, opts stdcrypto.SignerOpts) ([]byte, error)
}

func (s signerFunc) Public() stdcrypto.PublicKey { return s.pub }
func (s signerFunc) Sign(_ io.Reader, d []byte, o stdcrypto.SignerOpts) ([]byte, error) {
	return s.sign(d, o)
}

// A Signer that is not an *rsa.PrivateKey is checked: one that signs with
// PSS, or with another key than it reports, is refused before its
// signature spends the single-use token.
func TestSignOneTimeTokenChecksForeignSigner(t *testing.T) {
	key := vectorKey(t)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	good := signerFunc{&key.PublicKey, func(d []byte, o stdcrypto.SignerOpts) ([]byte, error) {
		return key.Sign(rand.Reader, d, o)
	}}
	if sig, err := SignOneTimeToken(good, testOTT); err != nil || sig != scaVectors[0].sig {
		t.Errorf("honest foreign signer: %q, %v", sig, err)
	}
	pss := signerFunc{&key.PublicKey, func(d []byte, _ stdcrypto.SignerOpts) ([]byte, error) {
		return rsa.SignPSS(rand.Reader, key, stdcrypto.SHA256, d, nil)
	}}
	wrongKey := signerFunc{&key.PublicKey, func(d []byte, o stdcrypto.SignerOpts) ([]byte, error) {
		return other.Sign(rand.Reader, d, o)
	}}
	failing := signerFunc{&key.PublicKey, func([]byte, stdcrypto.SignerOpts) ([]byte, error) {
		return nil, errors.New("token removed")
	}}
	for name, s := range map[string]signerFunc{"pss": pss, "wrong key": wrongKey, "failing": failing} {
		if sig, err := SignOneTimeToken(s, testOTT); !errors.Is(err, ErrKey) || sig != "" {
			t.Errorf("%s: %q, %v; want ErrKey", name, sig, err)
		}
	}
	// The digest handed to the signer is SHA-256 of the token's bytes,
	// with crypto.SHA256 as the options (PKCS#1 v1.5, not PSS).
	var gotDigest []byte
	var gotOpts stdcrypto.SignerOpts
	spy := signerFunc{&key.PublicKey, func(d []byte, o stdcrypto.SignerOpts) ([]byte, error) {
		gotDigest, gotOpts = d, o
		return key.Sign(rand.Reader, d, o)
	}}
	if _, err := SignOneTimeToken(spy, testOTT); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte(testOTT))
	if string(gotDigest) != string(want[:]) || gotOpts != stdcrypto.SHA256 {
		t.Errorf("signer got digest %x opts %v; want %x crypto.SHA256", gotDigest, gotOpts, want)
	}
}

func TestCheckOneTimeToken(t *testing.T) {
	for _, ok := range []string{testOTT, strings.ToUpper(testOTT), "00000000-0000-0000-0000-000000000000", "ffffffff-FFFF-aaaa-AAAA-0123456789ab"} {
		if err := CheckOneTimeToken(ok); err != nil {
			t.Errorf("CheckOneTimeToken(%q): %v", ok, err)
		}
	}
	bad := []string{
		"", "x", testOTT[:35], testOTT + "0", strings.Repeat("a", 1<<20),
		"5f2e1c9a_3b7d-4e8f-a1c6-0d9b8e7f6a5c", // separator not '-'
		"5f2e1c9a-3b7d-4e8f-a1c6-0d9b8e7f6a5g", // not hex
		"5f2e1c9a3-b7d-4e8f-a1c6-0d9b8e7f6a5c", // dash misplaced
		"5f2e1c9a-3b7d-4e8f-a1c6-0d9b8e7f6a\r\n", "{5f2e1c9a-3b7d-4e8f-a1c6-0d9b8e7f6}",
		"５f2e1c9a-3b7d-4e8f-a1c6-0d9b8e7f6a", // full-width digit, 36 bytes
	}
	for _, b := range bad {
		err := CheckOneTimeToken(b)
		if !errors.Is(err, ErrOneTimeToken) {
			t.Errorf("CheckOneTimeToken(%.40q) = %v, want ErrOneTimeToken", b, err)
			continue
		}
		if len(b) > 3 && strings.Contains(err.Error(), b) {
			t.Errorf("error repeats the token: %v", err)
		}
	}
}

func TestCheckPINAndOTP(t *testing.T) {
	for _, c := range []struct {
		check func(Secret) error
		want  error
		ok    []string
		bad   []string
	}{
		{CheckPIN, ErrPIN, []string{"0000", "1234", "9876"},
			[]string{"", "123", "12345", "12a4", " 123", "1234\n", "١٢٣٤", "１２３４", "12.4", "-123"}},
		{CheckOTP, ErrOTP, []string{"111111", "000000", "987654"},
			[]string{"", "11111", "1111111", "11111a", "111 11", "１１１１１１", "111111\x00"}},
	} {
		for _, s := range c.ok {
			if err := c.check(SecretString(s)); err != nil {
				t.Errorf("check(%q): %v", s, err)
			}
		}
		for _, s := range c.bad {
			err := c.check(SecretString(s))
			if !errors.Is(err, c.want) {
				t.Errorf("check(%q) = %v, want %v", s, err, c.want)
				continue
			}
			// The error is the rule alone: the same text for every bad
			// value, so nothing of the value can be in it.
			if err.Error() != c.want.Error() {
				t.Errorf("check(%q) error %q carries more than the rule", s, err)
			}
		}
	}
}

func TestNewDeviceFingerprint(t *testing.T) {
	seen := map[string]bool{}
	for range 64 {
		fp := NewDeviceFingerprint()
		v := fp.RevealString()
		if len(v) != 43 {
			t.Fatalf("fingerprint of %d characters, want 43", len(v))
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(v)
		if err != nil || len(raw) != DeviceFingerprintBytes {
			t.Fatalf("fingerprint is not base64url of %d bytes: %v", DeviceFingerprintBytes, err)
		}
		if seen[v] {
			t.Fatal("two fingerprints alike")
		}
		seen[v] = true
		// It is a Secret: every printing path is redacted.
		for _, s := range []string{fmt.Sprint(fp), fmt.Sprintf("%v %s %q %x %#v", fp, fp, fp, fp, fp)} {
			if strings.Contains(s, v) || !strings.Contains(s, "[redacted]") {
				t.Fatalf("fingerprint printed: %s", s)
			}
		}
	}
}
