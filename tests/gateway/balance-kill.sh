#!/bin/sh
# balance-check.sh's kill: the server behind an endpoint's URL (http://ADDRESS:PORT/mcp), its pid in
# DIR/pid-ADDRESS:PORT, killed with SIGKILL; returns once it is gone (a zombie of balance-check.sh's, or reaped).
# usage: balance-kill.sh DIR URL
set -eu
at=${2#http://}
at=${at%%/*}
pid=$(cat "$1/pid-$at")
state() { # the process's state letter, empty once it is reaped
        sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1
}
kill -KILL "$pid"
while [ -n "$(state)" ] && [ "$(state)" != Z ]; do
        sleep 0.01
done
echo "killed the server at $at"
