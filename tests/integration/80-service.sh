# Running as a service (issue 14): make install lays out the binary, the man pages (lint-clean),
# the systemd unit (systemd-analyze verify) and the logrotate snippet; the notify protocol
# (READY, RELOADING with MONOTONIC_USEC, STOPPING) against a socket this test listens on; the
# pid file with odoh-edge reload / reopen / stop; SIGUSR1 moves the main log and the access log
# (JSON lines) to new files without losing a line while requests keep coming.
. "$OE_ROOT/tests/integration/lib.sh"
for t in curl mandoc man systemd-analyze logrotate; do
    command -v $t >/dev/null || skip "$t not installed"
done
"$OE_BIN" -V | grep -q website || skip "no website module in this build"

# ---- install tree -----------------------------------------------------------------------------
# -o: the binary under test is installed as it is, never rebuilt.
root="$OE_TMP/pkgroot"
make -C "$OE_ROOT" --no-print-directory -o "$OE_BIN" BIN="$OE_BIN" BUILD="$OE_TMP/build" \
    install DESTDIR="$root" >"$OE_TMP/install.log" 2>&1 || fail "make install: $(cat "$OE_TMP/install.log")"
got=$(cd "$root" && find . -type f | sort)
expect_eq "$got" "./etc/logrotate.d/odoh-edge
./etc/odoh-edge/odoh-edge.conf
./usr/local/bin/odoh-edge
./usr/local/lib/systemd/system/odoh-edge.service
./usr/local/share/doc/odoh-edge/odoh-edge.conf
./usr/local/share/man/man5/odoh-edge.conf.5
./usr/local/share/man/man8/odoh-edge.8" "installed files"
[ -n "${OE_SANITIZED:-}" ] || file "$root/usr/local/bin/odoh-edge" | grep -q ', stripped' ||
    fail "binary not stripped: $(file "$root/usr/local/bin/odoh-edge")"
cmp -s "$OE_ROOT/odoh-edge.conf" "$root/usr/local/share/doc/odoh-edge/odoh-edge.conf" || fail "example config"
"$root/usr/local/bin/odoh-edge" check -c "$root/etc/odoh-edge/odoh-edge.conf" >/dev/null 2>&1 ||
    fail "starter config: $("$root/usr/local/bin/odoh-edge" check -c "$root/etc/odoh-edge/odoh-edge.conf" 2>&1)"
grep -qx 'ExecStart=/usr/local/bin/odoh-edge run -c /etc/odoh-edge/odoh-edge.conf' \
    "$root/usr/local/lib/systemd/system/odoh-edge.service" || fail "unit ExecStart"

# A second install keeps the operator's config; uninstall removes what install wrote, never the
# config.
echo '# mine' >>"$root/etc/odoh-edge/odoh-edge.conf"
make -C "$OE_ROOT" --no-print-directory -o "$OE_BIN" BIN="$OE_BIN" BUILD="$OE_TMP/build" \
    install DESTDIR="$root" >/dev/null 2>&1 || fail "second make install"
expect_eq "$(tail -n 1 "$root/etc/odoh-edge/odoh-edge.conf")" "# mine" "config kept by install"
mkdir -p "$OE_TMP/root2"
cp -a "$root/." "$OE_TMP/root2"
make -C "$OE_ROOT" --no-print-directory -o "$OE_BIN" BIN="$OE_BIN" BUILD="$OE_TMP/build" \
    uninstall DESTDIR="$OE_TMP/root2" >/dev/null 2>&1 || fail "make uninstall"
expect_eq "$(cd "$OE_TMP/root2" && find . -type f | sort)" "./etc/odoh-edge/odoh-edge.conf" "left after uninstall"

# ---- man pages: lint-clean for mandoc (every level) and man-db/groff -----------------------------
for page in man8/odoh-edge.8 man5/odoh-edge.conf.5; do
    f="$root/usr/local/share/man/$page"
    out=$(mandoc -T lint -W style "$f" 2>&1) || true
    expect_eq "$out" "" "mandoc -T lint $page"
    out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
    expect_eq "$out" "" "man --warnings $page"
