# One address, one owner. The config check refuses an address listed twice (or overlapping a
# wildcard on the same port) with FILE:LINE; a second instance on the port of a running one
# exits non-zero with "address already in use" instead of taking half of the connections; the
# first keeps serving every request; a reload keeps its own address, and a reload onto an
# address another process holds fails and keeps the old configuration.
. "$OE_ROOT/tests/integration/lib.sh"
command -v curl >/dev/null || skip "curl not installed"
port=$(oe_port)
other=$(oe_port)

# -t: duplicates within a section and across sections, and a wildcard overlapping an address.
cat > "$OE_TMP/dup.conf" <<CONF
[global]
workers = 1
state-dir = state
[listen "a"]
address = 127.0.0.1:$port
address = 127.0.0.1:$other 127.0.0.1:$port
[listen "b"]
tls = no
address = *:$other
[site "demo"]
host = demo.test
cert = auto
CONF
set +e
out=$("$OE_BIN" -t -c "$OE_TMP/dup.conf" 2>&1); rc=$?
set -e
expect_eq "$rc" 78 "exit code for duplicate addresses"
expect_eq "$out" "$OE_TMP/dup.conf:6: [listen \"a\"] address: 127.0.0.1:$port is listed twice (first on line 5)
$OE_TMP/dup.conf:9: [listen \"b\"] address: *:$other overlaps 127.0.0.1:$other (line 6 in [listen \"a\"]): the same port, and one of them is the wildcard address
$OE_TMP/dup.conf: 2 error(s)" "duplicate address errors"

conf() { # conf FILE ADDRESS...
    f=$1; shift
    { printf '[global]\nworkers = 2\nstate-dir = state\nshutdown-timeout = 2s\n[listen "https"]\n'
      for addr in "$@"; do printf 'address = %s\n' "$addr"; done
      printf '[site "demo"]\nhost = demo.test\ncert = auto\n'; } > "$f"
}
conf "$OE_TMP/a.conf" "127.0.0.1:$port"
oe_bg "$OE_TMP/a.log" "$OE_BIN" -c "$OE_TMP/a.conf"
a=$OE_LASTPID
oe_wait_tcp "$port" || fail "first instance did not start: $(cat "$OE_TMP/a.log")"
ca="$OE_TMP/state/tls/ca.pem"
# wait_log N PATTERN: until the log has N lines matching PATTERN (at most 10 s).
wait_log() {
    n=200
    while [ "$(grep -c "$2" "$OE_TMP/a.log")" -lt "$1" ] && [ $n -gt 0 ]; do
        sleep 0.05
        n=$((n - 1))
    done
    expect_eq "$(grep -c "$2" "$OE_TMP/a.log")" "$1" "log lines '$2'"
}
get() { curl -sS -o /dev/null -w '%{http_code}\n' --max-time 5 --cacert "$ca" \
    --resolve "demo.test:$port:127.0.0.1" "https://demo.test:$port/" 2>&1 || true; }
twenty() { n=0; for i in $(seq 20); do [ "$(get)" = 404 ] && n=$((n + 1)); done; echo "$n"; }

# The second instance refuses to start, quickly, with the address in its message.
mkdir -p "$OE_TMP/b"
cp "$OE_TMP/a.conf" "$OE_TMP/b/b.conf"
set +e
timeout 10 "$OE_BIN" -c "$OE_TMP/b/b.conf" > "$OE_TMP/b.log" 2>&1; rc=$?
set -e
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "second instance: exit $rc: $(cat "$OE_TMP/b.log")"
grep -q "error: http: 127.0.0.1:$port: address already in use" "$OE_TMP/b.log" ||
    fail "no 'address already in use' line: $(cat "$OE_TMP/b.log")"
# Every request reaches the first instance (the site has no root: 404 from it).
expect_eq "$(twenty)" 20 "requests answered by the first instance"
kill -0 "$a" || fail "first instance died"

# A reload keeps its own address (no conflict with itself), twice in a row.
kill -HUP "$a"
wait_log 1 'configuration reloaded'
kill -HUP "$a"
wait_log 2 'configuration reloaded'
expect_eq "$(twenty)" 20 "requests after the reloads"

# A reload onto an address another process listens on fails; the old configuration serves on.
/usr/bin/python3 -c "
import socket, time
s = socket.socket(); s.bind(('127.0.0.1', $other)); s.listen(1); time.sleep(30)" &
holder=$!
OE_PIDS="$OE_PIDS $holder"
oe_wait_tcp "$other" || fail "holder did not listen"
conf "$OE_TMP/a.conf" "127.0.0.1:$port" "127.0.0.1:$other"
kill -HUP "$a"
wait_log 1 'reload failed; still running the previous configuration'
grep -q "error: http: 127.0.0.1:$other: address already in use" "$OE_TMP/a.log" ||
    fail "reload conflict not logged: $(cat "$OE_TMP/a.log")"
expect_eq "$(twenty)" 20 "requests after the failed reload"
kill "$holder"
wait "$holder" 2>/dev/null || true

# Once the other process is gone, the same reload is applied.
kill -HUP "$a"
wait_log 3 'configuration reloaded'
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$ca" \
    --resolve "demo.test:$other:127.0.0.1" "https://demo.test:$other/" 2>&1 || true)
expect_eq "$code" 404 "the new address"
kill -TERM "$a"
set +e
wait "$a"; rc=$?
set -e
expect_eq "$rc" 0 "exit code after SIGTERM"
echo "port conflict ok"
