# Idle connections give memory back (conn.c on_tidy, oe_tls_trim, h2_trim: the pages of mbedtls'
# record buffers and of nghttp2's frame buffer are dropped while a connection idles). A
# connection must work exactly as before afterwards: TLS keeps its incoming record sequence
# number in the first bytes of the input buffer, and nghttp2 its state beside the frame buffer.
# Over HTTP/1.1 and HTTP/2 each: a 1 MiB download (trimmed at once, a large transfer), then idle
# 2.5 s (two tidy rounds), then a small and a large GET on the same connection, idle again, and
# once more; every body must be byte-exact.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/trim_lib.sh"
trim_start big

out=$(timeout 60 /usr/bin/python3 - "$port" "$OE_TMP/cert.pem" "$OE_TMP/www" <<'PY'
import hashlib, socket, ssl, sys, time
port, ca, www = int(sys.argv[1]), sys.argv[2], sys.argv[3]
want = {p: open(www + p, "rb").read() for p in ("/big.bin", "/small.txt")}

def tls(alpn):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.set_alpn_protocols([alpn])
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                        server_hostname="trim.test")
    assert s.selected_alpn_protocol() == alpn
    return s

def h1_get(s, path):
    s.sendall(("GET %s HTTP/1.1\r\nhost: trim.test\r\n\r\n" % path).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, body = buf.split(b"\r\n\r\n", 1)
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0]
            .split(b":")[1])
    while len(body) < n:
        body += s.recv(65536)
    return head.split(b" ")[1].decode(), body

def lit(k, v):  # HPACK literal without indexing, new name (RFC 7541 6.2.2)
    return b"\x00" + bytes([len(k)]) + k + bytes([len(v)]) + v

def h2_get(s, sid, path):
    block = b"".join(lit(k, v) for k, v in ((b":method", b"GET"), (b":scheme", b"https"),
                     (b":authority", b"trim.test"), (b":path", path.encode())))
    s.sendall(len(block).to_bytes(3, "big") + b"\x01\x05" + sid.to_bytes(4, "big") + block)
    buf, body, status = b"", b"", "?"
    while True:
        while len(buf) < 9 or len(buf) < 9 + int.from_bytes(buf[:3], "big"):
            d = s.recv(65536)
            if not d:
                return "closed", body
            buf += d
        n, t, fl = int.from_bytes(buf[:3], "big"), buf[3], buf[4]
        st = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
        payload, buf = buf[9:9 + n], buf[9 + n:]
        if t == 4 and not fl & 1:
            s.sendall(b"\x00\x00\x00\x04\x01\x00\x00\x00\x00")
        if t in (3, 7):
            return "reset", body
        if st == sid and t == 1:
            status = "200" if b"\x88" in payload[:1] else "?" + payload[:1].hex()
        if st == sid and t == 0:
            body += payload
        if st == sid and t in (0, 1) and fl & 1:
            return status, body

def check(tag, got, path):
    status, body = got
    ok = status == "200" and hashlib.sha256(body).digest() == hashlib.sha256(want[path]).digest()
    print("%s %s: %s" % (tag, path, "ok" if ok else "%s, %d bytes" % (status, len(body))))

a = tls("http/1.1")
b = tls("h2")
b.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x06\x04\x00\x00\x00\x00\x00"
          + b"\x00\x04\x40\x00\x00\x00"  # SETTINGS_INITIAL_WINDOW_SIZE 2^30
          + b"\x00\x00\x04\x08\x00\x00\x00\x00\x00" + (2**30 - 65535).to_bytes(4, "big"))
check("h1", h1_get(a, "/big.bin"), "/big.bin")
check("h2", h2_get(b, 1, "/big.bin"), "/big.bin")
sid = 3
for rnd in (1, 2):
    time.sleep(2.5)  # two tidy rounds: both connections are trimmed
    for p in ("/small.txt", "/big.bin"):
        check("h1 after idle %d" % rnd, h1_get(a, p), p)
        check("h2 after idle %d" % rnd, h2_get(b, sid, p), p)
        sid += 2
PY
) || fail "client: $out"
echo "$out"
expect_eq "$out" "h1 /big.bin: ok
h2 /big.bin: ok
h1 after idle 1 /small.txt: ok
h2 after idle 1 /small.txt: ok
h1 after idle 1 /big.bin: ok
h2 after idle 1 /big.bin: ok
h1 after idle 2 /small.txt: ok
h2 after idle 2 /small.txt: ok
h1 after idle 2 /big.bin: ok
h2 after idle 2 /big.bin: ok" "requests on connections that idled and were trimmed"
echo "42-idle-trim ok"