done
# The config page lists every key help-config lists (same tables): count them both ways.
keys_help=$("$OE_BIN" help-config | grep -c '^  [a-z]')
keys_man=$(sed -n '/^\.SH SECTIONS/,/^\.SH FILES/p' "$root/usr/local/share/man/man5/odoh-edge.conf.5" |
    grep -A1 '^\.TP' | grep -c '^\.B ')
expect_eq "$keys_man" "$keys_help" "keys in odoh-edge.conf(5)"
MANWIDTH=80 man -l "$root/usr/local/share/man/man5/odoh-edge.conf.5" 2>/dev/null | grep -q '^ *pid-file *$' ||
    fail "odoh-edge.conf(5) has no pid-file"

# ---- systemd unit ---------------------------------------------------------------------------------
# Verified with the installed binary's path (the unit names /usr/local/bin, not installed here).
sed "s|/usr/local/bin/|$root/usr/local/bin/|g" "$root/usr/local/lib/systemd/system/odoh-edge.service" \
    >"$OE_TMP/odoh-edge.service"
out=$(MANPATH="$root/usr/local/share/man" SYSTEMD_LOG_LEVEL=warning systemd-analyze verify \
    "$OE_TMP/odoh-edge.service" 2>&1) || fail "systemd-analyze verify: $out"
expect_eq "$out" "" "systemd-analyze verify output"
for line in Type=notify 'ExecReload=kill -HUP $MAINPID' StateDirectory=odoh-edge \
    ConfigurationDirectory=odoh-edge ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
    NoNewPrivileges=yes CapabilityBoundingSet=CAP_NET_BIND_SERVICE \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' SystemCallFilter=@system-service LimitNOFILE=65536; do
    grep -qxF "$line" "$OE_TMP/odoh-edge.service" || fail "unit lacks $line"
done
# logrotate accepts the snippet (debug mode: parses, rotates nothing).
logrotate -d "$root/etc/logrotate.d/odoh-edge" >"$OE_TMP/lr.txt" 2>&1 || fail "logrotate -d: $(cat "$OE_TMP/lr.txt")"
! grep -qi 'error' "$OE_TMP/lr.txt" || fail "logrotate -d: $(cat "$OE_TMP/lr.txt")"

# ---- notify protocol, pid file, reload / reopen / stop ------------------------------------------
port=$(oe_port)
mkdir -p "$OE_TMP/www" "$OE_TMP/logs"
echo hello >"$OE_TMP/www/index.html"
cat >"$OE_TMP/edge.conf" <<CONF
[global]
workers = 2
state-dir = state
pid-file = $OE_TMP/edge.pid
log-file = $OE_TMP/logs/main.log
[listen "https"]
address = 127.0.0.1:$port
[site "demo"]
host = demo.test
cert = auto
root = www
access-log = $OE_TMP/logs/access.log
access-log-format = json
CONF
oe_bg "$OE_TMP/listener.log" /usr/bin/python3 "$OE_ROOT/tests/integration/notify_listen.py" \
    "$OE_TMP/notify.sock" "$OE_TMP/notify.txt" 60
n=100; until [ -e "$OE_TMP/notify.txt.ready" ]; do n=$((n - 1)); [ $n -gt 0 ] || fail "listener"; sleep 0.05; done
NOTIFY_SOCKET="$OE_TMP/notify.sock" oe_bg "$OE_TMP/edge.out" "$OE_BIN" -c "$OE_TMP/edge.conf"
pid=$OE_LASTPID
oe_wait_log -F "$OE_TMP/notify.txt" "READY=1"
expect_eq "$(cat "$OE_TMP/edge.pid")" "$pid" "pid file"
curl_get() {
    curl -sS --cacert "$OE_TMP/state/tls/ca.pem" --resolve "demo.test:$port:127.0.0.1" \
        "https://demo.test:$port/$1"
}
expect_eq "$(curl_get index.html)" "hello" "served"

