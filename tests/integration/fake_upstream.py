"""A fault-injecting DNS upstream for 51-target-faults.sh (faults only; real answers come from
unbound). Listens on 127.0.0.1:PORT over UDP and TCP and logs every query it receives as one line
on stdout: "udp|tcp ID QNAME QTYPE" (UDP: then the source port).

usage: fake_upstream.py PORT MODE
  silent   never answers (UDP or TCP)
  answer   answers UDP properly (A 192.0.2.53)
  garbage  answers UDP with random bytes
  badid    answers UDP with a well-formed answer whose ID is the query's + 1
  wrongq   answers UDP with the query's ID but another question
  tc       answers UDP with TC set and no records; answers TCP properly (A 192.0.2.53)
  tc-silent  answers UDP with TC set; never answers over TCP
  big:N    answers UDP with TC set; answers TCP with a TXT answer of exactly N bytes
"""
import os
import selectors
import socket
import struct
import sys

port, mode = int(sys.argv[1]), sys.argv[2]


def log(*a):
    print(*a, flush=True)


def parse_question(q):
    """(qname text, qtype, end offset of the question)."""
    off, labels = 12, []
    while q[off] != 0:
        n = q[off]
        labels.append(q[off + 1 : off + 1 + n].decode("latin1"))
        off += 1 + n
    qtype = struct.unpack("!H", q[off + 1 : off + 3])[0]
    return ".".join(labels) + ".", qtype, off + 5


def answer(q, flags_extra=0, records=True, qid=None, question=None):
    """A response to q: QR|RD|RA (+flags_extra), the question echoed, one A record unless
    records is false."""
    qid = struct.unpack("!H", q[:2])[0] if qid is None else qid
    _, qtype, end = parse_question(q)
    qsec = q[12:end] if question is None else question
    an = b""
    if records and qtype == 1:
        an = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 53])
    flags = 0x8180 | flags_extra
    return struct.pack("!HHHHHH", qid, flags, 1, 1 if an else 0, 0, 0) + qsec + an


def big_answer(q, size):
    """A TXT answer to q of exactly size bytes (268 <= size - header - question <= 65535): the
    question echoed, then TXT records of one string each."""
    qid = struct.unpack("!H", q[:2])[0]
    _, _, end = parse_question(q)
    qsec = q[12:end]
    r = size - 12 - len(qsec)
    lens = []
    while r >= 536:
        lens.append(255)
        r -= 268
    lens += [(r - 26) // 2, r - 26 - (r - 26) // 2]
    an = b"".join(b"\xc0\x0c" + struct.pack("!HHIHB", 16, 1, 60, 1 + n, n) + b"x" * n for n in lens)
    msg = struct.pack("!HHHHHH", qid, 0x8180, 1, len(lens), 0, 0) + qsec + an
    assert len(msg) == size, (len(msg), size)
    return msg


def on_udp(s):
    q, peer = s.recvfrom(65535)
    try:
        name, qtype, _ = parse_question(q)
    except (IndexError, struct.error):
        return
    log("udp", struct.unpack("!H", q[:2])[0], name, qtype, peer[1])
    if mode == "answer":
        s.sendto(answer(q), peer)
    elif mode == "garbage":
        s.sendto(os.urandom(40), peer)
    elif mode == "badid":
        s.sendto(answer(q, qid=(struct.unpack("!H", q[:2])[0] + 1) & 0xFFFF), peer)
    elif mode == "wrongq":
        s.sendto(answer(q, question=b"\x05other\x04test\x00\x00\x01\x00\x01", records=False), peer)
    elif mode in ("tc", "tc-silent") or mode.startswith("big:"):
        s.sendto(answer(q, flags_extra=0x0200, records=False), peer)


bufs = {}


def on_tcp_data(c):
    d = c.recv(65535)
    if not d:
        sel.unregister(c)
        c.close()
        bufs.pop(c, None)
        return
    b = bufs.get(c, b"") + d
    while len(b) >= 2 and len(b) >= 2 + struct.unpack("!H", b[:2])[0]:
        n = struct.unpack("!H", b[:2])[0]
        q, b = b[2 : 2 + n], b[2 + n :]
        name, qtype, _ = parse_question(q)
        log("tcp", struct.unpack("!H", q[:2])[0], name, qtype)
        if mode == "tc":
            a = answer(q)
            c.sendall(struct.pack("!H", len(a)) + a)
        elif mode.startswith("big:"):
            a = big_answer(q, int(mode[4:]))
            c.sendall(struct.pack("!H", len(a)) + a)
    bufs[c] = b


def on_accept(ls):
    c, _ = ls.accept()
    sel.register(c, selectors.EVENT_READ, on_tcp_data)


sel = selectors.DefaultSelector()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", port))
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", port))
t.listen(16)
sel.register(u, selectors.EVENT_READ, on_udp)
sel.register(t, selectors.EVENT_READ, on_accept)
log("ready", port, mode)
while True:
    for key, _ in sel.select():
        key.data(key.fileobj)
