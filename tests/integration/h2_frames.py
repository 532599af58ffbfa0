"""HTTP/2 protocol abuse with raw frames, for 34-h2-frames.sh. Every command opens one TLS h2
connection (SNI, CA) and prints what the server did as `key: value` lines for the script to assert.

  h2_frames.py CMD PORT SNI CA [ARGS]
    preface                 a wrong client preface
    data0                   DATA on stream 0
    even                    HEADERS on stream 2 (even: server-initiated ids)
    streams N ack|noack     N+1 open streams (HEADERS without END_STREAM) against max-streams = N,
                            with the server's SETTINGS acknowledged first or not at all
    rapid N                 N x (HEADERS + RST_STREAM CANCEL) in one burst
    continuation N          HEADERS without END_HEADERS and N CONTINUATION frames
    bigheader BYTES         one request with a header field of BYTES bytes, then a normal one
    uppercase               a header name with upper-case letters, then a normal request
    bigbody declared|data|ends
                            a POST over max-body-size (8K): declared with content-length 100000
                            and never sent, or 12K of DATA without a length that never ends, or
                            20000 declared and sent whole; then a normal request on the same
                            connection
    flow WINDOW PATH        download PATH with SETTINGS_INITIAL_WINDOW_SIZE = WINDOW, granting
                            credit with WINDOW_UPDATE only for what arrived
"""
import hashlib
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, sys.path[0])
from h2_common import (PREFACE, ContinuationFrame, Conn, DataFrame, GoAwayFrame, HeadersFrame,
                       RstStreamFrame, SettingsFrame, WindowUpdateFrame, describe, die, ERRORS)


def goaway_of(c):
    g = [f for f in c.frames if isinstance(f, GoAwayFrame)]
    return ERRORS.get(g[0].error_code, g[0].error_code) if g else "none"


def report_end(c, secs=5):
    closed = c.wait_closed(secs)
    print("goaway: " + goaway_of(c))
    print("closed: " + ("yes" if closed else "no"))


def settle(c):
    """Reads the server's opening frames (SETTINGS, ORIGIN) so that later reads see new ones."""
    deadline = time.monotonic() + 2
    while not any(isinstance(f, SettingsFrame) and "ACK" not in f.flags for f in c.frames):
        if c.read_frame(deadline) is None:
            die("no SETTINGS from the server")


def status_of(c, sid, authority):
    c.request(sid, authority)
    return c.responses([sid])[sid][0]


