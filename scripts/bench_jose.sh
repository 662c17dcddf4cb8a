#!/usr/bin/env bash
# Whole-process timing of `wisewallet jose sign` (ES256) against
# `openssl dgst -sha256 -sign` signing the same bytes with the same key, in
# one hyperfine run, reported as a ratio. openssl reads the key from a PEM
# file and signs; wisewallet also unlocks the wallet, opens the key sealed
# in it and builds the JWS (header, base64url, r||s), so its row runs on a
# wallet with a test-strength KDF (the work itself) and on one unlocked by
# the OS keyring (keyctl), where the machine allows it. Both read the
# payload from a file through stdin, each by `sh -c 'exec ...'`, so every
# row pays the same shell start (hyperfine's own shell correction is not
# precise at these times).
# Needs hyperfine, openssl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/wisewallet" .
ww="$tmp/wisewallet"
export WISEWALLET_KEYRING=none
w() { WISEWALLET_DIR="$tmp/w" WISEWALLET_PASSPHRASE=bench-passphrase "$ww" "$@"; }
# A wallet with an offline sandbox client and one ES256 signing key.
w init --kdf-time 1 --kdf-memory 8 --kdf-threads 1 --insecure-kdf 2>/dev/null
echo bench-secret | w add client app --env sandbox --client-id bench --no-check 2>/dev/null
w jose keygen sig --use sig --for app 2>/dev/null
# The same key for openssl: the entry's private key, as show --reveal gives it.
w show sig --reveal --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secrets"]["private_key"], end="")' >"$tmp/key.pem"
chmod 600 "$tmp/key.pem"
# The same bytes: a playground body of the size of a typical API body.
python3 -c 'import json; print(json.dumps({"message": "bench", "pad": "x" * 400}), end="")' >"$tmp/payload.json"
# Both signatures check out before anything is timed.
openssl dgst -sha256 -sign "$tmp/key.pem" -out "$tmp/sig.der" "$tmp/payload.json"
openssl pkey -in "$tmp/key.pem" -pubout -out "$tmp/pub.pem"
openssl dgst -sha256 -verify "$tmp/pub.pem" -signature "$tmp/sig.der" "$tmp/payload.json" >/dev/null
w jose sign sig --url /v1/auth/jose/playground/jws <"$tmp/payload.json" | w jose verify sig --url /v1/auth/jose/playground/jws >/dev/null 2>&1
pw="env WISEWALLET_DIR=$tmp/w WISEWALLET_PASSPHRASE=bench-passphrase WISEWALLET_KEYRING=none"
cmds=(
  "sh -c 'exec openssl dgst -sha256 -sign $tmp/key.pem -out $tmp/o.sig < $tmp/payload.json'"
  "sh -c 'exec $pw $ww jose sign sig --url /v1/auth/jose/playground/jws < $tmp/payload.json > $tmp/w.jws'"
)
# The floor of each: the process start with nothing to do.
cmds+=("sh -c 'exec openssl version'" "sh -c 'exec $ww --version'")
if WISEWALLET_DIR="$tmp/w" WISEWALLET_PASSPHRASE=bench-passphrase WISEWALLET_KEYRING=keyctl "$ww" keyring enable 2>/dev/null; then
  kr="env -u WISEWALLET_PASSPHRASE WISEWALLET_DIR=$tmp/w WISEWALLET_KEYRING=keyctl"
  cmds+=("sh -c 'exec $kr $ww jose sign sig --url /v1/auth/jose/playground/jws < $tmp/payload.json > $tmp/k.jws'")
fi
hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$tmp/out.json" "${cmds[@]}" >/dev/null
python3 - "$tmp/out.json" "$tmp" "$ww" <<'PY'
import json, re, statistics, sys
data, tmp, ww = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
rows = data["results"]
med = lambda r: statistics.median(r["times"]) * 1000
print("| command | median ms | ratio to openssl |")
print("|---|---:|---:|")
for r in rows:
    cmd = r["command"].replace(ww, "wisewallet").replace(tmp + "/", "").replace("sh -c 'exec ", "").rstrip("'")
    how = " (keyring-unlocked)" if "keyctl" in cmd else " (passphrase, test-strength KDF)" if "PASSPHRASE=" in cmd else ""
    cmd = re.sub(r"^env (-u \S+ )?(\S+=\S+ )+", "", cmd).split(" < ")[0]
    base = rows[2] if cmd.endswith("version") else rows[0]
    print(f"| `{cmd}`{how} | {med(r):.1f} | {med(r) / med(base):.2f} |")
PY
WISEWALLET_DIR="$tmp/w" WISEWALLET_KEYRING=keyctl WISEWALLET_PASSPHRASE=bench-passphrase "$ww" keyring disable 2>/dev/null || true
