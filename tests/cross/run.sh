#!/bin/sh
# make cross-test TARGET=T: checks a router build where it will run, under qemu-user (natively for
# x86_64-musl), from the repository root so the unit tests find tests/vectors.
#   1. the binary is a static executable of the right architecture (file, readelf);
#   2. x86_64-musl only: no glibc object went into it (the link map names every input);
#   3. odoh-edge version runs and says which AES code it uses;
#   4. the unit tests pass (endianness and alignment bugs show here: mipsel is strict about
#      alignment, mips is big-endian); x86_64-musl also under qemu-x86_64 with a CPU model without
#      AES-NI (qemu64) and one without VAES (Haswell): the GCM and X25519 tests on the paths the
#      run-time CPUID dispatch picks there, and `version` naming them;
#   5. smoke: the shipped odoh-edge.conf (ports moved to free ones) serves the demo page over
#      HTTP/2 to the host's curl, answers one ODoH query through its proxy to its target from the
#      host's odoh-edge query client, takes one `keys rotate` from the target binary and serves
#      the promoted key within seconds, and stops cleanly on SIGTERM.
# Prints TAP and a last line "N passed, N failed".
#
# usage: [QEMU=EMULATOR] tests/cross/run.sh TARGET BUILD_DIR HOST_ODOH_EDGE
set -u
target=${1:?usage: run.sh TARGET BUILD_DIR HOST_ODOH_EDGE}
build=${2:?usage: run.sh TARGET BUILD_DIR HOST_ODOH_EDGE}
host=${3:?usage: run.sh TARGET BUILD_DIR HOST_ODOH_EDGE}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
case $build in /*) ;; *) build=$root/$build ;; esac
bin=$build/odoh-edge
host=$(cd "$(dirname "$host")" && pwd)/$(basename "$host")
# The emulator: QEMU if set (empty: run natively), else qemu-user-static's for the target.
case $target in
aarch64) q='qemu-aarch64-static' ;; armhf) q='qemu-arm-static' ;;
mipsel) q='qemu-mipsel-static' ;; mips) q='qemu-mips-static' ;; *) q='' ;;
esac
qemu=${QEMU-$q}
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/oe-cross-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

n=0; pass=0; failn=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
notok() {
    n=$((n + 1)); failn=$((failn + 1)); echo "not ok $n - $1"
    [ -z "${2:-}" ] || printf '%s\n' "$2" | tail -n 30 | sed 's/^/#   /'
}
# run CMD...: the target binary under the emulator (or natively).
run() { if [ -n "$qemu" ]; then "$qemu" "$@"; else "$@"; fi; }

# The musl check exists for x86_64-musl only: static glibc is the plan for the cross targets; so do
# the two runs under qemu-x86_64 with other CPU models (section 3), where the emulator is there.
if [ "$target" != x86_64-musl ]; then
    echo "1..8"
elif command -v qemu-x86_64-static >/dev/null; then
    echo "1..11"
else
    echo "1..9"
fi

# ---- 1. what the binary is ----------------------------------------------------------------------
case $target in
x86_64-musl) want='ELF 64-bit LSB executable, x86-64' ;;
aarch64) want='ELF 64-bit LSB executable, ARM aarch64' ;;
armhf) want='ELF 32-bit LSB executable, ARM, EABI5' ;;
mipsel) want='ELF 32-bit LSB executable, MIPS, MIPS32' ;;
mips) want='ELF 32-bit MSB executable, MIPS, MIPS32' ;;
*) echo "unknown target $target"; exit 2 ;;
esac
f=$(file -b "$bin")
why=
case $f in "$want"*) ;; *) why="file says: $f; want: $want" ;; esac
case $f in *"statically linked"*) ;; *) why="$why; not statically linked: $f" ;; esac
# ARMv7 hard-float: arguments in VFP registers (the armhf ABI).
if [ "$target" = armhf ] && ! readelf -A "$bin" | grep -q 'Tag_ABI_VFP_args: VFP registers'; then
    why="$why; not hard-float: $(readelf -A "$bin" | grep -i vfp)"
fi
if [ -z "$why" ]; then ok "$target: $f"; else notok "$target binary" "$why"; fi

# ---- 2. musl: no glibc object -------------------------------------------------------------------
if [ "$target" = x86_64-musl ]; then
    map=$bin.map
    # Every archive and object file the linker loaded, from the map's "Archive member included"
    # section and its LOAD lines; musl's are under /usr/lib/x86_64-linux-musl, libgcc under gcc's.
    inputs=$(sed -n 's/^LOAD \(.*\)$/\1/p; s/^\(\/[^ (]*\.a\)(.*/\1/p' "$map" 2>/dev/null | sort -u)
    bad=$(printf '%s\n' "$inputs" | grep -v -e "^$build/" -e "^${build#"$root"/}/" \
        -e '^/usr/lib/x86_64-linux-musl/' -e '^/usr/lib/gcc/' -e '^$' || true)
    # Symbols only glibc would bring, or objects compiled against glibc's headers (fortified
    # __*_chk calls): a glibc-built archive copied into the build folder shows here. (musl
    # defines __isoc99_* itself, as aliases, so those say nothing.)
    glibc_syms=$(nm "$bin" | grep -E ' (__libc_csu_init|_dl_relocate_static_pie|__libc_setup_tls|_IO_2_1_stdout_|__nss_database_lookup2?|__[a-z0-9_]+_chk)$' |
        grep -v -E ' __stack_chk_(fail|guard)$' || true)
    if [ ! -s "$map" ]; then
        notok "musl: link map $map" "missing: the x86_64-musl link writes it"
    elif ! printf '%s\n' "$inputs" | grep -q '^/usr/lib/x86_64-linux-musl/libc.a$'; then
        notok "musl: the link did not use musl's libc.a" "$inputs"
    elif [ -n "$bad$glibc_syms" ]; then
        notok "musl: inputs from outside musl, gcc and the build" "$bad $glibc_syms"
    else
        ok "musl: every input is musl's, libgcc's or built here ($(printf '%s\n' "$inputs" | wc -l) files); no glibc symbol"
    fi
