#!/usr/bin/env bash
# Whole-process timing of `wisewallet token NAME` (a cached client-
# credentials token at localwise) through the agent, through the OS
# keyring slot (keyctl) and with WISEWALLET_PASSPHRASE (the default KDF),
# next to `openssl version`, `gh auth token` (its token in its config
# file), `cat` of a file and an empty Go program, in one hyperfine run;
# then where a Go process's start goes (GODEBUG=inittrace=1).
# Needs hyperfine, gh and keyctl (the keyring case is left out without it).
set -euo pipefail
cd "$(dirname "$0")/.."
# The rows compared run as they are, not under env(1), whose own exec
# would count against wisewallet: the variables are set here instead.
unset WISEWALLET_PASSPHRASE WISEWALLET_AGENT
tmp=$(mktemp -d)
ww="$tmp/wisewallet"
cleanup() {
  WISEWALLET_DIR="$tmp/w" XDG_RUNTIME_DIR="$tmp/run" "$ww" agent stop >/dev/null 2>&1 || true
  WISEWALLET_DIR="$tmp/w" WISEWALLET_KEYRING=keyctl WISEWALLET_PASSPHRASE=bench-passphrase WISEWALLET_AGENT=none \
    "$ww" keyring disable >/dev/null 2>&1 || true
  kill "$lw" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$ww" .
mkdir -p "$tmp/empty" && printf 'package main\n\nfunc main() {}\n' >"$tmp/empty/main.go"
(cd "$tmp/empty" && go mod init empty >/dev/null 2>&1 && go build -o "$tmp/empty-go" .)
"$ww" localwise --addr 127.0.0.1:0 --json >"$tmp/lw.json" 2>/dev/null &
lw=$!
for _ in $(seq 50); do [ -s "$tmp/lw.json" ] && break; sleep 0.1; done
field() { python3 -c "import json,sys; print(json.load(open('$tmp/lw.json'))['$1'])"; }

mkdir -m 700 "$tmp/run"
export WISEWALLET_DIR="$tmp/w" XDG_RUNTIME_DIR="$tmp/run" WISEWALLET_KEYRING=none
WISEWALLET_PASSPHRASE=bench-passphrase "$ww" init 2>/dev/null # Argon2id t=3 m=64MiB p=4
field client_secret | WISEWALLET_PASSPHRASE=bench-passphrase "$ww" add client app --env local --api-url "$(field api_url)" \
  --client-id "$(field client_id)" 2>/dev/null
WISEWALLET_PASSPHRASE=bench-passphrase "$ww" token app >/dev/null # the token is cached from here on
WISEWALLET_PASSPHRASE=bench-passphrase "$ww" agent start --timeout 1h 2>/dev/null

# gh reads its token from hosts.yml when GH_CONFIG_DIR holds one (a fake).
mkdir -p "$tmp/gh"
printf 'github.com:\n    oauth_token: gho_%s\n    user: bench\n    git_protocol: https\n' "$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$tmp/gh/hosts.yml"
GH_CONFIG_DIR="$tmp/gh" gh auth token >/dev/null
head -c 40 /dev/urandom | base64 >"$tmp/token.txt"

export GH_CONFIG_DIR="$tmp/gh"
cmds=("$ww token app"
  "openssl version"
  "gh auth token"
  "cat $tmp/token.txt"
  "$tmp/empty-go"
  "env WISEWALLET_AGENT=none WISEWALLET_PASSPHRASE=bench-passphrase $ww token app")
if WISEWALLET_PASSPHRASE=bench-passphrase WISEWALLET_AGENT=none WISEWALLET_KEYRING=keyctl "$ww" keyring enable 2>/dev/null; then
  cmds+=("env -u WISEWALLET_PASSPHRASE WISEWALLET_AGENT=none WISEWALLET_KEYRING=keyctl $ww token app")
fi
hyperfine -N --warmup 5 --runs "${RUNS:-40}" --export-json "$tmp/out.json" "${cmds[@]}" >/dev/null
python3 - "$tmp/out.json" "$tmp" "$ww" <<'PY'
import json, statistics, sys
data, tmp, ww = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
print("| command | median ms | mean ms | min ms |")
print("|---|---:|---:|---:|")
for r in data["results"]:
    cmd = r["command"].replace(ww, "wisewallet").replace(tmp + "/", "").replace("empty-go", "an empty Go program")
    t = [x * 1000 for x in r["times"]]
    print(f"| `{cmd}` | {statistics.median(t):.1f} | {statistics.mean(t):.1f} | {min(t):.1f} |")
PY

# The same three interleaved, one of each per round, so that the
# machine's drift (a shared VM's neighbours) weighs on them alike:
# hyperfine runs each command's runs in one block. Each time includes
# Python's fork and exec, measured on `true`.
python3 - "$ww" "${ROUNDS:-200}" <<'PY'
import statistics, subprocess, sys, time
ww, rounds = sys.argv[1], int(sys.argv[2])
cmds = {"wisewallet token app": [ww, "token", "app"], "openssl version": ["openssl", "version"],
        "gh auth token": ["gh", "auth", "token"], "true": ["true"]}
times = {k: [] for k in cmds}
for _ in range(rounds):
    for k, argv in cmds.items():
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times[k].append((time.perf_counter() - t) * 1000)
med = {k: statistics.median(v) for k, v in times.items()}
print(f"\ninterleaved, {rounds} rounds, median ms: " + ", ".join(f"{k} {v:.1f}" for k, v in med.items()))
net = {k: med[k] - med["true"] for k in cmds}
print(f"token through the agent, the fork and exec taken off: {net['wisewallet token app'] / net['openssl version']:.2f}x openssl version, "
      f"{net['gh auth token'] / net['wisewallet token app']:.2f}x ahead of gh auth token")
PY

# Package init of `token` through the agent, median of 15 runs: the part
# of a Go process's start that the program's imports add.
for _ in $(seq 15); do
  GODEBUG=inittrace=1 "$ww" token app 2>&1 >/dev/null | grep '^init '
  echo '--'
done >"$tmp/inittrace.txt"
python3 - "$tmp/inittrace.txt" <<'PY'
import collections, re, statistics, sys
runs, cur = [], collections.OrderedDict()
for line in open(sys.argv[1]):
    if line.startswith('--'):
        runs.append(cur); cur = collections.OrderedDict(); continue
    m = re.match(r'init (\S+) @\S+ ms, ([\d.]+) ms clock, (\d+) bytes, (\d+) allocs', line)
    if m:
        cur[m.group(1)] = cur.get(m.group(1), 0) + float(m.group(2))
totals = [sum(r.values()) for r in runs]
print(f"\npackage init, total: median {statistics.median(totals):.2f} ms over {len(runs)} runs ({len(runs[0])} packages)")
med = {p: statistics.median(r.get(p, 0) for r in runs) for p in runs[0]}
for p, v in sorted(med.items(), key=lambda kv: -kv[1])[:12]:
    print(f"  {v:6.3f} ms  {p}")
PY
