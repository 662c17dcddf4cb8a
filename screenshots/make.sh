#!/usr/bin/env bash
# Makes the PNGs in this folder from the real program: it builds
# wisewallet, runs it in a private tmux server at 100x30, drives it with
# send-keys, captures the pane with its colours (capture-pane -e), turns
# that into HTML with aha and photographs the page with headless chromium.
#
#   dashboard.png    `wisewallet demo`, the live dashboard
#   guided-flow.png  a step of a guided flow (a personal token, masked)
#   unlock.png       `wisewallet` on a throwaway wallet, a fake passphrase typed
#   failure.png      a personal token Wise (localwise) rejects, with x-trace-id
#   mtls-setup.png   the mTLS setup: the CSR the wallet made, ready to copy
#   mtls-check.png   the certificate imported and the check call over mTLS
#   dashboard-mtls.png  the dashboard with the new certificate's countdown
#   jose-setup.png   the JOSE setup's playground: a signed-then-encrypted call,
#                    each step's protected header and result
#   dashboard-jose.png  the dashboard with the JOSE keys' countdowns, a rotated
#                    key's old one counting down to its retirement
#   challenge.png    the challenge screen of the 2FA setup's check: the SCA
#                    session's challenge, a code by SMS to the obfuscated number,
#                    typed hidden
#   sca-setup.png    the 2FA setup for the demo user: which factors it can use,
#                    and why not the others
#
# Only localwise demo credentials and made-up values ever reach the screen;
# typed secrets are masked. Needs go, tmux, aha and chromium (.ci/run
# installs the last three). Run from anywhere: screenshots/make.sh
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/screenshots"
for tool in go tmux aha chromium curl jq; do
  command -v "$tool" >/dev/null || { echo "make.sh needs $tool (.ci/run installs tmux, aha and chromium)" >&2; exit 1; }
done

work=$(mktemp -d)
sock="wisewallet-shots-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
  tm kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "building wisewallet..."
go build -o "$work/wisewallet" .
mkdir -p "$work/home" "$work/tmp"

# A clean environment: its own HOME and TMPDIR (the demo's wallet goes
# there), no keyring, no display (so no browser opens), true colour.
clean_env=(env -i "PATH=$PATH" "HOME=$work/home" "TMPDIR=$work/tmp" "LANG=C.UTF-8"
  "TERM=xterm-256color" "COLORTERM=truecolor"
  "WISEWALLET_KEYRING=none" "DBUS_SESSION_BUS_ADDRESS=disabled:")

# start NAME CMD... runs CMD in a new 100x30 session.
start() {
  local name=$1
  shift
  tm new-session -d -s "$name" -x 100 -y 30 -- "${clean_env[@]}" "$@"
  tm set-option -g escape-time 10 >/dev/null
}

# wait_for SESSION TEXT: until the pane shows TEXT (20 s at most).
wait_for() {
  for _ in $(seq 1 200); do
    if tm capture-pane -p -t "$1" | grep -qF -- "$2"; then
      sleep 0.3 # let the frame settle
      return 0
    fi
    sleep 0.1
  done
  echo "timed out waiting for \"$2\"; the pane shows:" >&2
  tm capture-pane -p -t "$1" >&2
  exit 1
}

# shoot SESSION NAME: pane -> ANSI -> HTML -> screenshots/NAME.png
shoot() {
  local session=$1 name=$2
  tm capture-pane -e -p -t "$session" >"$work/$name.ansi"
  aha --black --title "wisewallet" <"$work/$name.ansi" >"$work/$name.html"
  # A monospace font that has the box-drawing and braille characters, and
  # no page margins, so the window is just the 100x30 terminal.
  sed -i 's|<pre>|<pre style="font-family:\x27DejaVu Sans Mono\x27,\x27Liberation Mono\x27,monospace;font-size:15px;line-height:18px;margin:0;padding:14px 16px">|' "$work/$name.html"
  sed -i 's|<body[^>]*>|<body style="margin:0;background:#000;color:#ddd">|' "$work/$name.html"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/chromium" --window-size=940,572 --hide-scrollbars \
    --screenshot="$out/$name.png" "file://$work/$name.html" >/dev/null 2>&1
  [ -s "$out/$name.png" ] || { echo "chromium made no $name.png" >&2; exit 1; }
  echo "wrote screenshots/$name.png"
}

# 1. The dashboard of the demo, once its countdowns have moved a little.
start demo "$work/wisewallet" demo
wait_for demo "partner-user"
sleep 2
shoot demo dashboard

# 2. A guided flow: a personal token, name and environment chosen, a
#    made-up token typed (masked).
tm send-keys -t demo a
wait_for demo "Which kind of access do I need?"
tm send-keys -t demo Enter
wait_for demo "Name this token"
tm send-keys -t demo -l "payouts-bot"
tm send-keys -t demo Enter
wait_for demo "Where was the token made?"
tm send-keys -t demo Enter # demo mode: local is chosen
wait_for demo "Which localwise server?"
tm send-keys -t demo Enter # the demo's localwise, filled in
wait_for demo "Paste the token"
tm send-keys -t demo -l "made-up-token-for-the-screenshot-0001"
wait_for demo "characters, hidden"
shoot demo guided-flow

