package cli

import (
	"context"
	stdcrypto "crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows/localwise"
	"github.com/wisewallet/wisewallet/flows/localwise/lwtest"
	"github.com/wisewallet/wisewallet/wallet"
)

// The JOSE commands, run as the real binary against a real localwise over
// HTTP. What they make is checked by the second implementation in
// jose_indep_test.go and by openssl, never by the code that made it.

// joseRig is a wallet with the localwise demo client as c1.
type joseRig struct {
	t   *testing.T
	e   *cliEnv
	srv *localwise.Server
	api string
}

func newJOSERig(t *testing.T, cfg localwise.Config) *joseRig {
	t.Helper()
	srv, base := lwtest.Start(t, cfg)
	e := newCLIEnv(t)
	e.init()
	d := srv.Demo()
	e.secrets = append(e.secrets, d.ClientSecret)
	r := e.run(call{args: []string{"add", "client", "c1", "--env", "local", "--api-url", base, "--client-id", d.ClientID, "--no-check=false"}, stdin: ptr(d.ClientSecret + "\n")})
	e.expect(r, 0)
	return &joseRig{t: t, e: e, srv: srv, api: base}
}

// joseKey is what `jose keygen --json` prints.
type joseKey struct {
	Entry     string    `json:"entry"`
	Client    string    `json:"client"`
	Use       string    `json:"use"`
	Algorithm string    `json:"algorithm"`
	KeyID     string    `json:"key_id"`
	ValidFrom time.Time `json:"valid_from"`
	ValidTill time.Time `json:"valid_till"`
	Uploaded  bool      `json:"uploaded"`
}

func (j *joseRig) keygen(name, use string, extra ...string) joseKey {
	j.t.Helper()
	r := j.e.cmd(append([]string{"jose", "keygen", name, "--use", use, "--for", "c1", "--json"}, extra...)...)
	if r.code != 0 {
		j.t.Fatalf("%s", j.e.describe(r, "exit 0"))
	}
	var k joseKey
	if err := json.Unmarshal([]byte(r.stdout), &k); err != nil {
		j.t.Fatalf("jose keygen --json: %v\n%s", err, r.stdout)
	}
	if k.Entry != name || k.Client != "c1" || k.Use != use || k.KeyID == "" {
		j.t.Fatalf("jose keygen --json: %+v", k)
	}
	return k
}

// pipe runs args with stdin.
func (j *joseRig) pipe(stdin string, args ...string) result {
	j.t.Helper()
	return j.e.run(call{args: args, stdin: &stdin})
}

// mustPipe runs args with stdin and wants exit 0.
func (j *joseRig) mustPipe(stdin string, args ...string) result {
	j.t.Helper()
	r := j.pipe(stdin, args...)
	if r.code != 0 {
		j.t.Fatalf("%s", j.e.describe(r, "exit 0"))
	}
	return r
}

// sign is `jose sign`, checked to print one compact JWS and nothing else.
func (j *joseRig) sign(name, url, payload string) string {
	j.t.Helper()
	out := j.mustPipe(payload, "jose", "sign", name, "--url", url).stdout
	tok := strings.TrimSuffix(out, "\n")
	if out != tok+"\n" || strings.ContainsAny(tok, " \n\t") || strings.Count(tok, ".") != 2 {
		j.t.Fatalf("jose sign printed more or less than one compact JWS and a newline: %q", out)
	}
	return tok
}

// publicKey reads an entry's public key in all three formats with the
// standard library (and by hand for the JWK), checks they are one key,
// and returns it with the JWK's members.
func (j *joseRig) publicKey(name string) (any, map[string]any) {
	j.t.Helper()
	jwkOut := j.e.must("jose", "pubkey", name).stdout
	if jwk2 := j.e.must("jose", "pubkey", name, "--jwk").stdout; jwk2 != jwkOut {
		j.t.Fatalf("jose pubkey and jose pubkey --jwk differ:\n%s\n%s", jwkOut, jwk2)
	}
	fromJWK, members, err := indepParseJWK([]byte(jwkOut))
	if err != nil {
		j.t.Fatalf("jose pubkey %s: %v\n%s", name, err, jwkOut)
	}
	pemOut := j.e.must("jose", "pubkey", name, "--pem").stdout
	block, rest := pem.Decode([]byte(pemOut))
	if block == nil || block.Type != "PUBLIC KEY" || len(strings.TrimSpace(string(rest))) != 0 {
		j.t.Fatalf("jose pubkey --pem is not one PUBLIC KEY block:\n%s", pemOut)
	}
	fromPEM, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		j.t.Fatal(err)
	}
	derOut := j.e.must("jose", "pubkey", name, "--der").stdout
	der, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(derOut, "\n"))
	if err != nil || strings.Count(derOut, "\n") != 1 {
		j.t.Fatalf("jose pubkey --der is not one line of standard base64: %v %q", err, derOut)
	}
	fromDER, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		j.t.Fatal(err)
	}
	type equaler interface {
		Equal(x stdcrypto.PublicKey) bool
	}
	if !fromPEM.(equaler).Equal(fromJWK) || !fromPEM.(equaler).Equal(fromDER) {
		j.t.Fatalf("jose pubkey %s: the JWK, PEM and DER are not the same key", name)
	}
	for _, secret := range []string{"PRIVATE", `"d"`} {
		if strings.Contains(jwkOut+pemOut, secret) {
			t := j.t
			t.Fatalf("jose pubkey %s printed %s", name, secret)
		}
	}
	return fromPEM, members
}

