"""WebSocket echo through odoh-edge's reverse proxy, as a client that speaks the protocols itself.

  ws_echo.py h1 HOST PORT CA    HTTP/1.1 Upgrade (RFC 6455 §4.1) over TLS
  ws_echo.py h2 HOST PORT CA    HTTP/2 extended CONNECT (RFC 8441) with python3-h2: SETTINGS must
                                carry SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, then CONNECT with
                                :protocol websocket, 200, and WebSocket frames in DATA frames

Sends a text message, a 200 KB binary message (several DATA frames and windows) and a close
frame; checks each echo byte for byte and the close in return. Prints "ok" and exits 0, or
prints why and exits 1. Run with /usr/bin/python3 (python3-h2).
"""
import base64
import hashlib
import os
import socket
import ssl
import struct
import sys

import h2.config
import h2.connection
import h2.events
import h2.settings


def frame(opcode, payload):
    """A client frame: FIN, opcode, masked payload (RFC 6455 §5.2, §5.3)."""
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def parse(buf):
    """One unmasked server frame from buf: (opcode, payload, rest) or None when incomplete."""
    if len(buf) < 2:
        return None
    opcode, n, pos = buf[0] & 0x0F, buf[1] & 0x7F, 2
    if buf[1] & 0x80:
        raise SystemExit("FAIL: the server's frame is masked")
    if n == 126:
        if len(buf) < 4:
            return None
        n, pos = struct.unpack("!H", buf[2:4])[0], 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n, pos = struct.unpack("!Q", buf[2:10])[0], 10
    if len(buf) < pos + n:
        return None
    return opcode, buf[pos:pos + n], buf[pos + n:]


MESSAGES = [(1, b"hello through the proxy"), (2, bytes(i * 13 & 255 for i in range(200000))),
            (8, struct.pack("!H", 1000) + b"bye")]


def tls(host, port, ca, alpn):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols([alpn])
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                        server_hostname=host)
    if s.selected_alpn_protocol() != alpn:
        raise SystemExit(f"FAIL: ALPN {s.selected_alpn_protocol()}, want {alpn}")
    return s


def check_echoes(send, recv):
    buf = b""
    for opcode, payload in MESSAGES:
        send(frame(opcode, payload))
        while True:
            got = parse(buf)
            if got is not None:
                break
            more = recv()
            if not more:
                raise SystemExit(f"FAIL: the tunnel ended before the echo of opcode {opcode}")
            buf += more
        op, data, buf = got
        if (op, data) != (opcode, payload):
            raise SystemExit(f"FAIL: echo of opcode {opcode} ({len(payload)} bytes): got opcode "
                             f"{op} with {len(data)} bytes")


def run_h1(host, port, ca):
    s = tls(host, port, ca, "http/1.1")
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: Upgrade\r\n"
               f"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Key: {key}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        more = s.recv(4096)
        if not more:
            raise SystemExit(f"FAIL: no handshake answer: {head!r}")
        head += more
    head, rest = head.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    if not lines[0].startswith("HTTP/1.1 101 "):
        raise SystemExit(f"FAIL: status line {lines[0]!r}")
    fields = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    accept = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    if fields.get("sec-websocket-accept") != accept:
        raise SystemExit(f"FAIL: sec-websocket-accept {fields.get('sec-websocket-accept')}")
    if fields.get("upgrade", "").lower() != "websocket" or \
            fields.get("connection", "").lower() != "upgrade":
        raise SystemExit(f"FAIL: upgrade fields {fields}")
    pending = [rest] if rest else []

    def recv():
        if pending:
            return pending.pop()
        return s.recv(65536)
    check_echoes(s.sendall, recv)
    s.close()


def run_h2(host, port, ca):
    s = tls(host, port, ca, "h2")
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    s.sendall(conn.data_to_send())
    settings = None
    while settings is None:
        data = s.recv(65536)
        if not data:
            raise SystemExit("FAIL: closed before SETTINGS")
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.RemoteSettingsChanged):
                settings = ev.changed_settings
        s.sendall(conn.data_to_send())
    ecp = h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL
    if ecp not in settings or settings[ecp].new_value != 1:
        raise SystemExit("FAIL: SETTINGS without SETTINGS_ENABLE_CONNECT_PROTOCOL = 1")
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(":method", "CONNECT"), (":protocol", "websocket"),
                            (":scheme", "https"), (":path", "/ws"),
                            (":authority", f"{host}:{port}"), ("sec-websocket-version", "13")])
    s.sendall(conn.data_to_send())
    chunks, status = [], None
    while status is None:
        data = s.recv(65536)
        if not data:
            raise SystemExit("FAIL: closed before the CONNECT response")
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                status = dict(ev.headers).get(b":status")
                if dict(ev.headers).get(b"sec-websocket-accept") is not None:
                    raise SystemExit("FAIL: sec-websocket-accept in an HTTP/2 response")
            elif isinstance(ev, h2.events.DataReceived):
                chunks.append(ev.data)
                conn.acknowledge_received_data(ev.flow_controlled_length, sid)
            elif isinstance(ev, h2.events.StreamReset):
                raise SystemExit(f"FAIL: stream reset {ev.error_code}")
        s.sendall(conn.data_to_send())
    if status != b"200":
        raise SystemExit(f"FAIL: CONNECT answered {status}")

    def send(b):
        while b:  # within the peer's windows and frame size
            while conn.local_flow_control_window(sid) == 0:
                pump()
            n = min(len(b), conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
            conn.send_data(sid, b[:n])
            s.sendall(conn.data_to_send())
            b = b[n:]

    # A page on another stream of the same connection while the tunnel is open: the browser
    # keeps one coalesced connection for the application and its live channel.
    page, page_body, page_done = conn.get_next_available_stream_id(), [], []
    conn.send_headers(page, [(":method", "GET"), (":scheme", "https"), (":path", "/hello"),
                             (":authority", f"{host}:{port}")], end_stream=True)
    s.sendall(conn.data_to_send())

    def pump():
        data = s.recv(65536)
        if not data:
            raise SystemExit("FAIL: connection closed")
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.DataReceived) and ev.stream_id == page:
                page_body.append(ev.data)
                conn.acknowledge_received_data(ev.flow_controlled_length, page)
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == page:
                page_done.append(True)
            elif isinstance(ev, h2.events.DataReceived):
                chunks.append(ev.data)
                conn.acknowledge_received_data(ev.flow_controlled_length, sid)
            elif isinstance(ev, h2.events.StreamEnded):
                chunks.append(b"")
            elif isinstance(ev, h2.events.StreamReset):
                raise SystemExit(f"FAIL: stream reset {ev.error_code}")
        s.sendall(conn.data_to_send())

    def recv():
        while not chunks:
            pump()
        return chunks.pop(0)
    check_echoes(send, recv)
    while not page_done:
        pump()
    if b"".join(page_body) != b"hello from node: GET /hello\n":
        raise SystemExit(f"FAIL: page beside the tunnel: {b''.join(page_body)!r}")
    conn.end_stream(sid)
    s.sendall(conn.data_to_send())
    s.close()


if __name__ == "__main__":
    mode, host, port, ca = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    {"h1": run_h1, "h2": run_h2}[mode](host, port, ca)
    print("ok")
