# The OpenWrt package (contrib/openwrt/odoh-edge), as far as it can be checked without the
# OpenWrt SDK:
#   - the procd init script parses (sh -n) and is shellcheck-clean;
#   - run against stand-ins for rc.common's config_* and procd_* functions, it starts
#     `odoh-edge run -c CONF` as the service user with respawn and a stop time-out, refuses to
#     start a configuration that does not check, reloads with SIGHUP, and registers the reload
#     trigger for /etc/config/odoh-edge;
#   - the router configuration checks clean with the real binary (no warning) and runs the proxy
#     role only;
#   - the dependency downloads in the package Makefile carry the files and sha256 of
#     vendor/deps.lock.
. "$OE_ROOT/tests/integration/lib.sh"
command -v shellcheck >/dev/null || skip "shellcheck is not installed"
pkg=$OE_ROOT/contrib/openwrt/odoh-edge
init=$pkg/files/odoh-edge.init

sh -n "$init" || fail "sh -n $init"
out=$(shellcheck "$init" 2>&1) || fail "shellcheck: $out"

# ---- the init script against stand-ins -------------------------------------------------------
conf=$pkg/files/odoh-edge.conf
cat >"$OE_TMP/bad.conf" <<'EOF'
[global]
no-such-key = 1
EOF
cat >"$OE_TMP/harness.sh" <<'EOF'
# $1: the init script, $2: odoh-edge, $3: the config the UCI stand-in names, $4: what to call.
calls=$OE_TMP/calls
config_load() { echo "config_load $1" >>"$calls"; }
config_get() { # VAR SECTION OPTION DEFAULT
    case $3 in config) eval "$1=\$CONF" ;; *) eval "$1=\$4" ;; esac
}
config_get_bool() { eval "$1=\$4"; }
procd_open_instance() { echo "open" >>"$calls"; }
procd_set_param() { echo "param $*" >>"$calls"; }
procd_close_instance() { echo "close" >>"$calls"; }
procd_send_signal() { echo "signal $*" >>"$calls"; }
procd_add_reload_trigger() { echo "trigger $*" >>"$calls"; }
logger() { cat >/dev/null; echo "logger $*" >>"$calls"; }
mkdir() { echo "mkdir $*" >>"$calls"; }
chown() { echo "chown $*" >>"$calls"; }
chmod() { echo "chmod $*" >>"$calls"; }
. "$1"
PROG=$2
CONF=$3
"$4"
EOF
harness() { # CONF FUNCTION: runs it, the calls in $OE_TMP/calls; sets rc
    rm -f "$OE_TMP/calls"
    rc=0
    OE_TMP=$OE_TMP sh "$OE_TMP/harness.sh" "$init" "$OE_BIN" "$1" "$2" || rc=$?
}

harness "$conf" start_service
expect_eq "$rc" 0 "start_service with the router configuration"
c=$OE_TMP/calls
grep -qx "param command $OE_BIN run -c $conf" "$c" || fail "command: $(cat "$c")"
grep -qx "param user odoh-edge" "$c" || fail "user: $(cat "$c")"
grep -qx "param respawn 3600 5 5" "$c" || fail "respawn: $(cat "$c")"
grep -qx "param term_timeout 15" "$c" || fail "term_timeout: $(cat "$c")"
grep -qx "chown -R odoh-edge:odoh-edge /etc/odoh-edge/state" "$c" || fail "state owner: $(cat "$c")"
expect_eq "$(grep -c '^open$' "$c")" 1 "instances opened"
expect_eq "$(grep -c '^close$' "$c")" 1 "instances closed"

harness "$OE_TMP/bad.conf" start_service
expect_eq "$rc" 1 "start_service with a configuration that does not check"
! grep -q '^open$' "$c" || fail "an instance was started for a broken configuration: $(cat "$c")"
grep -q '^logger -t odoh-edge -p daemon.err$' "$c" || fail "the check's errors were not logged: $(cat "$c")"

harness "$conf" reload_service
grep -qx "signal odoh-edge \* HUP" "$c" || fail "reload: $(cat "$c")"
harness "$conf" service_triggers
grep -qx "trigger odoh-edge" "$c" || fail "reload trigger: $(cat "$c")"

# ---- the router configuration ------------------------------------------------------------------
out=$("$OE_BIN" check -c "$conf" 2>&1) || fail "router configuration: $out"
expect_eq "$out" "$conf: configuration ok" "check output (no warning)"
grep -q '^\[odoh-proxy\]' "$conf" || fail "no proxy section"
! grep -q '^\[odoh-target\]' "$conf" || fail "the router configuration runs a target"
! grep -q '^address = 127\.' "$conf" || fail "the router configuration listens on loopback only"

# ---- the package's downloads are deps.lock's ---------------------------------------------------
grep -v '^#' "$OE_ROOT/vendor/deps.lock" | while read -r name version kind deb file sha; do
    [ -n "$name" ] || continue
    awk -v f="$file" -v h="$sha" '
        $1 == "FILE:=" f { want = 1; next }
        want && /HASH:=/ { sub(/.*HASH:=/, ""); if ($0 == h) ok = 1; want = 0 }
        END { exit ok ? 0 : 1 }' "$pkg/Makefile" || fail "$file with sha256 $sha is not in $pkg/Makefile"
    [ "$(grep -cF "$file" "$pkg/Makefile")" -ge 2 ] || fail "$file is not copied into the cache"
done
echo "openwrt ok"
