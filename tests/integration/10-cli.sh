# The command line: version, static linking, config check with exact errors and exit codes,
# the embedded default config, signals (SIGHUP with a broken and a good config, SIGTERM).
. "$OE_ROOT/tests/integration/lib.sh"

# -V names every library, the X25519 backend and the AES-GCM code in use.
v=$("$OE_BIN" -V)
echo "$v" | grep -qx '  mbedtls  3.6.6 (built with 3.6.6)' || fail "version: $v"
# X25519: our own radix-2^51 code where the compiler has 128-bit products, Everest elsewhere.
case $(uname -m) in
x86_64 | aarch64) want_x='odoh-edge (radix 2^51)' ;;
*) want_x='everest (HACL*)' ;;
esac
echo "$v" | grep -qxF "  x25519   $want_x" || fail "x25519 backend: want '$want_x': $v"
echo "$v" | grep -qx '  libuv    1.50.0' || fail "libuv: $v"
echo "$v" | grep -qx '  nghttp2  1.64.0' || fail "nghttp2: $v"
echo "$v" | grep -qx '  llhttp   9.2.1' || fail "llhttp: $v"
# The AES code in use: on x86_64, AES-NI exactly when the CPU has it.
if grep -qw aes /proc/cpuinfo; then want='aesni (AES-NI and PCLMULQDQ)'; else want='portable (built with AES-NI, this CPU has none)'; fi
case $(uname -m) in x86_64) echo "$v" | grep -qxF "  aes      $want" || fail "aes: want '$want': $v" ;; esac
# AES-GCM on x86_64 is our own: two blocks per instruction with VAES, else AES-NI + PCLMULQDQ.
if grep -qw vaes /proc/cpuinfo && grep -qw vpclmulqdq /proc/cpuinfo; then
    want='vaes+pclmulqdq (odoh-edge)'
elif grep -qw aes /proc/cpuinfo; then
    want='aes-ni+pclmulqdq (odoh-edge)'
else
    want='portable (odoh-edge)'
fi
case $(uname -m) in x86_64) echo "$v" | grep -qxF "  aes-gcm  $want" || fail "aes-gcm: want '$want': $v" ;; esac
# A sanitizer build (make asan-integration sets OE_SANITIZED) is dynamic by necessity.
[ -n "${OE_SANITIZED:-}" ] || file -L "$OE_BIN" | grep -q 'statically linked' ||
    fail "not static: $(file -L "$OE_BIN")"

# The shipped config checks clean, with two warnings: the demo runs proxy and target together,
# and relay and gateway.
out=$("$OE_BIN" -t -c "$OE_ROOT/odoh-edge.conf" 2>&1) || fail "shipped config: $out"
line=$(grep -n '^\[odoh-proxy\]' "$OE_ROOT/odoh-edge.conf" | cut -d: -f1)
rline=$(grep -n '^\[ohttp-relay\]' "$OE_ROOT/odoh-edge.conf" | cut -d: -f1)
expect_eq "$out" "$OE_ROOT/odoh-edge.conf:$line: [odoh-proxy]: this instance runs both the proxy and the target: fine for a demo; for public traffic run them apart, so that no one party sees both who asks and what is asked (warning)
$OE_ROOT/odoh-edge.conf:$rline: [ohttp-relay]: this instance runs both the relay and the gateway: fine for a demo; for public traffic run them apart, so that no one party sees both who asks and what is asked (warning)
$OE_ROOT/odoh-edge.conf: configuration ok" "check output"

# A misspelled key: FILE:LINE, suggestion, exit 78.
printf '[global]\nlog-levl = debug\n' > "$OE_TMP/bad.conf"
set +e
out=$("$OE_BIN" check -c "$OE_TMP/bad.conf" 2>&1); rc=$?
set -e
expect_eq "$rc" 78 "exit code for a bad config"
expect_eq "$out" "$OE_TMP/bad.conf:2: [global] log-levl: unknown key (did you mean \"log-level\"?)
$OE_TMP/bad.conf: 1 error(s)" "bad config output"

# Global options work before the command too (issue 11 item 10): the same output both ways.
for args in "-c $OE_TMP/bad.conf check" "-c $OE_TMP/bad.conf -t" "-c $OE_TMP/bad.conf origins"; do
    set +e
    # shellcheck disable=SC2086
    out2=$("$OE_BIN" $args 2>&1); rc=$?
    set -e
    expect_eq "$rc" 78 "exit code for $args"
    expect_eq "$out2" "$out" "$args"
done
set +e
"$OE_BIN" -c >/dev/null 2>&1; rc=$?
set -e
expect_eq "$rc" 64 "-c without a file"

# help-config marks each repeatable key once.
"$OE_BIN" help-config >"$OE_TMP/help-config.txt"
! grep -n 'repeatable.*repeatable' "$OE_TMP/help-config.txt" || fail "help-config says (repeatable) twice"
grep -qx '  alias                  more host names (repeatable)' "$OE_TMP/help-config.txt" ||
    fail "help-config: alias not marked repeatable"

