#!/bin/sh
# HPKE cross-check against @hpke/core (npm), an independent implementation: for each AEAD it
# seals and we open, we seal and it opens, and both export the same secrets (tests/node/).
. "$OE_ROOT/tests/integration/lib.sh"

tool=$OE_BUILD/tool-hpke_tool
node_dir=$OE_ROOT/tests/node
[ -x "$tool" ] || fail "$tool is missing (make tools)"
command -v node >/dev/null || skip "node is not installed"
major=$(node -e 'process.stdout.write(process.versions.node.split(".")[0])')
[ "$major" -ge 20 ] || skip "node $major is too old for @hpke/core's WebCrypto X25519 (need 20)"
if [ ! -d "$node_dir/node_modules/@hpke/core" ] || [ ! -d "$node_dir/node_modules/@hpke/chacha20poly1305" ]; then
    command -v npm >/dev/null || skip "npm is not installed and tests/node has no node_modules"
    (cd "$node_dir" && npm install --no-audit --no-fund --no-package-lock --silent) >"$OE_TMP/npm.log" 2>&1 ||
        skip "npm install failed (offline?): $(tail -n 1 "$OE_TMP/npm.log")"
fi
cd "$node_dir"
node hpke-cross.mjs "$tool" "${OE_HPKE_ROUNDS:-40}"
