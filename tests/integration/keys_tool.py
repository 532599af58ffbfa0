#!/usr/bin/python3
"""Helpers for the key-lifecycle integration tests (70..74-keys-*.sh); independent of odoh-edge's C.

  keys_tool.py generic           stdin: dig/kdig output with RDATA in RFC 3597 form (\\# LEN HEX,
                                 kdig +generic / dig +unknownformat); prints the SvcParamKey 32769
                                 value of each HTTPS record as hex, one per line
  keys_tool.py presentation      stdin: text with key32769="..." (\\DDD and \\X escapes); prints
                                 each value as hex, one per line
  keys_tool.py keyids HEX        ObliviousDoHConfigs (hex) -> the key_id of each config, hex
                                 (RFC 9230 §6.2: Expand(Extract("", contents), "odoh key id", 32))
  keys_tool.py store DIR         checks every DIR/*.key: mode 0600, all fields, 32-byte seed,
                                 activation intervals that never overlap; prints "keys N"
  keys_tool.py covering DIR MS   the id (16 hex digits) of the key in DIR whose [activate, retire)
                                 holds unix time MS, or "none"
"""
import hashlib
import hmac
import os
import re
import stat
import sys


def fail(msg):
    print("keys_tool: " + msg, file=sys.stderr)
    sys.exit(1)


def svcb_params(rdata):
    """RFC 9460 SVCB/HTTPS RDATA -> (priority, [(key, value)]); keys must strictly increase."""
    if len(rdata) < 3:
        fail("short RDATA")
    prio = int.from_bytes(rdata[:2], "big")
    i = 2
    while True:  # uncompressed target name
        n = rdata[i]
        i += 1 + n
        if n == 0:
            break
        if n > 63 or i > len(rdata):
            fail("bad target name in RDATA")
    params, last = [], -1
    while i < len(rdata):
        if i + 4 > len(rdata):
            fail("truncated SvcParam")
        k = int.from_bytes(rdata[i:i + 2], "big")
        ln = int.from_bytes(rdata[i + 2:i + 4], "big")
        v = rdata[i + 4:i + 4 + ln]
        if len(v) != ln:
            fail("truncated SvcParam value")
        if k <= last:
            fail("SvcParamKeys not in strictly increasing order")
        last = k
        params.append((k, v))
        i += 4 + ln
    return prio, params


def generic(text):
    out = []
    for m in re.finditer(r"\\#\s+(\d+)\s+([0-9A-Fa-f \t]*)", text):
        rd = bytes.fromhex(re.sub(r"\s", "", m.group(2)))
        if len(rd) != int(m.group(1)):
            fail("\\# length %s but %d bytes" % (m.group(1), len(rd)))
        _, params = svcb_params(rd)
        for k, v in params:
            if k == 32769:
                out.append(v.hex())
    return out


def unescape(s):
    b, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if s[i + 1:i + 4].isdigit() and len(s[i + 1:i + 4]) == 3:
                b.append(int(s[i + 1:i + 4]))
                i += 4
            else:
                b += s[i + 1].encode("latin-1")
                i += 2
        else:
            b += c.encode("latin-1")
            i += 1
    return bytes(b)


def presentation(text):
    return [unescape(m.group(1)).hex() for m in re.finditer(r'key32769="((?:[^"\\]|\\.)*)"', text)]


def hkdf_extract(salt, ikm):
    return hmac.new(salt or b"\0" * 32, ikm, hashlib.sha256).digest()


def hkdf_expand(prk, info, n):
    t, out, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


def keyids(hexs):
    b = bytes.fromhex(hexs)
    total = int.from_bytes(b[:2], "big")
    if total != len(b) - 2:
        fail("configs length prefix %d, %d bytes follow" % (total, len(b) - 2))
    i, ids = 2, []
    while i < len(b):
        ver = int.from_bytes(b[i:i + 2], "big")
        ln = int.from_bytes(b[i + 2:i + 4], "big")
        contents = b[i + 4:i + 4 + ln]
        if ver == 0x0001:
            ids.append(hkdf_expand(hkdf_extract(b"", contents), b"odoh key id", 32).hex())
        i += 4 + ln
    return ids


def store(d):
    keys = []
    for name in sorted(os.listdir(d)):
        if not name.endswith(".key"):
            continue
        p = os.path.join(d, name)
        st = os.stat(p)
        if stat.S_IMODE(st.st_mode) & 0o077:
            fail("%s: mode %o" % (p, stat.S_IMODE(st.st_mode)))
        f = {}
        for line in open(p):
            m = re.match(r"^([a-z-]+) = (\S+)$", line.strip())
            if m:
                f[m.group(1)] = m.group(2)
        for k in ("key-id", "aead", "seed", "created-ms", "activate-ms", "retire-ms"):
            if k not in f:
                fail("%s: no %s" % (p, k))
        if not re.fullmatch(r"[0-9a-f]{64}", f["seed"]):
            fail("%s: seed is not 32 bytes of hex" % p)
        if not name.startswith(f["key-id"][:16]):
            fail("%s: file name does not match key-id %s" % (p, f["key-id"]))
        a, r = int(f["activate-ms"]), int(f["retire-ms"])
        if r <= a:
            fail("%s: retires before it activates" % p)
        keys.append((a, r, name))
    keys.sort()
    for (a1, r1, n1), (a2, r2, n2) in zip(keys, keys[1:]):
        if a2 < r1:
            fail("%s [%d,%d) overlaps %s [%d,%d)" % (n1, a1, r1, n2, a2, r2))
    print("keys %d" % len(keys))


def covering(d, ms):
    for name in sorted(os.listdir(d)):
        if not name.endswith(".key"):
            continue
        f = dict(re.findall(r"^([a-z-]+) = (\S+)$", open(os.path.join(d, name)).read(), re.M))
        if int(f["activate-ms"]) <= ms < int(f["retire-ms"]):
            return name[:16]
    return "none"


def main():
    if len(sys.argv) < 2:
        fail(__doc__)
    cmd = sys.argv[1]
    if cmd == "generic":
        print("\n".join(generic(sys.stdin.buffer.read().decode("latin-1"))))
    elif cmd == "presentation":
        print("\n".join(presentation(sys.stdin.buffer.read().decode("latin-1"))))
    elif cmd == "keyids":
        print("\n".join(keyids(sys.argv[2])))
    elif cmd == "covering":
        print(covering(sys.argv[2], int(sys.argv[3])))
    elif cmd == "store":
        store(sys.argv[2])
    else:
        fail("unknown command " + cmd)


if __name__ == "__main__":
    main()
