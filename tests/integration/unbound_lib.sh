# unbound as a real upstream resolver on loopback, with local data only (no internet); source it
# after lib.sh. Used by 50-target-unbound.sh, 51-target-faults.sh, 60-proxy-chain.sh and
# tests/bench/target_bench.sh.
#
# oe_unbound_start PORT [EXTRA-LOCAL-DATA-LINES]: writes $OE_TMP/unbound.conf, starts
#   `unbound -d` in the background, waits for it. The zone it.test. is static (other names in it
#   are NXDOMAIN with the SOA); queries are logged to $OE_TMP/unbound.log; statistics are read
#   with oe_unbound_stat NAME (unbound-control over a unix socket, no certificates).
# oe_unbound_need: installs unbound when missing (as root), or skips.

oe_unbound_need() {
    if ! command -v unbound >/dev/null 2>&1 && [ ! -x /usr/sbin/unbound ]; then
        [ "$(id -u)" = 0 ] || skip "unbound is not installed"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends unbound \
            >"$OE_TMP/apt.log" 2>&1 || skip "unbound is not installed and apt-get failed"
    fi
    PATH=$PATH:/usr/sbin
    export PATH
}

# The long TXT answer: four 200-byte strings (845 bytes of DNS message), more than the 512 bytes
# of a UDP answer without EDNS, so unbound sets TC.
oe_unbound_big_txt() {
    for c in a b c d; do printf '\\"%s\\" ' "$(printf "%200s" | tr ' ' "$c")"; done
}

oe_unbound_start() {
    _up=$1
    _extra=${2:-}
    cat >"$OE_TMP/unbound.conf" <<EOF
server:
    interface: 127.0.0.1@$_up
    port: $_up
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    do-not-query-localhost: no
    chroot: ""
    username: ""
    directory: "$OE_TMP"
    pidfile: "$OE_TMP/unbound.pid"
    use-syslog: no
    logfile: ""
    log-queries: yes
    verbosity: 1
    num-threads: 1
    module-config: "iterator"
    access-control: 127.0.0.0/8 allow
    rrset-roundrobin: no
    minimal-responses: yes
    extended-statistics: yes
    statistics-cumulative: yes
    incoming-num-tcp: 64
    local-zone: "it.test." static
    local-data: "it.test. 3600 IN SOA ns.it.test. admin.it.test. 1 3600 600 86400 300"
    local-data: "it.test. 300 IN MX 10 mail.it.test."
    local-data: "it.test. 300 IN MX 20 mail2.it.test."
    local-data: "www.it.test. 300 IN A 192.0.2.10"
    local-data: "www.it.test. 300 IN A 192.0.2.11"
    local-data: "www.it.test. 300 IN AAAA 2001:db8::10"
    local-data: "www.it.test. 300 IN TXT \"hello from unbound\" \"second string\""
    local-data: "big.it.test. 300 IN TXT $(oe_unbound_big_txt)"
    local-data: "local.it.test. 300 IN A 192.0.2.99"
$_extra
remote-control:
    control-enable: yes
    control-interface: "$OE_TMP/unbound.ctl"
    control-use-cert: no
EOF
    unbound-checkconf "$OE_TMP/unbound.conf" >"$OE_TMP/unbound-check.log" 2>&1 ||
        fail "unbound.conf: $(cat "$OE_TMP/unbound-check.log")"
    oe_bg "$OE_TMP/unbound.log" unbound -d -c "$OE_TMP/unbound.conf"
    OE_UNBOUND_PID=$OE_LASTPID
    oe_wait_tcp "$_up" 10 || fail "unbound did not start: $(cat "$OE_TMP/unbound.log")"
}

# oe_unbound_stat NAME: a counter from unbound-control stats_noreset (0 when absent).
oe_unbound_stat() {
    unbound-control -c "$OE_TMP/unbound.conf" stats_noreset 2>/dev/null |
        awk -F= -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}
