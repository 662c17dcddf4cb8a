#!/usr/bin/env bash
# Start-up cost of the binary, this tree against an earlier commit (default:
# the last commit before the CLI moved onto cobra + fang): the sum of
# package init times from GODEBUG=inittrace=1 (median of 15 runs), then
# whole-process `token` and `list` with the wallet opened by the keyctl
# keyring slot, in one hyperfine run. Needs hyperfine and keyctl.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${BASE:-75cc1fd}
tmp=$(mktemp -d)
trap 'kill $lw 2>/dev/null || true; git worktree remove --force "$tmp/src" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add -q --detach "$tmp/src" "$base"
(cd "$tmp/src" && go build -o "$tmp/before" .)
go build -o "$tmp/after" .

for b in before after; do
  for _ in $(seq 15); do
    GODEBUG=inittrace=1 "$tmp/$b" help 2>&1 >/dev/null | awk '/^init /{t+=$5} END{printf "%.3f\n", t}'
  done | sort -n | awk -v b="$b" '{a[NR]=$1} END{printf "%s: package init %.2f ms (median of %d)\n", b, a[int((NR+1)/2)], NR}'
done

"$tmp/after" localwise --addr 127.0.0.1:0 --json >"$tmp/lw.json" 2>/dev/null &
lw=$!
for _ in $(seq 50); do [ -s "$tmp/lw.json" ] && break; sleep 0.1; done
field() { python3 -c "import json; print(json.load(open('$tmp/lw.json'))['$1'])"; }
api=$(field api_url)
cmds=()
for b in before after; do
  # Each binary its own wallet: the newer body schema is not for the older one.
  export WISEWALLET_DIR="$tmp/w-$b" WISEWALLET_PASSPHRASE=bench WISEWALLET_KEYRING=none
  "$tmp/$b" init --kdf-time 1 --kdf-memory 8 --kdf-threads 1 --insecure-kdf 2>/dev/null
  field client_secret | "$tmp/$b" add client app --env local --api-url "$api" --client-id "$(field client_id)" 2>/dev/null
  "$tmp/$b" token app >/dev/null
  WISEWALLET_KEYRING=keyctl "$tmp/$b" keyring enable 2>/dev/null
  cmds+=("env -u WISEWALLET_PASSPHRASE WISEWALLET_DIR=$tmp/w-$b WISEWALLET_KEYRING=keyctl $tmp/$b token app"
    "env -u WISEWALLET_PASSPHRASE WISEWALLET_DIR=$tmp/w-$b WISEWALLET_KEYRING=keyctl $tmp/$b list")
done
unset WISEWALLET_PASSPHRASE
hyperfine -N --warmup 5 --runs "${RUNS:-60}" "${cmds[@]}" 2>&1 | grep -E 'Benchmark|Time' | sed "s#$tmp/##g"