// privateKey is an entry's private key, read with show --reveal (only
// the test's independent side uses it).
func (j *joseRig) privateKey(name, secret string) any {
	j.t.Helper()
	var shown struct {
		Secrets map[string]string `json:"secrets"`
	}
	if err := json.Unmarshal([]byte(j.e.must("show", name, "--reveal", "--json").stdout), &shown); err != nil {
		j.t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(shown.Secrets[secret]))
	if block == nil {
		j.t.Fatalf("%s holds no PEM %s", name, secret)
	}
	j.e.secrets = append(j.e.secrets, shown.Secrets[secret])
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		j.t.Fatal(err)
	}
	return key
}

// backdate moves the validity of an entry's key by ago into the past,
// editing the wallet in this process with its passphrase.
func (j *joseRig) backdate(name string, ago time.Duration) {
	j.t.Helper()
	ctx := context.Background()
	w, err := wallet.Open(ctx, wallet.NewFileStore(j.e.dir), wallet.Unlocker{Passphrase: func() (crypto.Secret, error) { return crypto.SecretString(j.e.pass), nil }})
	if err != nil {
		j.t.Fatal(err)
	}
	err = w.Update(ctx, func(c *wallet.Contents) error {
		e, err := c.Get(name)
		if err != nil {
			return err
		}
		from, till := e.ValidFrom.Add(-ago), e.ValidTill.Add(-ago)
		e.ValidFrom, e.ValidTill = &from, &till
		return c.Put(e)
	})
	if err != nil {
		j.t.Fatal(err)
	}
}

func (j *joseRig) write(file string, data []byte) string {
	j.t.Helper()
	if err := os.WriteFile(filepath.Join(j.e.root, file), data, 0o600); err != nil {
		j.t.Fatal(err)
	}
	return file
}

// TestJOSESignVerifiesWithAnIndependentVerifier: for each algorithm Wise
// takes, the JWS `jose sign` prints verifies by hand with the key `jose
// pubkey` exports, its header holds alg, the entry's key id and the url,
// its payload is stdin byte for byte, and `jose verify` gives it back.
func TestJOSESignVerifiesWithAnIndependentVerifier(t *testing.T) {
	t.Parallel()
	j := newJOSERig(t, localwise.Config{})
	payload := "{\"amount\":12.5,\"note\":\"caf\u00e9\"}\n\x00 trailing bytes stay"
	const url = "/v3/profiles/123/transfers/456/payments?x=1"
	for _, alg := range []string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512"} {
		name := "s-" + strings.ToLower(alg)
		args := []string{"--alg", alg}
		if alg == "ES256" {
			args = nil // the default
		}
		k := j.keygen(name, "sig", args...)
		if k.Algorithm != alg {
			t.Errorf("keygen %v: algorithm %s, want %s", args, k.Algorithm, alg)
		}
		pub, members := j.publicKey(name)
		if members["kid"] != k.KeyID || members["alg"] != alg || members["use"] != "sig" {
			t.Errorf("%s: the JWK says kid %v alg %v use %v; want %s %s sig", name, members["kid"], members["alg"], members["use"], k.KeyID, alg)
		}
		tok := j.sign(name, url, payload)
		header, got, err := indepVerifyJWS(tok, pub)
		if err != nil {
			t.Fatalf("%s: the independent verifier refused jose sign's JWS: %v", alg, err)
		}
		if string(got) != payload {
			t.Errorf("%s: payload %q, want %q", alg, got, payload)
		}
		if header["alg"] != alg || header["kid"] != k.KeyID || header["url"] != url {
			t.Errorf("%s: protected header %v; want alg, the key id %s and url %s", alg, header, k.KeyID, url)
		}
		r := j.mustPipe(tok+"\n", "jose", "verify", name, "--url", url)
		if r.stdout != payload {
			t.Errorf("%s: jose verify printed %q, want the payload", alg, r.stdout)
		}
		j.e.expect(r, 0, "verified", k.KeyID)
		// The same bytes without --url verify too: the header is not checked then.
		if r := j.mustPipe(tok, "jose", "verify", name); r.stdout != payload {
			t.Errorf("%s: jose verify without --url printed %q", alg, r.stdout)
		}
	}
}

