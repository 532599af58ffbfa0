# Metrics and health (issue 14): [metrics] serves the Prometheus text format at /metrics and a
# health check at /healthz; promtool accepts the text; a real prometheus started here scrapes
# odoh-edge on loopback, and its HTTP API reports up == 1 and a query counter that grew by
# exactly the number of queries this test sent. No label carries a client address or a name.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/keys_lib.sh"
for t in curl promtool prometheus; do
    command -v $t >/dev/null || skip "$t not installed (Debian package prometheus)"
done
"$OE_BIN" help-config | grep -q '^\[metrics\]' || skip "no metrics module in this build"

port=$(oe_port)
mport=$(oe_port)
closed=$(oe_port) # nothing listens here: queries to it are refused (ICMP)
fake=$(oe_port)   # fake_upstream.py tc: answers over TCP after a truncated UDP answer
oe_bg "$OE_TMP/fake.log" /usr/bin/python3 "$OE_ROOT/tests/integration/fake_upstream.py" "$fake" tc
oe_wait_tcp "$fake" || fail "fake upstream did not start: $(cat "$OE_TMP/fake.log")"
D=$OE_TMP/d
mkdir -p "$D/www"
echo hello >"$D/www/index.html"
cat >"$D/edge.conf" <<CONF
[global]
workers = 2
state-dir = state
[listen "https"]
address = 127.0.0.1:$port
handshake-timeout = 700ms
[site "target"]
host = $KL_HOST
alias = 127.0.0.1 # the Host a Prometheus scraping 127.0.0.1 sends
cert = auto
[site "www"]
host = www.odoh.test
cert = auto
root = www
[odoh-target]
site = target
local-data = "demo.odoh.test. 300 IN A 127.0.0.1"
upstream = 127.0.0.1:$closed
upstream = 127.0.0.1:$fake
upstream-attempts = 1
[metrics]
address = 127.0.0.1:$mport
site = target
path-prefix = /ops
CONF
# A [metrics] site that does not exist is refused at config time, at its line.
sed 's/^site = target$/site = nosuch/' "$D/edge.conf" >"$D/bad.conf"
line=$(grep -n '^site = nosuch$' "$D/bad.conf" | cut -d: -f1)
out=$(cd "$D" && "$OE_BIN" -t -c bad.conf 2>&1) && fail "site = nosuch accepted"
echo "$out" | grep -qF "bad.conf:$line: [metrics] site: no [site \"nosuch\"] is configured" || fail "bad site: $out"
(cd "$D" && exec "$OE_BIN" -c edge.conf) >"$D/edge.log" 2>&1 &
pid=$!
OE_PIDS="$OE_PIDS $pid"
oe_wait_log -F "$D/edge.log" "serving /metrics"
oe_wait_tcp "$port" || fail "no listener on $port"
m() { curl -sS --max-time 5 "http://127.0.0.1:$mport/metrics"; }
sample() { m | awk -v k="$1" '$1 == k {print $2}'; }

out=$(curl -sS -i --max-time 5 "http://127.0.0.1:$mport/healthz" | tr -d '\r')
echo "$out" | head -n 1 | grep -qx 'HTTP/1.1 200 OK' || fail "healthz: $out"
expect_eq "$(echo "$out" | tail -n 1)" "ok" "healthz body"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/nothing")" 404 "unknown path"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$mport/metrics")" 405 "POST"

m >"$OE_TMP/m1.txt"
promtool check metrics <"$OE_TMP/m1.txt" >"$OE_TMP/promtool.txt" 2>&1 || fail "promtool: $(cat "$OE_TMP/promtool.txt")"
expect_eq "$(cat "$OE_TMP/promtool.txt")" "" "promtool findings"
grep -q '^odoh_edge_build_info{version="[0-9.]*",mbedtls="3.6.6",libuv="1.50.0",nghttp2="1.64.0",llhttp="9.2.1"} 1$' \
    "$OE_TMP/m1.txt" || fail "build info: $(grep build_info "$OE_TMP/m1.txt")"
