#!/usr/bin/env bash
# Whole-process timing of `wisewallet token` for a cached token, next to
# `openssl version` as a process-start floor, in the same hyperfine run.
# Needs hyperfine (apt-get install hyperfine). Everything runs against an
# in-process-free localwise on loopback and a throwaway wallet.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'kill $lw 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/wisewallet" .
ww="$tmp/wisewallet"
"$ww" localwise --addr 127.0.0.1:0 --json >"$tmp/lw.json" 2>/dev/null &
lw=$!
for _ in $(seq 50); do [ -s "$tmp/lw.json" ] && break; sleep 0.1; done
field() { python3 -c "import json,sys; print(json.load(open('$tmp/lw.json'))['$1'])"; }
api=$(field api_url)

run_case() { # $1 label, rest: init flags
  local label=$1; shift
  export WISEWALLET_DIR="$tmp/$label" WISEWALLET_PASSPHRASE=bench-passphrase WISEWALLET_KEYRING=none
  "$ww" init "$@" 2>/dev/null
  field client_secret | "$ww" add client app --env local --api-url "$api" --client-id "$(field client_id)" 2>/dev/null
  "$ww" token app >/dev/null
}

run_case default                      # Argon2id t=3 m=64MiB p=4
run_case cheap --kdf-time 1 --kdf-memory 8 --kdf-threads 1 --insecure-kdf
cmds=('openssl version'
  "env WISEWALLET_DIR=$tmp/default WISEWALLET_PASSPHRASE=bench-passphrase WISEWALLET_KEYRING=none $ww token app"
  "env WISEWALLET_DIR=$tmp/cheap WISEWALLET_PASSPHRASE=bench-passphrase WISEWALLET_KEYRING=none $ww token app")
# The default-KDF wallet again, unlocked by the OS keyring (kernel keyctl)
# instead of the passphrase, when this machine allows keyctl.
if WISEWALLET_DIR="$tmp/default" WISEWALLET_KEYRING=keyctl "$ww" keyring enable 2>/dev/null; then
  cmds+=("env -u WISEWALLET_PASSPHRASE WISEWALLET_DIR=$tmp/default WISEWALLET_KEYRING=keyctl $ww token app")
fi
hyperfine -N --warmup 5 --runs "${RUNS:-40}" --export-json "$tmp/out.json" "${cmds[@]}" >/dev/null
python3 - "$tmp/out.json" "$tmp" "$ww" <<'PY'
import json, statistics, sys
data, tmp, ww = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
print("| command | median ms | mean ms | min ms |")
print("|---|---:|---:|---:|")
for r in data["results"]:
    cmd = r["command"].replace(ww, "wisewallet").replace(tmp + "/", "")
    t = [x * 1000 for x in r["times"]]
    print(f"| `{cmd}` | {statistics.median(t):.1f} | {statistics.mean(t):.1f} | {min(t):.1f} |")
PY
WISEWALLET_DIR="$tmp/default" WISEWALLET_KEYRING=keyctl WISEWALLET_PASSPHRASE=bench-passphrase "$ww" keyring disable 2>/dev/null || true
