# Idle trimming (conn.c on_tidy, oe_tls_trim, h2_trim) at the awkward moments 42-idle-trim does
# not reach: a tidy round while half of a TLS record has arrived (mbedtls holds a partial record
# in its input buffer: its pages must stay), several large HTTP/2 streams at once on a connection
# that was trimmed, and a client that resets a trimmed connection in the middle of a 1 MiB
# response while another connection goes on. Every body must be byte-exact and the server must
# still answer at the end. About 15 s (six idle waits of 2.5 s: two tidy rounds each).
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/trim_lib.sh"
trim_start big

out=$(timeout 90 /usr/bin/python3 - "$port" "$OE_TMP/cert.pem" "$OE_TMP/www" <<'PY'
import hashlib, socket, ssl, struct, sys, time
port, ca, www = int(sys.argv[1]), sys.argv[2], sys.argv[3]
want = {p: hashlib.sha256(open(www + p, "rb").read()).digest() for p in ("/big.bin", "/small.txt")}

class Conn:
    """TLS through memory BIOs: the test decides where the record bytes are cut."""
    def __init__(self, alpn):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(ca)
        ctx.set_alpn_protocols([alpn])
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.i, self.o = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.t = ctx.wrap_bio(self.i, self.o, server_hostname="trim.test")
        while True:
            try:
                self.t.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.more()
        self.flush()
        assert self.t.selected_alpn_protocol() == alpn
        self.alpn, self.buf, self.sid = alpn, b"", 1
        if alpn == "h2":
            self.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x06\x04\x00\x00\x00\x00\x00"
                      + b"\x00\x04\x40\x00\x00\x00"  # SETTINGS_INITIAL_WINDOW_SIZE 2^30
                      + b"\x00\x00\x04\x08\x00\x00\x00\x00\x00" + (2**30 - 65535).to_bytes(4, "big"))
    def more(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("closed")
        self.i.write(d)
    def flush(self, split=False):
        d = self.o.read()
        if split:  # half a record (one: the request is under 16 KiB), two tidy rounds, the rest
            h = len(d) // 2
            self.s.sendall(d[:h])
            time.sleep(2.5)
            d = d[h:]
        self.s.sendall(d)
    def send(self, data, split=False):
        self.t.write(data)
        self.flush(split)
    def recv(self):
        while True:
            try:
                d = self.t.read(65536)
                if not d:
                    raise EOFError("closed")
                return d
            except ssl.SSLWantReadError:
                self.more()
    def reset(self):
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.s.close()

def h1_get(c, path, split=False):
    pad = "x-pad: %s\r\n" % ("z" * 6000) if split else ""  # a record over several pages
    c.send(("GET %s HTTP/1.1\r\nhost: trim.test\r\n%s\r\n" % (path, pad)).encode(), split)
    buf = c.buf
    while b"\r\n\r\n" not in buf:
        buf += c.recv()
    head, body = buf.split(b"\r\n\r\n", 1)
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0]
            .split(b":")[1])
    while len(body) < n:
        body += c.recv()
    c.buf = body[n:]
    ok = head.split(b" ")[1] == b"200" and hashlib.sha256(body[:n]).digest() == want[path]
    return "ok" if ok else "bad %s, %d bytes" % (head.split(b" ")[1], n)

def lit(k, v):  # HPACK literal without indexing, new name (RFC 7541 6.2.2)
    return b"\x00" + bytes([len(k)]) + k + bytes([len(v)]) + v

def h2_get(c, paths, split=False, cut_after=None):
    streams, out = {}, b""
    for p in paths:
        block = b"".join(lit(k, v) for k, v in ((b":method", b"GET"), (b":scheme", b"https"),
                         (b":authority", b"trim.test"), (b":path", p.encode())))
        out += len(block).to_bytes(3, "big") + b"\x01\x05" + c.sid.to_bytes(4, "big") + block
        streams[c.sid] = [p, b"", False]
        c.sid += 2
    if split:  # an extension frame (ignored, RFC 9113 5.5): the record spans several pages
        out += (12000).to_bytes(3, "big") + b"\xfa\x00\x00\x00\x00\x00" + b"\x5a" * 12000
    c.send(out, split)
    buf, left, got = c.buf, len(streams), 0
    while left:
        while len(buf) < 9 or len(buf) < 9 + int.from_bytes(buf[:3], "big"):
            buf += c.recv()
        n, t, fl = int.from_bytes(buf[:3], "big"), buf[3], buf[4]
        st = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
        payload, buf = buf[9:9 + n], buf[9 + n:]
        if t == 4 and not fl & 1:
            c.send(b"\x00\x00\x00\x04\x01\x00\x00\x00\x00")
        if t in (3, 7):
            return "reset or goaway"
        if st in streams and t == 1:
            streams[st][2] = payload[:1] == b"\x88"
        if st in streams and t == 0:
            streams[st][1] += payload
            got += n
            if cut_after is not None and got > cut_after:
                c.reset()
                return "cut"
        if st in streams and t in (0, 1) and fl & 1:
            left -= 1
    c.buf = buf
    bad = [p for p, body, s200 in streams.values()
           if not s200 or hashlib.sha256(body).digest() != want[p]]
    return "ok" if not bad else "bad " + " ".join(bad)

a, b, k = Conn("h2"), Conn("http/1.1"), Conn("h2")
print("h2 big:", h2_get(a, ["/big.bin"]))
print("h1 big:", h1_get(b, "/big.bin"))
print("h2 to cut:", h2_get(k, ["/small.txt"]))
time.sleep(2.5)  # all three trimmed
print("h2 split request:", h2_get(a, ["/big.bin", "/small.txt"], split=True))
print("h1 split request:", h1_get(b, "/big.bin", split=True))
time.sleep(2.5)
print("h2 three big:", h2_get(a, ["/big.bin", "/big.bin", "/big.bin"]))
print("h2 reset mid-transfer:", h2_get(k, ["/big.bin", "/big.bin"], cut_after=300000))
print("h1 after reset:", h1_get(b, "/big.bin"))
time.sleep(2.5)
print("h2 again:", h2_get(a, ["/small.txt", "/big.bin"], split=True))
print("h1 again:", h1_get(b, "/small.txt"))
print("h2 new:", h2_get(Conn("h2"), ["/big.bin"]))
PY
) || fail "client: $out"
echo "$out"
expect_eq "$out" "h2 big: ok
h1 big: ok
h2 to cut: ok
h2 split request: ok
h1 split request: ok
h2 three big: ok
h2 reset mid-transfer: cut
h1 after reset: ok
h2 again: ok
h1 again: ok
h2 new: ok" "requests around idle trims, a partial record and a reset"
kill -0 "$pid" || fail "server died: $(tail -n 5 "$OE_TMP/edge.log")"
echo "43-idle-trim-partial ok"
