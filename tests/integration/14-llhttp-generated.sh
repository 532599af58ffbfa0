# The llhttp parser compiled into odoh-edge (src/llhttp.c of the llhttp 9.2.1 release, out of the
# Node.js tarball pinned in vendor/deps.lock) is exactly what llhttp's generator makes of its
# TypeScript sources: the sources (Debian 13's node-llhttp, pinned in vendor/llhttp-ts.lock) are
# compiled with TypeScript and run through llparse (npm, exact versions in tests/llhttp), and
# the C that comes out must equal the release's byte for byte.
. "$OE_ROOT/tests/integration/lib.sh"
command -v node >/dev/null || skip "node is not installed"
command -v npm >/dev/null || skip "npm is not installed"
command -v dpkg-deb >/dev/null || skip "dpkg-deb is not installed"
cache=$OE_ROOT/vendor/cache
"$OE_ROOT/vendor/fetch.sh" "$cache" "$OE_ROOT/vendor/llhttp-ts.lock" 2>"$OE_TMP/fetch.log" ||
    fail "fetching the TypeScript sources: $(cat "$OE_TMP/fetch.log")"
"$OE_ROOT/vendor/fetch.sh" "$cache" 2>>"$OE_TMP/fetch.log" || fail "fetch: $(cat "$OE_TMP/fetch.log")"
deb=$cache/$(awk '!/^#/ && $1 == "llhttp-ts" { print $5 }' "$OE_ROOT/vendor/llhttp-ts.lock")
tarball=$cache/$(awk '!/^#/ && $1 == "llhttp" { print $5 }' "$OE_ROOT/vendor/deps.lock")

gen=$OE_ROOT/tests/llhttp
if [ ! -d "$gen/node_modules/llparse" ] || [ ! -d "$gen/node_modules/typescript" ]; then
    (cd "$gen" && npm install --no-audit --no-fund --no-package-lock --silent >"$OE_TMP/npm.log" 2>&1) ||
        fail "npm install in tests/llhttp: $(tail -n 20 "$OE_TMP/npm.log")"
fi
expect_eq "$(node -p 'require(process.argv[1] + "/node_modules/llparse/package.json").version' "$gen")" 7.1.1 "llparse version"

# The TypeScript sources, compiled here (the package's own compiled JavaScript is not used).
dpkg-deb -x "$deb" "$OE_TMP/deb" || fail "dpkg-deb -x $deb"
ts=$OE_TMP/deb/usr/share/nodejs/llhttp
expect_eq "$(node -p 'require(process.argv[1]).version' "$ts/package.json")" 9.2.1 "llhttp TypeScript version"
mkdir "$OE_TMP/w"
cp -R "$ts/src" "$OE_TMP/w/src"
ln -s "$gen/node_modules" "$OE_TMP/w/node_modules"
(cd "$OE_TMP/w" && node "$gen/node_modules/typescript/bin/tsc" --outDir lib --rootDir src \
    --module commonjs --target es2020 --strict --skipLibCheck --types node src/llhttp.ts) \
    >"$OE_TMP/tsc.log" 2>&1 || fail "tsc: $(tail -n 20 "$OE_TMP/tsc.log")"
(cd "$OE_TMP/w" && node "$gen/generate.js" "$OE_TMP/w/lib") >"$OE_TMP/llhttp.c" 2>"$OE_TMP/gen.log" ||
    fail "generate: $(tail -n 20 "$OE_TMP/gen.log")"

mkdir "$OE_TMP/rel"
tar xf "$tarball" -C "$OE_TMP/rel" --strip-components=4 --wildcards '*/deps/llhttp/src/llhttp.c' ||
    fail "no deps/llhttp/src/llhttp.c in $tarball"
[ -s "$OE_TMP/llhttp.c" ] || fail "the generator wrote nothing"
cmp "$OE_TMP/llhttp.c" "$OE_TMP/rel/llhttp.c" ||
    fail "the generated parser differs from the release's llhttp.c: $(diff "$OE_TMP/llhttp.c" "$OE_TMP/rel/llhttp.c" | head -n 20)"
echo "llhttp.c generated from the TypeScript sources: $(wc -c <"$OE_TMP/llhttp.c") bytes, identical to the release's"
