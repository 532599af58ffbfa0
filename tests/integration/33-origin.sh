# ORIGIN frames (RFC 8336) per certificate, 421 outside the origin set, and the config checks.
# Five sites with four certificates: cert = auto with aliases (origin = auto), an openssl
# certificate with a wildcard (auto: the wildcard matches configured names only), origin = self,
# origin = off and an explicit list. Checked with nghttp -v and with raw frames (h2_origin.py).
. "$OE_ROOT/tests/integration/lib.sh"
command -v nghttp >/dev/null || skip "nghttp not installed (nghttp2-client)"
command -v openssl >/dev/null || skip "openssl not installed"
/usr/bin/python3 -c 'import h2, hyperframe, hpack' 2>/dev/null || skip "python3-h2 not installed"
py() { /usr/bin/python3 "$OE_ROOT/tests/integration/h2_origin.py" "$@"; }

port=$(oe_port); hport=$(oe_port)
# mkcert NAME SAN...: a self-signed ECDSA P-256 leaf NAME.pem / NAME.key for the names.
mkcert() {
    n=$1; shift
    san=$(printf 'DNS:%s,' "$@"); san=${san%,}
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=$1" -addext "subjectAltName=$san" \
        -keyout "$OE_TMP/$n.key" -out "$OE_TMP/$n.pem" 2>/dev/null
    chmod 600 "$OE_TMP/$n.key"
}
mkcert other other.test '*.wild.test'
mkcert self self.test s2.self.test
mkcert off off.test o2.off.test
mkcert list list.test l2.list.test l3.list.test
mkdir "$OE_TMP/www"
echo "hello" > "$OE_TMP/www/index.html"

# site_conf: the five sites; $1 is the list site's origin lines.
site_conf() {
    cat <<CONF
[global]
workers = 2
state-dir = state
[listen "https"]
address = 127.0.0.1:$port
[listen "plain"]
address = 127.0.0.1:$hport
tls = no
[site "demo"]
host = a.test
alias = b.test c.test
alias = d.test e.test
cert = auto
root = www
[site "wild"]
host = other.test
alias = x.wild.test
cert = other.pem
key = other.key
root = www
[site "self"]
host = self.test
alias = s2.self.test
cert = self.pem
key = self.key
origin = self
root = www
[site "off"]
host = off.test
alias = o2.off.test
cert = off.pem
key = off.key
origin = off
root = www
[site "list"]
host = list.test
alias = l2.list.test l3.list.test
cert = list.pem
key = list.key
root = www
$1
CONF
}
site_conf "origin = https://list.test:$port
origin = https://l3.list.test:$port" > "$OE_TMP/edge.conf"
out=$("$OE_BIN" -t -c "$OE_TMP/edge.conf" 2>&1) || fail "config check: $out"

oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
oe_wait_tcp "$port" || fail "server did not start: $(cat "$OE_TMP/edge.log")"
oe_wait_tcp "$hport" || fail "plain listener did not start"
ca="$OE_TMP/state/tls/ca.pem"
# Trust anchors for the raw client: the generated CA and the self-signed leaves.
cat "$ca" "$OE_TMP"/other.pem "$OE_TMP"/self.pem "$OE_TMP"/off.pem "$OE_TMP"/list.pem > "$OE_TMP/anchors.pem"
o() { printf 'https://%s:%s ' "$@" | sed 's/ $//'; } # o HOST PORT [HOST PORT...]
demo_set="https://a.test:$port https://b.test:$port https://c.test:$port https://d.test:$port https://e.test:$port"
wild_set="https://other.test:$port https://x.wild.test:$port"
list_set="https://list.test:$port https://l3.list.test:$port"

# ---- nghttp -v: "recv ORIGIN frame" and its entries, per SNI (nghttp takes the SNI from the
# :authority it is given, so 127.0.0.1 in the URI needs no name resolution).
nghttp_origin() {
    nghttp -v -n -t 5 -H ":authority: $1:$port" "https://127.0.0.1:$port/" 2>&1 |
        awk '/recv ORIGIN frame/ {n++; on=1; next} on && /^ +\[https?:/ {gsub(/[][ ]/, ""); printf "%s%s", sep, $0; sep=" "; next} {on=0} END {if (n != 1) printf " (%d ORIGIN frames)", n}'
}
for sni in a.test c.test e.test; do
    expect_eq "$(nghttp_origin $sni)" "$demo_set" "nghttp ORIGIN for SNI $sni (cert = auto)"
