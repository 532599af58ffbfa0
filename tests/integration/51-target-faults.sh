# The target's upstream client under faults, with a fault-injecting fake upstream
# (fake_upstream.py, faults only) and unbound as the real resolver that answers:
#   - an upstream that never answers: 504 once every attempt timed out, and within the configured
#     deadline (upstream-timeout x upstream-attempts, measured), for DoH and for ODoH;
#   - garbage, a mismatched ID, a mismatched question: ignored (one query per attempt reaches the
#     fake), then 502 at the deadline;
#   - a truncated UDP answer: the same query goes to the same server over TCP, and its answer is
#     what the client gets;
#   - every upstream down (closed ports, ICMP refused): 502 at once, long before any time-out;
#   - failover: a refusing first upstream, then unbound: 200 at once; a silent first upstream,
#     then unbound: 200 after one time-out; a first upstream that truncates over UDP and never
#     answers over TCP, then unbound: 200 from unbound;
#   - dead-time: after three failures the silent upstream is skipped (fast answers, no more
#     queries reach it).
# Each case runs its own odoh-edge (one worker, so one upstream client and its health state).
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/unbound_lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
command -v kdig >/dev/null || skip "kdig (knot-dnsutils) is not installed"
py=/usr/bin/python3
[ -x "$py" ] || skip "/usr/bin/python3 is missing"
oe_unbound_need
node_dir=$OE_ROOT/tests/node
have_node=no
command -v node >/dev/null && [ -d "$node_dir/node_modules/@hpke/core" ] && have_node=yes

checks=0
ok() { checks=$((checks + 1)); }
host=target.odoh.test

uport=$(oe_port)
oe_unbound_start "$uport"

# fake MODE: starts a fake upstream; sets FAKE (its port) and FAKE_LOG.
fake() {
    FAKE=$(oe_port)
    FAKE_LOG=$OE_TMP/fake-$1-$FAKE.log
    oe_bg "$FAKE_LOG" "$py" "$OE_ROOT/tests/integration/fake_upstream.py" "$FAKE" "$1"
    oe_wait_tcp "$FAKE" || fail "fake upstream $1 did not start: $(cat "$FAKE_LOG")"
}
fake_count() { grep -c "^$1 " "$FAKE_LOG" || true; }

# edge TIMEOUT ATTEMPTS UPSTREAM...: starts odoh-edge with those upstreams; sets EPORT, EPID.
EPID=
edge() {
    [ -n "$EPID" ] && kill "$EPID" 2>/dev/null
    EPORT=$(oe_port)
    t=$1 a=$2
    shift 2
    {
        printf '[global]\nworkers = 1\nstate-dir = state\n'
        printf '[listen "https"]\naddress = 127.0.0.1:%s\n' "$EPORT"
        printf '[site "target"]\nhost = %s\ncert = auto\n' "$host"
        printf '[odoh-target]\nsite = target\nupstream-timeout = %s\nupstream-attempts = %s\n' "$t" "$a"
        for u in "$@"; do printf 'upstream = %s\n' "$u"; done
    } >"$OE_TMP/edge-$EPORT.conf"
    oe_bg "$OE_TMP/edge-$EPORT.log" "$OE_BIN" -c "$OE_TMP/edge-$EPORT.conf"
    EPID=$OE_LASTPID
    oe_wait_tcp "$EPORT" || fail "odoh-edge did not start: $(cat "$OE_TMP/edge-$EPORT.log")"
}

# A DoH query (www.it.test A, no EDNS) in wire format.
"$py" -c 'import sys; sys.stdout.buffer.write(bytes.fromhex("123401000001000000000000037777770269740474657374000001 0001".replace(" ","")))' >"$OE_TMP/q.bin"
ca=$OE_TMP/state/tls/ca.pem
# doh: "STATUS SECONDS CACHE-CONTROL" of one DoH POST; the body goes to $OE_TMP/body.
doh() {
    curl -sS -o "$OE_TMP/body" -D "$OE_TMP/hdrs" -w '%{http_code} %{time_total}' --cacert "$ca" \
        --resolve "$host:$EPORT:127.0.0.1" -H 'content-type: application/dns-message' \
        --data-binary "@$OE_TMP/q.bin" "https://$host:$EPORT/dns-query" >"$OE_TMP/out" || true
    printf '%s %s' "$(cat "$OE_TMP/out")" "$(sed -n 's/^cache-control: *//Ip' "$OE_TMP/hdrs" | tr -d '\r' | tr ' ' _)"
}
# between T LO HI WHAT: LO <= T <= HI (seconds)
between() {
    awk -v t="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(t >= lo && t <= hi) }' ||
        fail "$4: took ${1}s, expected between ${2}s and ${3}s"
}
nc=no-cache,_no-store

# ---- never answers: 504 at the deadline ---------------------------------------------------------
fake silent
edge 300ms 3 "127.0.0.1:$FAKE"
set -- $(doh)
expect_eq "$1 $3" "504 $nc" "silent upstream"; ok
between "$2" 0.85 1.6 "504 deadline (300ms x 3)"; ok
expect_eq "$(fake_count udp)" 3 "queries at the silent upstream (one per attempt)"; ok
if [ $have_node = yes ]; then
    out=$(cd "$node_dir" && node odoh-client.mjs --host "$host" --port "$EPORT" --ca "$ca" --name www.it.test 2>&1) ||
        fail "odoh client: $out"
    expect_eq "$(echo "$out" | sed -n 's/^status //p')|$(echo "$out" | sed -n 's/^cache-control: //p')" \
        "504|no-cache, no-store" "ODoH with a silent upstream"; ok
fi

