# File-descriptor exhaustion (issue 12): with `ulimit -n 64` and idle connections holding every
# descriptor, a GET of a file that exists is 503 (never a wrong 404) with one log line, the
# process does not spin on the listener (CPU time over 2 s while clients keep connecting), and
# once the idle connections are gone the same GET is 200 again. The file is larger than what the
# open-file cache keeps in memory (a small old file can be served from memory without a
# descriptor, for as long as its cache entry lasts).
# The start-up check says that max-connections cannot be reached under this limit.
. "$OE_ROOT/tests/integration/lib.sh"
port=$(oe_port)
mkdir "$OE_TMP/www"
head -c 131072 /dev/zero > "$OE_TMP/www/big.bin" # over OE_WEBSITE_CACHE_BLOB_MAX
touch -d '-1 hour' "$OE_TMP/www/big.bin"
cat > "$OE_TMP/edge.conf" <<CONF
[global]
workers = 2
state-dir = state
[listen "plain"]
address = 127.0.0.1:$port
tls = no
max-connections = 1000
[site "a"]
host = a.test
root = www
CONF
oe_bg "$OE_TMP/edge.log" sh -c 'ulimit -n 64 && exec "$0" -c "$1"' "$OE_BIN" "$OE_TMP/edge.conf"
pid=$OE_LASTPID
oe_wait_tcp "$port" || fail "server did not start: $(cat "$OE_TMP/edge.log")"
grep -q 'max-connections cannot be reached: they need about 1064 open files, the limit is 64' \
    "$OE_TMP/edge.log" || fail "no start-up warning about the descriptor limit: $(cat "$OE_TMP/edge.log")"

out=$(timeout 40 /usr/bin/python3 - "$port" "$pid" <<'PY'
import socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]

def cpu_ticks():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])  # utime + stime

def get(s):
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: a.test\r\n\r\n")
    data = b""
    s.settimeout(5)
    while b"\r\n\r\n" not in data:
        d = s.recv(4096)
        if not d:
            return "closed"
        data += d
    head, body = data.split(b"\r\n\r\n", 1)
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0]
            .split(b":")[1])
    while len(body) < n:
        body += s.recv(4096)
    return head.split(b" ")[1].decode()

a = socket.create_connection(("127.0.0.1", port))
print("before: " + get(a))
idle = []
for _ in range(100):  # more than the server has descriptors for
    try:
        idle.append(socket.create_connection(("127.0.0.1", port), timeout=2))
    except OSError:
        pass
time.sleep(0.5)
print("exhausted: " + get(a))
# Clients keep knocking while no descriptor is free: the server must shed them, not spin.
t0 = cpu_ticks()
extra = []
for _ in range(20):
    try:
        extra.append(socket.create_connection(("127.0.0.1", port), timeout=1))
    except OSError:
        pass
    time.sleep(0.1)
spent = cpu_ticks() - t0
print("cpu: " + ("low" if spent <= 20 else "spinning (%d ticks in 2 s)" % spent))
for s in idle + extra:
    s.close()
time.sleep(0.5)
print("after: " + get(a))
print("new connection after: " + get(socket.create_connection(("127.0.0.1", port), timeout=5)))
PY
) || fail "client: $out"
echo "$out"
expect_eq "$out" "before: 200
exhausted: 503
cpu: low
after: 200
new connection after: 200" "GET under descriptor exhaustion"
expect_eq "$(grep -c 'out of file descriptors (EMFILE): answering 503' "$OE_TMP/edge.log")" 1 \
    "rate-limited log line"
echo "39-fd-limits ok"