expect_eq "$(awk '$1 == "odoh_edge_keys{state=\"current\"}" {print $2}' "$OE_TMP/m1.txt")" 1 "current keys"
# The current key (rotate = 24h, the default) retires within a day from now.
retire=$(awk '$1 == "odoh_edge_key_current_retirement_timestamp_seconds" {print $2}' "$OE_TMP/m1.txt")
now=$(date +%s)
[ "$retire" -gt "$now" ] && [ "$retire" -le $((now + 86400)) ] || fail "retirement $retire, now $now"
# Labels: only the fixed sets (no address, no name): every label value is from this list.
bad=$(grep -v '^#' "$OE_TMP/m1.txt" | grep -o '{[^}]*}' | tr ',' '\n' | tr -d '{}' |
    grep -v -E '^(version|mbedtls|libuv|nghttp2|llhttp)=' |
    grep -v -E '^(site="(|target|www)"|upstream="127\.0\.0\.1:('"$closed|$fake"')"|kind="(odoh|doh)"|reason="(protocol|version|no_cipher|certificate|alert|timeout)"|protocol="(http/1.1|h2)"|code="[1-5]xx"|result="(ok|400|401|403|415|502|504|other|timeout|failed|unknown_key|decrypt_failed|truncated|[2-5]xx)"|form="(list|single|none)"|le="[0-9.+Inf]*"|state="(next|current|previous)")$' || true)
expect_eq "$bad" "" "unexpected labels"

# A real Prometheus scrapes every 200 ms.
cat >"$OE_TMP/prom.yml" <<YML
global:
  scrape_interval: 200ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: odoh-edge
    static_configs:
      - targets: ['127.0.0.1:$mport']
  - job_name: odoh-edge-https
    scheme: https
    enable_http2: false # this Prometheus (Go x/net/http2) fails on the ORIGIN frame (RFC 8336)
    metrics_path: /ops/metrics
    tls_config:
      ca_file: $D/state/tls/ca.pem
      server_name: $KL_HOST
    static_configs:
      - targets: ['127.0.0.1:$port']
YML
pport=$(oe_port)
oe_bg "$OE_TMP/prom.log" prometheus --config.file="$OE_TMP/prom.yml" --storage.tsdb.path="$OE_TMP/tsdb" \
    --web.listen-address="127.0.0.1:$pport"
oe_wait_tcp "$pport" 30 || fail "prometheus did not start: $(tail -n 5 "$OE_TMP/prom.log")"
promq() { # QUERY -> the value of the first result, or empty
    curl -sS --max-time 5 -G "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
        /usr/bin/python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}
n=300; until [ "$(promq 'up{job="odoh-edge"}')" = 1 ] && [ "$(promq 'up{job="odoh-edge-https"}')" = 1 ]; do
    n=$((n - 1)); [ $n -gt 0 ] || fail "prometheus never saw up == 1: $(curl -s "http://127.0.0.1:$pport/api/v1/targets" | grep -o '"lastError":"[^"]*"')"; sleep 0.1
done
before=$(sample 'odoh_edge_target_queries_total{kind="odoh",result="ok"}')
n=300; until [ "$(promq 'odoh_edge_target_queries_total{kind="odoh",result="ok"}')" = "$before" ]; do
    n=$((n - 1)); [ $n -gt 0 ] || fail "prometheus has no target counter"; sleep 0.1
done

# A known number of ODoH queries (through HTTP/2), then Prometheus must show exactly that many
# more, and so must the scrape itself.
queries=37
kl_query "$D" "$port" --count $queries >"$OE_TMP/q.txt" 2>&1 || fail "queries: $(cat "$OE_TMP/q.txt")"
grep -q "queries $queries ok $queries failed 0" "$OE_TMP/q.txt" || fail "query client: $(cat "$OE_TMP/q.txt")"
want=$((before + queries))
expect_eq "$(sample 'odoh_edge_target_queries_total{kind="odoh",result="ok"}')" "$want" "scraped counter"
n=300; until [ "$(promq 'odoh_edge_target_queries_total{kind="odoh",result="ok"}')" = "$want" ]; do
    n=$((n - 1)); [ $n -gt 0 ] || fail "prometheus: $(promq 'odoh_edge_target_queries_total{kind="odoh",result="ok"}'), want $want"; sleep 0.1
done
expect_eq "$(promq 'up{job="odoh-edge"}')" 1 "up"
n=300; until [ "$(promq 'odoh_edge_target_queries_total{job="odoh-edge-https",kind="odoh",result="ok"}')" = "$want" ]; do
    n=$((n - 1)); [ $n -gt 0 ] || fail "prometheus over HTTPS: $(promq 'odoh_edge_target_queries_total{job="odoh-edge-https",kind="odoh",result="ok"}'), want $want"; sleep 0.1
done

# /metrics and /healthz over HTTPS on the site's path: promtool accepts the text; the counters
# are the same; a longer path is 404, and the plain listener's paths are not on the site.
hs() { curl -sS --max-time 5 --cacert "$D/state/tls/ca.pem" --resolve "$KL_HOST:$port:127.0.0.1" "$@"; }
hs "https://$KL_HOST:$port/ops/metrics" >"$OE_TMP/m3.txt" || fail "HTTPS scrape"
promtool check metrics <"$OE_TMP/m3.txt" >"$OE_TMP/promtool3.txt" 2>&1 || fail "promtool (HTTPS): $(cat "$OE_TMP/promtool3.txt")"
expect_eq "$(cat "$OE_TMP/promtool3.txt")" "" "promtool findings (HTTPS)"
expect_eq "$(awk '$1 == "odoh_edge_target_queries_total{kind=\"odoh\",result=\"ok\"}" {print $2}' "$OE_TMP/m3.txt")" "$want" "HTTPS scrape counter"
expect_eq "$(hs "https://$KL_HOST:$port/ops/healthz")" ok "HTTPS healthz"
expect_eq "$(hs -o /dev/null -w '%{http_code}' "https://$KL_HOST:$port/ops/metrics/x")" 404 "HTTPS longer path"
expect_eq "$(hs -o /dev/null -w '%{http_code}' "https://$KL_HOST:$port/metrics")" 404 "HTTPS without the prefix"

# Garbage is a 400, a wrong media type a 415: two more connections and handshakes.
acc0=$(sample odoh_edge_connections_accepted_total)
hs0=$(sample odoh_edge_tls_handshakes_total)
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/state/tls/ca.pem" --resolve "$KL_HOST:$port:127.0.0.1" \
    -H 'content-type: application/oblivious-dns-message' --data-binary 'x' "https://$KL_HOST:$port/dns-query")" 400 "garbage"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/state/tls/ca.pem" --resolve "$KL_HOST:$port:127.0.0.1" \
    -H 'content-type: text/plain' --data-binary 'x' "https://$KL_HOST:$port/dns-query")" 415 "media type"
expect_eq "$(sample 'odoh_edge_target_queries_total{kind="odoh",result="400"}')" 1 "400 counter"
expect_eq "$(sample 'odoh_edge_target_queries_total{kind="doh",result="415"}')" 1 "415 counter (not the ODoH type: DoH)"
expect_eq "$(sample odoh_edge_connections_accepted_total)" $((acc0 + 2)) "connections accepted"
expect_eq "$(sample odoh_edge_tls_handshakes_total)" $((hs0 + 2)) "handshakes"
expect_eq "$(sample odoh_edge_hpke_open_failures_total)" 1 "HPKE open failures (the garbage)"
# One stays open: Prometheus's keep-alive connection for the HTTPS scrape.
n=100; until [ "$(sample odoh_edge_connections_open)" = 1 ]; do
    n=$((n - 1)); [ $n -gt 0 ] || fail "connections open: $(sample odoh_edge_connections_open)"; sleep 0.05
done

# DoH is counted apart from ODoH: 5 DoH queries, and the ODoH count stays.
kl_query "$D" "$port" --doh --count 5 >"$OE_TMP/doh.txt" 2>&1 || fail "DoH queries: $(cat "$OE_TMP/doh.txt")"
grep -q "queries 5 ok 5 failed 0" "$OE_TMP/doh.txt" || fail "DoH client: $(cat "$OE_TMP/doh.txt")"
expect_eq "$(sample 'odoh_edge_target_queries_total{kind="doh",result="ok"}')" 5 "DoH answered"
expect_eq "$(sample 'odoh_edge_target_queries_total{kind="odoh",result="ok"}')" "$want" "ODoH answered"
expect_eq "$(sample 'odoh_edge_target_queries_total{kind="odoh",result="415"}')" 0 "ODoH 415"

# HTTP responses by site: 3 to www (200, h2), 2 to www over HTTP/1.1 (404), 1 to target (a
# 404 over h2), 2 naming a host no site serves (HTTP/1.1, their class counted under site="").
hr() { sample "odoh_edge_http_responses_total{site=\"$1\",protocol=\"$2\",code=\"$3\"}"; }
w2=$(hr www h2 2xx) w4=$(hr www http/1.1 4xx) t4=$(hr target h2 4xx) n1=$(m | grep -c '^odoh_edge_http_responses_total{site="",protocol="http/1.1"')
expect_eq "$n1" 5 "site=\"\" HTTP/1.1 series"
nsum() { m | awk '$1 ~ /^odoh_edge_http_responses_total\{site="",protocol="http\/1.1"/ {s += $2} END {print s + 0}'; }
n0=$(nsum)
cw() { curl -s --cacert "$D/state/tls/ca.pem" --resolve "www.odoh.test:$port:127.0.0.1" -o /dev/null -w '%{http_code} ' "$@"; }
expect_eq "$(cw https://www.odoh.test:$port/ -o /dev/null https://www.odoh.test:$port/index.html -o /dev/null https://www.odoh.test:$port/)" "200 200 200 " "www"
expect_eq "$(cw --http1.1 https://www.odoh.test:$port/no -o /dev/null https://www.odoh.test:$port/nothing)" "404 404 " "www 404"
expect_eq "$(curl -s --cacert "$D/state/tls/ca.pem" --resolve "$KL_HOST:$port:127.0.0.1" -o /dev/null -w '%{http_code}' https://$KL_HOST:$port/nothing)" 404 "target 404"
for i in 1 2; do
    curl -s -k --http1.1 --resolve "www.odoh.test:$port:127.0.0.1" -H 'Host: nosuch.test' -o /dev/null https://www.odoh.test:$port/ || true
done
expect_eq "$(hr www h2 2xx)" $((w2 + 3)) "www h2 2xx"
expect_eq "$(hr www http/1.1 4xx)" $((w4 + 2)) "www HTTP/1.1 4xx"
expect_eq "$(hr target h2 4xx)" $((t4 + 1)) "target h2 4xx"
expect_eq "$(nsum)" $((n0 + 2)) "no site, HTTP/1.1"

# Per upstream: 5 DoH queries on one connection (so one worker, one upstream client). With one
# attempt each, the first three go to the refusing upstream and fail (502); after three failures
# it is skipped for 30 s, so the last two go to the fake one (200).
upq=$(/usr/bin/python3 -c 'import base64,struct
q = struct.pack(">6H", 0, 0x0100, 1, 0, 0, 0) + b"\x07metrics\x07example\x00" + struct.pack(">2H", 1, 1)
print(base64.urlsafe_b64encode(q).decode().rstrip("="))')
urls=""
for i in 1 2 3 4 5; do urls="$urls -o /dev/null https://$KL_HOST:$port/dns-query?dns=$upq"; done
codes=$(curl -s --cacert "$D/state/tls/ca.pem" --resolve "$KL_HOST:$port:127.0.0.1" -H 'accept: application/dns-message' \
    -w '%{http_code} ' $urls)
expect_eq "$codes" "502 502 502 200 200 " "per-upstream queries"
up() { sample "odoh_edge_upstream_queries_total{upstream=\"127.0.0.1:$1\",result=\"$2\"}"; }
expect_eq "$(up $closed failed)/$(up $closed ok)/$(up $closed timeout)" 3/0/0 "refusing upstream"
expect_eq "$(up $fake ok)/$(up $fake failed)/$(up $fake timeout)" 2/0/0 "answering upstream"
expect_eq "$(sample "odoh_edge_upstream_latency_seconds_count{upstream=\"127.0.0.1:$fake\"}")" 2 "latency count (answering)"
expect_eq "$(sample "odoh_edge_upstream_latency_seconds_bucket{upstream=\"127.0.0.1:$fake\",le=\"+Inf\"}")" 2 "latency +Inf (answering)"
expect_eq "$(sample "odoh_edge_upstream_latency_seconds_count{upstream=\"127.0.0.1:$closed\"}")" 0 "latency count (refusing)"
expect_eq "$(sample 'odoh_edge_target_queries_total{kind="doh",result="502"}')" 3 "DoH 502"
expect_eq "$(sample 'odoh_edge_target_queries_total{kind="doh",result="ok"}')" 7 "DoH answered (5 local + 2 upstream)"
m >"$OE_TMP/m2.txt"
promtool check metrics <"$OE_TMP/m2.txt" >"$OE_TMP/promtool2.txt" 2>&1 || fail "promtool: $(cat "$OE_TMP/promtool2.txt")"
expect_eq "$(cat "$OE_TMP/promtool2.txt")" "" "promtool findings (per upstream)"
n=300; until [ "$(promq "odoh_edge_upstream_queries_total{upstream=\"127.0.0.1:$closed\",result=\"failed\"}")" = 3 ]; do
    n=$((n - 1)); [ $n -gt 0 ] || fail "prometheus: no per-upstream counter"; sleep 0.1
done

# Handshake failures by reason, one of each the test can cause.
tlsfail() { sample "odoh_edge_tls_handshake_failures_total{reason=\"$1\"}"; }
for r in protocol version no_cipher certificate alert timeout; do
    expect_eq "$(tlsfail $r)" 0 "handshake failures ($r) before"
done
# Plain HTTP on the TLS port: not a TLS record.
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | curl -s --max-time 5 telnet://127.0.0.1:$port >/dev/null 2>&1 || true
# TLS 1.1 only: the server accepts 1.2 and 1.3.
openssl s_client -connect 127.0.0.1:$port -servername $KL_HOST -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
    </dev/null >/dev/null 2>&1 || true
# TLS 1.2 with a NULL cipher only: nothing in common.
openssl s_client -connect 127.0.0.1:$port -servername $KL_HOST -tls1_2 -cipher 'NULL-SHA256:@SECLEVEL=0' \
    </dev/null >/dev/null 2>&1 || true
# A client that does not trust the certificate sends a fatal alert (unknown CA). TLS 1.2: there
# the alert comes before the keys change (mbedtls reads a TLS 1.3 client's alert as a bad MAC).
curl -s --max-time 5 --tls-max 1.2 --resolve "$KL_HOST:$port:127.0.0.1" "https://$KL_HOST:$port/" >/dev/null 2>&1 || true
# A client that sends nothing: the 700 ms handshake-timeout ends it.
python3 -c 'import socket,sys,time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
print(s.recv(1) == b"")' "$port" >"$OE_TMP/silent.txt" 2>&1
expect_eq "$(cat "$OE_TMP/silent.txt")" True "silent client closed"
n=100; until [ "$(tlsfail timeout)" = 1 ]; do
    n=$((n - 1)); [ $n -gt 0 ] || fail "timeout count: $(tlsfail timeout)"; sleep 0.05
done
for r in protocol version no_cipher alert timeout; do
    expect_eq "$(tlsfail $r)" 1 "handshake failures ($r)"
done
expect_eq "$(tlsfail certificate)" 0 "handshake failures (certificate)"

# A reload is counted; the metrics listener stays (same address) and health stays ok.
kill -HUP "$pid"
oe_wait_log -F "$D/edge.log" "configuration reloaded"
expect_eq "$(sample 'odoh_edge_reloads_total{result="ok"}')" 1 "reloads"
expect_eq "$(curl -sS --max-time 5 "http://127.0.0.1:$mport/healthz")" "ok" "healthz after the reload"
kill -TERM "$pid"
wait "$pid" || fail "exit status"
echo "ok"
