#!/bin/sh
# Makes sure the tools the dependency build needs are present, installing the missing ones from
# Debian when running as root: cmake (libuv, nghttp2), bzip2 and xz (the mbedtls and Node.js
# tarballs); a C compiler and make are assumed. Each argument COMMAND:PACKAGE adds a tool of a
# router or cross target (make TARGET=...), e.g. mipsel-linux-gnu-gcc:gcc-mipsel-linux-gnu.
#
# usage: vendor/tools.sh [COMMAND:PACKAGE...]
set -eu
need=
for t in "$@"; do
    command -v "${t%%:*}" >/dev/null 2>&1 || need="$need ${t#*:}"
done
command -v cmake >/dev/null 2>&1 || need="$need cmake"
command -v bzip2 >/dev/null 2>&1 || need="$need bzip2"
command -v xz >/dev/null 2>&1 || need="$need xz-utils"
command -v od >/dev/null 2>&1 || need="$need coreutils"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "vendor: please install:$need" >&2
    exit 1
fi
echo "vendor: installing$need" >&2
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/dev/null; }
