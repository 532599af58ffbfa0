# Helpers for the key-lifecycle tests (70..75-keys-*.sh), and knotd (kl_apt, kl_knot_run) for
# 92-acme-dns01-knot.sh; source after lib.sh.
#
# Every odoh-edge instance lives in its own folder D: D/edge.conf, D/state (keys in D/state/keys,
# the local CA in D/state/tls/ca.pem), D/zone.txt, D/edge.log. The target's site is
# target.odoh.test; demo.odoh.test is local data (A 127.0.0.1), so no upstream is needed.
#
# kl_conf D PORT [LINE...]    writes D/edge.conf: [keys] gets $KL_SCHED (default: rotate 6s,
#                             publish-ahead 2s, grace 3s, record-ttl 1s, check-interval 200ms),
#                             zone-file zone.txt and each LINE; KL_WORKERS (2), KL_LOG_LEVEL
# kl_start D PORT             starts odoh-edge on D/edge.conf, waits for the port; sets KL_PID
# kl_configs D PORT           the body of /.well-known/odohconfigs as hex (curl)
# kl_query D PORT [ARGS...]   odoh-edge query demo.odoh.test against the instance
# kl_keyid HEX                the 16-hex-digit key id prefix (the key file name) of the first config
# kl_now                      unix milliseconds
# kl_knot_start PORT SECRET   knotd with zone odoh.test and an update ACL for key update-key
#                             limited to target.odoh.test./HTTPS (installs knot when missing)
KT=$OE_ROOT/tests/integration/keys_tool.py
KL_SCHED="rotate = 6s
publish-ahead = 2s
grace = 3s
record-ttl = 1s
check-interval = 200ms"
KL_HOST=target.odoh.test

kl_py() { /usr/bin/python3 "$KT" "$@"; }
kl_now() { date +%s%3N; }

# kl_apt PACKAGE COMMAND: installs PACKAGE when COMMAND is missing (as root), else skips.
kl_apt() {
    PATH=$PATH:/usr/sbin:/sbin
    export PATH
    command -v "$2" >/dev/null 2>&1 && return 0
    [ "$(id -u)" = 0 ] || skip "$2 is not installed (Debian package $1)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" \
        >"$OE_TMP/apt-$1.log" 2>&1 || skip "$2 is not installed and apt-get install $1 failed"
    command -v "$2" >/dev/null 2>&1 || skip "$2 is still missing after installing $1"
}

kl_conf() {
    _d=$1; _p=$2; shift 2
    mkdir -p "$_d"
    {
        printf '[global]\nworkers = %s\nstate-dir = state\nlog-level = %s\n' "${KL_WORKERS:-2}" "${KL_LOG_LEVEL:-info}"
        printf '[listen "https"]\naddress = 127.0.0.1:%s\n' "$_p"
        printf '[site "target"]\nhost = %s\ncert = auto\n' "$KL_HOST"
        printf '[odoh-target]\nsite = target\nlocal-data = "demo.odoh.test. 300 IN A 127.0.0.1"\n'
        printf '[keys]\n%s\nzone-file = zone.txt\n' "$KL_SCHED"
        for _l in "$@"; do printf '%s\n' "$_l"; done
    } >"$_d/edge.conf"
}

kl_start() {
    oe_bg "$1/edge.log" "$OE_BIN" -c "$1/edge.conf"
    KL_PID=$OE_LASTPID
    _n=0
    until oe_wait_tcp "$2" 1; do
        _n=$((_n + 1))
        kill -0 "$KL_PID" 2>/dev/null && [ $_n -lt 10 ] || fail "odoh-edge in $1 did not start: $(cat "$1/edge.log")"
    done
}

kl_configs() {
    curl -sf --max-time 5 --cacert "$1/state/tls/ca.pem" --resolve "$KL_HOST:$2:127.0.0.1" \
        "https://$KL_HOST:$2/.well-known/odohconfigs" | od -An -v -tx1 | tr -d ' \n'
}

kl_query() {
    _d=$1; _p=$2; shift 2
    "$OE_BIN" query demo.odoh.test --target "https://$KL_HOST:$_p/dns-query" --ca "$_d/state/tls/ca.pem" \
        --resolve "$KL_HOST:$_p:127.0.0.1" "$@"
}

kl_keyid() { kl_py keyids "$1" | sed -n 1p | cut -c1-16; }

# kl_field FILE KEY: a field of a key file
kl_field() { sed -n "s/^$2 = //p" "$1"; }

# kl_current D: the id of the current key per `keys list` (empty if none)
kl_current() { "$OE_BIN" keys list -c "$1/edge.conf" 2>/dev/null | awk '$2 == "current" { print $1 }'; }

