"""ORIGIN frames (RFC 8336) seen as raw frames, for 33-origin.sh.

  h2_origin.py origin PORT SNI CA [AUTHORITY...]
      One TLS h2 connection with SNI; requests GET / for each AUTHORITY (default: the SNI) as
      streams 1, 3, 5... sent right after the preface. Checks that the first frame is the server's
      SETTINGS, that at most one ORIGIN frame (type 0xc) arrives, on stream 0 with flags 0, after
      that SETTINGS and before any HEADERS. Prints
          origin: none | empty | ENTRY ENTRY...
          AUTHORITY STATUS        (one line per request)
  h2_origin.py h2c PORT
      Prior-knowledge h2c on a plain TCP connection: preface, SETTINGS, one request. Prints
          h2c: http/1.1 STATUS | h2c: frames TYPE... | h2c: nothing
          origin-frame: no|yes
          closed: yes|no
"""
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, sys.path[0])
from h2_common import (ORIGIN, Conn, ExtensionFrame, Frame, HeadersFrame, SettingsFrame,
                       describe, die, origin_entries)


def cmd_origin(port, sni, ca, auths):
    c = Conn(int(port), sni=sni, ca=ca)
    c.start()
    auths = auths or [sni]
    sids = []
    for i, a in enumerate(auths):
        sid = 1 + 2 * i
        c.request(sid, "%s:%s" % (a, port))
        sids.append(sid)
    res = c.responses(sids)
    # A little more, so that a late ORIGIN frame would be seen (and flagged) too.
    deadline = time.monotonic() + 0.3
    while c.read_frame(deadline) is not None:
        pass
    c.close()
    seq = [describe(f) for f in c.frames]
    print("sequence: " + " ".join(seq), file=sys.stderr)
    if not c.frames or not isinstance(c.frames[0], SettingsFrame) or "ACK" in c.frames[0].flags:
        die("the first frame is not the server's SETTINGS: %s" % seq[:3])
    origins = [i for i, f in enumerate(c.frames)
               if isinstance(f, ExtensionFrame) and f.type == ORIGIN]
    if len(origins) > 1:
        die("%d ORIGIN frames" % len(origins))
    if origins:
        i = origins[0]
        f = c.frames[i]
        if f.stream_id != 0:
            die("ORIGIN on stream %d" % f.stream_id)
        if f.flag_byte != 0:
            die("ORIGIN flags 0x%x" % f.flag_byte)
        first_headers = next((k for k, g in enumerate(c.frames) if isinstance(g, HeadersFrame)),
                             len(c.frames))
        if not 0 < i < first_headers:
            die("ORIGIN at position %d, first HEADERS at %d: %s" % (i, first_headers, seq))
        entries = origin_entries(f)
        print("origin: " + (" ".join(entries) if entries else "empty"))
    else:
        print("origin: none")
    for a, sid in zip(auths, sids):
        print("%s %s" % (a, res[sid][0]))


def cmd_h2c(port):
    c = Conn(int(port), tls=False, timeout=3)
    c.start(ack=False)
    c.request(1, "127.0.0.1:%s" % port)
    data = b""
    deadline = time.monotonic() + 3
    c.sock.settimeout(0.2)
    closed = False
    while time.monotonic() < deadline:
        try:
            d = c.sock.recv(65536)
        except OSError as e:
            if isinstance(e, TimeoutError) or "timed out" in str(e):
                continue
            d = b""
        if not d:
            closed = True
            break
        data += d
    c.close()
    origin = False
    if data.startswith(b"HTTP/1."):
        print("h2c: http/1.1 " + data.split(b"\r\n", 1)[0].split(b" ")[1].decode())
    elif data:
        types, buf = [], data
        while len(buf) >= 9:
            f, n = Frame.parse_frame_header(memoryview(buf[:9]))
            f.parse_body(memoryview(buf[9:9 + n]))
            types.append(describe(f))
            origin |= isinstance(f, ExtensionFrame) and f.type == ORIGIN
            buf = buf[9 + n:]
        print("h2c: frames " + " ".join(types))
    else:
        print("h2c: nothing")
    print("origin-frame: " + ("yes" if origin else "no"))
    print("closed: " + ("yes" if closed else "no"))


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "origin":
        cmd_origin(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    elif len(sys.argv) == 3 and sys.argv[1] == "h2c":
        cmd_h2c(sys.argv[2])
    else:
        die(__doc__)
