# Shared by the benchmark scripts (sourced, bash and sh): their tools, a free loopback port, a
# self-signed ECDSA P-256 certificate, and the one-site odoh-edge configuration most of them serve.

# A TCP port free on 127.0.0.1 now.
bench_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_cert DIR NAME: DIR/cert.pem and DIR/key.pem (0600) for NAME, valid for two days.
bench_cert() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=$2" -addext "subjectAltName=DNS:$2" \
        -keyout "$1/key.pem" -out "$1/cert.pem" >/dev/null 2>&1 || return 1
    chmod 600 "$1/key.pem"
}

# bench_edge_conf FILE DIR PORT WORKERS: odoh-edge serving DIR/www as bench.test on
# 127.0.0.1:PORT over TLS with DIR/cert.pem, state in DIR/state, warnings only.
bench_edge_conf() {
    cat >"$1" <<CONF
[global]
workers = $4
state-dir = $2/state
log-level = warn

[listen "bench"]
address = 127.0.0.1:$3
max-connections = 20000

[site "bench"]
host = bench.test
cert = $2/cert.pem
key = $2/key.pem
root = $2/www
CONF
}

# bench_stop PID: SIGTERM, up to 5 s to go, then SIGKILL (an empty PID is nothing to stop).
bench_stop() {
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
}

# bench_install COMMAND:PACKAGE...: installs (as root, from Debian's archive) the package of each
# command that is missing; prints what it does on stderr and returns 1 when it cannot.
bench_install() {
    missing=''
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] ||
            missing="$missing ${pair#*:}"
    done
    [ -n "$missing" ] || return 0
    if [ "$(id -u)" != 0 ]; then
        echo "needs$missing (run as root to install them)" >&2
        return 1
    fi
    echo "installing$missing" >&2
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
        >/dev/null 2>&1 && return 0
    apt-get update -q >/dev/null 2>&1 || true
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
        >/dev/null || { echo "cannot install$missing" >&2; return 1; }
}
