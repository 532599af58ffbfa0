# odoh-edge instances for the ODoH tests: a target (target.test) and a proxy (proxy.test), each
# with its own port, state directory and demo CA. Source it after lib.sh (oe_odoh_conf alone needs
# nothing, so tests/bench/proxy_bench.sh sources just this file).
# Used by 36-http1-linger.sh, 60-proxy-chain.sh, 61-proxy-safety.sh, 63-query-client.sh,
# 64-query-http1.sh, 65-query-resolve.sh and tests/bench/proxy_bench.sh.
#
# oe_odoh_conf ROLE PORT WORKERS [LINE...]: prints a config: WORKERS workers, state-dir = state,
#   HTTPS on 127.0.0.1:PORT, one site ROLE (target or proxy) with host ROLE.test and cert = auto,
#   and its [odoh-ROLE] section (site = ROLE). Each LINE is one setting of [odoh-ROLE], or, written
#   "global:SETTING", "listen:SETTING" or "site:SETTING", one of [global], [listen "https"] or
#   [site "ROLE"].
# oe_odoh_proxy_conf PORT WORKERS TARGET-PORT CA-FILE [LINE...]: a proxy that relays only to
#   target.test:TARGET-PORT (at 127.0.0.1), trusting CA-FILE for it.
# oe_edge_start DIR PORT: runs odoh-edge -c DIR/edge.conf in the background (output in
#   $OE_TMP/DIR.log), waits for PORT; fails with the log when it does not start.

oe_odoh_conf() {
    _role=$1 _port=$2 _workers=$3
    shift 3
    printf '[global]\nworkers = %s\nstate-dir = state\n' "$_workers"
    for _l in "$@"; do case $_l in global:*) printf '%s\n' "${_l#global:}" ;; esac; done
    printf '[listen "https"]\naddress = 127.0.0.1:%s\n' "$_port"
    for _l in "$@"; do case $_l in listen:*) printf '%s\n' "${_l#listen:}" ;; esac; done
    printf '[site "%s"]\nhost = %s.test\ncert = auto\n' "$_role" "$_role"
    for _l in "$@"; do case $_l in site:*) printf '%s\n' "${_l#site:}" ;; esac; done
    printf '[odoh-%s]\nsite = %s\n' "$_role" "$_role"
    for _l in "$@"; do case $_l in global:* | listen:* | site:*) ;; *) printf '%s\n' "$_l" ;; esac; done
}

oe_odoh_proxy_conf() {
    _pp=$1 _pw=$2 _tp=$3 _ca=$4
    shift 4
    oe_odoh_conf proxy "$_pp" "$_pw" "allow-target = target.test:$_tp" "resolve = target.test=127.0.0.1" \
        "ca-file = $_ca" "$@"
}

oe_edge_start() {
    oe_bg "$OE_TMP/$1.log" "$OE_BIN" -c "$1/edge.conf"
    oe_wait_tcp "$2" || fail "odoh-edge -c $1/edge.conf did not start: $(cat "$OE_TMP/$1.log")"
}
