# The target against what a hostile or unlucky client sends it (issue 12, items 8 and 9):
#   - opcodes other than QUERY (UPDATE, NOTIFY, STATUS) are answered NOTIMP by the target itself
#     and never reach the upstream (an upstream that trusts us could accept an UPDATE);
#   - an ODoH answer near the 16-bit limit (65,400 bytes) is 200 with its padding cut at the
#     limit (it was 500: padding to a multiple of 468 overflowed the sealed message's length);
#     DoH gets the same bytes;
#   - an answer too large to seal at all (65,530 bytes) is 200 over ODoH with TC=1 and only the
#     question (the client retries elsewhere), and 200 with every byte over DoH.
# A fake upstream (fake_upstream.py big:N) makes the exact answer sizes; the ODoH client is the
# independent one in tests/node.
. "$OE_ROOT/tests/integration/lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
py=/usr/bin/python3
node_dir=$OE_ROOT/tests/node
command -v node >/dev/null && [ -d "$node_dir/node_modules/@hpke/core" ] ||
    skip "node and tests/node/node_modules (npm install) are needed"
host=target.odoh.test
ca=$OE_TMP/state/tls/ca.pem

# fake MODE: a fake upstream; sets FAKE and FAKE_LOG.
fake() {
    FAKE=$(oe_port)
    FAKE_LOG=$OE_TMP/fake-$FAKE.log
    oe_bg "$FAKE_LOG" "$py" "$OE_ROOT/tests/integration/fake_upstream.py" "$FAKE" "$1"
    oe_wait_tcp "$FAKE" || fail "fake upstream $1 did not start: $(cat "$FAKE_LOG")"
}
queries() { grep -c -E '^(udp|tcp) ' "$FAKE_LOG" || true; }
# edge UPSTREAM: odoh-edge with one worker and that one upstream; sets EPORT.
EPID=
edge() {
    [ -n "$EPID" ] && kill "$EPID" 2>/dev/null
    EPORT=$(oe_port)
    printf '[global]\nworkers = 1\nstate-dir = state\n[listen "https"]\naddress = 127.0.0.1:%s\n[site "target"]\nhost = %s\ncert = auto\n[odoh-target]\nsite = target\nupstream = %s\n' \
        "$EPORT" "$host" "$1" >"$OE_TMP/edge-$EPORT.conf"
    oe_bg "$OE_TMP/edge-$EPORT.log" "$OE_BIN" -c "$OE_TMP/edge-$EPORT.conf"
    EPID=$OE_LASTPID
    oe_wait_tcp "$EPORT" || fail "odoh-edge did not start: $(cat "$OE_TMP/edge-$EPORT.log")"
}
# doh FILE: POSTs the DNS message in FILE; prints "STATUS BODY-BYTES"; the body is in $OE_TMP/body.
doh() {
    curl -sS -o "$OE_TMP/body" -w '%{http_code} %{size_download}' --cacert "$ca" \
        --resolve "$host:$EPORT:127.0.0.1" -H 'content-type: application/dns-message' \
        --data-binary "@$1" "https://$host:$EPORT/dns-query"
}
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
odoh() {
    (cd "$node_dir" && node odoh-client.mjs --host "$host" --port "$EPORT" --ca "$ca" \
        --name www.it.test --type TXT 2>&1)
}

# msg OPCODE FILE: a message with that opcode (ID a1b2) whose first section is "it.test SOA IN";
# UPDATE (5) also carries one update record (www.it.test A 192.0.2.66). Prints the NOTIMP answer
# we expect for it: QR, the same opcode, RA, rcode 4, the first section echoed, nothing else.
msg() {
    "$py" - "$1" "$2" <<'PY'
import struct, sys
op, path = int(sys.argv[1]), sys.argv[2]
zone = b"\x02it\x04test\x00" + struct.pack("!HH", 6, 1)
upd = b""
if op == 5:
    upd = b"\x03www\x02it\x04test\x00" + struct.pack("!HHIH", 1, 1, 3600, 4) + bytes([192, 0, 2, 66])
q = struct.pack("!HHHHHH", 0xA1B2, op << 11, 1, 0, 1 if upd else 0, 0) + zone + upd
open(path, "wb").write(q)
a = struct.pack("!HHHHHH", 0xA1B2, 0x8000 | op << 11 | 0x80 | 4, 1, 0, 0, 0) + zone
print(a.hex())
PY
}

# ---- opcodes: NOTIMP from the target, nothing upstream ------------------------------------------
fake "big:1000"
edge "127.0.0.1:$FAKE"
for op in 5 4 2; do
    want=$(msg $op "$OE_TMP/op$op.bin")
    expect_eq "$(doh "$OE_TMP/op$op.bin")" "200 $((${#want} / 2))" "DoH opcode $op: status and size"
    expect_eq "$(hex "$OE_TMP/body")" "$want" "DoH opcode $op: NOTIMP answer"
done
expect_eq "$(queries)" 0 "queries with opcode UPDATE/NOTIFY/STATUS that reached the upstream"
# A QUERY still goes upstream (the filter is not a blanket refusal).
out=$(odoh) || fail "odoh client: $out"
expect_eq "$(echo "$out" | sed -n 's/^status //p')" 200 "ODoH QUERY"
expect_eq "$(queries)" 2 "a QUERY reaches the upstream (UDP, then TCP after TC)"

# ---- 65,400 bytes: 200 over ODoH, padded to the limit and no further ----------------------------
fake "big:65400"
edge "127.0.0.1:$FAKE"
out=$(odoh) || fail "odoh client: $out"
expect_eq "$(echo "$out" | sed -n 's/^status //p')" 200 "ODoH 65,400-byte answer"
# plaintext = u16 len | 65,400 | u16 padlen | padding, cut at 65,535 - 16 (AEAD tag)
expect_eq "$(echo "$out" | sed -n 's/^padded //p')" 65519 "ODoH plaintext length at the limit"
expect_eq "$(echo "$out" | sed -n 's/^answer //p' | tr -d '\n' | wc -c)" 130800 "ODoH answer bytes"
expect_eq "$(echo "$out" | grep -c '^rr www.it.test.')" 244 "TXT records in the ODoH answer"
"$py" -c 'import struct; open("'"$OE_TMP"'/q.bin","wb").write(struct.pack("!HHHHHH",7,0x100,1,0,0,0)+b"\x03www\x02it\x04test\x00\x00\x10\x00\x01")'
expect_eq "$(doh "$OE_TMP/q.bin")" "200 65400" "DoH 65,400-byte answer"

# ---- 65,530 bytes: too large to seal; TC=1 over ODoH, whole over DoH ----------------------------
fake "big:65530"
edge "127.0.0.1:$FAKE"
out=$(odoh) || fail "odoh client: $out"
expect_eq "$(echo "$out" | sed -n 's/^status //p')" 200 "ODoH 65,530-byte answer"
expect_eq "$(echo "$out" | sed -n 's/^rcode //p')" "NOERROR TC" "ODoH answer too large to seal: TC=1"
expect_eq "$(echo "$out" | grep -c '^rr ')" 0 "records in the truncated ODoH answer"
expect_eq "$(doh "$OE_TMP/q.bin")" "200 65530" "DoH 65,530-byte answer"

kill -0 "$EPID" 2>/dev/null || fail "odoh-edge died: $(tail "$OE_TMP/edge-$EPORT.log")"
echo "52-target-hostile: ok"
