"""A deliberately inconsistent HTTP/2 server for the 421 case of 35-firefox.sh.

  firefox_421.py LOG CERT KEY WWW_DIR REFUSED_HOST ORIGIN... -- LISTEN_HOST:PORT...

It advertises every ORIGIN given (like odoh-edge with origin = auto) but answers 421 Misdirected
Request to REFUSED_HOST on any connection whose SNI is another name, i.e. it breaks the rule that
odoh-edge keeps (never advertise what you refuse). Everything else is served from WWW_DIR.
odoh-edge cannot be made to do this with a valid configuration, which is the point; this shows
what Firefox does when a server gets it wrong. LOG lines:
    conn N sni=NAME
    conn N GET HOST PATH STATUS
Prints "ready" once listening."""
import os
import socket
import ssl
import struct
import sys
import threading

import h2.config
import h2.connection
import h2.events
import h2.exceptions

lock = threading.Lock()
nconn = 0
TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".png": "image/png"}


def log(path, line):
    with lock, open(path, "a") as f:
        f.write(line + "\n")


def origin_frame(origins):
    payload = b"".join(struct.pack(">H", len(o)) + o.encode() for o in origins)
    return struct.pack(">I", len(payload))[1:] + b"\x0c\x00\x00\x00\x00\x00" + payload


def handle(tls, n, args):
    logf, www, refused, origins = args
    sni = getattr(tls, "oe_sni", None) or "-"
    log(logf, "conn %d sni=%s" % (n, sni))
    conn = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.initiate_connection()
    tls.sendall(conn.data_to_send() + origin_frame(origins))
    try:
        while True:
            data = tls.recv(65536)
            if not data:
                break
            for ev in conn.receive_data(data):
                if not isinstance(ev, h2.events.RequestReceived):
                    continue
                h = dict(ev.headers)
                host = h.get(":authority", "").rsplit(":", 1)[0]
                path = h.get(":path", "/").split("?")[0]
                if host == refused and sni != refused:
                    status, body, ctype = 421, b"", "text/plain"
                else:
                    f = os.path.join(www, "index.html" if path == "/" else path.lstrip("/"))
                    try:
                        body, status = open(f, "rb").read(), 200
                    except OSError:
                        body, status = b"not found", 404
                    ctype = TYPES.get(os.path.splitext(f)[1], "application/octet-stream")
                log(logf, "conn %d GET %s %s %d" % (n, host, path, status))
                conn.send_headers(ev.stream_id, [(":status", str(status)),
                                                 ("content-type", ctype),
                                                 ("content-length", str(len(body)))],
                                  end_stream=not body)
                if body:
                    conn.send_data(ev.stream_id, body, end_stream=True)
            out = conn.data_to_send()
            if out:
                tls.sendall(out)
    except (OSError, h2.exceptions.ProtocolError):
        pass
    log(logf, "conn %d closed" % n)
    tls.close()


def serve(sock, ctx, args):
    global nconn
    while True:
        c, _ = sock.accept()
        try:
            c.settimeout(10)
            tls = ctx.wrap_socket(c, server_side=True)
            tls.settimeout(None)
        except (OSError, ssl.SSLError):
            c.close()
            continue
        with lock:
            nconn += 1
            n = nconn
        threading.Thread(target=handle, args=(tls, n, args), daemon=True).start()


def main():
    a = sys.argv[1:]
    sep = a.index("--")
    logf, cert, key, www, refused = a[:5]
    origins, listens = a[5:sep], a[sep + 1:]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["h2"])

    def on_sni(sslsock, name, _ctx):
        sslsock.oe_sni = name
    ctx.sni_callback = on_sni
    socks = []
    for spec in listens:
        host, port = spec.rsplit(":", 1)
        host = host.strip("[]")
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, int(port)))
        except OSError:
            if fam == socket.AF_INET6:
                continue
            raise
        s.listen(64)
        socks.append(s)
    args = (logf, www, refused, origins)
    for s in socks[1:]:
        threading.Thread(target=serve, args=(s, ctx, args), daemon=True).start()
    print("ready", flush=True)
    serve(socks[0], ctx, args)


if __name__ == "__main__":
    main()
