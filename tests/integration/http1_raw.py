"""Raw HTTP/1.1 requests against a plain listener; prints nothing on success, exits 1 with the
first mismatch otherwise. Usage: http1_raw.py PORT"""
import re
import socket
import sys
import time

PORT = int(sys.argv[1])


def exchange(data, timeout=3.0):
    """Sends data, returns everything the server sent until it closed or went quiet."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out


def statuses(raw):
    return [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", raw)]


def expect(name, data, want, close=True):
    got = statuses(exchange(data, timeout=3.0 if close else 1.0))
    if got != want:
        print(f"FAIL {name}: statuses {got}, want {want}")
        sys.exit(1)


H = b"Host: demo.test\r\n"
expect("valid", b"GET / HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n", [404])
expect("no host", b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", [400])
expect("two hosts", b"GET / HTTP/1.1\r\n" + H + H + b"\r\n", [400])
expect("bad host", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", [400])
expect("unknown host", b"GET / HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n", [421])
expect("long url", b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\n" + H + b"\r\n", [414])
expect("big header", b"GET / HTTP/1.1\r\n" + H + b"X-A: " + b"b" * 3000 + b"\r\n\r\n", [431])
expect("many headers", b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-%d: 1\r\n" % i for i in range(30)) + b"\r\n", [431])
expect("big declared body", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5000\r\n\r\n", [413])
expect("big chunked body", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
       + b"400\r\n" + b"x" * 1024 + b"\r\n400\r\n" + b"x" * 1024 + b"\r\n0\r\n\r\n", [413])
expect("cl and te", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", [400])
expect("bad method", b"G@T / HTTP/1.1\r\n" + H + b"\r\n", [400])
# A version other than 1.0 and 1.1 is 505 (RFC 9110 15.6.6), also one llhttp knows (2.0, 0.9);
# a malformed one is 400. (Before the fix "HTTP/2.0" was served 404 as HTTP/1.1.)
expect("version 2.0", b"GET / HTTP/2.0\r\n" + H + b"\r\n", [505])
expect("version 0.9", b"GET / HTTP/0.9\r\n" + H + b"\r\n", [505])
expect("version 9.9", b"GET / HTTP/9.9\r\n" + H + b"\r\n", [505])
expect("bad version", b"GET / HTTP/1.x\r\n" + H + b"\r\n", [400])
# OPTIONS * asks about the server as a whole (RFC 9110 9.3.7): 204 with Allow, no body; "*" with
# another method is 400. (Before the fix OPTIONS * was 400.)
raw = exchange(b"OPTIONS * HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
if statuses(raw) != [204] or b"\r\nallow: OPTIONS\r\n" not in raw or not raw.endswith(b"\r\n\r\n"):
    print(f"FAIL OPTIONS *: {raw!r}")
    sys.exit(1)
expect("GET *", b"GET * HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n", [400])
# HTTP/1.0 needs no Host (RFC 9112 3.2): served by the default site (the first one here). An
# HTTP/1.1 request without Host stays 400 (above). (Before the fix this was 400.)
expect("1.0 without host", b"GET / HTTP/1.0\r\n\r\n", [404])
# Upgrade is not implemented: the request is served as if the header were absent and a pipelined
# request after it is parsed as HTTP/1.1 and answered in turn (421: a host we do not serve).
# Before the fix llhttp stopped at the upgrade and the first request was dispatched again (404).
up = b"Upgrade: websocket\r\nConnection: upgrade\r\n"
after = b"GET /2 HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n"
expect("upgrade then pipelined", b"GET / HTTP/1.1\r\n" + H + up + b"\r\n" + after, [404, 421])
expect("upgrade with body then pipelined", b"POST / HTTP/1.1\r\n" + H + up
       + b"Content-Length: 3\r\n\r\nabc" + after, [404, 421])
expect("h2c upgrade then pipelined", b"GET / HTTP/1.1\r\n" + H
       + b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"
       + after, [404, 421])
expect("CONNECT", b"CONNECT demo.test:443 HTTP/1.1\r\n" + H + b"\r\n" + after, [400])
expect("space before colon", b"GET / HTTP/1.1\r\nHost : demo.test\r\n\r\n", [400])
expect("bare LF", b"GET / HTTP/1.1\n" + H + b"\n", [400])
expect("relative target", b"GET foo HTTP/1.1\r\n" + H + b"\r\n", [400])
expect("absolute form", b"GET http://demo.test/x HTTP/1.1\r\nHost: demo.test\r\nConnection: close\r\n\r\n", [404])
expect("chunked ok", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n", [404])
# Pipelining: three requests in one packet, answered in order on one connection.
three = (b"GET /1 HTTP/1.1\r\n" + H + b"\r\n") * 2 + b"HEAD /3 HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n"
raw = exchange(three)
if statuses(raw) != [404, 404, 404] or raw.count(b"404 Not Found\n") != 2:
    print(f"FAIL pipelining: {raw!r}")
    sys.exit(1)
# HEAD carries the length of what GET would send, and no body.
raw = exchange(b"HEAD /x HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
if b"content-length: 14\r\n" not in raw or not raw.endswith(b"\r\n\r\n"):
    print(f"FAIL head: {raw!r}")
    sys.exit(1)

# A client that never finishes its headers is cut off after header-timeout (1s).
s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nHost: demo.test\r\n")
t0 = time.monotonic()
try:
    rest = s.recv(100)
except socket.timeout:
    rest = b"timeout"
took = time.monotonic() - t0
if rest != b"" or not (0.8 < took < 2.5):
    print(f"FAIL slow headers: got {rest!r} after {took:.2f}s")
    sys.exit(1)
# An idle keep-alive connection closes after keepalive-timeout (2s).
s = socket.create_connection(("127.0.0.1", PORT), timeout=6)
s.sendall(b"GET / HTTP/1.1\r\n" + H + b"\r\n")
t0 = time.monotonic()
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
took = time.monotonic() - t0
if statuses(data) != [404] or not (1.8 < took < 4):
    print(f"FAIL keep-alive timeout: {statuses(data)} after {took:.2f}s")
    sys.exit(1)
print("http1 raw ok")
