package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wisewallet/wisewallet/crypto"
	"github.com/wisewallet/wisewallet/flows"
	"github.com/wisewallet/wisewallet/wallet"
)

// The JOSE commands: signing and encryption key pairs made in the wallet
// and uploaded to Wise for an OAuth client, Wise's own keys fetched, and
// payloads signed, verified, encrypted and decrypted by Wise's rules, so
// that nobody has to assemble a JOSE header by hand. Payloads and tokens
// go through standard input and output, never arguments; the private keys
// never leave the wallet but through 'show --reveal'.

func (inv *invocation) joseCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "jose",
		Short: "JOSE: signing and encryption keys, Wise's keys, JWS and JWE, the playground",
		Long: "Wise signs (JWS) and encrypts (JWE) request and response bodies for the calls that need it. A\n" +
			"signing key (ES256 by default) signs your requests and Wise checks them with its public half; an\n" +
			"encryption key (RSA, RSA-OAEP-256 + A256GCM) is what Wise encrypts its answers to. 'jose keygen'\n" +
			"makes either in the wallet, 'jose upload' registers its public key for the OAuth client,\n" +
			"'jose wise-keys' fetches Wise's own keys, and 'jose playground' proves the whole round trip.",
		Example: `  wisewallet jose keygen acme-sig --use sig --for acme-app
  wisewallet jose keygen acme-enc --use enc --for acme-app
  wisewallet jose upload acme-sig && wisewallet jose upload acme-enc
  wisewallet jose wise-keys acme-app
  wisewallet jose playground acme-app jwsjwe`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing command; usage: %s", usageLine(c))
			}
			return usagef("unknown jose command %q; usage: %s", args[0], usageLine(c))
		},
	}
	c.AddCommand(inv.joseKeygenCommand(), inv.josePubkeyCommand(), inv.joseUploadCommand(), inv.joseRotateCommand(),
		inv.joseWiseKeysCommand(), inv.joseSignCommand(), inv.joseVerifyCommand(), inv.joseEncryptCommand(),
		inv.joseDecryptCommand(), inv.josePlaygroundCommand(), inv.joseLinkCommand())
	return c
}

// joseLinkCommand links a key made with --env (or for another client) to
// the OAuth client it serves. Wise keeps uploaded keys per client, so a key
// moved to another client counts as not uploaded until it is uploaded again.
func (inv *invocation) joseLinkCommand() *cobra.Command {
	return &cobra.Command{
		Use:               "link NAME CLIENT",
		Short:             "Link a jose entry to the OAuth client it serves",
		Example:           `  wisewallet jose link acme-jose-sig acme-app`,
		Args:              positional(2, 2),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindJOSE),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			e, err := svc.JOSELink(c.Context(), args[0], args[1])
			if err != nil {
				return withListHint(err)
			}
			state := "uploaded"
			if !e.Uploaded {
				state = fmt.Sprintf("not uploaded yet: 'wisewallet jose upload %s'", e.Name)
			}
			fmt.Fprintf(inv.sio.stderr, "Linked %q to client %q (%s).\n", e.Name, e.LinkedTo, state)
			return nil
		},
	}
}

