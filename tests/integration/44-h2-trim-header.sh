# A regression test: h2_trim (the 1 s tidy timer's idle trim) dropped the pages of every large
# block nghttp2 had allocated, not only of its frame buffer. A client that sends half of a
# HEADERS frame with a 9000-byte field value, idles 2.6 s (two tidy rounds) and sends the rest
# had the buffer nghttp2 was decoding that value into (a block of its own, with its header) read
# as zeros: the worker crashed in nghttp2_check_header_value_rfc9113 (NULL). Now the request is
# answered and the server lives on. About 4 s.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/trim_lib.sh"
trim_start

out=$(timeout 30 /usr/bin/python3 - "$port" "$OE_TMP/cert.pem" <<'PY'
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]

def conn():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.set_alpn_protocols(["h2"])
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                        server_hostname="trim.test")
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
    return s

def hint(n):  # HPACK integer with a 7-bit prefix, Huffman bit clear (RFC 7541 5.1)
    if n < 127:
        return bytes([n])
    out, n = [127], n - 127
    while n >= 128:
        out.append((n & 127) | 128)
        n >>= 7
    return bytes(out + [n])

def get(s, pause):
    fields = ((b":method", b"GET"), (b":scheme", b"https"), (b":authority", b"trim.test"),
              (b":path", b"/small.txt"), (b"x-big", b"v" * 9000))
    block = b"".join(b"\x00" + hint(len(k)) + k + hint(len(v)) + v for k, v in fields)
    frame = len(block).to_bytes(3, "big") + b"\x01\x05" + (1).to_bytes(4, "big") + block
    s.sendall(frame[:5000])  # the value's first part: nghttp2 decodes it at once
    time.sleep(pause)
    s.sendall(frame[5000:])
    buf = b""
    while True:  # frames until stream 1's HEADERS and its DATA with END_STREAM
        while len(buf) < 9 or len(buf) < 9 + int.from_bytes(buf[:3], "big"):
            try:
                d = s.recv(65536)
            except OSError as e:
                return "error " + type(e).__name__
            if not d:
                return "closed"
            buf += d
        n, t, fl = int.from_bytes(buf[:3], "big"), buf[3], buf[4]
        st = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
        payload, buf = buf[9:9 + n], buf[9 + n:]
        if t in (3, 7):
            return "reset or goaway"
        if st == 1 and t == 1:
            status = "200" if payload[:1] == b"\x88" else "?" + payload[:1].hex()
        if st == 1 and t == 0 and fl & 1:
            return "%s, %d bytes" % (status, len(payload))

print("no pause:", get(conn(), 0))
print("idle mid-header:", get(conn(), 2.6))  # two tidy rounds while the value is half there
print("afterwards:", get(conn(), 0))
PY
)
echo "$out"
expect_eq "$out" "no pause: 200, 11 bytes
idle mid-header: 200, 11 bytes
afterwards: 200, 11 bytes" "a header value split by an idle trim"
kill -0 "$pid" || fail "server died: $(tail -n 5 "$OE_TMP/edge.log")"
echo "44-h2-trim-header ok"