# odoh-edge reload: SIGHUP through the pid file, announced as RELOADING=1 + MONOTONIC_USEC, then
# READY=1 again.
"$OE_BIN" reload -c "$OE_TMP/edge.conf" || fail "odoh-edge reload"
oe_wait_log -F "$OE_TMP/logs/main.log" "configuration reloaded"
n=100; until [ "$(grep -c . "$OE_TMP/notify.txt")" -ge 3 ]; do n=$((n - 1)); [ $n -gt 0 ] || fail "notify: $(cat "$OE_TMP/notify.txt")"; sleep 0.05; done
sed -n 2p "$OE_TMP/notify.txt" | grep -qx 'RELOADING=1|MONOTONIC_USEC=[1-9][0-9]*' ||
    fail "reloading message: $(sed -n 2p "$OE_TMP/notify.txt")"
usec=$(sed -n 2p "$OE_TMP/notify.txt" | sed 's/.*=//')
now=$(awk '{printf "%.0f", $1 * 1000000}' /proc/uptime)
[ $((now - usec)) -ge 0 ] && [ $((now - usec)) -lt 30000000 ] || fail "MONOTONIC_USEC $usec far from $now"
expect_eq "$(sed -n 3p "$OE_TMP/notify.txt")" "READY=1" "ready after the reload"

# SIGUSR1 under load: rotate both logs (rename, as logrotate does without copytruncate) while a
# client sends a known number of requests; every request is in the old or the new access log,
# exactly once, and the main log continues in the new file.
loops=300
( i=0; while [ $i -lt $loops ]; do curl_get index.html >/dev/null || echo "request $i failed"; i=$((i + 1)); done ) \
    >"$OE_TMP/load.err" 2>&1 &
lpid=$!
n=200; until [ "$(grep -c . "$OE_TMP/logs/access.log" 2>/dev/null || echo 0)" -ge 50 ]; do n=$((n - 1)); [ $n -gt 0 ] || fail "no access log lines"; sleep 0.05; done
mv "$OE_TMP/logs/access.log" "$OE_TMP/logs/access.log.1"
mv "$OE_TMP/logs/main.log" "$OE_TMP/logs/main.log.1"
"$OE_BIN" reopen -c "$OE_TMP/edge.conf" || fail "odoh-edge reopen"
wait $lpid
expect_eq "$(cat "$OE_TMP/load.err")" "" "load errors"
# Every line of both files is one JSON object.
/usr/bin/python3 - "$OE_TMP/logs/access.log.1" "$OE_TMP/logs/access.log" <<'PY' || fail "access log is not JSON lines"
import json, sys
for f in sys.argv[1:]:
    for line in open(f):
        r = json.loads(line)
        assert set(r) == {"time", "site", "method", "path", "status", "bytes", "duration_ms"}, r
PY
old=$(grep -c '"site":"demo","method":"GET","path":"/index.html","status":200,"bytes":6,' "$OE_TMP/logs/access.log.1")
new=$(grep -c '"site":"demo","method":"GET","path":"/index.html","status":200,"bytes":6,' "$OE_TMP/logs/access.log" || true)
[ "$new" -gt 0 ] || fail "nothing in the new access log ($old in the old one)"
# One request before the load (the "served" check) plus the load.
expect_eq "$((old + new))" "$((loops + 1))" "access log lines across the rotation"
oe_wait_log -F "$OE_TMP/logs/main.log" "log files reopened"
! grep -q "log files reopened" "$OE_TMP/logs/main.log.1" || fail "main log not moved to the new file"

# odoh-edge stop: SIGTERM, STOPPING=1, waits until the process has gone; the pid file goes too.
"$OE_BIN" stop -c "$OE_TMP/edge.conf" || fail "odoh-edge stop"
kill -0 "$pid" 2>/dev/null && fail "still running after odoh-edge stop"
expect_eq "$(tail -n 1 "$OE_TMP/notify.txt")" "STOPPING=1" "last notification"
[ ! -e "$OE_TMP/edge.pid" ] || fail "pid file left behind"
set +e
out=$("$OE_BIN" reload -c "$OE_TMP/edge.conf" 2>&1); rc=$?
set -e
expect_eq "$rc" 1 "reload without a running server"
expect_eq "$out" "odoh-edge reload: $OE_TMP/edge.pid: No such file or directory" "reload message"
echo "ok"
