# Helpers for integration scripts; source it. Every server a script starts is killed on exit.
set -eu
OE_TMP=$(mktemp -d /tmp/oe-it-XXXXXX)
OE_PIDS=
oe_cleanup() {
    for p in $OE_PIDS; do kill "$p" 2>/dev/null || true; done
    sleep 0.1
    for p in $OE_PIDS; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$OE_TMP"
}
trap oe_cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }

# A free TCP (and UDP) port on 127.0.0.1, by asking the kernel.
oe_port() {
    /usr/bin/python3 -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]
u=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1",p)); print(p)'
}

# oe_bg LOGFILE CMD...: start CMD in the background, remember it for cleanup; sets OE_LASTPID.
oe_bg() {
    log=$1; shift
    "$@" >"$log" 2>&1 &
    OE_LASTPID=$!
    OE_PIDS="$OE_PIDS $OE_LASTPID"
}

# oe_wait_tcp PORT [SECONDS]: wait until something listens on 127.0.0.1:PORT.
oe_wait_tcp() {
    n=$(( ${2:-10} * 20 ))
    while [ $n -gt 0 ]; do
        if /usr/bin/python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$1)))" 2>/dev/null; then return 0; fi
        sleep 0.05; n=$((n - 1))
    done
    return 1
}

# expect_eq GOT WANT WHAT
expect_eq() {
    [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}