func (inv *invocation) joseKeygenCommand() *cobra.Command {
	var o joseKeygenOptions
	c := &cobra.Command{
		Use:   "keygen NAME --use sig|enc",
		Short: "Make a JOSE signing or encryption key pair, kept as the jose entry NAME",
		Long: "Make a key pair by Wise's rules: a signing key (--use sig) is ES256 unless --alg says ES384,\n" +
			"ES512, PS256, PS384 or PS512 (RS256 is not one Wise takes); an encryption key (--use enc) is RSA\n" +
			"2048 for RSA-OAEP-256 + A256GCM (--type rsa3072 or rsa4096 for bigger). It gets a random key id\n" +
			"and a validity (--valid-for, a year by default), which the dashboard counts down.",
		Example: `  wisewallet jose keygen acme-sig --use sig --for acme-app
  wisewallet jose keygen acme-sig --use sig --alg PS256 --for acme-app --valid-for 2160h
  wisewallet jose keygen acme-enc --use enc --for acme-app --type rsa3072`,
		Args: positional(1, 1),
		RunE: func(c *cobra.Command, args []string) error {
			return cmdJOSEKeygen(c.Context(), inv.sio, usageLine(c), args[0], o)
		},
	}
	c.Flags().StringVar(&o.use, "use", "", "sig (signs requests) or enc (Wise encrypts answers to it): required")
	c.Flags().StringVar(&o.alg, "alg", "", "algorithm: ES256 (default for sig), ES384, ES512, PS256, PS384, PS512; RSA-OAEP-256 for enc")
	c.Flags().StringVar(&o.keyType, "type", "", "RSA key size for PS* and enc: rsa2048 (default), rsa3072 or rsa4096")
	c.Flags().DurationVar(&o.validFor, "valid-for", 0, "how long the key is valid from now (default a year, 8760h)")
	c.Flags().StringVar(&o.client, "for", "", "the OAuth client entry the key serves")
	c.Flags().StringVar(&o.env, "env", "", "sandbox, production or local, without --for")
	c.Flags().StringVar(&o.apiURL, "api-url", "", "API base URL, with --env local")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print the entry as JSON")
	return c
}

type joseKeygenOptions struct {
	use, alg, keyType, client, env, apiURL string
	validFor                               time.Duration
	asJSON                                 bool
}

// joseKeyJSON is what keygen prints with --json.
type joseKeyJSON struct {
	Entry     string     `json:"entry"`
	Client    string     `json:"client,omitempty"`
	Env       string     `json:"env"`
	Use       string     `json:"use"`
	Algorithm string     `json:"algorithm"`
	KeyType   string     `json:"key_type"`
	KeyID     string     `json:"key_id"`
	ValidFrom *time.Time `json:"valid_from"`
	ValidTill *time.Time `json:"valid_till"`
	Uploaded  bool       `json:"uploaded"`
}

func cmdJOSEKeygen(ctx context.Context, sio *cliIO, usage, name string, o joseKeygenOptions) error {
	if err := wallet.ValidateName(name); err != nil {
		return usagef("%v", err)
	}
	switch o.use {
	case flows.JOSEUseSig, flows.JOSEUseEnc:
	case "":
		return usagef("--use is required: sig (a key that signs requests) or enc (a key Wise encrypts answers to) (usage: %s)", usage)
	default:
		return usagef("--use %q: use sig or enc (usage: %s)", o.use, usage)
	}
	if o.client == "" && o.env == "" {
		return usagef("--for CLIENT (the OAuth client entry it serves) or --env is required (usage: %s)", usage)
	}
	if o.client != "" && (o.env != "" || o.apiURL != "") {
		return usagef("--for takes the client's environment: leave out --env and --api-url (usage: %s)", usage)
	}
	if o.validFor < 0 {
		return usagef("--valid-for %s: give a positive duration such as 720h (30 days)", o.validFor)
	}
	if o.alg != "" {
		// Checked before the wallet is unlocked: RS256, none or HS256
		// cost no passphrase.
		if _, err := crypto.ParseJOSEAlg(o.use, o.alg); err != nil {
			return &flows.InputError{Input: flows.InputJOSEAlg, Value: o.alg, Reason: err}
		}
	}
	in := flows.JOSEKeyInput{Name: name, Use: o.use, Alg: o.alg, KeyType: o.keyType, ValidFor: o.validFor, For: o.client, Env: o.env, APIURL: o.apiURL}
	svc, err := sio.openService(ctx)
	if err != nil {
		return err
	}
	what := "signing"
	if o.use == flows.JOSEUseEnc {
		what = "encryption"
	}
	stop := slowProgress(sio.stderr, time.Second, fmt.Sprintf("Generating the %s key; this can take several seconds…", what))
	e, err := svc.JOSEKeygen(ctx, in)
	stop()
	if err != nil {
		return joseHint(withListHint(err), name)
	}
	if o.asJSON {
		return writeJSON(sio.stdout, joseKeyJSON{Entry: e.Name, Client: e.LinkedTo, Env: string(e.Env.Name), Use: o.use, Algorithm: e.Algorithm,
			KeyType: e.KeyType, KeyID: e.KeyID, ValidFrom: e.ValidFrom, ValidTill: e.ValidTill, Uploaded: e.Uploaded})
	}
	w := sio.stderr
	article := "a"
	if strings.HasPrefix(e.Algorithm, "E") || strings.HasPrefix(e.Algorithm, "R") {
		article = "an" // an ES256, an RSA-OAEP-256 key
	}
	fmt.Fprintf(w, "Made %s %s %s key for %q (%s", article, e.Algorithm, what, e.Name, envLabel(string(e.Env.Name)))
	if e.LinkedTo != "" {
		fmt.Fprintf(w, ", client %q", e.LinkedTo)
	}
	fmt.Fprintf(w, "): key id %s, valid until %s. The private key stays in the wallet.\n", e.KeyID, timeLabel(e.ValidTill))
	fmt.Fprintf(w, "Next:\n  wisewallet jose upload %s        # register the public key with Wise\n", e.Name)
	fmt.Fprintf(w, "  wisewallet jose pubkey %s --pem  # or hand it over yourself (--jwk, --der)\n", e.Name)
	return nil
}

