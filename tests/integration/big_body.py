#!/usr/bin/python3
"""Request bodies over max-body-size, for 36-http1-linger.sh (loopback only).

  big_body.py status  tls|plain PORT RUNS SIZE [chunked]
      RUNS times: a fresh connection, one POST head (Content-Length: SIZE, or chunked), 20 ms for
      the server to answer, the whole SIZE-byte body, then everything the server sends until it
      closes. Each run must write the whole body without error, then read a status line
      "HTTP/1.1 413 " and the end of the connection (no reset).
      Prints "413 in N of RUNS runs", exits 1 unless N == RUNS.
  big_body.py bounded plain PORT MAX_SECONDS [slow]
      Sends a POST head declaring a huge body, then body bytes as fast as the server takes them
      (slow: 1 KiB every 50 ms) for at most MAX_SECONDS + 5 s or 64 MiB: the server must answer 413, end its side (EOF),
      and close the connection (the next write fails) within MAX_SECONDS: a lingering close
      is bounded in time and bytes. Prints the bytes the server took and the time. (Plain HTTP
      only: Python's TLS refuses to write once it has read close_notify.)
"""
import socket
import ssl
import sys
import time

mode, proto, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
HEAD = b"POST /dns-query HTTP/1.1\r\nHost: target.test\r\ncontent-type: application/oblivious-dns-message\r\n"


def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if proto == "tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["http/1.1"])
        s = ctx.wrap_socket(s, server_hostname="target.test")
    return s


def read_all(s):
    """Everything until the server closes; the exception that ended it, if any."""
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out, None
            out += chunk
    except (OSError, ssl.SSLError) as e:
        return out, e


def status_runs(runs, size, chunked):
    body = b"x" * size
    if chunked:
        head = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
        body = b"%x\r\n" % size + body + b"\r\n0\r\n\r\n"
    else:
        head = HEAD + b"Content-Length: %d\r\n\r\n" % size
    good = 0
    for i in range(runs):
        s = connect()
        write_err = None
        try:
            s.sendall(head)
            time.sleep(0.02)
            s.sendall(body)
        except (OSError, ssl.SSLError) as e:
            write_err = e
        out, read_err = read_all(s)
        s.close()
        line = out.split(b"\r\n", 1)[0]
        if line.startswith(b"HTTP/1.1 413 ") and write_err is None and read_err is None:
            good += 1
        else:
            print(f"run {i + 1}: status line {line!r}, write error {write_err!r}, "
                  f"read error {read_err!r}")
    print(f"413 in {good} of {runs} runs")
    return good == runs


def bounded(max_seconds, slow):
    s = connect()
    s.sendall(HEAD + b"Content-Length: 1000000000\r\n\r\n")
    s.settimeout(0.05)
    t0 = time.monotonic()
    sent, out, eof, ended = 0, b"", None, None
    chunk = b"y" * (1024 if slow else 16384)
    while time.monotonic() - t0 < max_seconds + 5 and sent < 64 << 20:
        if slow:
            time.sleep(0.05)
        try:
            sent += s.send(chunk)
        except (socket.timeout, ssl.SSLWantWriteError):
            pass
        except (OSError, ssl.SSLError) as e:
            ended = f"{type(e).__name__}"
            break
        if eof is None:
            try:
                data = s.recv(65536)
                if data:
                    out += data
                else:
                    eof = time.monotonic() - t0
            except (socket.timeout, ssl.SSLWantReadError):
                pass
            except (OSError, ssl.SSLError) as e:
                ended = f"read {type(e).__name__}"
                break
    secs = time.monotonic() - t0
    s.close()
    line = out.split(b"\r\n", 1)[0]
    print(f"status line {line!r}, end of response after {eof} s; the server took {sent} body "
          f"bytes, then the connection ended ({ended}) after {secs:.2f} s")
    return line.startswith(b"HTTP/1.1 413 ") and eof is not None and ended is not None and secs < max_seconds


if mode == "status":
    ok = status_runs(int(sys.argv[4]), int(sys.argv[5]), len(sys.argv) > 6 and sys.argv[6] == "chunked")
elif mode == "bounded":
    ok = bounded(float(sys.argv[4]), len(sys.argv) > 5 and sys.argv[5] == "slow")
else:
    sys.exit("unknown mode " + mode)
sys.exit(0 if ok else 1)