# 3. A failure shown to the user: localwise rejects that token; the
#    screen says what happened, its x-trace-id and what to do.
tm send-keys -t demo Enter
wait_for demo "x-trace-id"
shoot demo failure
tm send-keys -t demo Enter # leave without saving
wait_for demo "Dashboard"
tm send-keys -t demo q

# 4. The unlock screen of a throwaway wallet (a weak KDF is fine: it
#    holds nothing), with a made-up passphrase being typed.
mkdir -p "$work/wallet"
"${clean_env[@]}" "WISEWALLET_DIR=$work/wallet" "WISEWALLET_PASSPHRASE=not-a-real-passphrase" \
  "$work/wisewallet" init --kdf-time 1 --kdf-memory 8 --kdf-threads 1 --insecure-kdf >/dev/null 2>&1
start unlock env "WISEWALLET_DIR=$work/wallet" "$work/wisewallet"
wait_for unlock "Unlock the wallet"
tm send-keys -t unlock -l "not-a-real-passphrase"
sleep 0.5
shoot unlock unlock

# 5. The mTLS setup on the demo's client: the CSR the wallet made; then
#    the demo's Developer Hub stand-in signs it (as a user would on its
#    page), the certificate and Wise's CA are loaded by typing their
#    paths, and the check call goes over mTLS.
start mtls "$work/wisewallet" demo
wait_for mtls "partner-user"
demo_dir=$(ls -d "$work/tmp"/wisewallet-demo-*)
ww() { "${clean_env[@]}" "WISEWALLET_DIR=$demo_dir" "WISEWALLET_PASSPHRASE=demo" "$work/wisewallet" "$@"; }
client_json=$(ww show acme-app --reveal --json)
api_url=$(jq -r .env.api_url <<<"$client_json")
client_id=$(jq -r .client_id <<<"$client_json")
client_secret=$(jq -r .secrets.client_secret <<<"$client_json")
tm send-keys -t mtls a
wait_for mtls "Which kind of access do I need?"
tm send-keys -t mtls Down Down Down Down Enter
wait_for mtls "Which OAuth client is the certificate for?"
tm send-keys -t mtls Enter
# A local client without an mTLS URL asks for it; the demo fills in its own.
for _ in $(seq 1 200); do
  pane=$(tm capture-pane -p -t mtls)
  if grep -qF "Which localwise mTLS listener?" <<<"$pane" && grep -qF "> https://127.0.0.1:" <<<"$pane"; then
    tm send-keys -t mtls Enter
    break
  fi
  grep -qF "Name this certificate's entry" <<<"$pane" && break
  sleep 0.1
done
wait_for mtls "Name this certificate's entry"
tm send-keys -t mtls -l "payouts-mtls"
tm send-keys -t mtls Enter
wait_for mtls "Key type"
tm send-keys -t mtls Enter # P-256, suggested
wait_for mtls "Organisation"
tm send-keys -t mtls -l "Acme Payments Ltd"
tm send-keys -t mtls Enter
wait_for mtls "Country (optional)"
tm send-keys -t mtls -l "GB"
tm send-keys -t mtls Enter
wait_for mtls "Certificate name"
tm send-keys -t mtls -l "payouts-2026"
tm send-keys -t mtls Enter
wait_for mtls "END CERTIFICATE REQUEST"
shoot mtls mtls-setup

csr=$(tm capture-pane -p -t mtls | sed -n '/BEGIN CERTIFICATE REQUEST/,/END CERTIFICATE REQUEST/p' | sed 's/^ *//;s/ *$//')
jq -n --arg name payouts-2026 --arg csr "$csr" '{name: $name, csr: $csr}' >"$work/csr.json"
curl -fsS -u "$client_id:$client_secret" -H 'Content-Type: application/json' --data @"$work/csr.json" \
  "$api_url/developer-hub/api/certificates" | jq -r .certificate >"$work/home/payouts-2026.pem"
curl -fsS "$api_url/developer-hub/ca-certificate" >"$work/home/wise.ca-certificate.local.pem"
tm send-keys -t mtls Enter
wait_for mtls "Get it signed in Developer Hub"
tm send-keys -t mtls Enter
wait_for mtls "Paste the certificate"
tm send-keys -t mtls -l "~/payouts-2026.pem" # HOME is $work/home
tm send-keys -t mtls Enter
wait_for mtls "serial"
tm send-keys -t mtls Enter
wait_for mtls "Paste Wise's CA certificate"
tm send-keys -t mtls -l "~/wise.ca-certificate.local.pem"
tm send-keys -t mtls Enter
wait_for mtls "valid until"
tm send-keys -t mtls Enter
wait_for mtls "x-trace-id"
shoot mtls mtls-check
tm send-keys -t mtls Enter
wait_for mtls "payouts-mtls"
sleep 1
shoot mtls dashboard-mtls
tm send-keys -t mtls q