done
for sni in other.test x.wild.test; do
    expect_eq "$(nghttp_origin $sni)" "$wild_set" "nghttp ORIGIN for SNI $sni (wildcard cert)"
done
expect_eq "$(nghttp_origin list.test)" "$list_set" "nghttp ORIGIN for SNI list.test (list)"
nghttp -v -n -t 5 -H ":authority: self.test:$port" "https://127.0.0.1:$port/" > "$OE_TMP/ng.self" 2>&1
grep -q 'recv ORIGIN frame <length=0, flags=0x00, stream_id=0>' "$OE_TMP/ng.self" ||
    fail "origin = self: no empty ORIGIN frame: $(cat "$OE_TMP/ng.self")"
nghttp -v -n -t 5 -H ":authority: off.test:$port" "https://127.0.0.1:$port/" > "$OE_TMP/ng.off" 2>&1
grep -q 'recv SETTINGS frame' "$OE_TMP/ng.off" || fail "origin = off: no h2: $(cat "$OE_TMP/ng.off")"
! grep -q 'ORIGIN' "$OE_TMP/ng.off" || fail "origin = off sent an ORIGIN frame"

# ---- raw frames: position (after SETTINGS, before HEADERS), stream 0, flags 0, exact entries,
# and 421 for :authority outside the set or the certificate, served inside.
# check SNI WANT_ORIGIN "AUTH STATUS" ...
check() {
    sni=$1; want=$2; shift 2
    auths=; want_st=
    for a in "$@"; do auths="$auths ${a% *}"; want_st="$want_st
$a"; done
    got=$(py origin "$port" "$sni" "$OE_TMP/anchors.pem" $auths 2>"$OE_TMP/py.err") ||
        fail "SNI $sni: $(cat "$OE_TMP/py.err")"
    expect_eq "$got" "origin: $want$want_st" "raw frames for SNI $sni"
}
check a.test "$demo_set" "a.test 200" "e.test 200" "other.test 421" "x.wild.test 421" \
    "nowhere.test 421" "list.test 421"
check d.test "$demo_set" "b.test 200" "d.test 200"
check other.test "$wild_set" "other.test 200" "x.wild.test 200" "y.wild.test 421" "a.test 421"
check x.wild.test "$wild_set" "x.wild.test 200" "other.test 200"
check self.test "empty" "self.test 200" "s2.self.test 421" "a.test 421"
check s2.self.test "empty" "s2.self.test 200" "self.test 421"
check off.test "none" "off.test 200" "o2.off.test 200" "a.test 421"
check list.test "$list_set" "list.test 200" "l3.list.test 200" "l2.list.test 421" "a.test 421"
check l2.list.test "$list_set" "l2.list.test 200" "list.test 200" "l3.list.test 200"

# 421 with curl too (HTTP/2 and HTTP/1.1 route by :authority/Host, never by SNI).
st() {
    curl -sS -o /dev/null -w '%{http_code}' --cacert "$ca" --resolve "a.test:$port:127.0.0.1" "$@"
}
expect_eq "$(st --http2 -H "Host: b.test" "https://a.test:$port/")" 200 "curl h2 inside the set"
expect_eq "$(st --http2 -k -H "Host: other.test" "https://a.test:$port/")" 421 "curl h2 outside"
expect_eq "$(st --http1.1 -k -H "Host: other.test" "https://a.test:$port/")" 421 "curl h1 outside"

# ---- odoh-edge origins prints the same sets as the wire carries.
"$OE_BIN" origins -c "$OE_TMP/edge.conf" > "$OE_TMP/origins.out" 2>&1 ||
    fail "origins command: $(cat "$OE_TMP/origins.out")"
