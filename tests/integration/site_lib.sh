# One odoh-edge serving HTTPS sites, and requests to it with their answers kept for checks: the
# shared part of 40-website.sh and 84-rproxy.sh. Source it after lib.sh.
#
# site_start: checks $OE_TMP/edge.conf (odoh-edge -t), runs it (log $OE_TMP/edge.log, pid in
#   pid) and waits for $port; sets ca, the demo CA of cert = auto.
# req HOST PATH CURL-ARGS...: prints the status of https://HOST:$port/PATH (at 127.0.0.1, path
#   sent as is, trusting $ca) and leaves the body in $OE_TMP/body and the header fields (names
#   lower-cased) in $OE_TMP/hdr.
# hdr NAME: the first value of field NAME of the last answer; body: its body.
# no_hdr NAME WHY: fails if the last answer has field NAME.
site_start() {
    "$OE_BIN" -t -c "$OE_TMP/edge.conf" >"$OE_TMP/check.log" 2>&1 ||
        fail "config check: $(cat "$OE_TMP/check.log")"
    oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
    pid=$OE_LASTPID
    oe_wait_tcp "$port" || fail "server did not start: $(cat "$OE_TMP/edge.log")"
    ca="$OE_TMP/state/tls/ca.pem"
}

req() {
    host=$1; path=$2; shift 2
    : > "$OE_TMP/body" # curl leaves -o alone when there is no body
    curl -sS --path-as-is -o "$OE_TMP/body" -D "$OE_TMP/hdr.raw" -w '%{http_code}' \
        --cacert "$ca" --resolve "$host:$port:127.0.0.1" "$@" "https://$host:$port$path"
    tr -d '\r' < "$OE_TMP/hdr.raw" | sed 's/^\([^:]*\):/\L\1:/' > "$OE_TMP/hdr"
}
hdr() { sed -n "s/^$1: //p" "$OE_TMP/hdr" | head -n 1; }
body() { cat "$OE_TMP/body"; }
no_hdr() { ! grep -q "^$1:" "$OE_TMP/hdr" || fail "unexpected $1: $(hdr "$1") ($2)"; }