// timeLabel is t as the messages show it.
func timeLabel(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "(no date)"
	}
	return flows.ShowTime(*t, time.Local)
}

func (inv *invocation) josePubkeyCommand() *cobra.Command {
	var asJWK, asPEM, asDER bool
	c := &cobra.Command{
		Use:   "pubkey NAME [--jwk|--pem|--der]",
		Short: "Print a jose entry's public key: JWK (default), PEM, or the base64 DER Wise's upload takes",
		Example: `  wisewallet jose pubkey acme-sig > acme-sig.jwk
  wisewallet jose pubkey acme-sig --pem > acme-sig.pem
  wisewallet jose pubkey acme-enc --der   # the keyMaterial of Wise's upload`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindJOSE),
		RunE: func(c *cobra.Command, args []string) error {
			format := "jwk"
			n := 0
			for f, on := range map[string]bool{"jwk": asJWK, "pem": asPEM, "der": asDER} {
				if on {
					format, n = f, n+1
				}
			}
			if n > 1 {
				return usagef("give one of --jwk, --pem and --der (usage: %s)", usageLine(c))
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			b, err := svc.JOSEPublicKey(args[0], format)
			if err != nil {
				return joseHint(withListHint(err), args[0])
			}
			return writeLine(inv.sio.stdout, b)
		},
	}
	c.Flags().BoolVar(&asJWK, "jwk", false, "a JSON Web Key with kid, alg and use (the default)")
	c.Flags().BoolVar(&asPEM, "pem", false, "a PEM PUBLIC KEY block (SPKI)")
	c.Flags().BoolVar(&asDER, "der", false, "the base64 DER (SPKI) that Wise's key upload and key answers carry")
	return c
}

