"""A counting TCP relay for 35-firefox.sh: the wire-level view of what reaches the server.

  firefox_relay.py LOG TARGET_HOST TARGET_PORT LISTEN_HOST:PORT [LISTEN_HOST:PORT...]

Every accepted connection is piped unchanged to TARGET; its first TLS record is parsed as a
ClientHello and one line is appended to LOG:
    conn N sni=NAME psk=0|1 alpn=h2,http/1.1
(psk=1: the client offered a pre_shared_key, i.e. a resumption). Runs until killed; prints
"ready" on stdout once it listens."""
import socket
import struct
import sys
import threading

lock = threading.Lock()
count = 0


def parse_client_hello(rec):
    """(sni, psk, alpn) from a TLS record holding a ClientHello; None when it is not one."""
    if len(rec) < 5 or rec[0] != 22:
        return None
    body = rec[5:]
    if len(body) < 4 or body[0] != 1:
        return None
    p = 4 + 2 + 32
    p += 1 + body[p]                                   # session id
    p += 2 + struct.unpack(">H", body[p:p + 2])[0]     # cipher suites
    p += 1 + body[p]                                   # compression methods
    end = p + 2 + struct.unpack(">H", body[p:p + 2])[0]
    p += 2
    sni, psk, alpn = "-", 0, "-"
    while p + 4 <= end:
        t, n = struct.unpack(">HH", body[p:p + 4])
        d = body[p + 4:p + 4 + n]
        if t == 0 and len(d) > 5:
            sni = d[5:5 + struct.unpack(">H", d[3:5])[0]].decode("ascii", "replace")
        elif t == 41:
            psk = 1
        elif t == 16 and len(d) > 2:
            names, q = [], 2
            while q < len(d):
                names.append(d[q + 1:q + 1 + d[q]].decode("ascii", "replace"))
                q += 1 + d[q]
            alpn = ",".join(names)
        p += 4 + n
    return sni, psk, alpn


def pipe(src, dst):
    try:
        while True:
            d = src.recv(65536)
            if not d:
                break
            dst.sendall(d)
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def handle(client, log, target):
    global count
    try:
        upstream = socket.create_connection(target, timeout=10)
        upstream.settimeout(None)
    except OSError:
        client.close()
        return
    first = b""
    client.settimeout(10)
    try:
        while len(first) < 5 or len(first) < 5 + struct.unpack(">H", first[3:5])[0]:
            d = client.recv(65536)
            if not d:
                break
            first += d
    except OSError:
        pass
    client.settimeout(None)
    try:
        info = parse_client_hello(first)
    except (IndexError, struct.error):
        info = None
    with lock:
        count += 1
        n = count
        with open(log, "a") as f:
            if info:
                f.write("conn %d sni=%s psk=%d alpn=%s\n" % (n, info[0], info[1], info[2]))
            else:
                f.write("conn %d not-tls bytes=%d\n" % (n, len(first)))
    try:
        upstream.sendall(first)
    except OSError:
        pass
    threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
    pipe(client, upstream)


def serve(sock, log, target):
    while True:
        c, _ = sock.accept()
        threading.Thread(target=handle, args=(c, log, target), daemon=True).start()


def main():
    log, thost, tport = sys.argv[1], sys.argv[2], int(sys.argv[3])
    socks = []
    for spec in sys.argv[4:]:
        host, port = spec.rsplit(":", 1)
        host = host.strip("[]")
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, int(port)))
        except OSError as e:
            if fam == socket.AF_INET6:  # no IPv6 loopback here: IPv4 alone will do
                continue
            raise SystemExit("relay: cannot listen on %s: %s" % (spec, e))
        s.listen(128)
        socks.append(s)
    for s in socks[1:]:
        threading.Thread(target=serve, args=(s, log, (thost, tport)), daemon=True).start()
    print("ready", flush=True)
    serve(socks[0], log, (thost, tport))


if __name__ == "__main__":
    main()
