#!/bin/sh
# Installs what the tests need: the Debian packages in tests/deps.apt that are missing, and the
# npm packages of tests/node (exact versions, no lock file carrying registry addresses).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)

missing=
for p in $(sed 's/#.*//' "$root/tests/deps.apt"); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "deps: missing Debian packages:$missing (run as root, or install them)" >&2
        exit 1
    fi
    echo "deps: installing$missing" >&2
    stamp=/var/lib/apt/periodic/update-success-stamp
    if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls /var/lib/apt/lists 2>/dev/null | grep -v lock)" ] ||
        [ -n "${OE_APT_UPDATE:-}" ]; then
        apt-get update -q >/dev/null
    fi
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null; }
fi

# Install when a dependency of package.json is missing (a clone that ran the tests before a new
# package was added has node_modules without it).
node_missing() {
    ! node -e 'const p = require(process.argv[1] + "/package.json"), fs = require("fs");
        process.exit(Object.keys(p.dependencies || {}).some(
            (d) => !fs.existsSync(process.argv[1] + "/node_modules/" + d + "/package.json")) ? 1 : 0)' \
        "$root/tests/node" 2>/dev/null
}
if [ -f "$root/tests/node/package.json" ] && node_missing; then
    echo "deps: installing npm packages for tests/node" >&2
    (cd "$root/tests/node" && npm install --no-audit --no-fund --no-package-lock --silent >/dev/null)
fi
: "${stamp:=}"