kl_knot_start() {
    kl_apt knot knotd
    kl_apt knot-dnsutils kdig
    _kp=$1
    mkdir -p "$OE_TMP/knot/db"
    cat >"$OE_TMP/knot/odoh.test.zone" <<'ZONE'
$ORIGIN odoh.test.
$TTL 300
@ SOA ns1.odoh.test. hostmaster.odoh.test. 1 3600 600 86400 300
@ NS ns1
ns1 A 127.0.0.1
target A 127.0.0.1
evil A 127.0.0.1
ZONE
    # The update ACL: only key update-key, only the owner target.odoh.test., only type HTTPS.
    kl_knot_run "$_kp" "$2" odoh.test update-key HTTPS target.odoh.test.
}

# kl_knot_run PORT SECRET ZONE KEY TYPE OWNER: knotd on 127.0.0.1:PORT serving ZONE from
# $OE_TMP/knot/ZONE.zone (the caller writes it; $OE_TMP/knot/db must exist), accepting DNS UPDATE
# signed with the TSIG key KEY (hmac-sha256, base64 SECRET) for type TYPE at the owner name OWNER
# only.
kl_knot_run() {
    cat >"$OE_TMP/knot/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$1
    rundir: $OE_TMP/knot
database:
    storage: $OE_TMP/knot/db
key:
  - id: $4
    algorithm: hmac-sha256
    secret: $2
acl:
  - id: upd
    key: $4
    action: update
    update-type: [$5]
    update-owner: name
    update-owner-match: equal
    update-owner-name: [$6]
zone:
  - domain: $3
    storage: $OE_TMP/knot
    file: $3.zone
    acl: upd
log:
  - target: stderr
    any: info
CONF
    oe_bg "$OE_TMP/knotd.log" knotd -c "$OE_TMP/knot/knot.conf"
    oe_wait_tcp "$1" 10 || fail "knotd did not start: $(cat "$OE_TMP/knotd.log")"
}

# kl_follow LOOKUP D PORT SECONDS MIN_ROTATIONS: for SECONDS, samples the well-known configs of
# the instance and the key32769 value the authoritative server returns (LOOKUP prints it as hex).
# Every distinct published list seen must be served by the authoritative server at some sample
# (the update reaches it within the list's lifetime, >= 2 s here), and the current key must have
# changed at least MIN_ROTATIONS times. Prints a summary; fails otherwise.
kl_follow() {
    _look=$1; _d=$2; _p=$3; _end=$(( $(kl_now) + $4 * 1000 )); _minrot=$5
    : >"$OE_TMP/follow.seen"; : >"$OE_TMP/follow.ok"
    _prev_cur=; _rot=0; _i=0
    while [ "$(kl_now)" -lt "$_end" ] && [ $_i -lt 400 ]; do
        _i=$((_i + 1))
        _w1=$(kl_configs "$_d" "$_p") || fail "well-known fetch failed"
        _dns=$($_look)
        _w2=$(kl_configs "$_d" "$_p") || fail "well-known fetch failed"
        if [ -n "$_w1" ] && [ "$_w1" = "$_w2" ]; then
            echo "$_w1" >>"$OE_TMP/follow.seen"
            [ "$_dns" = "$_w1" ] && echo "$_w1" >>"$OE_TMP/follow.ok"
            _cur=$(kl_keyid "$_w1")
            if [ -n "$_prev_cur" ] && [ "$_cur" != "$_prev_cur" ]; then _rot=$((_rot + 1)); fi
            _prev_cur=$_cur
        fi
        sleep 0.2
    done
    # the last list may have appeared just before the end: give it 3 s more
    _last=$(tail -n 1 "$OE_TMP/follow.seen")
    _n=0
    while ! grep -qx "$_last" "$OE_TMP/follow.ok" && [ $_n -lt 15 ]; do
        [ "$($_look)" = "$_last" ] && echo "$_last" >>"$OE_TMP/follow.ok"
        sleep 0.2; _n=$((_n + 1))
    done
    _lists=$(sort -u "$OE_TMP/follow.seen" | grep -c .)
    for _l in $(sort -u "$OE_TMP/follow.seen"); do
        grep -qx "$_l" "$OE_TMP/follow.ok" ||
            fail "published list $_l (well-known) was never served by the authoritative server; last answer: $($_look)"
    done
    [ $_rot -ge "$_minrot" ] || fail "only $_rot rotation(s) seen in $4 s"
    echo "followed $_lists published lists over $_rot rotations: the authoritative server served each, byte-equal"
}
