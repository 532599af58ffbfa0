# The command line: version, static linking, config check with exact errors and exit codes,
# the embedded default config, signals (SIGHUP with a broken and a good config, SIGTERM).
. "$OE_ROOT/tests/integration/lib.sh"

# -V names every library and the Everest X25519 backend.
v=$("$OE_BIN" -V)
echo "$v" | grep -qx '  mbedtls  3.6.6 (built with 3.6.6)' || fail "version: $v"
echo "$v" | grep -qx '  x25519   everest (HACL\*)' || fail "x25519 backend: $v"
echo "$v" | grep -qx '  libuv    1.50.0' || fail "libuv: $v"
echo "$v" | grep -qx '  nghttp2  1.64.0' || fail "nghttp2: $v"
echo "$v" | grep -qx '  llhttp   9.2.1' || fail "llhttp: $v"
file -L "$OE_BIN" | grep -q 'statically linked' || fail "not static: $(file -L "$OE_BIN")"

# The shipped config checks clean, with one warning: the demo runs proxy and target together.
out=$("$OE_BIN" -t -c "$OE_ROOT/odoh-edge.conf" 2>&1) || fail "shipped config: $out"
line=$(grep -n '^\[odoh-proxy\]' "$OE_ROOT/odoh-edge.conf" | cut -d: -f1)
expect_eq "$out" "$OE_ROOT/odoh-edge.conf:$line: [odoh-proxy]: this instance runs both the proxy and the target: fine for a demo; for public traffic run them apart, so that no one party sees both who asks and what is asked (warning)
$OE_ROOT/odoh-edge.conf: configuration ok" "check output"

# A misspelled key: FILE:LINE, suggestion, exit 78.
printf '[global]\nlog-levl = debug\n' > "$OE_TMP/bad.conf"
set +e
out=$("$OE_BIN" check -c "$OE_TMP/bad.conf" 2>&1); rc=$?
set -e
expect_eq "$rc" 78 "exit code for a bad config"
expect_eq "$out" "$OE_TMP/bad.conf:2: [global] log-levl: unknown key (did you mean \"log-level\"?)
$OE_TMP/bad.conf: 1 error(s)" "bad config output"

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
echo "cli ok"
