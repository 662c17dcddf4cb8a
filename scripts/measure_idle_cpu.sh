#!/bin/sh
# Idle CPU of the terminal app while it counts down: runs `wisewallet demo`
# in a detached tmux session at 100x30, waits for the dashboard, and reads
# the process's user+system CPU time from /proc/PID/stat before and after
# DURATION seconds (default 20). Target (issue 4): under 2% of one core.
#
#   scripts/measure_idle_cpu.sh [path/to/wisewallet]
#
# Without an argument it builds the binary from this checkout first.
set -eu
cd "$(dirname "$0")/.."
dur=${DURATION:-20}
bin=${1:-}
tmp=$(mktemp -d)
session="wwidle$$"
cleanup() {
	tmux kill-session -t "$session" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
if [ -z "$bin" ]; then
	bin="$tmp/wisewallet"
	go build -o "$bin" .
fi
# exec: the pane's process is wisewallet itself.
tmux new-session -d -s "$session" -x 100 -y 30 "exec '$bin' demo"
pid=$(tmux display-message -p -t "$session" '#{pane_pid}')
i=0
until tmux capture-pane -p -t "$session" | grep -q 'next renewal'; do
	i=$((i + 1))
	if [ "$i" -gt 120 ]; then
		echo "the dashboard did not appear within 60 s" >&2
		tmux capture-pane -p -t "$session" >&2
		exit 1
	fi
	sleep 0.5
done
sleep 2 # let the start-up work settle
# Fields 14 and 15 after the ")" that ends the command name: utime, stime.
ticks() { sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}'; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep "$dur"
t1=$(ticks)
ps -o pid=,time=,rss=,args= -p "$pid"
awk -v d="$((t1 - t0))" -v hz="$hz" -v s="$dur" 'BEGIN {
	printf "wisewallet demo, idle on the dashboard at 100x30: %.2f%% of one core (%d ticks of 1/%d s in %d s)\n", 100 * d / hz / s, d, hz, s
}'