# 6. The JOSE setup on the demo's client: what signing and encryption
#    protect, both keys made, uploaded, Wise's keys fetched and the five
#    playground calls made; the shot shows the signed-then-encrypted call
#    step by step. Then the new signing key is rotated from its details,
#    and the dashboard counts the old key down to its retirement.
start jose "$work/wisewallet" demo
wait_for jose "partner-user"
tm send-keys -t jose a
wait_for jose "Which kind of access do I need?"
tm send-keys -t jose Down Down Down Down Down Enter
wait_for jose "What signing and encryption protect"
tm send-keys -t jose Enter
wait_for jose "Which OAuth client are the keys for?"
for _ in $(seq 1 10); do # the demo's client, wherever the list has it
  tm capture-pane -p -t jose | grep -qF "> acme-app" && break
  tm send-keys -t jose Down
  sleep 0.1
done
tm send-keys -t jose Enter
wait_for jose "What should the keys do?"
tm send-keys -t jose Enter # signing and encryption, suggested
wait_for jose "Name the keys' entries"
tm send-keys -t jose C-u
tm send-keys -t jose -l "payouts-jose"
tm send-keys -t jose Enter
wait_for jose "Signing algorithm"
tm send-keys -t jose Enter # ES256, suggested
wait_for jose "Encryption key"
tm send-keys -t jose Enter # RSA 2048, suggested
wait_for jose "Upload the public keys to Wise"
tm send-keys -t jose Enter
wait_for jose "Wise has your keys, and you have Wise's"
tm send-keys -t jose Enter
wait_for jose "Wise's playground answered all 5 calls"
tm send-keys -t jose Down Down Down # the jwsjwe call
wait_for jose "POST /v1/auth/jose/playground/jwsjwe"
shoot jose jose-setup
tm send-keys -t jose Enter
wait_for jose "payouts-jose-sig"
for _ in $(seq 1 40); do
  tm capture-pane -p -t jose | grep -qF "▸ payouts-jose-sig" && break
  tm send-keys -t jose Down
  sleep 0.1
done
tm send-keys -t jose Enter
wait_for jose "n rotate"
tm send-keys -t jose n
wait_for jose "A new key beside the old one"
tm send-keys -t jose Enter
wait_for jose "old key"
tm send-keys -t jose Enter
wait_for jose "Previous key"
tm send-keys -t jose Escape
wait_for jose "↻ rotating"
sleep 1
shoot jose dashboard-jose
tm send-keys -t jose q

# 7. The 2FA setup on the demo's logged-in user, demo-user (the demo's
#    other user is made with a registration code and has no profile to
#    start an SCA session on): which factors it can use and why; its PIN
#    set (typed hidden, twice), this device registered, and the check's SCA
#    session cleared on the challenge screen with a code by SMS. The PIN
#    and the code are localwise's demo values, masked on screen.
start sca "$work/wisewallet" demo
wait_for sca "demo-user"
tm send-keys -t sca a
wait_for sca "Which kind of access do I need?"
tm send-keys -t sca Down Down Down Down Down Down Enter
wait_for sca "When Wise asks for a second factor"
tm send-keys -t sca Enter
wait_for sca "Which credential?"
for _ in $(seq 1 10); do # the demo user, wherever the list has it
  tm capture-pane -p -t sca | grep -qF "> demo-user" && break
  tm send-keys -t sca Down
  sleep 0.1
done
tm send-keys -t sca Enter
wait_for sca "What it can use"
shoot sca sca-setup
tm send-keys -t sca Enter
wait_for sca "Which profile?"
tm send-keys -t sca Enter # the approved one, its personal profile
wait_for sca "set a PIN"
tm send-keys -t sca Enter
wait_for sca "Type the new PIN"
tm send-keys -t sca -l "2468"
tm send-keys -t sca Enter
wait_for sca "Type it again"
tm send-keys -t sca -l "2468"
tm send-keys -t sca Enter
wait_for sca "register this device"
tm send-keys -t sca Enter
wait_for sca "Check: an SCA session"
tm send-keys -t sca Enter
wait_for sca "choose how to clear it"
for _ in $(seq 1 10); do
  tm capture-pane -p -t sca | grep -qF "> code by SMS" && break
  tm send-keys -t sca Down
  sleep 0.1
done
tm send-keys -t sca Enter
wait_for sca "Wise sent a code by SMS to"
tm send-keys -t sca -l "111111"
wait_for sca "6 characters, hidden"
shoot sca challenge
tm send-keys -t sca Enter
wait_for sca "SCA session: low-risk calls"
tm send-keys -t sca Enter
wait_for sca "2FA works for demo-user"
tm send-keys -t sca Enter
wait_for sca "Dashboard"
tm send-keys -t sca q

echo "done"
