#!/usr/bin/python3
"""Opens N idle TLS 1.3 connections (ALPN h2) to HOST:PORT, completes each handshake, sends the
HTTP/2 client preface and an empty SETTINGS frame, then keeps them open and idle.

usage: idle_conns.py HOST PORT SNI CAFILE N [PATH]
With PATH, each connection first GETs https://SNI/PATH on stream 1 and reads the whole response
(a connection that has served a download, then idles). Prints "ready N" on stdout once every connection is open (or "error ..." and exits 1), then
waits until stdin is closed or the process is signalled, and closes everything.
Used by http_bench.sh to measure the server's memory per idle connection.
"""
import socket
import ssl
import sys

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # length 0, type SETTINGS, no flags, stream 0
# SETTINGS_INITIAL_WINDOW_SIZE = 2^30 and a connection WINDOW_UPDATE of 2^30 - 65535: no stalls.
SETTINGS_BIG = b"\x00\x00\x06\x04\x00\x00\x00\x00\x00" + b"\x00\x04\x40\x00\x00\x00"
WINDOW = b"\x00\x00\x04\x08\x00\x00\x00\x00\x00" + (2**30 - 65535).to_bytes(4, "big")


def hpack_literal(name, value):
    """Literal header field without indexing, new name, no Huffman (RFC 7541 6.2.2)."""
    n, v = name.encode(), value.encode()
    assert len(n) < 127 and len(v) < 127
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v


def get(s, sni, path):
    block = b"".join(hpack_literal(k, v) for k, v in
                     ((":method", "GET"), (":scheme", "https"), (":authority", sni), (":path", path)))
    # HEADERS, END_STREAM | END_HEADERS, stream 1
    s.sendall(len(block).to_bytes(3, "big") + b"\x01\x05\x00\x00\x00\x01" + block)
    buf, got = b"", 0
    while True:
        while len(buf) < 9 or len(buf) < 9 + int.from_bytes(buf[:3], "big"):
            chunk = s.recv(262144)
            if not chunk:
                raise RuntimeError("connection closed after %d body bytes" % got)
            buf += chunk
        length, ftype, flags = int.from_bytes(buf[:3], "big"), buf[3], buf[4]
        stream = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
        if ftype == 0x7:
            raise RuntimeError("GOAWAY")
        if ftype == 0x3 and stream == 1:
            raise RuntimeError("RST_STREAM")
        if ftype == 0x4 and not flags & 0x1:
            s.sendall(b"\x00\x00\x00\x04\x01\x00\x00\x00\x00")  # SETTINGS ACK
        if stream == 1 and ftype == 0x0:
            got += length
        buf = buf[9 + length:]
        if stream == 1 and ftype in (0x0, 0x1) and flags & 0x1:
            return got


def main():
    host, port, sni, cafile, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    path = sys.argv[6] if len(sys.argv) > 6 else None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(cafile)
    ctx.set_alpn_protocols(["h2"])
    conns, body = [], 0
    for i in range(n):
        try:
            raw = socket.create_connection((host, port), timeout=10)
            s = ctx.wrap_socket(raw, server_hostname=sni)
            if s.selected_alpn_protocol() != "h2" or s.version() != "TLSv1.3":
                raise RuntimeError("negotiated %s %s" % (s.version(), s.selected_alpn_protocol()))
            if path is None:
                s.sendall(PREFACE + SETTINGS)
            else:
                s.sendall(PREFACE + SETTINGS_BIG + WINDOW)
                body += get(s, sni, path)
            conns.append(s)
        except Exception as e:  # noqa: BLE001 - report any failure with its index
            print("error connection %d: %s" % (i, e), flush=True)
            return 1
    print("ready %d body %d" % (len(conns), body), flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    for s in conns:
        try:
            s.close()
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