// TestJOSEES256SignatureVerifiesWithOpenSSL: openssl, given the PEM `jose
// pubkey` prints and the signature as DER, verifies the signing input.
func TestJOSEES256SignatureVerifiesWithOpenSSL(t *testing.T) {
	t.Parallel()
	needTool(t, "openssl")
	j := newJOSERig(t, localwise.Config{})
	j.keygen("s1", "sig")
	j.keygen("p1", "sig", "--alg", "PS256")
	for _, name := range []string{"s1", "p1"} {
		tok := j.sign(name, "/v1/auth/jose/playground/jws", `{"message":"openssl"}`)
		parts := strings.Split(tok, ".")
		sig, err := b64.DecodeString(parts[2])
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"dgst", "-sha256", "-verify", name + ".pem", "-signature", name + ".sig"}
		if name == "s1" {
			if sig, err = ecdsaRawToDER(sig); err != nil {
				t.Fatal(err)
			}
		} else {
			// RFC 7518 §3.5: PSS with MGF1 and a salt as long as the hash.
			args = append(args, "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32")
		}
		j.write(name+".pem", []byte(j.e.must("jose", "pubkey", name, "--pem").stdout))
		j.write(name+".sig", sig)
		j.write(name+".in", []byte(parts[0]+"."+parts[1]))
		out := runTool(t, j.e.root, "openssl", append(args, name+".in")...)
		if !strings.Contains(out, "Verified OK") {
			t.Errorf("%s: openssl: %s", name, out)
		}
		// And a changed signing input fails there too: the check is real.
		j.write(name+".in", []byte(parts[0]+"."+parts[1]+"x"))
		cmd := append([]string{"openssl"}, append(args, name+".in")...)
		if out, err := execIn(j.e.root, cmd...); err == nil {
			t.Errorf("%s: openssl verified a changed input: %s", name, out)
		}
	}
}