def main():
    if len(sys.argv) < 5:
        die(__doc__)
    cmd, port, sni, ca = sys.argv[1:5]
    args = sys.argv[5:]
    auth = "%s:%s" % (sni, port)
    c = Conn(int(port), sni=sni, ca=ca)

    if cmd == "preface":
        c.send(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + SettingsFrame(0).serialize())
        c.request(1, auth)
        closed = c.wait_closed(5)
        print("frames: " + " ".join(describe(f) for f in c.frames))
        print("headers: " + ("yes" if any(isinstance(f, HeadersFrame) for f in c.frames)
                             else "no"))
        print("closed: " + ("yes" if closed else "no"))
        return

    if cmd == "streams":
        n, mode = int(args[0]), args[1]
        c.start(ack=(mode == "ack"))
        settle(c)
        if mode == "ack":
            # The server's SETTINGS are acknowledged (read_frame did it); its ACK of ours shows
            # that it has read everything we sent before, our ACK included.
            deadline = time.monotonic() + 2
            while not any(isinstance(f, SettingsFrame) and "ACK" in f.flags for f in c.frames):
                if c.read_frame(deadline) is None:
                    die("no SETTINGS ACK from the server")
        for i in range(n + 1):
            c.request(1 + 2 * i, auth, end_stream=False)
        last = 1 + 2 * n
        deadline = time.monotonic() + 3
        seen = None
        while seen is None:
            f = c.read_frame(deadline)
            if f is None:
                break
            if isinstance(f, RstStreamFrame) or isinstance(f, GoAwayFrame):
                seen = f
        if seen is None:
            print("stream %d: open" % last)
        elif isinstance(seen, GoAwayFrame):
            print("stream %d: GOAWAY(%s) last-stream-id %d" % (
                last, ERRORS.get(seen.error_code), seen.last_stream_id))
        else:
            print("stream %d: %s" % (last, describe(seen)))
        if isinstance(seen, RstStreamFrame):
            # The open streams still work: finish stream 1 and read its response.
            d = DataFrame(1)
            d.flags.add("END_STREAM")
            c.send(d)
            print("stream 1 after: %s" % c.responses([1])[1][0])
        else:
            report_end(c)
        return

    c.start()
    settle(c)
    if cmd == "data0":
        # hyperframe refuses to build it: length 10, type DATA, flags 0, stream 0.
        c.send(b"\x00\x00\x0a\x00\x00\x00\x00\x00\x00" + b"x" * 10)
        report_end(c)
    elif cmd == "even":
        c.request(2, auth)
        report_end(c)
    elif cmd == "rapid":
        n = int(args[0])
        burst = bytearray()
        block = c.headers_block(auth)
        for i in range(n):
            sid = 1 + 2 * i
            h = HeadersFrame(sid)
            h.data = block if i == 0 else c.headers_block(auth)
            h.flags.add("END_HEADERS")
            h.flags.add("END_STREAM")
            burst += h.serialize() + RstStreamFrame(sid, error_code=8).serialize()
        try:
            c.send(bytes(burst))
        except OSError as e:
            print("send: %s" % type(e).__name__)
        # Then one normal request on the same connection: served below the limit; above it the
        # server has sent GOAWAY and ignores new streams.
        sid = 1 + 2 * n
        try:
            r = status_of(c, sid, auth)
        except OSError:
            r = None
        print("stream after: %s" % r)
        if r is None:
            report_end(c, 10)
        else:
            print("goaway: " + goaway_of(c))
    elif cmd == "continuation":
        n = int(args[0])
        block = c.headers_block(auth, extra=[("x-pad", "p" * 64)])
        parts = [block[i * len(block) // (n + 1):(i + 1) * len(block) // (n + 1)]
                 for i in range(n + 1)]
        h = HeadersFrame(1)
        h.data = parts[0]
        h.flags.add("END_STREAM")
        out = h.serialize()
        for k, p in enumerate(parts[1:]):
            f = ContinuationFrame(1)
            f.data = p
            if k == n - 1:
                f.flags.add("END_HEADERS")
            out += f.serialize()
        c.send(out)
        res = c.responses([1], secs=5)
        print("stream 1: %s" % res[1][0])
        if res[1][0] is None:
            report_end(c)
    elif cmd == "bigheader":
        size = int(args[0])
        block = c.headers_block(auth, extra=[("x-big", "b" * size)])
        frames, first = [], True
        while block or first:
            chunk, block = block[:16384], block[16384:]
            f = HeadersFrame(1) if first else ContinuationFrame(1)
            if first:
                f.flags.add("END_STREAM")
            f.data = chunk
            if not block:
                f.flags.add("END_HEADERS")
            frames.append(f.serialize())
            first = False
        c.send(b"".join(frames))
        r = c.responses([1])[1][0]
        print("stream 1: %s" % r)
        if r is not None and r.isdigit():
            print("stream 3 after: %s" % status_of(c, 3, auth))
        else:
            report_end(c)
    elif cmd == "uppercase":
        c.request(1, auth, extra=[("X-Upper", "1")])
        print("stream 1: %s" % c.responses([1])[1][0])
        print("stream 3 after: %s" % status_of(c, 3, auth))
    elif cmd == "bigbody":
        extra = {"declared": [("content-length", "100000")], "data": [],
                 "ends": [("content-length", "20000")]}[args[0]]
        h = HeadersFrame(1)
        h.data = c.headers_block(auth, method="POST", extra=extra)
        h.flags.add("END_HEADERS")
        c.send(h)
        if args[0] == "data":
            for _ in range(3):
                c.send(DataFrame(1, data=b"x" * 4096))
        elif args[0] == "ends":
            for i in range(5):
                c.send(DataFrame(1, data=b"x" * 4000, flags=["END_STREAM"] if i == 4 else []))
        # The answer must come while the request may still be open; a reset, if any, follows
        # within the server's linger time (2 s).
        status, reset = None, None
        deadline = time.monotonic() + 3.5
        while reset is None:
            f = c.read_frame(deadline)
            if f is None:
                break
            if isinstance(f, HeadersFrame) and f.stream_id == 1:
                status = dict((k.decode() if isinstance(k, bytes) else k, v)
                              for k, v in c.dec.decode(f.data)).get(":status")
                status = status.decode() if isinstance(status, bytes) else status
            elif isinstance(f, (RstStreamFrame, GoAwayFrame)):
                reset = describe(f)
        print("stream 1: %s" % status)
        print("then: %s" % reset)
        print("stream 3 after: %s" % status_of(c, 3, auth))
    elif cmd == "flow":
        window, path = int(args[0]), args[1]
        c2 = Conn(int(port), sni=sni, ca=ca)  # a fresh connection with the tiny window
        c.close()
        c = c2
        c.start(settings={SettingsFrame.INITIAL_WINDOW_SIZE: window})
        c.request(1, auth, path=path)
        body, status = b"", None
        stream_win, conn_win = window, 65535
        biggest, frames, updates = 0, 0, 0
        deadline = time.monotonic() + 30
        done = False
        while not done:
            f = c.read_frame(deadline)
            if f is None:
                die("flow: stalled after %d bytes (%d DATA frames)" % (len(body), frames))
            if isinstance(f, HeadersFrame) and f.stream_id == 1:
                for k, v in c.dec.decode(f.data):
                    if k in (b":status", ":status"):
                        status = v.decode() if isinstance(v, bytes) else v
                done = "END_STREAM" in f.flags
            elif isinstance(f, DataFrame) and f.stream_id == 1:
                n = f.flow_controlled_length
                frames += 1
                biggest = max(biggest, len(f.data))
                stream_win -= n
                conn_win -= n
                if stream_win < 0 or conn_win < 0:
                    die("flow: the server overran the window (stream %d, connection %d)"
                        % (stream_win, conn_win))
                body += f.data
                done = "END_STREAM" in f.flags
                if n and not done:
                    c.send(WindowUpdateFrame(1, window_increment=n).serialize()
                           + WindowUpdateFrame(0, window_increment=n).serialize())
                    stream_win += n
                    conn_win += n
                    updates += 1
            elif isinstance(f, (RstStreamFrame, GoAwayFrame)):
                die("flow: %s" % describe(f))
        print("status: %s" % status)
        print("bytes: %d" % len(body))
        print("sha256: %s" % hashlib.sha256(body).hexdigest())
        print("largest DATA: %d" % biggest)
        print("frames: %d" % frames)
    else:
        die(__doc__)
    c.close()


if __name__ == "__main__":
    main()