// writeLine writes b ending with exactly one newline.
func writeLine(w io.Writer, b []byte) error {
	if _, err := w.Write(bytes.TrimRight(b, "\n")); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func (inv *invocation) joseUploadCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "upload NAME",
		Short: "Register a jose entry's public key with Wise for its OAuth client",
		Long: "POST /v1/auth/jose/request/public-keys with the client's client-credentials token: the key id,\n" +
			"the scope (PAYLOAD_SIGNING or PAYLOAD_ENCRYPTION), the validity and the public key.",
		Example: `  wisewallet jose upload acme-sig
  wisewallet jose upload acme-enc --json`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindJOSE),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			u, err := svc.JOSEUpload(c.Context(), args[0])
			if err != nil {
				return joseHint(withListHint(err), args[0])
			}
			if asJSON {
				return writeJSON(inv.sio.stdout, u)
			}
			fmt.Fprintf(inv.sio.stderr, "Uploaded the public key of %q for client %q: key id %s, %s, %s, valid %s to %s.\n",
				u.Entry, u.Client, u.KeyID, u.Scope, u.Algorithm, timeLabel(&u.ValidFrom), timeLabel(&u.ValidTill))
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print what was uploaded as JSON")
	return c
}

func (inv *invocation) joseRotateCommand() *cobra.Command {
	var overlap time.Duration
	var asJSON bool
	c := &cobra.Command{
		Use:   "rotate NAME [--overlap D]",
		Short: "Make a new key in a jose entry; the old one keeps working beside it for the overlap",
		Long: "Make a new key pair with a new key id in the entry and upload it when the current one was\n" +
			"uploaded. The current key stays the entry's previous key until the overlap after the new key's\n" +
			"start (Wise deactivates it then too); answers encrypted to either key decrypt meanwhile.",
		Example: `  wisewallet jose rotate acme-sig
  wisewallet jose rotate acme-enc --overlap 72h --json`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindJOSE),
		RunE: func(c *cobra.Command, args []string) error {
			if overlap < 0 {
				return usagef("--overlap %s: give a positive duration such as 24h", overlap)
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			stop := slowProgress(inv.sio.stderr, time.Second, "Generating the new key; this can take several seconds…")
			r, err := svc.JOSERotate(c.Context(), args[0], overlap)
			stop()
			if err != nil {
				return joseHint(withListHint(err), args[0])
			}
			if asJSON {
				return writeJSON(inv.sio.stdout, r)
			}
			w := inv.sio.stderr
			fmt.Fprintf(w, "Rotated %q: new key id %s, valid until %s", r.Entry, r.KeyID, timeLabel(&r.ValidTill))
			if r.Uploaded {
				fmt.Fprint(w, ", uploaded to Wise")
			}
			fmt.Fprintf(w, ".\nThe previous key %s keeps working until %s, then it is retired.\n", r.PrevKeyID, timeLabel(&r.RetiresAt))
			if !r.Uploaded {
				fmt.Fprintf(w, "Next: wisewallet jose upload %s\n", r.Entry)
			}
			return nil
		},
	}
	c.Flags().DurationVar(&overlap, "overlap", flows.DefaultJOSEOverlap, "how long the previous key keeps working after the new key's start")
	c.Flags().BoolVar(&asJSON, "json", false, "print the rotation as JSON")
	return c
}

func (inv *invocation) joseWiseKeysCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "wise-keys CLIENT",
		Short: "Fetch Wise's signing and encryption public keys for a client, store and show them",
		Long: "GET /v1/auth/jose/response/public-keys for both scopes, with the client's client-credentials\n" +
			"token. The keys are kept in the client entry with their versions: Wise's answers are verified\n" +
			"with the signing key and requests are encrypted to the encryption key. When a check fails with\n" +
			"them, they are fetched again once, as Wise advises.",
		Example: `  wisewallet jose wise-keys acme-app
  wisewallet jose wise-keys acme-app --json | jq -r .signing.public_key`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindClient),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			k, err := svc.JOSEWiseKeys(c.Context(), args[0])
			if err != nil {
				return joseHint(withListHint(err), args[0])
			}
			if asJSON {
				return writeJSON(inv.sio.stdout, k)
			}
			tw := tabwriter.NewWriter(inv.sio.stdout, 0, 4, 2, ' ', 0)
			for _, x := range []struct {
				what string
				key  flows.WiseKeyView
			}{{"Signing", k.Signing}, {"Encryption", k.Encryption}} {
				fmt.Fprintf(tw, "%s:\t%s, %s, version %d\n", x.what, x.key.Scope, x.key.Algorithm, x.key.Version)
				fmt.Fprintf(tw, "\t%s\n", x.key.PublicKey)
			}
			fmt.Fprintf(tw, "Fetched:\t%s\n", timeLabel(&k.FetchedAt))
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(inv.sio.stderr, "Stored Wise's keys in %q.\n", k.Client)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the keys as JSON")
	return c
}

