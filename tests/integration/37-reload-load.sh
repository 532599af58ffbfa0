# Reloads under load lose nothing: 50 SIGHUPs while clients keep asking, and not one request
# fails, whether the connections can move to the new configuration or must drain.
#
# The listening sockets stay open across reloads (nothing queued in the kernel is reset). A
# connection of the old generation moves, as it is, to a worker of the new one the moment it has
# nothing in progress, when the new configuration serves the same certificate on its address
# (phase 1: h2load's long-lived HTTP/2 connections never see a GOAWAY). Otherwise it drains
# (phase 2, a new certificate at every reload): handshakes and requests in flight finish,
# HTTP/2 gets a graceful GOAWAY (a first one with the largest stream id and a PING, the final one
# after the PING's answer), HTTP/1.1 answers with "connection: close", idle connections close
# with close_notify.
#
# Why h2load is not the HTTP/2 client of phase 2: it never opens a new HTTP/2 connection after a
# GOAWAY; it fails every request it has not sent yet ("Process Request Failure"), and its nghttp2
# session refuses to send a request it queued just before the GOAWAY arrived, although the server
# would serve both. curl reconnects after a GOAWAY as browsers do, so it measures that path.
# h2load counts abandoned requests as failed only with -n (with -D a client that gave up just
# stops counting), hence -n throughout.
. "$OE_ROOT/tests/integration/lib.sh"
command -v curl >/dev/null || skip "curl not installed"
command -v h2load >/dev/null || skip "h2load not installed (nghttp2-client)"
"$OE_BIN" -V | grep -q website || skip "no website module in this build"
port=$(oe_port)
mkdir -p "$OE_TMP/www" "$OE_TMP/www2"
echo hello > "$OE_TMP/www/index.html"
echo world > "$OE_TMP/www2/index.html"
conf() { # conf SHUTDOWN-TIMEOUT ROOT [ALIAS]
    cat > "$OE_TMP/edge.conf" <<CONF
[global]
workers = 2
state-dir = state
shutdown-timeout = $1
[listen "https"]
address = 127.0.0.1:$port
[site "demo"]
host = demo.test
${3:+alias = $3}
cert = auto
root = $2
CONF
}
conf 2s www
oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
pid=$OE_LASTPID
oe_wait_tcp "$port" || fail "server did not start: $(cat "$OE_TMP/edge.log")"
ca="$OE_TMP/state/tls/ca.pem"
url="https://demo.test:$port/index.html"
to="--connect-to=127.0.0.1:$port"

