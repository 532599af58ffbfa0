"""Raw HTTP/2 over TLS for the integration tests (run with /usr/bin/python3: Debian's python3-h2
brings hyperframe and hpack). Frames are built and parsed with hyperframe so that tests can send
what a well-behaved client library would refuse to send (DATA on stream 0, even stream ids, floods)
and see every frame the server sends, in order, including unknown types such as ORIGIN (0xc)."""
import socket
import ssl
import struct
import sys
import time

import hpack
from hyperframe.frame import (ContinuationFrame, DataFrame, ExtensionFrame, Frame, GoAwayFrame,
                              HeadersFrame, PingFrame, RstStreamFrame, SettingsFrame,
                              WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
ORIGIN = 0xC
ERRORS = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR",
          4: "SETTINGS_TIMEOUT", 5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM",
          8: "CANCEL", 9: "COMPRESSION_ERROR", 10: "CONNECT_ERROR", 11: "ENHANCE_YOUR_CALM",
          12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED"}


def die(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def frame_type(f):
    if isinstance(f, ExtensionFrame):
        return "ORIGIN" if f.type == ORIGIN else "EXT(0x%x)" % f.type
    name = type(f).__name__.replace("Frame", "").upper()
    return {"RSTSTREAM": "RST_STREAM", "WINDOWUPDATE": "WINDOW_UPDATE",
            "GOAWAY": "GOAWAY", "PUSHPROMISE": "PUSH_PROMISE"}.get(name, name)


def describe(f):
    t = frame_type(f)
    if isinstance(f, SettingsFrame) and "ACK" in f.flags:
        return "SETTINGS(ACK)"
    if isinstance(f, GoAwayFrame):
        return "GOAWAY(%s)" % ERRORS.get(f.error_code, f.error_code)
    if isinstance(f, RstStreamFrame):
        return "RST_STREAM(%d,%s)" % (f.stream_id, ERRORS.get(f.error_code, f.error_code))
    return t


def origin_entries(f):
    """The ASCII origins of an ORIGIN frame's payload (RFC 8336 section 2); dies on junk."""
    body, out = bytes(f.body), []
    while body:
        if len(body) < 2:
            die("ORIGIN payload: a trailing byte")
        n = struct.unpack(">H", body[:2])[0]
        if len(body) < 2 + n:
            die("ORIGIN payload: entry longer than the frame")
        out.append(body[2:2 + n].decode("ascii"))
        body = body[2 + n:]
    return out


class Conn:
    """One client connection: TLS (ALPN h2, SNI) or plain TCP, with a frame reader."""

    def __init__(self, port, sni=None, ca=None, tls=True, host="127.0.0.1", timeout=5.0):
        raw = socket.create_connection((host, port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context(cafile=ca) if ca else ssl._create_unverified_context()
            if not ca:
                ctx.check_hostname = False
            ctx.set_alpn_protocols(["h2"])
            self.sock = ctx.wrap_socket(raw, server_hostname=sni)
            if self.sock.selected_alpn_protocol() != "h2":
                die("ALPN did not select h2: %r" % self.sock.selected_alpn_protocol())
        else:
            self.sock = raw
        self.buf = b""
        self.closed = False
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.dec.max_allowed_table_size = 65536
        self.frames = []  # every frame received, in order

    def send(self, data):
        if isinstance(data, Frame):
            data = data.serialize()
        self.sock.sendall(data)

    def start(self, settings=None, ack=True):
        """Preface and our SETTINGS; the server's SETTINGS are acknowledged when read (ack)."""
        self.auto_ack = ack
        s = SettingsFrame(0)
        for k, v in (settings or {}).items():
            s.settings[k] = v
        self.send(PREFACE + s.serialize())

    def headers_block(self, authority, path="/", method="GET", extra=()):
        hdrs = [(":method", method), (":scheme", "https"), (":authority", authority),
                (":path", path)] + list(extra)
        return self.enc.encode(hdrs)

    def request(self, sid, authority, path="/", end_stream=True, extra=()):
        f = HeadersFrame(sid)
        f.data = self.headers_block(authority, path, extra=extra)
        f.flags.add("END_HEADERS")
        if end_stream:
            f.flags.add("END_STREAM")
        self.send(f)

    def read_frame(self, deadline):
        """The next frame, or None when the peer closed or the deadline passed."""
        while True:
            if len(self.buf) >= 9:
                n = int.from_bytes(self.buf[:3], "big")
                if len(self.buf) >= 9 + n:
                    f, length = Frame.parse_frame_header(memoryview(self.buf[:9]))
                    f.parse_body(memoryview(self.buf[9:9 + length]))
                    self.buf = self.buf[9 + length:]
                    self.frames.append(f)
                    if getattr(self, "auto_ack", False) and isinstance(f, SettingsFrame) \
                            and "ACK" not in f.flags:
                        try:
                            self.send(SettingsFrame(0, flags=["ACK"]))
                        except OSError:
                            pass
                    return f
            left = deadline - time.monotonic()
            if self.closed or left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                return None
            except (ConnectionResetError, ssl.SSLError, OSError):
                d = b""
            if not d:
                self.closed = True
            self.buf += d

    def wait_closed(self, secs):
        """Reads until the peer closes (True) or secs pass (False)."""
        deadline = time.monotonic() + secs
        while self.read_frame(deadline) is not None:
            pass
        return self.closed

    def responses(self, sids, secs=5.0, window_update=True):
        """Reads until every stream in sids ended; returns {sid: (status, body)}; stream errors
        give (RST_STREAM name, b"")."""
        want = set(sids)
        out = {sid: [None, b""] for sid in sids}
        deadline = time.monotonic() + secs
        while want:
            f = self.read_frame(deadline)
            if f is None:
                break
            sid = f.stream_id
            if isinstance(f, HeadersFrame) and sid in out:
                for k, v in self.dec.decode(f.data):
                    k = k.decode() if isinstance(k, bytes) else k
                    v = v.decode() if isinstance(v, bytes) else v
                    if k == ":status":
                        out[sid][0] = v
            elif isinstance(f, DataFrame) and sid in out:
                out[sid][1] += f.data
                if window_update and f.flow_controlled_length:
                    self.send(WindowUpdateFrame(0, window_increment=f.flow_controlled_length))
            elif isinstance(f, RstStreamFrame) and sid in out:
                out[sid][0] = "RST_STREAM(%s)" % ERRORS.get(f.error_code, f.error_code)
                want.discard(sid)
            elif isinstance(f, GoAwayFrame):
                break
            if sid in want and "END_STREAM" in f.flags:
                want.discard(sid)
        return {k: (v[0], v[1]) for k, v in out.items()}

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