func (inv *invocation) joseSignCommand() *cobra.Command {
	var url string
	c := &cobra.Command{
		Use:   "sign NAME --url PATH",
		Short: "Sign the payload on standard input: the compact JWS on standard output, nothing else",
		Long: "Sign standard input, byte for byte, with the jose signing entry NAME. The protected header holds\n" +
			"the algorithm, the key id and the url Wise checks against the call: --url is the request's path\n" +
			"(with its query, if any), not the full URL.",
		Example: `  printf '{"message":"hi"}' | wisewallet jose sign acme-sig --url /v1/auth/jose/playground/jws
  wisewallet jose sign acme-sig --url /v3/profiles/1/transfers < body.json > body.jws`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindJOSE),
		RunE: func(c *cobra.Command, args []string) error {
			if url == "" {
				return usagef("--url is required: the request's path, such as /v1/auth/jose/playground/jws (usage: %s)", usageLine(c))
			}
			payload, err := readJOSEInput(inv.sio, "payload")
			if err != nil {
				return err
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			tok, err := svc.JOSESign(args[0], url, payload)
			if err != nil {
				return joseHint(withListHint(err), args[0])
			}
			return writeLine(inv.sio.stdout, []byte(tok))
		},
	}
	c.Flags().StringVar(&url, "url", "", "the request's path for the url header: required")
	return c
}

func (inv *invocation) joseVerifyCommand() *cobra.Command {
	var url string
	c := &cobra.Command{
		Use:   "verify NAME [--url PATH]",
		Short: "Verify the compact JWS on standard input: its payload on standard output",
		Long: "Verify a compact JWS with the key of the jose signing entry NAME, or, when NAME is an OAuth\n" +
			"client, with Wise's signing key (a response from Wise). With --url the token's url header must be\n" +
			"that path. Nothing is printed on standard output unless every check holds.",
		Example: `  wisewallet jose sign acme-sig --url /v1/x < body.json | wisewallet jose verify acme-sig --url /v1/x
  curl ... | wisewallet jose verify acme-app   # a JWS answer from Wise`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindJOSE, wallet.KindClient),
		RunE: func(c *cobra.Command, args []string) error {
			tok, err := readJOSEToken(inv.sio, "JWS")
			if err != nil {
				return err
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			payload, h, err := svc.JOSEVerify(c.Context(), args[0], url, tok)
			if err != nil {
				return joseHint(withListHint(err), args[0])
			}
			if _, err := inv.sio.stdout.Write(payload); err != nil {
				return err
			}
			fmt.Fprintf(inv.sio.stderr, "Verified: %s.\n", headerLabel(h))
			return nil
		},
	}
	c.Flags().StringVar(&url, "url", "", "the path the token's url header must hold")
	return c
}

func (inv *invocation) joseEncryptCommand() *cobra.Command {
	var url string
	c := &cobra.Command{
		Use:   "encrypt NAME [--url PATH]",
		Short: "Encrypt the payload on standard input (RSA-OAEP-256 + A256GCM): the compact JWE on standard output",
		Long: "Encrypt standard input to Wise's encryption key when NAME is an OAuth client (its key as 'jose\n" +
			"wise-keys' stored it), or to the key of the jose encryption entry NAME. --url puts the request's\n" +
			"path in the protected header, as Wise's own examples do.",
		Example: `  wisewallet jose encrypt acme-app --url /v1/auth/jose/playground/jwe < body.json > body.jwe
  printf secret | wisewallet jose encrypt acme-enc | wisewallet jose decrypt acme-enc`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindClient, wallet.KindJOSE),
		RunE: func(c *cobra.Command, args []string) error {
			payload, err := readJOSEInput(inv.sio, "payload")
			if err != nil {
				return err
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			tok, err := svc.JOSEEncrypt(c.Context(), args[0], url, payload)
			if err != nil {
				return joseHint(withListHint(err), args[0])
			}
			return writeLine(inv.sio.stdout, []byte(tok))
		},
	}
	c.Flags().StringVar(&url, "url", "", "the request's path for the url header")
	return c
}

