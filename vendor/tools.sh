#!/bin/sh
# Makes sure the tools the dependency build needs are present, installing the missing ones from
# Debian when running as root: cmake (libuv, nghttp2), bzip2 (the mbedtls tarball), a C compiler
# and make are assumed.
set -eu
need=
command -v cmake >/dev/null 2>&1 || need="$need cmake"
command -v bzip2 >/dev/null 2>&1 || need="$need bzip2"
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
