#!/bin/sh
# 50,000 local-data lines (issue 11 item 8: each repeated key grew its list by one element in an
# arena that never frees, 8,000 lines took 959 MB and 2.9 s; and every query scanned them all):
#   - `odoh-edge -t` checks the file in under a second with a maximum RSS under 16 times the
#     file's size (measured with /usr/bin/time -v)
#   - the server answers from the owner index exactly: the first, a middle and the last owner,
#     an owner written in mixed case asked in another case, an owner with several records of one
#     type (in file order) and of several types, NODATA for a type it lacks, REFUSED (no
#     upstream) for a name it does not own
. "$OE_ROOT/tests/integration/lib.sh"
command -v kdig >/dev/null || skip "kdig (knot-dnsutils) is not installed"
[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed (Debian package time)"

port=$(oe_port)
conf=$OE_TMP/edge.conf
{
    printf '[global]\nworkers = 1\nstate-dir = state\n'
    printf '[listen "https"]\naddress = 127.0.0.1:%s\n' "$port"
    printf '[site "target"]\nhost = target.odoh.test\ncert = auto\n'
    printf '[odoh-target]\nsite = target\n'
    # 49,500 owners hN.bulk.test. (A 10.x.y.z), every 100th with a TXT record as well (49,500
    # + 495 lines), then h7.bulk.test. has a second A and a TXT, and MiXeD.Bulk.TEST. has two AAAA
    # records and one TXT: 50,000 lines in all. The owners are written in shuffled order.
    awk 'BEGIN {
        srand(11); n = 49500
        for (i = 0; i < n; i++) o[i] = i
        for (i = n - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = o[i]; o[i] = o[j]; o[j] = t }
        for (k = 0; k < n; k++) {
            i = o[k]
            printf "local-data = \"h%d.bulk.test. 300 in a 10.%d.%d.%d\"\n", i, int(i / 65536), int(i / 256) % 256, i % 256
            if (i % 100 == 0) printf "local-data = \"h%d.bulk.test. 60 in txt \\\"row %d\\\"\"\n", i, i
        }
    }'
    printf 'local-data = "h7.bulk.test. 300 in a 192.0.2.7"\n'
    printf 'local-data = "h7.bulk.test. 300 IN TXT \\"seven\\""\n'
    printf 'local-data = "MiXeD.Bulk.TEST. 30 IN AAAA 2001:db8::2"\n'
    printf 'local-data = "MiXeD.Bulk.TEST. 30 IN TXT \\"mixed\\""\n'
    printf 'local-data = "mixed.bulk.test. 30 IN AAAA 2001:db8::1"\n'
} >"$conf"
lines=$(grep -c '^local-data = ' "$conf")
expect_eq "$lines" 50000 "local-data lines"
size_kb=$(( $(wc -c <"$conf") / 1024 ))

/usr/bin/time -v "$OE_BIN" -t -c "$conf" >"$OE_TMP/check.out" 2>&1 || fail "-t: $(cat "$OE_TMP/check.out")"
grep -q "^$conf: configuration ok$" "$OE_TMP/check.out" || fail "-t: $(cat "$OE_TMP/check.out")"
rss=$(sed -n 's/^	Maximum resident set size (kbytes): //p' "$OE_TMP/check.out")
wall=$(sed -n 's/^	Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OE_TMP/check.out")
secs=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
# The bounds hold for the real binary; a sanitizer build (OE_SANITIZED) is several times slower
# and bigger by design, and checks the memory safety of the same run instead.
if [ -z "${OE_SANITIZED:-}" ]; then
    awk -v s="$secs" 'BEGIN { exit !(s < 1) }' || fail "-t on 50,000 local-data lines took $wall"
    [ "$rss" -lt $((16 * size_kb)) ] || fail "-t on 50,000 local-data lines: max RSS $rss KiB for a $size_kb KiB file"
fi
echo "check: $lines local-data lines ($size_kb KiB) in $wall s, max RSS $rss KiB"

oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$conf"
oe_wait_tcp "$port" 10 || fail "odoh-edge did not start: $(cat "$OE_TMP/edge.log")"
ca=$OE_TMP/state/tls/ca.pem
ask() { # NAME TYPE: the answer section, one line per record, spaces squeezed, lower case (the
    # owners are written compressed against the question, so they take its spelling)
    kdig @127.0.0.1 -p "$port" +https +tls-ca="$ca" +tls-hostname=target.odoh.test "$1" "$2" \
        +noall +answer | tr -s ' \t' ' ' | tr A-Z a-z
}
status() { # NAME TYPE: the rcode
    kdig @127.0.0.1 -p "$port" +https +tls-ca="$ca" +tls-hostname=target.odoh.test "$1" "$2" |
        sed -n "s/.*status: \([A-Z][A-Z]*\).*/\1/p" | head -n 1
}
expect_eq "$(ask h0.bulk.test A)" "h0.bulk.test. 300 in a 10.0.0.0" "h0 A"
expect_eq "$(ask h0.bulk.test TXT)" 'h0.bulk.test. 60 in txt "row 0"' "h0 TXT"
expect_eq "$(ask h25000.bulk.test TXT)" 'h25000.bulk.test. 60 in txt "row 25000"' "h25000 TXT"
expect_eq "$(ask h25001.bulk.test A)" "h25001.bulk.test. 300 in a 10.0.97.169" "h25001 A"
expect_eq "$(ask h49499.bulk.test A)" "h49499.bulk.test. 300 in a 10.0.193.91" "h49499 A (the last owner)"
expect_eq "$(ask H49499.BULK.test A)" "h49499.bulk.test. 300 in a 10.0.193.91" "H49499.BULK.test A (case-insensitive)"
expect_eq "$(ask h7.bulk.test A)" "h7.bulk.test. 300 in a 10.0.0.7
h7.bulk.test. 300 in a 192.0.2.7" "h7 A (two records, file order)"
expect_eq "$(ask mixed.bulk.test AAAA)" "mixed.bulk.test. 30 in aaaa 2001:db8::2
mixed.bulk.test. 30 in aaaa 2001:db8::1" "mixed AAAA (two owners' spellings, file order)"
expect_eq "$(ask mIxEd.bulk.test TXT)" 'mixed.bulk.test. 30 in txt "mixed"' "mixed TXT"
expect_eq "$(ask h1.bulk.test TXT)" "" "h1 TXT (NODATA): answer"
expect_eq "$(status h1.bulk.test TXT)" NOERROR "h1 TXT (NODATA): status"
expect_eq "$(status h49500.bulk.test A)" REFUSED "a name no record owns (no upstream)"
expect_eq "$(status bulk.test A)" REFUSED "the parent of the owners"
echo "lookups: exact over $lines records"
echo ok
