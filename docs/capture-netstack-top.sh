#!/bin/bash
# Captures netstack-top as a user sees it while a UDP socket in a namespace
# overflows: a receiver with a 4 KiB buffer that never reads, and a flood at
# it. Needs root, tmux and python3. Writes the screen to stdout.
# Usage: docs/capture-netstack-top.sh [COLUMNS ROWS]   (default 120 50)
set -e
cols=${1:-120}
rows=${2:-50}
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/netstack-top
go build -o "$bin" ./examples/netstack-top
NS=pp-docs-$$
ip netns add $NS
ip -n $NS link set lo up
trap 'tmux kill-session -t pp-docs 2>/dev/null; kill %1 2>/dev/null; ip netns del $NS' EXIT
ip netns exec $NS python3 - <<'PY' &
import socket, time
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
r.bind(("127.0.0.1", 5000))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
time.sleep(2)
end = time.time() + 8
while time.time() < end:
    for _ in range(500):
        s.sendto(b"x" * 64, ("127.0.0.1", 5000))
    time.sleep(0.05)
PY
sleep 1
tmux kill-session -t pp-docs 2>/dev/null || true
tmux new-session -d -s pp-docs -x "$cols" -y "$rows" "$bin -netns $NS -interval 2s -color never"
sleep 6.5
tmux capture-pane -p -t pp-docs | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