func (inv *invocation) joseDecryptCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "decrypt NAME",
		Short: "Decrypt the compact JWE on standard input with a jose encryption entry: the payload on standard output",
		Long: "Decrypt a compact JWE (RSA-OAEP-256 + A256GCM only; compressed tokens are refused) with the key\n" +
			"of the jose encryption entry NAME, or with its previous key while a rotation overlaps.",
		Example: `  wisewallet jose decrypt acme-enc < answer.jwe | jq .
  curl ... | wisewallet jose decrypt acme-enc   # a JWE answer from Wise`,
		Args:              positional(1, 1),
		ValidArgsFunction: inv.completeEntryNames(wallet.KindJOSE),
		RunE: func(c *cobra.Command, args []string) error {
			tok, err := readJOSEToken(inv.sio, "JWE")
			if err != nil {
				return err
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			payload, h, err := svc.JOSEDecrypt(args[0], tok)
			if err != nil {
				return joseHint(withListHint(err), args[0])
			}
			if _, err := inv.sio.stdout.Write(payload); err != nil {
				return err
			}
			fmt.Fprintf(inv.sio.stderr, "Decrypted: %s.\n", headerLabel(h))
			return nil
		},
	}
}

// headerLabel is a protected header for a message: what was checked.
func headerLabel(h flows.JOSEHeaderView) string {
	parts := []string{h.Alg}
	if h.Enc != "" {
		parts = append(parts, h.Enc)
	}
	if h.KeyID != "" {
		parts = append(parts, "key id "+h.KeyID)
	}
	if h.Version != 0 {
		parts = append(parts, fmt.Sprintf("Wise key version %d", h.Version))
	}
	if h.URL != "" {
		parts = append(parts, "url "+h.URL)
	}
	return strings.Join(parts, ", ")
}

func (inv *invocation) josePlaygroundCommand() *cobra.Command {
	var message string
	var asJSON bool
	c := &cobra.Command{
		Use:   "playground CLIENT MODE",
		Short: "Call Wise's JOSE playground (jws, jwe, jwe-get, jwsjwe or jwe-direct) and check the answer",
		Long: "Call /v1/auth/jose/playground/... with the client's token and JOSE keys, and show each step:\n" +
			"jws signs the request and verifies the signed answer; jwe encrypts it to Wise's key and decrypts\n" +
			"the answer with the client's encryption key (jwe-get: a GET, only the answer encrypted); jwsjwe\n" +
			"signs, then encrypts, both ways; jwe-direct encrypts the request, and the answer comes back\n" +
			"encrypted with the request's own content key (as SCA PIN calls do). Needs the client's jose keys\n" +
			"uploaded and Wise's keys fetched.",
		Example: `  wisewallet jose playground acme-app jws
  wisewallet jose playground acme-app jwsjwe --message "hello Wise"
  wisewallet jose playground acme-app jwe-direct --json | jq .answer`,
		Args: positional(2, 2),
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return inv.completeEntryNames(wallet.KindClient)(c, args, toComplete)
			}
			if len(args) == 1 {
				return flows.PlaygroundModes, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			mode := args[1]
			if !slices.Contains(flows.PlaygroundModes, mode) {
				return usagef("unknown playground %q: use %s (usage: %s)", mode, strings.Join(flows.PlaygroundModes, ", "), usageLine(c))
			}
			if n := len([]rune(message)); n > maxPlaygroundMessage {
				return usagef("--message has %d characters; Wise's playground takes at most %d", n, maxPlaygroundMessage)
			}
			svc, err := inv.sio.openService(c.Context())
			if err != nil {
				return err
			}
			r, err := svc.JOSEPlayground(c.Context(), args[0], mode, message)
			if err != nil {
				return joseHint(withListHint(err), args[0])
			}
			if asJSON {
				return writeJSON(inv.sio.stdout, r)
			}
			return printPlayground(inv.sio, r)
		},
	}
	c.Flags().StringVar(&message, "message", "hello from wisewallet", "the message sent (at most 100 characters)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the steps and the answer as JSON")
	return c
}

