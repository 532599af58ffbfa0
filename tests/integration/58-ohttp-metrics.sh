#!/bin/sh
# The Oblivious HTTP counters of [metrics]: one instance runs a relay (relay.test) and a gateway
# (gateway.test, with the target it answers for), and after real OHTTP traffic every counter of
# the relay and the gateway has exactly the value the traffic implies:
#   - odoh-edge query --ohttp through the relay: forwarded, decapsulated, inner 2xx, one key
#     configuration fetch in the single form (keys-form = single at /ohttp-keys);
#   - tests/node/ohttp-client.mjs straight to the gateway (keys from /.well-known/ohttp-gateway,
#     the list form): an unknown key id, a tampered ciphertext, a truncated encapsulation, a wrong
#     outer media type, lying Binary HTTP (inner 4xx), a silent upstream (inner 504, counted as
#     timeout, not 5xx), an allowed origin that refuses connections (inner 502);
#   - the relay's own refusals (415, 400, 405 as other) and, after a reload that points it at a
#     port where nothing listens, its 502;
#   - the gateway's in-process answers count in the target's DoH counters, failures included;
# promtool accepts the text, and no label holds anything but the fixed sets.
. "$OE_ROOT/tests/integration/lib.sh"
command -v promtool >/dev/null || skip "promtool not installed (Debian package prometheus)"
"$OE_BIN" help-config | grep -q '^\[metrics\]' || skip "no metrics module in this build"
oe_node_need bhttp-js @hpke/core
. "$OE_ROOT/tests/integration/odoh_lib.sh"
cd "$OE_TMP"
port=$(oe_port); mport=$(oe_port); silent=$(oe_port); dead=$(oe_port)
oe_bg "$OE_TMP/fake.log" /usr/bin/python3 "$OE_ROOT/tests/integration/fake_upstream.py" "$silent" silent
oe_wait_tcp "$silent" || fail "fake upstream did not start: $(cat "$OE_TMP/fake.log")"
mkdir d
conf() { # GATEWAY-PORT: where the relay sends
    oe_odoh_conf target "$port" 2 'local-data = "secret.gw.test. 60 IN A 198.51.100.58"' \
        "upstream = 127.0.0.1:$silent" 'upstream-timeout = 200ms' 'upstream-attempts = 1'
    printf '[site "gateway"]\nhost = gateway.test\ncert = auto\n'
    printf '[ohttp-gateway]\nsite = gateway\nkeys-form = single\n'
    printf 'allow-origin = dead.test:%s\nresolve = dead.test=127.0.0.1\n' "$dead"
    printf '[site "relay"]\nhost = relay.test\ncert = auto\n'
    printf '[ohttp-relay]\nsite = relay\ngateway = https://gateway.test:%s/.well-known/ohttp-gateway\n' "$1"
    printf 'resolve = gateway.test=127.0.0.1\nca-file = %s\n' "$OE_TMP/d/state/tls/ca.pem"
    printf '[metrics]\naddress = 127.0.0.1:%s\n' "$mport"
}
conf "$port" >d/edge.conf
oe_edge_start d "$port"
pid=$OE_LASTPID
oe_wait_log -F "$OE_TMP/d.log" "serving /metrics"
ca=$OE_TMP/d/state/tls/ca.pem
m() { curl -sS --max-time 5 "http://127.0.0.1:$mport/metrics"; }
sample() { m | awk -v k="$1" '$1 == k {print $2}'; }
series() { # FAMILY LABEL: "value=count ..." for every series of FAMILY, in exposition order
    m | awk -v f="$1" -v l="$2" 'index($1, f "{" l "=\"") == 1 {
        v = substr($1, length(f) + length(l) + 4); sub(/"}$/, "", v); printf "%s%s=%s", sep, v, $2; sep = " " }'
}
expect_eq "$(series odoh_edge_ohttp_relays_total result)" \
    "ok=0 400=0 403=0 415=0 502=0 504=0 other=0" "relay counters at start"
expect_eq "$(series odoh_edge_ohttp_gateway_requests_total result)" \
    "ok=0 unknown_key=0 decrypt_failed=0 truncated=0 415=0 other=0" "gateway counters at start"

# ---- odoh-edge query --ohttp through the relay ---------------------------------------------------
queries=7
out=$("$OE_BIN" query secret.gw.test A --count $queries --target "https://target.test:$port/dns-query" \
    --ohttp "https://relay.test:$port/relay" --ohttp-keys "https://gateway.test:$port/ohttp-keys" \
    --ca "$ca" --resolve "relay.test:$port:127.0.0.1" --resolve "gateway.test:$port:127.0.0.1" 2>&1) ||
    fail "query --ohttp: $out"
echo "$out" | grep -q "^queries $queries ok $queries failed 0 " || fail "query --ohttp: $out"
expect_eq "$(series odoh_edge_ohttp_relays_total result)" \
    "ok=$queries 400=0 403=0 415=0 502=0 504=0 other=0" "relay after the queries"
expect_eq "$(series odoh_edge_ohttp_gateway_requests_total result)" \
    "ok=$queries unknown_key=0 decrypt_failed=0 truncated=0 415=0 other=0" "gateway after the queries"
expect_eq "$(series odoh_edge_ohttp_gateway_inner_responses_total result)" \
    "2xx=$queries 3xx=0 4xx=0 5xx=0 timeout=0" "inner responses after the queries"
expect_eq "$(series odoh_edge_ohttp_key_config_requests_total form)" "list=0 single=1 none=0" \
    "key configuration fetches after the queries"
expect_eq "$(sample 'odoh_edge_proxy_relays_total{result="ok"}')" 0 "the ODoH proxy's count"

# ---- straight to the gateway: every outer and inner outcome ----------------------------------------
cl() { (cd "$node_dir" && node ohttp-client.mjs --ca "$ca" --gw-port "$port" \
    --keys-path /.well-known/ohttp-gateway "$@"); }
st() { cl "$@" | grep -E '^(status|problem|inner-status) ' | tr '\n' ' '; }
key=https://iana.org/assignments/http-problem-types#ohttp-key
expect_eq "$(st --corrupt keyid)" "status 400 problem $key " "wrong key id"
expect_eq "$(st --corrupt ct)" "status 400 problem $key " "tampered"
expect_eq "$(st --corrupt trunc)" "status 400 " "truncated"
expect_eq "$(st --ctype application/octet-stream)" "status 415 " "outer media type"
expect_eq "$(st --corrupt bhttp-lie)" "status 200 inner-status 400 " "lying Binary HTTP"
expect_eq "$(st --name silent.test)" "status 200 inner-status 504 " "silent upstream"
expect_eq "$(st --target "dead.test:$dead" --inner-get /x)" "status 200 inner-status 502 " "dead origin"
expect_eq "$(series odoh_edge_ohttp_gateway_requests_total result)" \
    "ok=$((queries + 3)) unknown_key=1 decrypt_failed=1 truncated=1 415=1 other=0" "gateway outcomes"
expect_eq "$(series odoh_edge_ohttp_gateway_inner_responses_total result)" \
    "2xx=$queries 3xx=0 4xx=1 5xx=1 timeout=1" "inner responses"
expect_eq "$(series odoh_edge_ohttp_key_config_requests_total form)" "list=7 single=1 none=0" \
    "key configuration fetches (one per client run)"
# In-process answers are the target's DoH answers: the 7 answered and the silent upstream's 504.
expect_eq "$(sample 'odoh_edge_target_queries_total{kind="doh",result="ok"}')" $queries "target DoH ok"
expect_eq "$(sample 'odoh_edge_target_queries_total{kind="doh",result="504"}')" 1 "target DoH 504"
expect_eq "$(sample 'odoh_edge_upstream_queries_total{upstream="127.0.0.1:'"$silent"'",result="timeout"}')" 1 \
    "upstream timeout"

# ---- the relay's refusals, then a gateway that is not there ----------------------------------------
rl() { curl -sS --max-time 5 -o /dev/null -w '%{http_code} ' --cacert "$ca" \
    --resolve "relay.test:$port:127.0.0.1" "$@"; }
expect_eq "$(rl -H 'content-type: text/plain' --data-binary x "https://relay.test:$port/relay")" "415 " "relay 415"
expect_eq "$(rl -H 'content-type: message/ohttp-req' --data-binary '' "https://relay.test:$port/relay")" "400 " "relay 400"
expect_eq "$(rl "https://relay.test:$port/relay")" "405 " "relay GET"
conf "$dead" >d/edge.conf
kill -HUP "$pid"
oe_wait_log -F "$OE_TMP/d.log" "configuration reloaded"
expect_eq "$(rl -H 'content-type: message/ohttp-req' --data-binary sealed "https://relay.test:$port/relay")" "502 " \
    "relay to a gateway that is not there"
expect_eq "$(series odoh_edge_ohttp_relays_total result)" \
    "ok=$queries 400=1 403=0 415=1 502=1 504=0 other=1" "relay outcomes"
expect_eq "$(series odoh_edge_proxy_relays_total result)" \
    "ok=0 400=0 403=0 415=0 502=0 504=0 other=0" "the ODoH proxy's counters stay"

m >m.txt
promtool check metrics <m.txt >promtool.txt 2>&1 || fail "promtool: $(cat promtool.txt)"
expect_eq "$(cat promtool.txt)" "" "promtool findings"
# Only fixed label values in the OHTTP families.
bad=$(grep '^odoh_edge_ohttp_' m.txt | grep -o '{[^}]*}' | tr -d '{}' |
    grep -v -E '^(result="(ok|400|403|415|502|504|other|unknown_key|decrypt_failed|truncated|[2-5]xx|timeout)"|form="(list|single|none)")$' || true)
expect_eq "$bad" "" "unexpected OHTTP labels"
for f in relays_total gateway_requests_total gateway_inner_responses_total key_config_requests_total; do
    grep -q "^# HELP odoh_edge_ohttp_$f " m.txt && grep -q "^# TYPE odoh_edge_ohttp_$f counter$" m.txt ||
        fail "HELP/TYPE of odoh_edge_ohttp_$f"
done
echo "ok: 58-ohttp-metrics"
