#!/bin/sh
# Constant time, ctgrind style: tool-ct_check marks the X25519 scalar and point, the ECDSA P-256
# private key, nonce and hash, the AES-GCM key and the plaintext undefined, and valgrind memcheck reports every conditional jump and memory
# address that depends on them. A report whose stack passes through our crypto code (x25519.c,
# p256.c, gcm.c) fails the test. The static binary also draws reports from glibc's start-up and stdio,
# which valgrind cannot follow in a static program; those do not touch the secrets' code.
. "$OE_ROOT/tests/integration/lib.sh"

tool=$OE_BUILD/tool-ct_check
[ -x "$tool" ] || fail "$tool is missing (make tools)"
command -v valgrind >/dev/null || skip "valgrind is not installed"
# make asan-integration: valgrind cannot run an AddressSanitizer build.
[ -z "${OE_SANITIZED:-}" ] || skip "a sanitizer build (valgrind cannot run it)"
timeout 300 valgrind --error-limit=no --num-callers=30 "$tool" >"$OE_TMP/out" 2>"$OE_TMP/vg" ||
    fail "ct_check under valgrind failed: $(tail -n 5 "$OE_TMP/vg")"
grep -q '^x25519 odoh-edge' "$OE_TMP/out" || skip "this target has no X25519 of our own"
grep -q '^p256 odoh-edge' "$OE_TMP/out" || fail "64-bit target without the P-256 signer's check"
# One memcheck report per paragraph: print those with a frame in x25519.c, p256.c or gcm.c.
awk '/^==[0-9]+== *$/ { if (blk ~ /\((x25519|p256|gcm)\.c:/) print blk; blk = ""; next }
     { blk = blk $0 "\n" }
     END { if (blk ~ /\((x25519|p256|gcm)\.c:/) print blk }' "$OE_TMP/vg" >"$OE_TMP/ours"
if [ -s "$OE_TMP/ours" ]; then
    cat "$OE_TMP/ours" >&2
    fail "secret-dependent branch or address in our crypto code"
fi
grep -q '^gcm aes-ni' "$OE_TMP/out" || echo "note: this CPU runs the portable GCM; only X25519 checked"
echo "ok: $(cat "$OE_TMP/out" | tr '\n' ' ')"