// maxPlaygroundMessage is the longest message Wise's playground takes.
const maxPlaygroundMessage = 100

func printPlayground(sio *cliIO, r flows.JOSEPlaygroundResult) error {
	w := sio.stdout
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Call:\t%s %s (X-TW-JOSE-Method: %s)\n", r.Method, r.Path, joseMethodOf(r.Mode))
	fmt.Fprintf(tw, "Status:\t%d\n", r.Status)
	fmt.Fprintf(tw, "x-trace-id:\t%s\n", orNone(r.TraceID))
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, s := range r.Steps {
		fmt.Fprintf(w, "%d. %s\n", i+1, s.Step)
		if s.Header != (flows.JOSEHeaderView{}) {
			h, _ := json.Marshal(s.Header)
			fmt.Fprintf(w, "   header: %s\n", h)
		}
		if s.Result != "" {
			fmt.Fprintf(w, "   result: %s\n", shortToken(s.Result))
		}
	}
	fmt.Fprintf(w, "Answer:\n%s\n", indentJSON(r.Answer))
	fmt.Fprintf(sio.stderr, "The %s playground of %q round-tripped: the answer was checked before it was shown.\n", r.Mode, r.Client)
	return nil
}

// joseMethodOf is the X-TW-JOSE-Method header of a playground mode.
func joseMethodOf(mode string) string {
	switch mode {
	case flows.PlaygroundJWS:
		return "jws"
	case flows.PlaygroundJWSJWE:
		return "jws+jwe"
	}
	return "jwe"
}

// shortToken shortens a compact token for the text view (--json has it
// whole): its start, and how long it is.
func shortToken(s string) string {
	const keep = 60
	if len(s) <= keep+20 || strings.ContainsAny(s, " {") {
		return s
	}
	return fmt.Sprintf("%s… (%d characters, %d parts)", s[:keep], len(s), strings.Count(s, ".")+1)
}

// readJOSEInput reads what is to be signed or encrypted from standard
// input, byte for byte, up to crypto.MaxJOSEInput.
func readJOSEInput(sio *cliIO, what string) ([]byte, error) {
	if sio.stdinIsTerminal() {
		fmt.Fprintf(sio.stderr, "Type or paste the %s, then Ctrl-D:\n", what)
	}
	b, err := io.ReadAll(io.LimitReader(sio.stdin, crypto.MaxJOSEInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading the %s from standard input: %w", what, err)
	}
	if len(b) > crypto.MaxJOSEInput {
		return nil, usagef("the %s on standard input is larger than %d KiB, the most a JOSE body may be here", what, crypto.MaxJOSEInput>>10)
	}
	if len(b) == 0 {
		return nil, usagef("the %s on standard input is empty: pipe or redirect it in", what)
	}
	return b, nil
}

// readJOSEToken reads a compact token from standard input; the spaces
// and line ends around it (a file, a terminal paste) are not part of it.
func readJOSEToken(sio *cliIO, what string) ([]byte, error) {
	b, err := readJOSEInput(sio, what)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, usagef("the %s on standard input is empty: pipe or redirect it in", what)
	}
	return b, nil
}