# ---- garbage / mismatched ID / mismatched question: ignored, then 502 ---------------------------
for mode in garbage badid wrongq; do
    fake $mode
    edge 300ms 3 "127.0.0.1:$FAKE"
    set -- $(doh)
    expect_eq "$1 $3" "502 $nc" "$mode upstream"; ok
    between "$2" 0.85 1.6 "$mode: answers ignored until the deadline"; ok
    expect_eq "$(fake_count udp)" 3 "$mode: queries (one per attempt)"; ok
done

# ---- UDP sockets: shared by queries, reused, few ----------------------------------------------
# 24 queries one after another, then 24 at once: every answer right, and they came from at most
# four source ports (a few sockets per upstream; a new socket per query used a port each).
fake answer
edge 1s 2 "127.0.0.1:$FAKE"
for _ in $(seq 24); do
    set -- $(doh)
    expect_eq "$1" 200 "answering upstream"
done
seq 24 | xargs -P 24 -I{} curl -sS -o "$OE_TMP/par-{}" -w '%{http_code}\n' --cacert "$ca" \
    --resolve "$host:$EPORT:127.0.0.1" -H 'content-type: application/dns-message' \
    --data-binary "@$OE_TMP/q.bin" "https://$host:$EPORT/dns-query" >"$OE_TMP/par-codes" || true
expect_eq "$(grep -c '^200$' "$OE_TMP/par-codes")" 24 "24 parallel queries answered"
for i in $(seq 24); do
    case $(od -An -tx1 -v "$OE_TMP/par-$i" | tr -d ' \n') in *c0000235) ;; *) fail "parallel answer $i" ;; esac
done
expect_eq "$(fake_count udp)" 48 "queries at the answering upstream"
ports=$(awk '$1 == "udp" { print $5 }' "$FAKE_LOG" | sort -u | wc -l)
[ "$ports" -ge 1 ] && [ "$ports" -le 4 ] || fail "48 queries used $ports source ports, want 1 to 4"
ok

# ---- truncation: the TCP path -------------------------------------------------------------------
fake tc
edge 1s 2 "127.0.0.1:$FAKE"
set -- $(doh)
expect_eq "$1 $3" "200 $nc" "truncating upstream"; ok
expect_eq "$(fake_count udp) $(fake_count tcp)" "1 1" "UDP then TCP queries at the truncating upstream"; ok
ans=$(od -An -tx1 -v "$OE_TMP/body" | tr -d ' \n')
case $ans in 1234*c0000235) ;; *) fail "answer from the TCP path: $ans" ;; esac
ok
# Two more: the TCP connection is reused (no second accept needed; just the answers).
set -- $(doh); expect_eq "$1" 200 "truncating upstream, again"
expect_eq "$(fake_count tcp)" 2 "TCP queries after the second"; ok
got=$(kdig @127.0.0.1 -p "$EPORT" +https +tls-ca="$ca" +tls-hostname=$host www.it.test A +noall +answer | tr -s ' \t' ' ')
expect_eq "$got" "www.it.test. 60 IN A 192.0.2.53" "kdig +https through the TCP path"; ok

# ---- every upstream down: 502 at once -----------------------------------------------------------
closed1=$(oe_port); closed2=$(oe_port)
edge 2s 3 "127.0.0.1:$closed1" "127.0.0.1:$closed2"
set -- $(doh)
expect_eq "$1 $3" "502 $nc" "all upstreams refusing"; ok
between "$2" 0 0.5 "502 with refusing upstreams (no time-out waited)"; ok

# ---- failover -------------------------------------------------------------------------------------
edge 2s 3 "127.0.0.1:$closed1" "127.0.0.1:$uport"
set -- $(doh)
expect_eq "$1" 200 "refusing upstream, then unbound"; ok
between "$2" 0 0.5 "failover from a refusing upstream"; ok
ans=$(od -An -tx1 -v "$OE_TMP/body" | tr -d ' \n')
case $ans in *c000020a*c000020b*) ;; *) fail "unbound's answer after failover: $ans" ;; esac

fake silent
edge 300ms 3 "127.0.0.1:$FAKE" "127.0.0.1:$uport"
set -- $(doh)
expect_eq "$1" 200 "silent upstream, then unbound"; ok
between "$2" 0.28 0.8 "failover after one time-out"; ok
# dead-time: three failures in a row make the silent upstream dead; then it is skipped.
set -- $(doh); between "$2" 0.28 0.8 "second query (silent upstream still tried)"
set -- $(doh); between "$2" 0.28 0.8 "third query (silent upstream still tried)"
expect_eq "$(fake_count udp)" 3 "queries at the silent upstream before it is dead"; ok
set -- $(doh)
expect_eq "$1" 200 "query while the silent upstream is dead"
between "$2" 0 0.25 "a dead upstream is skipped"; ok
expect_eq "$(fake_count udp)" 3 "no query reaches a dead upstream"; ok

# A first upstream that truncates over UDP and never answers over TCP: the next attempt must
# go to the next upstream, not back to the same one over TCP.
fake tc-silent
edge 300ms 3 "127.0.0.1:$FAKE" "127.0.0.1:$uport"
set -- $(doh)
expect_eq "$1 $(fake_count udp) $(fake_count tcp)" "200 1 1" \
    "truncating-then-silent upstream, then unbound (status, UDP and TCP queries at the fake)"; ok
between "$2" 0.28 0.8 "failover after the TCP attempt timed out"; ok

kill -0 "$EPID" 2>/dev/null || fail "odoh-edge died: $(tail "$OE_TMP/edge-$EPORT.log")"
echo "51-target-faults: $checks checks passed"
