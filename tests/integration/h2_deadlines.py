"""HTTP/2 clients that hold a connection without making progress, for 38-deadlines.sh. Every
command opens one TLS h2 connection, misbehaves, reads until the server closes it (or LIMIT
seconds pass) and prints `key: value` lines: the GOAWAY error code, whether the connection was
closed, and after how many whole seconds.

  h2_deadlines.py CMD PORT SNI CA LIMIT [ARGS]
    stall N PATH    SETTINGS_INITIAL_WINDOW_SIZE = 0 and N GETs of PATH, never a WINDOW_UPDATE
                    (prints "responses: K", the streams whose HEADERS arrived)
    headers         a HEADERS frame without END_HEADERS, and no CONTINUATION
    body            a POST: HEADERS without END_STREAM, 100 bytes of DATA, then nothing
    ping            a PING every 200 ms and nothing else
    ready FILE N PATH   like stall, but writes FILE once the N responses have begun, then
                    waits for the close (for a caller that measures while it holds)
    slow RATE PATH PID  a GET of PATH (windows wide open), not read for a second (the buffers
                    fill), then read at RATE bytes/s for LIMIT seconds: prints whether about that
                    much arrived and whether server process PID closed the connection meanwhile
                    (its descriptor count: the client itself would see the close only after
                    reading megabytes of kernel buffers)
    bodycap BYTES   POSTs on streams 1, 3, 5 with BYTES of body each and no END_STREAM, then
                    END_STREAM on 1, then a whole POST on 7 (prints each stream's outcome)
"""
import os
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, sys.path[0])
from h2_common import (Conn, DataFrame, GoAwayFrame, HeadersFrame, PingFrame, SettingsFrame,
                       WindowUpdateFrame, die, ERRORS)


def settle(c):
    deadline = time.monotonic() + 2
    while not any(isinstance(f, SettingsFrame) and "ACK" not in f.flags for f in c.frames):
        if c.read_frame(deadline) is None:
            die("no SETTINGS from the server")


def report(c, t0, limit):
    closed = c.wait_closed(max(0.0, t0 + limit - time.monotonic()))
    g = [f for f in c.frames if isinstance(f, GoAwayFrame)]
    print("goaway: " + (ERRORS.get(g[0].error_code, g[0].error_code) if g else "none"))
    print("closed: " + ("yes" if closed else "no"))
    print("seconds: %d" % int(time.monotonic() - t0))


def stall(c, n, path, auth, ready=None):
    c.start(settings={SettingsFrame.INITIAL_WINDOW_SIZE: 0})
    settle(c)
    for i in range(n):
        c.request(1 + 2 * i, auth, path)
    t0 = time.monotonic()
    seen = set()
    deadline = time.monotonic() + 5
    while len(seen) < n:
        f = c.read_frame(deadline)
        if f is None:
            break
        if isinstance(f, HeadersFrame):
            seen.add(f.stream_id)
        if isinstance(f, DataFrame) and f.data:
            die("DATA with a closed window on stream %d" % f.stream_id)
    print("responses: %d" % len(seen))
    if ready:
        with open(ready, "w") as out:
            out.write("ready\n")
    return t0


def main():
    if len(sys.argv) < 6:
        die(__doc__)
    cmd, port, sni, ca, limit = sys.argv[1:6]
    args, limit = sys.argv[6:], float(limit)
    auth = "%s:%s" % (sni, port)
    c = Conn(int(port), sni=sni, ca=ca)
    if cmd == "stall":
        t0 = stall(c, int(args[0]), args[1], auth)
    elif cmd == "ready":
        t0 = stall(c, int(args[1]), args[2], auth, ready=args[0])
    elif cmd == "headers":
        c.start()
        settle(c)
        f = HeadersFrame(1)
        f.data = c.headers_block(auth, "/")
        f.flags.add("END_STREAM")  # but not END_HEADERS: the block never ends
        c.send(f)
        t0 = time.monotonic()
    elif cmd == "body":
        c.start()
        settle(c)
        f = HeadersFrame(1)
        f.data = c.headers_block(auth, "/", method="POST")
        f.flags.add("END_HEADERS")
        c.send(f)
        c.send(DataFrame(1, data=b"x" * 100))
        t0 = time.monotonic()
    elif cmd == "ping":
        c.start()
        settle(c)
        t0 = time.monotonic()
        while time.monotonic() < t0 + limit and not c.closed:
            try:
                c.send(PingFrame(0, opaque_data=os.urandom(8)))
            except OSError:
                break
            end = time.monotonic() + 0.2
            while c.read_frame(end) is not None:
                pass
    elif cmd == "slow":
        rate = int(args[0])
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        c.start(settings={SettingsFrame.INITIAL_WINDOW_SIZE: 1 << 30})
        c.send(WindowUpdateFrame(0, window_increment=(1 << 30)))
        settle(c)
        c.request(1, auth, args[1])
        time.sleep(1)  # every buffer on the way fills: from here the server waits on us
        fds = lambda: len(os.listdir("/proc/%s/fd" % args[2]))
        held = fds()  # the connection and the file
        t0 = time.monotonic()
        got = 0
        while time.monotonic() < t0 + limit:
            f = c.read_frame(time.monotonic() + 1)
            if f is None and c.closed:
                break
            if isinstance(f, DataFrame):
                got += len(f.data)
                if "END_STREAM" in f.flags:
                    break
            if isinstance(f, GoAwayFrame):
                break
            # pace: never ahead of RATE since t0
            ahead = got / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
        print("received at %d bytes/s: %s" % (rate, "yes" if got >= rate * (limit - 2) else
                                              "only %d bytes" % got))
        closed = c.closed or fds() < held or any(isinstance(f, GoAwayFrame) for f in c.frames)
        print("closed early: " + ("yes" if closed else "no"))
        c.close()
        return
    elif cmd == "bodycap":
        n = int(args[0])
        c.start()
        settle(c)

        def post(sid, end):
            f = HeadersFrame(sid)
            f.data = c.headers_block(auth, "/", method="POST")
            f.flags.add("END_HEADERS")
            c.send(f)
            c.send(DataFrame(sid, data=b"x" * n, flags=["END_STREAM"] if end else []))
        for sid in (1, 3, 5):
            post(sid, False)
        c.send(DataFrame(1, data=b"", flags=["END_STREAM"]))
        r = c.responses([1, 5])
        print("stream 1: %s" % r[1][0])
        print("stream 5: %s" % r[5][0])
        post(7, True)
        print("stream 7 after: %s" % c.responses([7])[7][0])
        c.close()
        return
    else:
        die(__doc__)
    report(c, t0, limit)
    c.close()


if __name__ == "__main__":
    main()
