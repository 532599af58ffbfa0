"""A solid-colour PNG for the test pages of the Firefox scripts (35, 57): png(r, g, b, w, h) is
the bytes of a w x h image, 8-bit RGB, every pixel (r, g, b). Imported by their inline python
with sys.path[0] = tests/integration."""
import struct
import zlib


def png(r, g, b, w, h):
    raw = b"".join(b"\0" + bytes([r, g, b]) * w for _ in range(h))

    def chunk(t, x):
        return struct.pack(">I", len(x)) + t + x + struct.pack(">I", zlib.crc32(t + x) & 0xffffffff)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