reloads() { grep -c 'configuration reloaded' "$OE_TMP/edge.log" || true; }
# wait_reloads N: until N reloads are logged (at most 10 s).
wait_reloads() {
    n=200
    while [ "$(reloads)" -lt "$1" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
    expect_eq "$(reloads)" "$1" "reloads applied"
}
# h2load_ok NAME OUTPUT: its summary says every request succeeded.
h2load_ok() {
    line=$(grep '^requests:' "$2") || fail "$1: no summary: $(tail -n 5 "$2")"
    echo "$1: $line"
    set -- "$1" $line
    # requests: T total, S started, D done, OK succeeded, F failed, E errored, X timeout
    [ "$3" -gt 0 ] && [ "$3" = "$5" ] && [ "$3" = "$7" ] && [ "$3" = "$9" ] &&
        [ "${11}" = 0 ] && [ "${13}" = 0 ] ||
        fail "$1: requests failed: $line"
}

# 1. Long-lived connections, HTTP/2 (h2load, six connections) and HTTP/1.1 keep-alive, 50
# reloads in 5 s that keep the certificate: the connections move to each new generation (had
# they stayed, shutdown-timeout 2s would have sent h2load a GOAWAY 1 s after the first reload).
timeout 40 h2load $to -c 6 -n 150000 "$url" > "$OE_TMP/h2.out" 2>&1 &
l1=$!
timeout 40 h2load --h1 $to -c 2 -n 40000 "$url" > "$OE_TMP/h1.out" 2>&1 &
l2=$!
sleep 0.5
i=0
while [ $i -lt 50 ]; do kill -HUP "$pid"; i=$((i + 1)); sleep 0.1; done
wait "$l1" "$l2" || true
h2load_ok "h2load h2, 6 connections" "$OE_TMP/h2.out"
h2load_ok "h2load http/1.1 keep-alive, 2 connections" "$OE_TMP/h1.out"
wait_reloads 50

# 2. Twenty seconds of fresh TLS connections (HTTP/2, and HTTP/1.1 with connection: close),
# HTTP/1.1 keep-alive, and long-lived HTTP/2 connections (curl), under 50 reloads that each
# change the certificate (cert = auto with another alias), so every connection drains: the
# HTTP/2 ones get their GOAWAY 1 s after the reload (shutdown-timeout 2s).
timeout 50 h2load $to -r 8 --rate-period=50ms -c 2400 -n 2400 "$url" > "$OE_TMP/fresh-h2.out" 2>&1 &
l1=$!
timeout 50 h2load --h1 $to -H 'connection: close' -c 4 -n 8000 "$url" > "$OE_TMP/fresh-h1.out" 2>&1 &
l2=$!
timeout 50 h2load --h1 $to -c 2 -n 60000 "$url" > "$OE_TMP/keepalive-h1.out" 2>&1 &
l3=$!
i=0
while [ $i -lt 20000 ]; do
    echo "url = \"$url\""
    echo 'output = "/dev/null"'
    i=$((i + 1))
done > "$OE_TMP/urls"
(
    while [ ! -e "$OE_TMP/stop" ]; do
        curl -s --http2 --cacert "$ca" --resolve "demo.test:$port:127.0.0.1" -K "$OE_TMP/urls" \
            -w '%{http_code} %{num_connects}\n' || echo "curl exit $?"
        echo run
    done > "$OE_TMP/curl.codes"
) &
l4=$!
sleep 0.5
i=0
while [ $i -lt 50 ]; do
    conf 2s www "a$((i % 2)).demo.test"
    kill -HUP "$pid"
    i=$((i + 1))
    sleep 0.4
done
touch "$OE_TMP/stop"
wait "$l1" "$l2" "$l3" "$l4" || true
h2load_ok "h2load h2, a new connection per request" "$OE_TMP/fresh-h2.out"
h2load_ok "h2load http/1.1, a new connection per request" "$OE_TMP/fresh-h1.out"
h2load_ok "h2load http/1.1, keep-alive" "$OE_TMP/keepalive-h1.out"
n=$(grep -c '^[0-9]' "$OE_TMP/curl.codes")
bad=$(grep -v '^run$' "$OE_TMP/curl.codes" | grep -vc '^200 [01]$' || true)
runs=$(grep -c '^run$' "$OE_TMP/curl.codes")
goaways=$(($(grep -c '^200 1$' "$OE_TMP/curl.codes") - runs))
echo "curl h2: $n requests, $bad failed, $goaways new connections after a GOAWAY"
[ "$n" -gt 2000 ] || fail "curl made only $n requests"
expect_eq "$bad" 0 "curl requests that failed"
[ "$goaways" -ge 5 ] || fail "curl saw few GOAWAYs ($goaways): the drain was not exercised"
wait_reloads 100
grep -q 'reload requested while' "$OE_TMP/edge.log" && fail "a reload was refused"

# 3. A stalled connection (a request's first line is in, the rest is not) holds no reload up:
# two SIGHUPs 100 ms apart are both applied. Then the rest arrives and the old generation
# answers. With the same certificate the connection then moves to the new configuration (its
# next request is served from the new root); with a new one it is closed (connection: close).
/usr/bin/python3 - "$port" "$ca" "$pid" "$OE_TMP" <<'PY'
import os, signal, socket, ssl, sys, time
port, ca, pid, tmp = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
log = tmp + "/edge.log"
def reloads():
    return open(log).read().count("configuration reloaded")
def conf(root, alias):
    open(tmp + "/edge.conf", "w").write(
        "[global]\nworkers = 2\nstate-dir = state\nshutdown-timeout = 5s\n"
        "[listen \"https\"]\naddress = 127.0.0.1:%d\n"
        "[site \"demo\"]\nhost = demo.test\nalias = %s\ncert = auto\nroot = %s\n"
        % (port, alias, root))
def response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        assert chunk, "closed before a response: %r" % data
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    head = head.decode().lower()
    length = int(head.split("content-length: ")[1].split("\r\n")[0])
    while len(body) < length:
        chunk = s.recv(4096)
        assert chunk, "closed in the body"
        body += chunk
    return head, body
def stalled_then_reloads(root, alias):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["http/1.1"])
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="demo.test")
    s.settimeout(5)
    s.sendall(b"GET /index.html HTTP/1.1\r\nhost: demo.test\r\n")
    before = reloads()
    conf(root, alias)
    os.kill(pid, signal.SIGHUP)
    time.sleep(0.1)
    os.kill(pid, signal.SIGHUP)
    for _ in range(100):
        if reloads() >= before + 2:
            break
        time.sleep(0.05)
    assert reloads() == before + 2, "reloads with a stalled connection: %d" % (reloads() - before)
    s.sendall(b"\r\n")
    return s, response(s)

# The same certificate (same names), another root.
conf("www", "a1.demo.test")
s, (head, body) = stalled_then_reloads("www2", "a1.demo.test")
assert head.startswith("http/1.1 200") and body == b"hello\n", (head, body)
assert "connection: close" not in head, head
s.sendall(b"GET /index.html HTTP/1.1\r\nhost: demo.test\r\n\r\n")
head, body = response(s)
assert head.startswith("http/1.1 200") and body == b"world\n", (head, body)
print("stalled connection: both reloads applied; answered, then moved to the new root")
s.close()
# A new certificate: the connection cannot move; the answer closes it, with close_notify.
s, (head, body) = stalled_then_reloads("www", "b.demo.test")
assert head.startswith("http/1.1 200") and body == b"world\n", (head, body)
assert "connection: close" in head, head
assert s.recv(4096) == b"", "not closed after connection: close"
print("stalled connection, new certificate: answered with connection: close, then closed")
PY

# The server still answers, and the old generations are gone once their deadlines passed.
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$ca" --resolve "demo.test:$port:127.0.0.1" "$url")
expect_eq "$code" 200 "a request after the reloads"
threads() { ls "/proc/$pid/task" | wc -l; }
n=$(threads)
i=0
while [ "$n" -gt 4 ] && [ $i -lt 80 ]; do sleep 0.1; n=$(threads); i=$((i + 1)); done
[ "$n" -le 4 ] || fail "threads of old generations still running: $n"
kill -TERM "$pid"
set +e
wait "$pid"; rc=$?
set -e
expect_eq "$rc" 0 "exit code after SIGTERM"
echo "reload under load ok"