fi

# ---- 3. version -------------------------------------------------------------------------------
v=$(run "$bin" version 2>&1)
aes=$(printf '%s\n' "$v" | sed -n 's/^  aes  *//p')
case $target in
aarch64) wantaes=aesce ;;
x86_64-musl) grep -qw aes /proc/cpuinfo && wantaes=aesni || wantaes=portable ;;
*) wantaes=portable ;;
esac
case $aes in
"$wantaes"*) ok "version under ${qemu:-the host}: aes $aes" ;;
*) notok "version: aes line '$aes', want $wantaes" "$v" ;;
esac

# ---- 4. unit tests -----------------------------------------------------------------------------
start=$(date +%s)
OE_TEST_TIMEOUT=${OE_TEST_TIMEOUT:-180} run "$build/unit-tests" >"$tmp/unit" 2>&1
last=$(tail -n 1 "$tmp/unit")
secs=$(($(date +%s) - start))
case $last in
*" passed, 0 failed") ok "unit tests: $last (${secs}s)" ;;
*) notok "unit tests: $last" "$(grep -B3 '^not ok' "$tmp/unit")" ;;
esac

if [ "$target" = x86_64-musl ] && command -v qemu-x86_64-static >/dev/null; then
    for m in qemu64:portable Haswell:aes-ni; do
        cpu=${m%%:*}
        want=${m#*:}
        g=$(qemu-x86_64-static -cpu "$cpu" "$bin" version 2>&1 | sed -n 's/^  aes-gcm  *//p')
        qemu-x86_64-static -cpu "$cpu" "$build/unit-tests" gcm >"$tmp/unit-$cpu" 2>&1
        last=$(tail -n 1 "$tmp/unit-$cpu")
        qemu-x86_64-static -cpu "$cpu" "$build/unit-tests" x25519 >>"$tmp/unit-$cpu" 2>&1
        last2=$(tail -n 1 "$tmp/unit-$cpu")
        case "$g|$last|$last2" in
        "$want"*"|"*" passed, 0 failed|"*" passed, 0 failed") ok "qemu-x86_64 -cpu $cpu: aes-gcm $g; gcm tests $last" ;;
        *) notok "qemu-x86_64 -cpu $cpu: aes-gcm '$g' (want $want), tests '$last' '$last2'" "$(grep -B3 '^not ok' "$tmp/unit-$cpu")" ;;
        esac
    done
fi

# ---- 5. smoke: the shipped configuration --------------------------------------------------------
free_port() {
    $py -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_tcp() { # PORT SECONDS
    k=$(($2 * 10))
    while [ $k -gt 0 ]; do
        $py -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$1)))" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1; k=$((k - 1))
    done
    return 1
}
https=$(free_port); http=$(free_port)
# The shipped file, with its two ports moved and the demo site's root made absolute; everything
# else (five sites: demo, ODoH target and proxy, OHTTP gateway and relay; the default keys
# schedule; both loopback addresses) as shipped.
sed -e "s/:8443\\b/:$https/g; s/:8080\\b/:$http/g" \
    -e "s|^root = modules/website/demo|root = $root/modules/website/demo|" \
    odoh-edge.conf >"$tmp/odoh-edge.conf"
