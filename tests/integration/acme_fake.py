"""A misbehaving ACME server for fault injection (93-acme-faults.sh), HTTPS on loopback.

  acme_fake.py PORT CERT KEY LOG

The first path segment picks the fault:
  /garbage/...  every answer is 200 with a body that is not JSON
  /500/...      every answer is 500 with a problem document
  /slow/...     the directory answer never comes (the connection stays open, silent)
  /nonce/...    a valid directory and nonces, but every POST is 400 badNonce (a fresh nonce each
                time): a badNonce storm
  /ari/...      the directory of the real ACME server UPSTREAM (env ACME_FAKE_UPSTREAM, trusted
                with ACME_FAKE_CA) plus renewalInfo here (RFC 9773): the window is read from
                LOG.window ("START END", RFC 3339), Retry-After 1
Each request is appended to LOG as "METHOD PATH".
"""
import http.server
import json
import ssl
import sys
import threading
import time

sys.dont_write_bytecode = True
PORT, CERT, KEY, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
lock = threading.Lock()
counter = [0]


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def record(self):
        with lock, open(LOG, "a") as f:
            f.write("%s %s\n" % (self.command, self.path))

    def send(self, status, body, ctype="application/json", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def nonce(self):
        with lock:
            counter[0] += 1
            return ("replay-nonce", "fake-nonce-%d" % counter[0])

    def handle_any(self):
        self.record()
        n = int(self.headers.get("content-length") or 0)
        if n:
            self.rfile.read(n)
        mode = self.path.split("/")[1]
        base = "https://localhost:%d/%s" % (PORT, mode)
        if mode == "garbage":
            self.send(200, "<html>this is not a directory {", "text/html")
        elif mode == "500":
            self.send(500, json.dumps({"type": "urn:ietf:params:acme:error:serverInternal",
                                       "detail": "injected failure"}),
                      "application/problem+json")
        elif mode == "slow":
            time.sleep(60)
        elif mode == "ari":
            if self.path.endswith("/dir"):
                import os
                import urllib.request
                ctx = ssl.create_default_context(cafile=os.environ["ACME_FAKE_CA"])
                with urllib.request.urlopen(os.environ["ACME_FAKE_UPSTREAM"], context=ctx) as r:
                    d = json.loads(r.read())
                d["renewalInfo"] = base + "/renewal-info"
                self.send(200, json.dumps(d))
            elif "/renewal-info/" in self.path:
                with open(LOG + ".window") as f:
                    start, end = f.read().split()
                self.send(200, json.dumps({"suggestedWindow": {"start": start, "end": end}}),
                          "application/json", [("retry-after", "1")])
            else:
                self.send(404, "{}")
        elif mode == "nonce":
            if self.path.endswith("/dir"):
                self.send(200, json.dumps({"newNonce": base + "/new-nonce",
                                           "newAccount": base + "/new-acct",
                                           "newOrder": base + "/new-order"}))
            elif self.path.endswith("/new-nonce"):
                self.send(204, b"", "text/plain", [self.nonce()])
            else:
                self.send(400, json.dumps({"type": "urn:ietf:params:acme:error:badNonce",
                                           "detail": "storm"}),
                          "application/problem+json", [self.nonce()])
        else:
            self.send(404, "{}")

    do_GET = do_POST = do_HEAD = handle_any


class S(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = S(("127.0.0.1", PORT), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