# origins_for SNI: the entries listed under the certificate whose "chosen for SNI" names SNI.
origins_for() {
    awk -v sni="$1" '
        /^certificate / {cur=0}
        /chosen for SNI:/ {cur=0; for (i=4; i<=NF; i++) if ($i == sni) cur=1}
        cur && /ORIGIN frame on/ {if ($0 ~ /none/) {printf "none"}; if ($0 ~ /empty/) {printf "empty"}; inlist=1; next}
        cur && inlist && /^    https:/ {printf "%s%s", sep, $1; sep=" "; next}
        {inlist=0}' "$OE_TMP/origins.out"
}
expect_eq "$(origins_for a.test)" "$demo_set" "origins command, cert = auto"
expect_eq "$(origins_for other.test)" "$wild_set" "origins command, wildcard cert"
expect_eq "$(origins_for x.wild.test)" "$wild_set" "origins command, SNI x.wild.test"
expect_eq "$(origins_for self.test)" "empty" "origins command, origin = self"
expect_eq "$(origins_for off.test)" "none" "origins command, origin = off"
expect_eq "$(origins_for list.test)" "$list_set" "origins command, list"
grep -q 'from \[site "wild"\], origin = auto' "$OE_TMP/origins.out" ||
    fail "origins command: $(cat "$OE_TMP/origins.out")"

# ---- no ORIGIN without TLS: the plain listener speaks HTTP/1.1 only (no h2c), so a
# prior-knowledge h2c connection gets an HTTP/1.1 error and is closed, never HTTP/2 frames. The
# preface's request line "PRI * HTTP/2.0" names a version HTTP/1.1 does not speak: 505.
got=$(py h2c "$hport" 2>&1)
echo "h2c: $got"
case $got in "h2c: http/1.1 505"*) ;; *) fail "h2c prior knowledge: $got" ;; esac
echo "$got" | grep -qx 'origin-frame: no' || fail "ORIGIN frame on h2c: $got"
echo "$got" | grep -qx 'closed: yes' || fail "h2c connection left open: $got"
# nghttp exits 1 either way; what it saw is in its -v output. The "got nothing" checks alone
# would also pass if nghttp never connected, hence the positive ones first.
out=$(nghttp -v -t 3 "http://127.0.0.1:$hport/" 2>&1 || true)
echo "$out" | grep -q 'Remote peer returned unexpected data while we expected SETTINGS frame' ||
    fail "nghttp h2c: no HTTP/1.1 answer to the preface: $out"
! echo "$out" | grep -q 'recv ORIGIN' || fail "nghttp h2c got ORIGIN: $out"
! echo "$out" | grep -q 'recv SETTINGS' || fail "nghttp h2c got HTTP/2 SETTINGS: $out"
# An h2c upgrade request is served as plain HTTP/1.1 (101 never happens).
out=$(nghttp -v -u -t 3 "http://127.0.0.1:$hport/" 2>&1 || true)
echo "$out" | grep -q '^HTTP/1\.1 4[0-9][0-9] ' && echo "$out" | grep -q 'HTTP Upgrade failed' ||
    fail "nghttp h2c upgrade: not answered as HTTP/1.1: $out"
! echo "$out" | grep -q 'recv ORIGIN\|HTTP Upgrade success' || fail "nghttp h2c upgrade: $out"

# ---- config errors: exact FILE:LINE text and exit 78.
# conf_err ORIGIN_LINES WANT
conf_err() {
    site_conf "$1" > "$OE_TMP/bad.conf"
    set +e
    got=$("$OE_BIN" -t -c "$OE_TMP/bad.conf" 2>&1); rc=$?
    set -e
    expect_eq "$rc" 78 "exit code for: $1"
    expect_eq "$got" "$2" "check output for: $1"
}
last=$(($(site_conf "" | wc -l) + 0)) # the line of the first origin line appended
conf_err "origin = https://list.test:$port
origin = https://a.test:$port" \
"$OE_TMP/bad.conf:$((last + 1)): [site \"list\"] origin: \"https://a.test:$port\": the certificate of this site does not cover a.test
$OE_TMP/bad.conf: 1 error(s)"
conf_err "origin = https://ghost.list.test:$port" \
"$OE_TMP/bad.conf:$last: [site \"list\"] origin: \"https://ghost.list.test:$port\": ghost.list.test is not served here (no site has it)
$OE_TMP/bad.conf: 1 error(s)"
echo "33-origin ok"
