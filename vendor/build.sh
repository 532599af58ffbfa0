#!/bin/sh
# Build the pinned dependencies as static libraries into OUT_DIR/{include,lib}, with the caller's
# CC, CFLAGS and AR, so that CC=musl-gcc or a cross compiler works. A dependency whose stamp
# (version, compiler, flags, our config header) is unchanged is not rebuilt.
#
# usage: CC=... CFLAGS=... vendor/build.sh CACHE_DIR OUT_DIR
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=$(cd "${1:?usage: build.sh CACHE_DIR OUT_DIR}" && pwd)
mkdir -p "${2:?usage: build.sh CACHE_DIR OUT_DIR}"
out=$(cd "$2" && pwd)
# The project's own link and preprocessor flags are not meant for the dependencies.
unset LDFLAGS CPPFLAGS
CC=${CC:-cc}
AR=${AR:-ar}
CFLAGS=${CFLAGS:--O2}
jobs=$(nproc 2>/dev/null || echo 2)

say() { printf 'vendor: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

lock() { awk -v n="$1" -v c="$2" '!/^#/ && $1 == n { print $c }' "$here/deps.lock"; }

mkdir -p "$out/include" "$out/lib" "$out/src"

# stamp NAME EXTRA...: true when NAME was built with exactly these inputs.
stamp_of() { printf '%s\n' "$@" "$CC" "$CFLAGS" "$($CC --version 2>/dev/null | head -n1)" | sha256sum | cut -d' ' -f1; }
fresh() { [ -f "$out/src/$1.stamp" ] && [ "$(cat "$out/src/$1.stamp")" = "$2" ]; }

unpack() { # NAME -> prints the source directory
    f="$cache/$(lock "$1" 5)"
    [ -f "$f" ] || die "$f is missing; run vendor/fetch.sh first"
    rm -rf "$out/src/$1"
    mkdir -p "$out/src/$1"
    tar xf "$f" -C "$out/src/$1" --strip-components=1
    echo "$out/src/$1"
}

cmake_build() { # SRC NAME ARGS...
    src=$1; name=$2; shift 2
    command -v cmake >/dev/null || die "cmake is needed to build $name"
    cmake -S "$src" -B "$src/_build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$CC" \
        -DCMAKE_AR="$(command -v "$AR" || echo "$AR")" -DCMAKE_C_FLAGS="$CFLAGS" \
        -DCMAKE_POSITION_INDEPENDENT_CODE=OFF -DCMAKE_INSTALL_PREFIX="$out" \
        -DCMAKE_INSTALL_LIBDIR=lib "$@" >"$src/_build.log" 2>&1 ||
        { tail -n 30 "$src/_build.log" >&2; die "$name: cmake configure failed"; }
    cmake --build "$src/_build" -j "$jobs" >>"$src/_build.log" 2>&1 ||
        { tail -n 30 "$src/_build.log" >&2; die "$name: build failed"; }
    cmake --install "$src/_build" >>"$src/_build.log" 2>&1 || die "$name: install failed"
}

# mbedtls: its own Makefile, with our config header.
s=$(stamp_of mbedtls "$(lock mbedtls 2)" "$(cat "$here/mbedtls_config.h" "$here/../modules/crypto/gcm_alt.h")")
if ! fresh mbedtls "$s"; then
    say "building mbedtls $(lock mbedtls 2) (Everest X25519)"
    src=$(unpack mbedtls)
    cp "$here/mbedtls_config.h" "$src/include/oe_mbedtls_config.h"
    cp "$here/../modules/crypto/gcm_alt.h" "$src/include/gcm_alt.h" # ours: the GCM_ALT context
    make -C "$src/library" -j "$jobs" static CC="$CC" AR="$AR" \
        CFLAGS="$CFLAGS -DMBEDTLS_CONFIG_FILE='\"oe_mbedtls_config.h\"'" >"$src/_build.log" 2>&1 ||
        { tail -n 30 "$src/_build.log" >&2; die "mbedtls: build failed"; }
    rm -rf "$out/include/mbedtls" "$out/include/psa" "$out/include/everest"
    cp -R "$src/include/mbedtls" "$src/include/psa" "$out/include/"
    cp "$src/include/oe_mbedtls_config.h" "$src/include/gcm_alt.h" "$out/include/"
    cp -R "$src/3rdparty/everest/include/everest" "$out/include/"
    cp "$src/library/libmbedtls.a" "$src/library/libmbedx509.a" "$src/library/libmbedcrypto.a" "$out/lib/"
    rm -rf "$src"; mkdir -p "$src"
    echo "$s" >"$out/src/mbedtls.stamp"
fi

# libuv: static library only.
s=$(stamp_of libuv "$(lock libuv 2)")
if ! fresh libuv "$s"; then
    say "building libuv $(lock libuv 2)"
    src=$(unpack libuv)
    cmake_build "$src" libuv -DLIBUV_BUILD_SHARED=OFF -DBUILD_TESTING=OFF -DLIBUV_BUILD_TESTS=OFF \
        -DLIBUV_BUILD_BENCH=OFF
    rm -rf "$src"; mkdir -p "$src"
    echo "$s" >"$out/src/libuv.stamp"
fi

# nghttp2: the library only, static.
s=$(stamp_of nghttp2 "$(lock nghttp2 2)")
if ! fresh nghttp2 "$s"; then
    say "building nghttp2 $(lock nghttp2 2)"
    src=$(unpack nghttp2)
    cmake_build "$src" nghttp2 -DENABLE_LIB_ONLY=ON -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON \
        -DENABLE_DOC=OFF -DBUILD_TESTING=OFF -DENABLE_FAILMALLOC=OFF
    rm -rf "$src"; mkdir -p "$src"
    echo "$s" >"$out/src/nghttp2.stamp"
fi

# llhttp: the release C sources (the parser llparse generated from llhttp's TypeScript, plus the
# hand-written api.c and http.c), compiled with the caller's CC like the others. They come out of
# the Node.js tarball's deps/llhttp, which is llhttp's release unchanged.
s=$(stamp_of llhttp "$(lock llhttp 2)" "$(lock llhttp 5)")
if ! fresh llhttp "$s"; then
    v=$(lock llhttp 2)
    say "building llhttp $v (release sources from $(lock llhttp 5))"
    f="$cache/$(lock llhttp 5)"
    [ -f "$f" ] || die "$f is missing; run vendor/fetch.sh first"
    src="$out/src/llhttp"; rm -rf "$src"; mkdir -p "$src"
    tar xf "$f" -C "$src" --strip-components=3 --wildcards '*/deps/llhttp/include/llhttp.h' \
        '*/deps/llhttp/src/api.c' '*/deps/llhttp/src/http.c' '*/deps/llhttp/src/llhttp.c' ||
        die "llhttp: cannot unpack deps/llhttp from $f"
    got=$(awk '/define LLHTTP_VERSION_(MAJOR|MINOR|PATCH)/ { printf "%s%s", sep, $3; sep = "." }' \
        "$src/include/llhttp.h")
    [ "$got" = "$v" ] || die "llhttp: $f carries version $got, deps.lock pins $v"
    for c in api http llhttp; do
        $CC $CFLAGS -I"$src/include" -c "$src/src/$c.c" -o "$src/$c.o" || die "llhttp: $c.c failed"
    done
    rm -f "$out/lib/libllhttp.a"
    $AR rcs "$out/lib/libllhttp.a" "$src/api.o" "$src/http.o" "$src/llhttp.o"
    cp "$src/include/llhttp.h" "$out/include/"
    rm -rf "$src"; mkdir -p "$src"
    echo "$s" >"$out/src/llhttp.stamp"
fi
