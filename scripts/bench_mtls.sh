#!/usr/bin/env bash
# Whole-process timing of `wisewallet mtls keygen` (P-256) and `mtls csr`
# against openssl doing the same work, in one hyperfine run, reported as
# ratios. openssl writes a key file and a CSR; wisewallet also unlocks the
# wallet, seals the key in it and saves it atomically (fsync included), so
# each wisewallet row runs on a wallet with a test-strength KDF (the work
# itself) and on one unlocked by the OS keyring (keyctl), where the machine
# allows it. Needs hyperfine, openssl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/wisewallet" .
ww="$tmp/wisewallet"
export WISEWALLET_KEYRING=none
wallet() { # $1 folder: a wallet with an offline sandbox client and one mTLS entry
  WISEWALLET_DIR="$1" WISEWALLET_PASSPHRASE=bench-passphrase "$ww" init --kdf-time 1 --kdf-memory 8 --kdf-threads 1 --insecure-kdf 2>/dev/null
  echo bench-secret | WISEWALLET_DIR="$1" WISEWALLET_PASSPHRASE=bench-passphrase "$ww" add client app --env sandbox --client-id bench --no-check 2>/dev/null
  WISEWALLET_DIR="$1" WISEWALLET_PASSPHRASE=bench-passphrase "$ww" mtls keygen kept --for app --org "Acme Ltd" 2>/dev/null
}
wallet "$tmp/w"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/kept.key" -out "$tmp/kept.csr" -subj "/C=GB/O=Acme Ltd" 2>/dev/null
pw="env WISEWALLET_DIR=$tmp/w WISEWALLET_PASSPHRASE=bench-passphrase WISEWALLET_KEYRING=none"
cmds=(
  "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $tmp/o.key -out $tmp/o.csr -subj /C=GB/O=Acme"
  "$pw $ww mtls keygen m --for app --org Acme --country GB"
  "openssl req -in $tmp/kept.csr"
  "$pw $ww mtls csr kept"
)
rm_m="sh -c '$pw $ww rm m --yes 2>/dev/null || true'" # nothing to remove before the first run
prepare=(--prepare true --prepare "$rm_m" --prepare true --prepare true)
if WISEWALLET_DIR="$tmp/w" WISEWALLET_PASSPHRASE=bench-passphrase WISEWALLET_KEYRING=keyctl "$ww" keyring enable 2>/dev/null; then
  kr="env -u WISEWALLET_PASSPHRASE WISEWALLET_DIR=$tmp/w WISEWALLET_KEYRING=keyctl"
  cmds+=("$kr $ww mtls keygen m --for app --org Acme --country GB" "$kr $ww mtls csr kept")
  prepare+=(--prepare "$rm_m" --prepare true)
fi
hyperfine -N --warmup 3 --runs "${RUNS:-30}" "${prepare[@]}" --export-json "$tmp/out.json" "${cmds[@]}" >/dev/null
python3 - "$tmp/out.json" "$tmp" "$ww" <<'PY'
import json, statistics, sys
data, tmp, ww = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
rows = data["results"]
med = lambda r: statistics.median(r["times"]) * 1000
print("| command | median ms | ratio to openssl |")
print("|---|---:|---:|")
for r in rows:
    cmd = r["command"].replace(ww, "wisewallet").replace(tmp + "/", "")
    base = rows[0] if "keygen" in cmd or "-newkey" in cmd else rows[2]
    print(f"| `{cmd[:110]}` | {med(r):.1f} | {med(r) / med(base):.2f} |")
PY
WISEWALLET_DIR="$tmp/w" WISEWALLET_KEYRING=keyctl WISEWALLET_PASSPHRASE=bench-passphrase "$ww" keyring disable 2>/dev/null || true