// TestJOSEDecryptOpensAnIndependentJWE: a JWE made by hand (RSA-OAEP-256
// with SHA-256, AES-256-GCM) to the key `jose pubkey --der` exports
// decrypts with `jose decrypt`, byte for byte; what `jose encrypt` makes
// for the entry opens by hand with its private key; and what is not
// RSA-OAEP-256 + A256GCM, compressed or changed is refused.
func TestJOSEDecryptOpensAnIndependentJWE(t *testing.T) {
	t.Parallel()
	j := newJOSERig(t, localwise.Config{})
	k := j.keygen("e1", "enc")
	if k.Algorithm != "RSA-OAEP-256" {
		t.Errorf("enc keygen: algorithm %s", k.Algorithm)
	}
	pubAny, members := j.publicKey("e1")
	pub, ok := pubAny.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() < 2048 {
		t.Fatalf("the enc key is %T, want RSA of at least 2048 bits", pubAny)
	}
	if members["kid"] != k.KeyID || members["use"] != "enc" || members["alg"] != "RSA-OAEP-256" {
		t.Errorf("the enc JWK says %v", members)
	}
	payload := "{\"message\":\"jose-playground-response-hi\",\"method\":\"POST\"}\n\xff\x00"
	for _, hdr := range []map[string]any{{"kid": k.KeyID}, {}, {"kid": k.KeyID, "url": "/v1/x"}} {
		tok, err := indepEncryptJWE(pub, hdr, []byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		r := j.mustPipe(tok+"\n", "jose", "decrypt", "e1")
		if r.stdout != payload {
			t.Errorf("header %v: jose decrypt printed %q, want %q", hdr, r.stdout, payload)
		}
		j.e.expect(r, 0, "decrypted", "A256GCM")
	}

	// jose encrypt to the entry: opened by the independent side.
	priv, ok := j.privateKey("e1", "private_key").(*rsa.PrivateKey)
	if !ok {
		t.Fatal("the enc entry's private key is not RSA")
	}
	out := j.mustPipe(payload, "jose", "encrypt", "e1", "--url", "/v1/auth/jose/playground/jwe").stdout
	header, plain, err := indepDecryptJWE(strings.TrimSuffix(out, "\n"), priv)
	if err != nil || string(plain) != payload {
		t.Fatalf("the independent side cannot open jose encrypt's JWE: %v %q", err, plain)
	}
	if header["kid"] != k.KeyID || header["url"] != "/v1/auth/jose/playground/jwe" {
		t.Errorf("jose encrypt's header: %v", header)
	}

	// Refusals, each with nothing on stdout.
	good, _ := indepEncryptJWE(pub, map[string]any{"kid": k.KeyID}, []byte(payload))
	parts := strings.Split(good, ".")
	flipped := []byte(parts[3])
	flipped[0] = map[bool]byte{true: 'B', false: 'A'}[flipped[0] == 'A'] // still base64url
	otherEnc, _ := indepEncryptJWE(pub, map[string]any{"enc": "A128GCM"}, []byte(payload))
	zipped, _ := indepEncryptJWE(pub, map[string]any{"zip": "DEF"}, []byte(payload))
	otherAlg, _ := indepEncryptJWE(pub, map[string]any{"alg": "RSA-OAEP"}, []byte(payload))
	for _, c := range []struct {
		what, token string
		want        []string
	}{
		{"changed ciphertext", strings.Join([]string{parts[0], parts[1], parts[2], string(flipped), parts[4]}, "."), []string{"decrypt"}},
		{"A128GCM", otherEnc, []string{"content encryption"}},
		{"zip", zipped, []string{"compressed"}},
		{"RSA-OAEP (SHA-1)", otherAlg, []string{"algorithm"}},
		{"a JWS", j.sign0(t), []string{"malformed"}},
		{"not a token", "hello", []string{"malformed"}},
	} {
		r := j.pipe(c.token, "jose", "decrypt", "e1")
		j.e.expect(r, exitError, c.want...)
		if r.stdout != "" {
			t.Errorf("%s: jose decrypt printed %q", c.what, r.stdout)
		}
	}
}

// sign0 is a JWS of a throwaway signing key, for where a JWE is wanted.
func (j *joseRig) sign0(t *testing.T) string {
	t.Helper()
	j.keygen("s0", "sig")
	return j.sign("s0", "/v1/x", "x")
}

// TestJOSEPlaygroundsRoundTrip: keys made, uploaded and Wise's fetched,
// every playground answers with Wise's documented body, checked before
// it is shown, and says how it was made step by step.
func TestJOSEPlaygroundsRoundTrip(t *testing.T) {
	t.Parallel()
	j := newJOSERig(t, localwise.Config{})
	e := j.e
	sig := j.keygen("c1-sig", "sig")
	enc := j.keygen("c1-enc", "enc")
	// Before anything is uploaded or fetched, the playground says what is missing.
	e.expect(e.cmd("jose", "playground", "c1", "jws"), exitError)

	e.expect(e.cmd("jose", "upload", "c1-enc"), 0, "uploaded", enc.KeyID, "PAYLOAD_ENCRYPTION", "RSA-OAEP-256")
	for _, k := range []joseKey{sig} {
		r := e.cmd("jose", "upload", k.Entry, "--json")
		e.expect(r, 0)
		var up struct {
			KeyID     string `json:"key_id"`
			Scope     string `json:"scope"`
			Algorithm string `json:"algorithm"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &up); err != nil {
			t.Fatal(err)
		}
		wantScope := map[string]string{"sig": "PAYLOAD_SIGNING", "enc": "PAYLOAD_ENCRYPTION"}[k.Use]
		if up.KeyID != k.KeyID || up.Scope != wantScope {
			t.Errorf("upload %s --json: %+v; want key id %s, scope %s", k.Entry, up, k.KeyID, wantScope)
		}
	}
	// Wise refuses a key id it has: the same key is not uploaded twice.
	e.expect(e.cmd("jose", "upload", "c1-sig"), exitError, "409")

	r := e.cmd("jose", "wise-keys", "c1", "--json")
	e.expect(r, 0)
	var wk struct {
		Signing, Encryption struct {
			Scope, Algorithm string
			Version          int
			PublicKey        string `json:"public_key"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &wk); err != nil {
		t.Fatal(err)
	}
	if wk.Signing.Scope != "PAYLOAD_SIGNING" || wk.Signing.Algorithm != "ES512" || wk.Signing.Version < 1 ||
		wk.Encryption.Scope != "PAYLOAD_ENCRYPTION" || wk.Encryption.Algorithm != "RSA_OAEP_256" {
		t.Errorf("wise-keys --json: %+v", wk)
	}
	for _, k := range []string{wk.Signing.PublicKey, wk.Encryption.PublicKey} {
		der, err := base64.StdEncoding.DecodeString(k)
		if _, perr := x509.ParsePKIXPublicKey(der); err != nil || perr != nil {
			t.Errorf("wise-keys: a public key that is not base64 DER: %v %v", err, perr)
		}
	}
	text := e.must("jose", "wise-keys", "c1").stdout
	for _, want := range []string{"Signing:", "ES512", "Encryption:", "RSA_OAEP_256", wk.Signing.PublicKey, "Fetched:"} {
		if !strings.Contains(text, want) {
			t.Errorf("wise-keys: no %q in\n%s", want, text)
		}
	}

	for _, mode := range []string{"jws", "jwe", "jwe-get", "jwsjwe", "jwe-direct"} {
		msg := "round trip " + mode
		r := e.cmd("jose", "playground", "c1", mode, "--message", msg, "--json")
		e.expect(r, 0)
		var got struct {
			Mode, Method, Path string
			Status             int
			Steps              []struct {
				Step   string
				Header map[string]any
				Result string
			}
			Answer struct {
				Message, Method string
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("%s: %v\n%s", mode, err, r.stdout)
		}
		wantMethod, wantMsg := "POST", "jose-playground-response-"+msg
		if mode == "jwe-get" {
			wantMethod = "GET"
			wantMsg = "" // a GET sends no message
		}
		if got.Status != 200 || got.Method != wantMethod || got.Answer.Method != wantMethod || !strings.HasPrefix(got.Path, "/v1/auth/jose/playground/") || len(got.Steps) < 2 {
			t.Errorf("%s: %+v", mode, got)
		}
		if wantMsg != "" && got.Answer.Message != wantMsg {
			t.Errorf("%s: the answer's message is %q, want %q", mode, got.Answer.Message, wantMsg)
		}
		// The steps carry the headers the call used: the request's own key
		// id for what is signed, Wise's key version for what Wise signed.
		var kids []string
		for _, s := range got.Steps {
			if k, _ := s.Header["kid"].(string); k != "" {
				kids = append(kids, k)
			}
		}
		joined := strings.Join(kids, " ")
		if strings.Contains(mode, "jws") && !strings.Contains(joined, sig.KeyID) {
			t.Errorf("%s: no step names the signing key %s: %+v", mode, sig.KeyID, got.Steps)
		}
		if (mode == "jwe" || mode == "jwsjwe" || mode == "jwe-get") && !strings.Contains(joined, enc.KeyID) {
			t.Errorf("%s: no step names the encryption key %s the answer was encrypted to: %+v", mode, enc.KeyID, got.Steps)
		}
	}
	r = e.must("jose", "playground", "c1", "jwsjwe")
	for _, want := range []string{"Call:", "POST /v1/auth/jose/playground/jwsjwe", "X-TW-JOSE-Method: jws+jwe", "Status:      200", "header:", "jose-playground-response-hello from wisewallet"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("playground jwsjwe: no %q in\n%s", want, r.stdout)
		}
	}
	e.expect(r, 0, "round-tripped")

	// The response JWS of Wise verifies with Wise's key as stored: jose
	// verify CLIENT checks with it.
	e.expect(e.cmd("jose", "playground", "c1", "frob"), exitUsage, "jws, jwe")
	e.expect(e.cmd("jose", "playground", "c1", "jws", "--message", strings.Repeat("m", 101)), exitUsage, "100")

	// status and show count the keys down.
	var st []struct {
		Name     string `json:"name"`
		Expiries []struct {
			What string `json:"what"`
		} `json:"expiries"`
	}
	if err := json.Unmarshal([]byte(e.must("status", "--json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, s := range st {
		for _, x := range s.Expiries {
			if (s.Name == "c1-sig" || s.Name == "c1-enc") && x.What == "key validity" {
				found++
			}
		}
	}
	if found != 2 {
		t.Errorf("status --json has %d key validities for the two keys: %+v", found, st)
	}
	show := e.must("show", "c1-sig").stdout
	if !strings.Contains(show, sig.KeyID) || strings.Contains(show, "PRIVATE KEY") {
		t.Errorf("show c1-sig: the key id missing or the private key shown:\n%s", show)
	}
}

// TestJOSERefusals: each thing Wise would refuse is refused here with
// words that say what is wrong, a non-zero exit and nothing on stdout.
func TestJOSERefusals(t *testing.T) {
	t.Parallel()
	j := newJOSERig(t, localwise.Config{})
	e := j.e
	const url = "/v1/auth/jose/playground/jws"
	// Refused before anything is made (and before the passphrase counts).
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"jose", "keygen", "k", "--use", "sig", "--alg", "RS256", "--for", "c1"}, []string{"RS256", "PS256", "ES256"}},
		{[]string{"jose", "keygen", "k", "--use", "sig", "--alg", "HS256", "--for", "c1"}, []string{"HS256"}},
		{[]string{"jose", "keygen", "k", "--use", "sig", "--alg", "none", "--for", "c1"}, []string{"none"}},
		{[]string{"jose", "keygen", "k", "--use", "enc", "--alg", "RSA-OAEP", "--for", "c1"}, []string{"RSA-OAEP-256"}},
		{[]string{"jose", "keygen", "k", "--use", "enc", "--alg", "ES256", "--for", "c1"}, []string{"RSA-OAEP-256"}},
		{[]string{"jose", "keygen", "k", "--for", "c1"}, []string{"--use is required"}},
		{[]string{"jose", "keygen", "k", "--use", "sign", "--for", "c1"}, []string{"sig or enc"}},
		{[]string{"jose", "keygen", "k", "--use", "sig"}, []string{"--for CLIENT", "--env"}},
		{[]string{"jose", "keygen", "k", "--use", "sig", "--for", "c1", "--env", "sandbox"}, []string{"leave out --env"}},
		{[]string{"jose", "keygen", "k", "--use", "sig", "--for", "c1", "--valid-for", "-1h"}, []string{"--valid-for"}},
		{[]string{"jose", "sign", "k"}, []string{"--url is required"}},
		{[]string{"jose", "pubkey", "k", "--pem", "--der"}, []string{"one of --jwk, --pem and --der"}},
		{[]string{"jose", "rotate", "k", "--overlap", "-1s"}, []string{"--overlap"}},
	} {
		r := j.pipe("payload", c.args...)
		e.expect(r, exitUsage, c.want...)
		if r.stdout != "" {
			t.Errorf("%v printed %q", c.args, r.stdout)
		}
	}
	if names := e.names(); len(names) != 1 {
		t.Fatalf("entries after refused keygens: %v, want only c1", names)
	}

	s1 := j.keygen("s1", "sig")
	j.keygen("s2", "sig")
	pub, _ := j.publicKey("s1")
	tok := j.sign("s1", url, `{"message":"hi"}`)
	parts := strings.Split(tok, ".")

	// A changed signature, a changed payload.
	sig := []byte(parts[2])
	sig[3] = map[bool]byte{true: 'B', false: 'A'}[sig[3] == 'A']
	tamperedSig := parts[0] + "." + parts[1] + "." + string(sig)
	tamperedPayload := parts[0] + "." + b64.EncodeToString([]byte(`{"message":"ho"}`)) + "." + parts[2]
	// alg none, and HS256 keyed with the public key (the classic confusion).
	noneTok := b64.EncodeToString([]byte(`{"alg":"none","kid":"`+s1.KeyID+`","url":"`+url+`"}`)) + "." + parts[1] + "."
	hsHeader := b64.EncodeToString([]byte(`{"alg":"HS256","kid":"` + s1.KeyID + `","url":"` + url + `"}`))
	pemPub := []byte(e.must("jose", "pubkey", "s1", "--pem").stdout)
	mac := hmac.New(sha256.New, pemPub)
	mac.Write([]byte(hsHeader + "." + parts[1]))
	hsTok := hsHeader + "." + parts[1] + "." + b64.EncodeToString(mac.Sum(nil))
	// RS256 is not Wise's either, whatever the key.
	rsTok := b64.EncodeToString([]byte(`{"alg":"RS256","kid":"`+s1.KeyID+`"}`)) + "." + parts[1] + "." + parts[2]
	for _, c := range []struct {
		what, stdin string
		args        []string
		code        int
		want        []string
	}{
		{"tampered signature", tamperedSig, []string{"s1", "--url", url}, exitError, []string{"signature does not verify"}},
		{"tampered payload", tamperedPayload, []string{"s1"}, exitError, []string{"signature does not verify"}},
		{"wrong --url", tok, []string{"s1", "--url", "/v1/auth/jose/playground/jwe"}, exitError, []string{"url"}},
		{"unknown key id", tok, []string{"s2"}, exitError, []string{"key id"}},
		{"alg none", noneTok, []string{"s1"}, exitError, []string{"algorithm"}},
		{"HS256 with the public key", hsTok, []string{"s1"}, exitError, []string{"algorithm"}},
		{"RS256", rsTok, []string{"s1"}, exitError, []string{"algorithm"}},
		{"malformed", "this is not a token", []string{"s1"}, exitError, []string{"malformed"}},
		{"a JWE", strings.Repeat("a.", 4) + "a", []string{"s1"}, exitError, []string{"malformed"}},
		{"empty", "\n", []string{"s1"}, exitUsage, []string{"empty"}},
		{"oversized", strings.Repeat("a", 1<<20+10), []string{"s1"}, exitUsage, []string{"larger than 1024 KiB"}},
		{"unknown entry", tok, []string{"nope"}, exitError, []string{`"nope"`, "wisewallet list"}},
	} {
		r := j.pipe(c.stdin, append([]string{"jose", "verify"}, c.args...)...)
		e.expect(r, c.code, c.want...)
		if r.stdout != "" {
			t.Errorf("%s: jose verify printed %q", c.what, r.stdout)
		}
		if len(r.stderr) > 2000 {
			t.Errorf("%s: an error of %d bytes (is the token quoted?)", c.what, len(r.stderr))
		}
	}
	// The untouched token still verifies: the refusals above are about the changes.
	if _, _, err := indepVerifyJWS(tok, pub); err != nil {
		t.Fatal(err)
	}
	j.mustPipe(tok, "jose", "verify", "s1", "--url", url)

	// Entries of the wrong kind.
	e.expect(j.pipe("x", "jose", "sign", "c1", "--url", url), exitUsage, `"c1" is a client entry`)
	e.expect(j.pipe("x.x.x.x.x", "jose", "decrypt", "s1"), exitUsage, "signing (sig) key", "encryption (enc) key")
	e.expect(j.pipe("x", "jose", "sign", "nope", "--url", url), exitError, "wisewallet list")

	// An expired key signs nothing, verifies nothing and is not uploaded.
	// A key is valid for a minute at least, so its end is moved into the
	// past in the wallet itself, as the passage of time would.
	j.keygen("short", "sig", "--valid-for", "1m")
	shortTok := j.sign("short", url, "x")
	j.backdate("short", 2*time.Hour)
	e.expect(j.pipe("x", "jose", "sign", "short", "--url", url), exitError, "expired", "jose rotate short")
	r := j.pipe(shortTok, "jose", "verify", "short")
	e.expect(r, exitError, "validity")
	if r.stdout != "" {
		t.Errorf("an expired key's token verified: %q", r.stdout)
	}
	e.expect(e.cmd("jose", "upload", "short"), exitError, "expired", "jose rotate short")
}

// TestJOSERotateKeepsThePreviousKeyForTheOverlap: after a rotation the
// entry has a new key id; answers to the previous key decrypt during the
// overlap and no longer after it; the playground works with the new key.
func TestJOSERotateKeepsThePreviousKeyForTheOverlap(t *testing.T) {
	t.Parallel()
	j := newJOSERig(t, localwise.Config{})
	e := j.e
	j.keygen("c1-sig", "sig")
	old := j.keygen("c1-enc", "enc")
	oldPub, _ := j.publicKey("c1-enc")
	e.must("jose", "upload", "c1-sig")
	e.must("jose", "upload", "c1-enc")
	e.must("jose", "wise-keys", "c1")

	r := e.cmd("jose", "rotate", "c1-enc", "--overlap", "4s", "--json")
	e.expect(r, 0)
	var rot struct {
		Entry     string    `json:"entry"`
		KeyID     string    `json:"key_id"`
		Uploaded  bool      `json:"uploaded"`
		PrevKeyID string    `json:"previous_key_id"`
		RetiresAt time.Time `json:"previous_retires_at"`
		ValidFrom time.Time `json:"valid_from"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rot); err != nil {
		t.Fatal(err)
	}
	if rot.KeyID == old.KeyID || rot.PrevKeyID != old.KeyID || !rot.Uploaded || rot.RetiresAt.Sub(rot.ValidFrom) != 4*time.Second {
		t.Fatalf("rotate --json: %+v; want a new uploaded key, the old one retiring 4s after the new one's start", rot)
	}
	newPub, members := j.publicKey("c1-enc")
	if members["kid"] != rot.KeyID || newPub.(*rsa.PublicKey).Equal(oldPub) {
		t.Fatalf("after the rotation pubkey shows kid %v (want %s) or the same key", members["kid"], rot.KeyID)
	}
	show := e.must("show", "c1-enc").stdout
	if !strings.Contains(show, rot.KeyID) || !strings.Contains(show, old.KeyID) {
		t.Errorf("show during the overlap names not both keys:\n%s", show)
	}

	toOld, _ := indepEncryptJWE(oldPub.(*rsa.PublicKey), map[string]any{"kid": old.KeyID}, []byte("to the old key"))
	toNew, _ := indepEncryptJWE(newPub.(*rsa.PublicKey), map[string]any{"kid": rot.KeyID}, []byte("to the new key"))
	if got := j.mustPipe(toOld, "jose", "decrypt", "c1-enc").stdout; got != "to the old key" {
		t.Errorf("during the overlap the old key's JWE decrypted to %q", got)
	}
	if got := j.mustPipe(toNew, "jose", "decrypt", "c1-enc").stdout; got != "to the new key" {
		t.Errorf("the new key's JWE decrypted to %q", got)
	}
	// Wise encrypts to the new key now: the playground works throughout.
	e.must("jose", "playground", "c1", "jwe")

	time.Sleep(time.Until(rot.RetiresAt) + time.Second)
	r = j.pipe(toOld, "jose", "decrypt", "c1-enc")
	e.expect(r, exitError)
	if r.stdout != "" {
		t.Errorf("after the overlap the old key still decrypted: %q", r.stdout)
	}
	if got := j.mustPipe(toNew, "jose", "decrypt", "c1-enc").stdout; got != "to the new key" {
		t.Errorf("after the overlap the new key's JWE decrypted to %q", got)
	}
	e.must("jose", "playground", "c1", "jwsjwe")

	// A signing key not uploaded rotates without uploading, and says so.
	j.keygen("local-sig", "sig")
	e.expect(e.cmd("jose", "rotate", "local-sig"), 0, "jose upload local-sig")
}

// TestJOSEPrimitivesComposeWithCurl: the commands are enough to talk
// JOSE to Wise without this program's client: a body signed by `jose
// sign`, sent with curl, answered by a JWS that `jose verify CLIENT`
// checks with Wise's key; a body encrypted to Wise by `jose encrypt
// CLIENT`, answered by a JWE that `jose decrypt` opens.
func TestJOSEPrimitivesComposeWithCurl(t *testing.T) {
	t.Parallel()
	needTool(t, "curl")
	j := newJOSERig(t, localwise.Config{})
	e := j.e
	j.keygen("c1-sig", "sig")
	j.keygen("c1-enc", "enc")
	e.must("jose", "upload", "c1-sig")
	e.must("jose", "upload", "c1-enc")
	e.must("jose", "wise-keys", "c1")
	token := strings.TrimSpace(e.must("token", "c1").stdout)
	e.secrets = append(e.secrets, token)
	curl := func(method, path, joseMethod, body string) string {
		t.Helper()
		args := []string{"-sS", "--fail-with-body", "-X", method, "-H", "Authorization: Bearer " + token,
			"-H", "Accept: application/jose+json", "-H", "X-TW-JOSE-Method: " + joseMethod, "-H", "Accept-Encoding: identity"}
		if body != "" {
			args = append(args, "-H", "Content-Type: application/jose+json", "--data-binary", "@"+j.write("body", []byte(body)))
		}
		return runTool(t, e.root, "curl", append(args, j.api+path)...)
	}
	const jwsPath, jwePath = "/v1/auth/jose/playground/jws", "/v1/auth/jose/playground/jwe"
	signed := j.sign("c1-sig", jwsPath, `{"message":"by curl"}`)
	answer := curl("POST", jwsPath, "jws", signed)
	r := j.mustPipe(answer, "jose", "verify", "c1")
	if !strings.Contains(r.stdout, `"jose-playground-response-by curl"`) {
		t.Errorf("Wise's JWS answer verified to %q", r.stdout)
	}
	e.expect(r, 0, "version")
	// Wise's answer changed by one character is refused with Wise's key too.
	bad := []byte(strings.TrimSpace(answer))
	bad[len(bad)-2] ^= 1
	e.expect(j.pipe(string(bad), "jose", "verify", "c1"), exitError)

	encrypted := strings.TrimSpace(j.mustPipe(`{"message":"sealed"}`, "jose", "encrypt", "c1", "--url", jwePath).stdout)
	answer = curl("POST", jwePath, "jwe", encrypted)
	if got := j.mustPipe(answer, "jose", "decrypt", "c1-enc").stdout; !strings.Contains(got, `"jose-playground-response-sealed"`) {
		t.Errorf("Wise's JWE answer decrypted to %q", got)
	}
	answer = curl("GET", jwePath, "jwe", "")
	if got := j.mustPipe(answer, "jose", "decrypt", "c1-enc").stdout; !strings.Contains(got, `"GET"`) {
		t.Errorf("Wise's JWE answer to a GET decrypted to %q", got)
	}
}

// execIn runs a command in dir and returns its combined output.
func execIn(dir string, argv ...string) (string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// A key made for an environment alone (no client) is linked later, and
// only then uploads: localwise then holds exactly that key for the client.
func TestJOSELinkThenUpload(t *testing.T) {
	j := newJOSERig(t, localwise.Config{})
	r := j.e.cmd("jose", "keygen", "loose", "--use", "sig", "--env", "local", "--api-url", j.api, "--json")
	j.e.expect(r, 0)
	var k joseKey
	if err := json.Unmarshal([]byte(r.stdout), &k); err != nil {
		t.Fatalf("jose keygen --json: %v\n%s", err, r.stdout)
	}
	if r := j.e.cmd("jose", "upload", "loose"); r.code != exitUsage || !strings.Contains(r.stderr, "jose link loose CLIENT") {
		t.Fatalf("%s", j.e.describe(r, "exit 2 naming 'jose link loose CLIENT'"))
	}
	r = j.e.cmd("jose", "link", "loose", "c1")
	j.e.expect(r, 0)
	if !strings.Contains(r.stderr, `Linked "loose" to client "c1"`) || !strings.Contains(r.stderr, "jose upload loose") {
		t.Errorf("link said %q; want the link and the upload still to do", r.stderr)
	}
	j.e.expect(j.e.cmd("jose", "upload", "loose"), 0)
	var found bool
	for _, uk := range j.srv.ClientJOSEKeys(j.srv.Demo().ClientID) {
		found = found || uk.KeyID == k.KeyID && uk.Active
	}
	if !found {
		t.Errorf("localwise does not hold the linked key %s as active: %+v", k.KeyID, j.srv.ClientJOSEKeys(j.srv.Demo().ClientID))
	}
	for _, bad := range [][]string{{"jose", "link", "loose"}, {"jose", "link", "nope", "c1"}, {"jose", "link", "loose", "nope"}, {"jose", "link", "c1", "c1"}} {
		if r := j.e.cmd(bad...); r.code == 0 {
			t.Errorf("%v: exit 0, want a refusal", bad)
		}
	}
}
