#!/usr/bin/env bash
# Whole-process timing of `wisewallet sca sign` (a one-time token signed
# with a legacy RSA-2048 SCA key, SHA256withRSA, standard base64) against
# `openssl dgst -sha256 -sign` signing the same token with the same key, in
# one hyperfine run, reported as a ratio. openssl reads the key from a PEM
# file and signs; wisewallet also unlocks the wallet, opens the key sealed
# in it, checks the token's shape and base64-encodes the signature, so its
# row runs on a wallet with a test-strength KDF (the work itself) and on one
# unlocked by the OS keyring (keyctl), where the machine allows it. Each row
# goes through `sh -c 'exec ...'`, so all pay the same shell start. PKCS #1
# v1.5 is deterministic: both signatures are checked to be the same bytes,
# and to verify with the key `sca pubkey` prints, before anything is timed.
# Needs hyperfine, openssl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/wisewallet" .
ww="$tmp/wisewallet"
export WISEWALLET_KEYRING=none
w() { WISEWALLET_DIR="$tmp/w" WISEWALLET_PASSPHRASE=bench-passphrase "$ww" "$@"; }
# A wallet with an offline sandbox personal token and its SCA key.
w init --kdf-time 1 --kdf-memory 8 --kdf-threads 1 --insecure-kdf 2>/dev/null
echo bench-token | w add personal me --env sandbox --no-check 2>/dev/null
w sca keygen me-sca --for me --bits 2048 2>/dev/null
# The same key for openssl: the entry's private key, as show --reveal gives it.
w show me-sca --reveal --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secrets"]["private_key"], end="")' >"$tmp/key.pem"
chmod 600 "$tmp/key.pem"
w sca pubkey me-sca >"$tmp/pub.pem"
# The same bytes: a one-time token as Wise sends it in x-2fa-approval.
ott=$(python3 -c 'import uuid; print(uuid.uuid4())')
printf '%s' "$ott" >"$tmp/ott.txt"
openssl dgst -sha256 -sign "$tmp/key.pem" -out "$tmp/o.sig" "$tmp/ott.txt"
w sca sign me-sca "$ott" | base64 -d >"$tmp/w.sig"
cmp -s "$tmp/o.sig" "$tmp/w.sig" || { echo "sca sign and openssl made different signatures" >&2; exit 1; }
openssl dgst -sha256 -verify "$tmp/pub.pem" -signature "$tmp/w.sig" "$tmp/ott.txt" >/dev/null
pw="env WISEWALLET_DIR=$tmp/w WISEWALLET_PASSPHRASE=bench-passphrase WISEWALLET_KEYRING=none"
cmds=(
  "sh -c 'exec openssl dgst -sha256 -sign $tmp/key.pem -out $tmp/o.sig < $tmp/ott.txt'"
  "sh -c 'exec $pw $ww sca sign me-sca $ott > $tmp/w.b64'"
)
# The floor of each: the process start with nothing to do.
cmds+=("sh -c 'exec openssl version'" "sh -c 'exec $ww --version'")
if WISEWALLET_DIR="$tmp/w" WISEWALLET_PASSPHRASE=bench-passphrase WISEWALLET_KEYRING=keyctl "$ww" keyring enable 2>/dev/null; then
  kr="env -u WISEWALLET_PASSPHRASE WISEWALLET_DIR=$tmp/w WISEWALLET_KEYRING=keyctl"
  cmds+=("sh -c 'exec $kr $ww sca sign me-sca $ott > $tmp/k.b64'")
fi
hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$tmp/out.json" "${cmds[@]}" >/dev/null
python3 - "$tmp/out.json" "$tmp" "$ww" "$ott" <<'PY'
import json, re, statistics, sys
data, tmp, ww, ott = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
rows = data["results"]
med = lambda r: statistics.median(r["times"]) * 1000
print("| command | median ms | ratio to openssl |")
print("|---|---:|---:|")
for r in rows:
    cmd = r["command"].replace(ww, "wisewallet").replace(tmp + "/", "").replace(ott, "OTT").replace("sh -c 'exec ", "").rstrip("'")
    how = " (keyring-unlocked)" if "keyctl" in cmd else " (passphrase, test-strength KDF)" if "PASSPHRASE=" in cmd else ""
    cmd = re.sub(r"^env (-u \S+ )?(\S+=\S+ )+", "", cmd).split(" < ")[0].split(" > ")[0]
    base = rows[2] if cmd.endswith("version") else rows[0]
    print(f"| `{cmd}`{how} | {med(r):.1f} | {med(r) / med(base):.2f} |")
PY
WISEWALLET_DIR="$tmp/w" WISEWALLET_KEYRING=keyctl WISEWALLET_PASSPHRASE=bench-passphrase "$ww" keyring disable 2>/dev/null || true
