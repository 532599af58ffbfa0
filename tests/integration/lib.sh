# Helpers for integration scripts; source it. Every server a script starts is killed on exit.
set -eu
OE_TMP=$(mktemp -d /tmp/oe-it-XXXXXX)
OE_PIDS=
oe_cleanup() {
    for p in $OE_PIDS; do kill "$p" 2>/dev/null || true; done
    sleep 0.1
    for p in $OE_PIDS; do kill -9 "$p" 2>/dev/null || true; done
    [ -n "${OE_KEEP:-}" ] || rm -rf "$OE_TMP"
}
trap oe_cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
# skip REASON: this script cannot run here. run.sh takes the last line as the reason, and an
# exit 77 without it (some command's own status) as a failure.
skip() { echo "SKIP: $*"; exit 77; }

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

# oe_wait_log [-E|-F] FILE PATTERN [SECONDS]: wait until a line of FILE matches PATTERN (a grep
# basic regular expression; -E extended, -F fixed string), polling every 50 ms for at most
# SECONDS (a whole number, default 10). On time-out it fails with the pattern and the tail of
# FILE. Use it wherever a script waits for something to be logged: a sleep before a grep is
# either too short on a loaded machine or longer than needed everywhere else.
oe_wait_log() {
    _wl_opt=-G
    case $1 in -E | -F) _wl_opt=$1; shift ;; esac
    _wl_n=$(( ${3:-10} * 20 ))
    until grep -q "$_wl_opt" -e "$2" "$1" 2>/dev/null; do
        [ $_wl_n -gt 0 ] || fail "nothing matching '$2' in $1 within ${3:-10} s; it ends with:
$(tail -n 15 "$1" 2>/dev/null | sed 's/^/    /')"
        sleep 0.05; _wl_n=$((_wl_n - 1))
    done
}

# expect_eq GOT WANT WHAT
expect_eq() {
    [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

# oe_node_need [-f] PACKAGE...: skips the script without node; installs tests/node's npm packages
# when one of PACKAGE (a folder under tests/node/node_modules, e.g. @hpke/core) is missing,
# skipping without npm and when npm install fails (offline), or with -f failing then. Sets
# node_dir (tests/node).
oe_node_need() {
    _nn_or=skip
    [ "$1" != -f ] || { _nn_or=fail; shift; }
    command -v node >/dev/null || skip "node is not installed"
    node_dir=$OE_ROOT/tests/node
    for _nn in "$@"; do
        [ -d "$node_dir/node_modules/$_nn" ] && continue
        command -v npm >/dev/null || skip "npm is not installed and tests/node has no node_modules"
        (cd "$node_dir" && npm install --no-audit --no-fund --no-package-lock --silent) >"$OE_TMP/npm.log" 2>&1 ||
            $_nn_or "npm install failed (offline?): $(tail -n 5 "$OE_TMP/npm.log")"
        break
    done
}

# oe_need_pkg COMMAND PACKAGE: installs the Debian PACKAGE when COMMAND is missing, else skips.
oe_need_pkg() {
    command -v "$1" >/dev/null && return 0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" \
        >"$OE_TMP/apt.log" 2>&1 || skip "$1 is not installed and apt-get install $2 failed"
    command -v "$1" >/dev/null || skip "$1 missing after installing $2"
}

# oe_expect_no_addr LOG WHAT [ALSO_ALLOWED]: fails unless the only lines of LOG naming 127.0.0.1
# are the listener's own ("listening on 127.0.0.1...") or match the basic regular expression
# ALSO_ALLOWED: a client address logged is a privacy defect.
oe_expect_no_addr() {
    _leak=$(grep '127\.0\.0\.1' "$1" | grep -v "listening on 127\.0\.0\.1${3:+\\|$3}" || true)
    [ -z "$_leak" ] || fail "$2 logged an address: $_leak"
}