(cd "$tmp" && exec ${qemu:+"$qemu"} "$bin" -c odoh-edge.conf) >"$tmp/server.log" 2>&1 &
pid=$!
ca=$tmp/state/tls/ca.pem
if wait_tcp "$https" 90; then
    code=$(curl -sS -m 30 --http2 --cacert "$ca" --resolve "demo.odoh.test:$https:127.0.0.1" -o "$tmp/index.html" \
        -w '%{http_version} %{http_code}' "https://demo.odoh.test:$https/" 2>&1)
    if [ "$code" = "2 200" ] && cmp -s "$tmp/index.html" modules/website/demo/index.html; then
        ok "smoke: the demo page over HTTP/2 from the host's curl"
    else
        notok "smoke: demo page: curl says '$code'" "$(tail -n 20 "$tmp/server.log")"
    fi

    query() {
        "$host" query demo.odoh.test A --target "https://target.odoh.test:$https/dns-query" \
            --proxy "https://proxy.odoh.test:$https/proxy" --ca "$ca" \
            --resolve "target.odoh.test:$https:127.0.0.1" \
            --resolve "proxy.odoh.test:$https:127.0.0.1" >"$tmp/query.out" 2>&1
    }
    tab=$(printf '\t')
    if query && grep -q "^demo.odoh.test.${tab}300${tab}IN${tab}A${tab}127.0.0.1\$" "$tmp/query.out"; then
        ok "smoke: one ODoH query through the proxy to the target, from the host's client"
    else
        notok "smoke: ODoH query through the proxy" "$(cat "$tmp/query.out"; tail -n 20 "$tmp/server.log")"
    fi
    ohttp_query() {
        "$host" query demo.odoh.test A --target "https://target.odoh.test:$https/dns-query" \
            --ohttp "https://relay.odoh.test:$https/relay" \
            --ohttp-keys "https://gateway.odoh.test:$https/ohttp-keys" --ca "$ca" \
            --resolve "relay.odoh.test:$https:127.0.0.1" \
            --resolve "gateway.odoh.test:$https:127.0.0.1" >"$tmp/ohttp.out" 2>&1
    }
    if ohttp_query && grep -q "^demo.odoh.test.${tab}300${tab}IN${tab}A${tab}127.0.0.1\$" "$tmp/ohttp.out"; then
        ok "smoke: one OHTTP query through the relay to the gateway, from the host's client"
    else
        notok "smoke: OHTTP query through the relay" "$(cat "$tmp/ohttp.out"; tail -n 20 "$tmp/server.log")"
    fi

    configs() {
        curl -sf -m 30 --cacert "$ca" --resolve "target.odoh.test:$https:127.0.0.1" \
            "https://target.odoh.test:$https/.well-known/odohconfigs" | od -An -v -tx1 | tr -d ' \n'
    }
    before=$(configs)
    # The first config (after the 2-byte total) is the current key; 4 + 2 + 2 + 38 = 46 bytes.
    first() { printf '%s' "$1" | cut -c5-96; }
    if (cd "$tmp" && run "$bin" keys rotate -c odoh-edge.conf) >"$tmp/rotate.out" 2>&1; then
        k=0
        while [ $k -lt 100 ] && [ "$(first "$(configs)")" = "$(first "$before")" ]; do
            sleep 0.1; k=$((k + 1))
        done
        after=$(configs)
        if [ -n "$before" ] && [ "$(first "$after")" != "$(first "$before")" ] && query; then
            ok "smoke: keys rotate by the target binary; the server serves the new key ($((k / 10)).$((k % 10))s) and answers with it"
        else
            notok "smoke: keys rotate: configs before $before, after $after" "$(cat "$tmp/query.out"; tail -n 20 "$tmp/server.log")"
        fi
    else
        notok "smoke: keys rotate failed" "$(cat "$tmp/rotate.out")"
    fi
else
    notok "smoke: the shipped configuration did not start within 90 s" "$(cat "$tmp/server.log")"
    notok "smoke: ODoH query through the proxy (no server)"
    notok "smoke: keys rotate (no server)"
fi
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    k=0
    while kill -0 "$pid" 2>/dev/null && [ $k -lt 300 ]; do sleep 0.1; k=$((k + 1)); done
    wait "$pid"; rc=$?
    pid=
    if [ "$rc" = 0 ]; then ok "smoke: SIGTERM stops the server, exit 0"; else notok "smoke: exit $rc after SIGTERM" "$(tail -n 20 "$tmp/server.log")"; fi
else
    notok "smoke: the server was gone before SIGTERM" "$(tail -n 20 "$tmp/server.log")"
fi
echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
