# Privilege drop (issue 14), as root: with [global] user = nobody the process binds a port below
# 1024, then every thread runs as nobody/nogroup with no capabilities, NoNewPrivs and the seccomp
# sandbox; it still
# serves HTTPS on that port, still rotates keys (the state it created as root was handed to
# nobody, and new files are nobody's), runs on-change as nobody, and a reload that needs a new
# port below 1024 fails and says why while the old listener keeps serving.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/keys_lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (to start as root and drop to nobody)"
command -v curl >/dev/null || skip "curl not installed"
grep -q '^nobody:' /etc/passwd && grep -q '^nogroup:' /etc/group || skip "no nobody/nogroup here"
uid=$(awk -F: '$1 == "nobody" {print $3}' /etc/passwd)
gid=$(awk -F: '$1 == "nogroup" {print $3}' /etc/group)

# Two free ports below 1024 (the second for the reload).
low_ports=$(/usr/bin/python3 -c 'import socket
n = []
for p in range(700, 1000):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); n.append(p)
    except OSError:
        pass
    s.close()
    if len(n) == 2:
        break
print(*n)')
set -- $low_ports
[ $# = 2 ] || fail "no free ports below 1024: $low_ports"
port=$1; port2=$2

chmod 0755 "$OE_TMP" # nobody must reach the state below it
D=$OE_TMP/d
mkdir -p "$D/state" # made by root: the start hands it to nobody
cat >"$D/edge.conf" <<CONF
[global]
workers = 2
state-dir = state
user = nobody
group = nogroup
log-file = $D/edge.log
[listen "https"]
address = 127.0.0.1:$port
[site "target"]
host = $KL_HOST
cert = auto
[odoh-target]
site = target
local-data = "demo.odoh.test. 300 IN A 127.0.0.1"
[keys]
rotate = 3s
publish-ahead = 1s
grace = 2s
record-ttl = 1s
check-interval = 200ms
zone-file = state/zone.txt
on-change = id -u >>state/on-change.uid; grep -E '^CapEff' /proc/self/status >>state/on-change.status; unshare -U true 2>/dev/null; echo \$? >>state/on-change.unshare
CONF
(cd "$D" && exec "$OE_BIN" -c edge.conf) >"$D/out.log" 2>&1 &
pid=$!
OE_PIDS="$OE_PIDS $pid"
oe_wait_log -F "$D/edge.log" "no new privileges"
oe_wait_tcp "$port" || fail "no listener on $port"
expect_eq "$(grep 'running as user' "$D/edge.log" | sed 's/^[^ ]* //')" \
    "info: core: running as user nobody (uid $uid, gid $gid), no new privileges" "log line"

# Every thread (main, workers, libuv's pool) carries the dropped credentials.
nthreads=0
for st in /proc/$pid/task/*/status; do
    nthreads=$((nthreads + 1))
    expect_eq "$(awk '$1 == "Uid:" {print $2, $3, $4, $5}' "$st")" "$uid $uid $uid $uid" "Uid of $st"
    expect_eq "$(awk '$1 == "Gid:" {print $2, $3, $4, $5}' "$st")" "$gid $gid $gid $gid" "Gid of $st"
    expect_eq "$(awk '$1 == "Groups:" {print $2}' "$st")" "$gid" "Groups of $st"
    expect_eq "$(awk '$1 == "CapEff:" {print $2}' "$st")" "0000000000000000" "CapEff of $st"
    expect_eq "$(awk '$1 == "CapPrm:" {print $2}' "$st")" "0000000000000000" "CapPrm of $st"
    expect_eq "$(awk '$1 == "NoNewPrivs:" {print $2}' "$st")" "1" "NoNewPrivs of $st"
    expect_eq "$(awk '$1 == "Seccomp:" {print $2}' "$st")" "2" "Seccomp (filter mode) of $st"
done
[ $nthreads -ge 3 ] || fail "expected the main thread and 2 workers, saw $nthreads threads"

# Still serving HTTPS on the port below 1024, and answering ODoH queries.
c1=$(kl_configs "$D" "$port")
[ ${#c1} = 92 ] || fail "odohconfigs on port $port: '$c1'"
kl_query "$D" "$port" --count 20 >"$OE_TMP/q.txt" 2>&1 || fail "queries: $(cat "$OE_TMP/q.txt")"

# Rotation: new configs are served and the files written after the drop belong to nobody.
n=200
while [ "$(kl_configs "$D" "$port")" = "$c1" ]; do
    n=$((n - 1)); [ $n -gt 0 ] || fail "no rotation within 10 s: $(tail -n 5 "$D/edge.log")"
    sleep 0.05
done
kl_query "$D" "$port" --count 20 >"$OE_TMP/q.txt" 2>&1 || fail "queries after rotation: $(cat "$OE_TMP/q.txt")"
n=200; until [ "$(grep -c . "$D/state/on-change.uid" 2>/dev/null || echo 0)" -ge 2 ]; do
    n=$((n - 1)); [ $n -gt 0 ] || fail "on-change did not run twice"; sleep 0.05
done
! grep -i 'error' "$D/edge.log" || fail "errors logged"
bad=$(find "$D/state" \( ! -user nobody -o ! -group nogroup \) -print)
expect_eq "$bad" "" "state not owned by nobody:nogroup"
[ -s "$D/state/zone.txt" ] || fail "zone file not written"
expect_eq "$(sort -u "$D/state/on-change.uid")" "$uid" "on-change runs as"
expect_eq "$(sort -u "$D/state/on-change.status")" "CapEff:	0000000000000000" "on-change capabilities"
# The sandbox holds for on-change too: unshare(2) is off the list, and SIGSYS (31) ends it. The
# first run was before the start was over (still root, sandbox not narrowed): unshare is refused
# there too.
# (Sanitizer builds run without the sandbox: see modules/core/sandbox.h.)
[ -n "${OE_SANITIZED:-}" ] || expect_eq "$(sort -u "$D/state/on-change.unshare")" "159" "unshare in on-change"

# A reload that needs a new port below 1024 cannot bind it after the drop: it fails, says why,
# and the first listener keeps serving.
sed -i "s/^address = 127.0.0.1:$port\$/address = 127.0.0.1:$port\naddress = 127.0.0.1:$port2/" "$D/edge.conf"
kill -HUP "$pid"
oe_wait_log -F "$D/edge.log" "needs a restart"
grep -q "reload failed; still running the previous configuration" "$D/edge.log" || fail "reload failure not logged"
grep -F "127.0.0.1:$port2" "$D/edge.log" | grep -q "ermission denied" ||
    fail "no permission error for port $port2: $(tail -n 5 "$D/edge.log")"
kl_query "$D" "$port" --count 20 >"$OE_TMP/q.txt" 2>&1 || fail "queries after the failed reload: $(cat "$OE_TMP/q.txt")"

# [global] user names that do not exist are config errors with the line.
printf '[global]\nuser = no-such-user-oe\n' >"$OE_TMP/u.conf"
set +e
out=$("$OE_BIN" check -c "$OE_TMP/u.conf" 2>&1); rc=$?
set -e
expect_eq "$rc" 78 "exit code for an unknown user"
expect_eq "$(echo "$out" | head -n 1)" "$OE_TMP/u.conf:2: [global] user: no such user \"no-such-user-oe\" in /etc/passwd" "unknown user"
kill -TERM "$pid"
wait "$pid" || fail "exit status after SIGTERM"
echo "ok ($nthreads threads checked)"
