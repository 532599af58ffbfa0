#!/usr/bin/python3
"""Test servers for 61-proxy-safety.sh and 63-query-client.sh (loopback only).

  recording_target.py https PORT CERT KEY LOG
      An HTTPS server (TLS, ALPN http/1.1 only, so the proxy's client falls back from h2) that
      appends one JSON object per request to LOG: the exact request line, the header fields in
      the order and spelling received, the body length and the peer address. Answers by path:
        /dns-query       200, content-type application/oblivious-dns-message, body "recorded-answer",
                         plus set-cookie and x-target-only headers (which a proxy need not pass on)
        /stale           401, body "stale key" (an ODoH target that no longer has the client's key)
        /redirect        301 to https://elsewhere.invalid/ (the proxy must not follow it)
        /hang            reads the request, then never answers (until the client gives up)
        anything else    404
  recording_target.py configs BIND PORT CERT KEY HEX1 HEX2
      An HTTPS server on BIND:PORT whose GET /.well-known/odohconfigs answers the configs HEX1
      the first time and HEX2 every later time (a target whose key changed in between); appends
      one line per GET to PORT.configs.log in the working directory. HEX "-" = a 404.
  recording_target.py h1-front PORT CERT KEY UPSTREAM-PORT UPSTREAM-CA
      An HTTPS server on 127.0.0.1:PORT that speaks HTTP/1.1 only (ALPN http/1.1, keep-alive),
      in front of an odoh-edge target on 127.0.0.1:UPSTREAM-PORT: each request is passed on
      (same method, path, content-type, accept and body, over a fresh TLS connection to the
      upstream, which is verified with UPSTREAM-CA for the request's Host name) and its status,
      content-type and body come back. Appends "conn" to PORT.front.log for every connection
      accepted and "METHOD PATH STATUS" for every request.
  recording_target.py tcp-hang PORT
      Accepts TCP connections and never says anything (no TLS handshake).
  recording_target.py dns PORT IP [IP6]
      A UDP DNS server that answers every A question with IP (TTL 60; IP "-": NODATA), every
      AAAA question with IP6 when given, anything else NODATA; appends each question name to
      PORT.dns.log in the working directory (and "NAME TYPE" to PORT.dns-types.log).
"""
import http.server
import json
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time


def https_server(port, cert, key, log):
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _record(self, body):
            entry = {
                "line": self.requestline,
                "headers": [[k, v] for k, v in self.headers.raw_items()],
                "body_len": len(body),
                "peer": self.client_address[0],
            }
            with lock, open(log, "a") as f:
                f.write(json.dumps(entry) + "\n")

        def _body(self):
            n = int(self.headers.get("content-length") or 0)
            return self.rfile.read(n) if n > 0 else b""

        def _send(self, status, body, ctype, extra=()):
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _any(self):
            body = self._body()
            self._record(body)
            path = self.path.split("?")[0]
            if path == "/dns-query":
                self._send(200, b"recorded-answer", "application/oblivious-dns-message",
                           [("set-cookie", "target=secret"), ("x-target-only", "1")])
            elif path == "/stale":
                self._send(401, b"stale key", "text/plain")
            elif path == "/redirect":
                self._send(301, b"", "text/plain", [("location", "https://elsewhere.invalid/")])
            elif path == "/hang":
                time.sleep(60)
            else:
                self._send(404, b"no such path", "text/plain")

        do_POST = _any
        do_GET = _any

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    srv = Server(("127.0.0.1", port), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


def configs_server(bind, port, cert, key, hex1, hex2):
    n = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            n[0] += 1
            with open(f"{port}.configs.log", "a") as f:
                f.write(f"{n[0]} {self.path}\n")
            h = hex1 if n[0] == 1 else hex2
            body = b"not found" if h == "-" else bytes.fromhex(h)
            self.send_response(404 if h == "-" else 200)
            self.send_header("content-type", "application/oblivious-dns-message")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    srv = http.server.ThreadingHTTPServer((bind, port), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


def h1_front(port, cert, key, up_port, up_ca):
    import http.client

    up = ssl.create_default_context(cafile=up_ca)
    up.set_alpn_protocols(["http/1.1"])
    lock = threading.Lock()

    def log(line):
        with lock, open(f"{port}.front.log", "a") as f:
            f.write(line + "\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def setup(self):
            super().setup()
            # Head and body are two writes: without this, Nagle and delayed ACKs add 40 ms.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            log("conn")

        def _any(self):
            n = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(n) if n > 0 else b""
            host = (self.headers.get("host") or "").rsplit(":", 1)[0]
            raw = socket.create_connection(("127.0.0.1", up_port), timeout=5)
            c = http.client.HTTPSConnection(host, up_port, context=up, timeout=5)
            c.sock = up.wrap_socket(raw, server_hostname=host)
            fwd = {k: self.headers[k] for k in ("content-type", "accept") if self.headers[k]}
            c.request(self.command, self.path, body=body if n > 0 else None, headers=fwd)
            r = c.getresponse()
            data = r.read()
            c.close()
            log(f"{self.command} {self.path.split('?')[0]} {r.status}")
            self.send_response(r.status)
            self.send_header("content-type", r.getheader("content-type") or "text/plain")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = _any
        do_GET = _any

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


def tcp_hang(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)  # never read, never write, never close


def dns(port, ip, ip6=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    addrs = {1: socket.inet_aton(ip) if ip != "-" else None,
             28: socket.inet_pton(socket.AF_INET6, ip6) if ip6 else None}
    while True:
        q, peer = s.recvfrom(4096)
        if len(q) < 12:
            continue
        off, labels = 12, []
        while off < len(q) and q[off] != 0:
            labels.append(q[off + 1:off + 1 + q[off]].decode("latin1"))
            off += 1 + q[off]
        qend = off + 5
        qtype = struct.unpack("!H", q[off + 1:off + 3])[0]
        with open(f"{port}.dns.log", "a") as f:
            f.write(".".join(labels) + "\n")
        with open(f"{port}.dns-types.log", "a") as f:
            f.write(".".join(labels) + {1: " A", 28: " AAAA"}.get(qtype, f" TYPE{qtype}") + "\n")
        flags = 0x8180  # QR RD RA, NOERROR
        addr = addrs.get(qtype)
        an = 1 if addr else 0
        hdr = q[:2] + struct.pack("!HHHHH", flags, 1, an, 0, 0)
        rr = struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(addr)) + addr if an else b""
        s.sendto(hdr + q[12:qend] + rr, peer)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "https":
        https_server(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    elif mode == "configs":
        configs_server(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7])
    elif mode == "h1-front":
        h1_front(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    elif mode == "tcp-hang":
        tcp_hang(int(sys.argv[2]))
    elif mode == "dns":
        dns(int(sys.argv[2]), sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        sys.exit("unknown mode " + mode)
