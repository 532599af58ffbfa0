#!/usr/bin/python3
"""TLS 1.3 handshakes, one HTTP/1.1 request per connection, full or resumed.

usage: handshakes.py HOST PORT SNI CAFILE SECONDS full|resumed [PATH] [PROCS]
Each of PROCS processes (default 4) connects again and again for SECONDS seconds: a TLS 1.3
handshake (ALPN http/1.1), "GET PATH" with "connection: close", the whole response read to the
end, close. "resumed" offers the session ticket of the process's previous connection (the first
connection of each process is a full one and is not counted); a connection that was offered a
ticket and did not resume is an error, as is any status but 200 or a body of the wrong size.
Prints "done N resumed R errors E seconds S". Used by http_bench.sh (h2load cannot resume).
"""
import multiprocessing
import socket
import ssl
import sys
import time


def one(ctx, host, port, sni, path, session):
    raw = socket.create_connection((host, port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname=sni, session=session)
    try:
        s.sendall(("GET %s HTTP/1.1\r\nhost: %s\r\nconnection: close\r\n\r\n" % (path, sni))
                  .encode())
        buf = bytearray()
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        head, _, body = bytes(buf).partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        ok = lines[0].startswith(b"HTTP/1.1 200 ")
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                ok = ok and int(v) == len(body)
        # TLS 1.3 tickets arrive after the handshake: read only now.
        return ok, s.session_reused, s.session
    finally:
        s.close()


def worker(args, q):
    host, port, sni, cafile, seconds, mode, path = args
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(cafile)
    ctx.set_alpn_protocols(["http/1.1"])
    done = reused = errors = 0
    session = None
    if mode == "resumed":
        ok, _, session = one(ctx, host, port, sni, path, None)
        if not ok or session is None:
            q.put((0, 0, 1))
            return
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            ok, r, s = one(ctx, host, port, sni, path, session)
        except (OSError, ssl.SSLError):
            ok, r, s = False, False, None
        if mode == "resumed":
            if s is not None:
                session = s
            ok = ok and r
        done += 1
        reused += 1 if r else 0
        errors += 0 if ok else 1
    q.put((done, reused, errors))


def main():
    if len(sys.argv) < 7:
        sys.exit(__doc__)
    host, port, sni, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    seconds, mode = float(sys.argv[5]), sys.argv[6]
    path = sys.argv[7] if len(sys.argv) > 7 else "/4k.bin"
    procs = int(sys.argv[8]) if len(sys.argv) > 8 else 4
    if mode not in ("full", "resumed"):
        sys.exit("mode must be full or resumed")
    q = multiprocessing.Queue()
    ps = [multiprocessing.Process(target=worker, args=((host, port, sni, cafile, seconds, mode,
                                                         path), q)) for _ in range(procs)]
    t0 = time.monotonic()
    for p in ps:
        p.start()
    res = [q.get(timeout=seconds + 60) for _ in ps]
    for p in ps:
        p.join()
    el = time.monotonic() - t0
    print("done %d resumed %d errors %d seconds %.2f" % (sum(r[0] for r in res),
                                                       sum(r[1] for r in res),
                                                       sum(r[2] for r in res), el))


if __name__ == "__main__":
    main()