# `origins` only inspects: it writes no state (no generated CA or certificate) and says what a
# run would generate.
mkdir "$OE_TMP/insp"
printf '[global]\nstate-dir = state\n[listen "https"]\naddress = 127.0.0.1:1\n[site "a"]\nhost = a.test\ncert = auto\n' >"$OE_TMP/insp/edge.conf"
out=$(cd "$OE_TMP/insp" && "$OE_BIN" origins -c edge.conf 2>&1) || fail "origins: $out"
expect_eq "$(ls "$OE_TMP/insp")" "edge.conf" "files after origins"
expect_eq "$(echo "$out" | head -n 1)" "certificate 1 (default, also without SNI): ./state/tls/site-a.pem (cert = auto; not there yet: a run would generate it and its key)" "origins: first line"
expect_eq "$(echo "$out" | tail -n 1)" "local CA: ./state/tls/ca.pem not there yet: a run would generate it and its key" "origins: last line"

# Usage errors exit 64; --help exits 0 and lists the commands.
set +e
"$OE_BIN" frobnicate >/dev/null 2>&1; rc=$?
set -e
expect_eq "$rc" 64 "unknown command"
"$OE_BIN" --help | grep -q '^  check, -t ' || fail "--help lacks check"

# Without -c and without a file nearby, the embedded copy of the shipped config is used.
mkdir "$OE_TMP/bin" "$OE_TMP/empty"
cp "$OE_BIN" "$OE_TMP/bin/odoh-edge"
out=$(cd "$OE_TMP/empty" && "$OE_TMP/bin/odoh-edge" -t 2>&1 | tail -n 1)
expect_eq "$out" "(embedded odoh-edge.conf): configuration ok" "embedded default"
# ... and a file next to the binary wins over the embedded one.
printf '[global]\nworkers = x\n' > "$OE_TMP/bin/odoh-edge.conf"
set +e
out=$(cd "$OE_TMP/empty" && "$OE_TMP/bin/odoh-edge" -t 2>&1); rc=$?
set -e
expect_eq "$rc" 78 "config next to the binary"

# Signals: a broken config on SIGHUP is refused and the process keeps running; a good one is
# applied; SIGTERM exits 0.
printf '[global]\nworkers = 1\n' > "$OE_TMP/run.conf"
oe_bg "$OE_TMP/run.log" "$OE_BIN" -c "$OE_TMP/run.conf"
pid=$OE_LASTPID
oe_wait_log "$OE_TMP/run.log" 'info: core: odoh-edge .* running' # signal handlers are installed
printf '[global]\nworkers = many\n' > "$OE_TMP/run.conf"
kill -HUP "$pid"
oe_wait_log "$OE_TMP/run.log" 'reload failed: 1 error(s); still running the previous configuration'
kill -0 "$pid" || fail "died on a broken reload: $(cat "$OE_TMP/run.log")"
grep -q 'run.conf:2: \[global\] workers: "many" is not an integer or "auto"' "$OE_TMP/run.log" ||
    fail "reload error not logged: $(cat "$OE_TMP/run.log")"
printf '[global]\nworkers = 2\n' > "$OE_TMP/run.conf"
kill -HUP "$pid"
oe_wait_log -F "$OE_TMP/run.log" "configuration reloaded from $OE_TMP/run.conf"
kill -TERM "$pid"
set +e
wait "$pid"; rc=$?
set -e
expect_eq "$rc" 0 "exit code after SIGTERM"
grep -q 'info: core: stopped' "$OE_TMP/run.log" || fail "no clean stop: $(cat "$OE_TMP/run.log")"

# A run logs the config's warnings through its log, at start and after a reload: log-file and
# log-format = json apply. The cert = auto trust hint names the real port, once.
port=$(oe_port)
mkdir "$OE_TMP/json"
printf '[global]\nworkers = 1\nstate-dir = state\nlog-format = json\nlog-file = %s\n[listen "https"]\naddress = 127.0.0.1:%s\n[site "p"]\nhost = p.test\ncert = auto\n[odoh-proxy]\nsite = p\n' \
    "$OE_TMP/json/edge.log" "$port" >"$OE_TMP/json/edge.conf"
oe_bg "$OE_TMP/json/out.log" "$OE_BIN" -c "$OE_TMP/json/edge.conf"
pid=$OE_LASTPID
oe_wait_tcp "$port" || fail "json run did not start: $(cat "$OE_TMP/json/out.log")"
kill -HUP "$pid" # a reload logs the warnings again, but not the hint
n=100
until grep -q 'configuration reloaded' "$OE_TMP/json/edge.log"; do
    n=$((n - 1)); [ $n -gt 0 ] || fail "no reload: $(cat "$OE_TMP/json/edge.log")"; sleep 0.05
done
kill -TERM "$pid"
wait "$pid" || fail "json run: exit $?"
expect_eq "$(cat "$OE_TMP/json/out.log")" "" "stderr of a run with a log file"
/usr/bin/python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]  # every line is JSON
conf, port = sys.argv[2], sys.argv[3]
warn = [r["msg"] for r in recs if r["level"] == "warn"]
assert warn == [conf + ":11: [odoh-proxy]: no allow-target: every request will be denied (403)"] * 2, warn
hints = [r["msg"] for r in recs if "trust" in r["msg"]]
ca = conf.rsplit("/", 1)[0] + "/state/tls/ca.pem"
want = "cert = auto: trust %s to connect, e.g. curl --cacert %s https://p.test:%s/" % (ca, ca, port)
assert hints == [want], hints
' "$OE_TMP/json/edge.log" "$OE_TMP/json/edge.conf" "$port" || fail "json log: $(cat "$OE_TMP/json/edge.log")"
echo "cli ok"
