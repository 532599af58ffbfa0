"""Records systemd notify datagrams: listens on a unix datagram socket (the path in argv[1]),
writes each datagram to argv[2] as one line (newlines shown as '|'), stops after argv[3]
seconds or once a datagram containing STOPPING=1 arrived."""
import os
import socket
import sys
import time

path, out, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
open(out + ".ready", "w").close()
deadline = time.monotonic() + secs
with open(out, "a") as f:
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        f.write(data.decode().strip("\n").replace("\n", "|") + "\n")
        f.flush()
        if b"STOPPING=1" in data:
            break
