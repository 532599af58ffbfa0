#!/bin/bash
# Size and memory of the router builds, the numbers in the README's "Routers" table.
#
#   tests/cross/footprint.sh sizes [TARGET...]    stripped size of the full binary and of the
#                                                 single-role builds (MODULES=odoh_proxy,
#                                                 odoh_target, website), building what is missing
#   tests/cross/footprint.sh memory [TARGET...]   resident memory of the shipped configuration
#                                                 at idle and with 100 idle TLS connections
#
# TARGET is one of x86_64-musl aarch64 armhf mipsel mips (default: all but mips). Builds go to
# build/T (full) and build/T-ROLE (single role, sharing build/T/vendor). Memory runs under
# qemu-user except for x86_64-musl; qemu's own memory is measured apart (the same emulator
# running a static program that only sleeps) and subtracted, and both numbers are printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
what=${1:?usage: footprint.sh sizes|memory [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(x86_64-musl aarch64 armhf mipsel)
py=/usr/bin/python3

triplet() {
    case $1 in
    aarch64) echo aarch64-linux-gnu ;; armhf) echo arm-linux-gnueabihf ;;
    mipsel) echo mipsel-linux-gnu ;; mips) echo mips-linux-gnu ;; *) echo "" ;;
    esac
}
qemu_of() {
    case $1 in
    aarch64) echo qemu-aarch64-static ;; armhf) echo qemu-arm-static ;;
    mipsel) echo qemu-mipsel-static ;; mips) echo qemu-mips-static ;; *) echo "" ;;
    esac
}
strip_of() { t=$(triplet "$1"); echo "${t:+$t-}strip"; }

sizes() {
    printf '%-12s %12s %12s %12s %12s\n' target full odoh_proxy odoh_target website
    for t in "${targets[@]}"; do
        row=()
        for role in full odoh_proxy odoh_target website; do
            if [ $role = full ]; then
                b=build/$t
                make -s -j2 TARGET="$t" >/dev/null
            else
                b=build/$t-$role
                make -s -j2 TARGET="$t" BUILD="$b" VENDOR="build/$t/vendor" MODULES="$role" >/dev/null
            fi
            "$(strip_of "$t")" -o "$b/odoh-edge.stripped" "$b/odoh-edge"
            row+=("$(stat -c %s "$b/odoh-edge.stripped")")
        done
        printf '%-12s %12s %12s %12s %12s\n' "$t" "${row[@]}"
    done
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# A static program that only sleeps, for the emulator's own memory.
sleeper() { # TARGET -> path
    out=build/$1/sleeper
    if [ ! -x "$out" ]; then
        t=$(triplet "$1")
        printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' >"build/$1/sleeper.c"
        "${t:+$t-}gcc" -static -O2 -o "$out" "build/$1/sleeper.c"
    fi
    echo "$out"
}

memory() {
    printf '%-12s %10s %10s %14s %12s %12s\n' target qemu-KiB idle-KiB idle+100-KiB per-conn-KiB runtime
    for t in "${targets[@]}"; do
        make -s -j2 TARGET="$t" >/dev/null
        q=$(qemu_of "$t")
        tmp=$(mktemp -d /tmp/oe-footprint-XXXXXX)
        base=0
        if [ -n "$q" ]; then
            "$q" "$(sleeper "$t")" &
            sp=$!
            sleep 1
            base=$(rss_kib $sp)
            kill $sp; wait $sp 2>/dev/null || true
        fi
        port=$($py -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        hport=$($py -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        sed -e "s/:8443\\b/:$port/g; s/:8080\\b/:$hport/g" \
            -e "s|^root = modules/website/demo|root = $root/modules/website/demo|" \
            odoh-edge.conf >"$tmp/odoh-edge.conf"
        (cd "$tmp" && exec ${q:+"$q"} "$root/build/$t/odoh-edge" -c odoh-edge.conf) >"$tmp/log" 2>&1 &
        pid=$!
        for _ in $(seq 900); do
            curl -sf -m 5 --cacert "$tmp/state/tls/ca.pem" --resolve "demo.odoh.test:$port:127.0.0.1" \
                -o /dev/null "https://demo.odoh.test:$port/" 2>/dev/null && break
            sleep 0.1
        done
        sleep 2
        idle=$(rss_kib $pid)
        rm -f "$tmp/hold"; mkfifo "$tmp/hold"
        timeout 300 $py tests/bench/idle_conns.py 127.0.0.1 "$port" demo.odoh.test \
            "$tmp/state/tls/ca.pem" 100 <"$tmp/hold" >"$tmp/idle.out" 2>&1 &
        ip=$!
        exec 9>"$tmp/hold"
        for _ in $(seq 3000); do
            grep -q '^ready\|^error' "$tmp/idle.out" 2>/dev/null && break
            kill -0 $ip 2>/dev/null || break
            sleep 0.1
        done
        grep -q '^ready' "$tmp/idle.out" || { echo "$t: idle connections: $(cat "$tmp/idle.out")" >&2; }
        sleep 2
        busy=$(rss_kib $pid)
        exec 9>&-
        wait $ip 2>/dev/null || true
        kill -TERM $pid; wait $pid 2>/dev/null || true
        rm -rf "$tmp"
        per=$(awk -v a="$busy" -v b="$idle" 'BEGIN { printf "%.1f", (a - b) / 100 }')
        printf '%-12s %10s %10s %14s %12s %12s\n' "$t" "$base" "$((idle - base))" \
            "$((busy - base))" "$per" "${q:-native}"
    done
}

case $what in
sizes) sizes ;;
memory) memory ;;
*) echo "usage: footprint.sh sizes|memory [TARGET...]" >&2; exit 64 ;;
esac
