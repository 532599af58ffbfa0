# The binary follows BUILD (issue 11 item 11): with BUILD=DIR make links DIR/odoh-edge and runs
# the tests against it; the default build keeps ./odoh-edge (make run, the README, the tests).
# A dry run (make -n) shows the commands without building anything.
. "$OE_ROOT/tests/integration/lib.sh"
command -v make >/dev/null || skip "make is not installed"
vendor=$OE_ROOT/build/vendor
# BUILD from the environment (make asan-integration exports one) must not leak into the default.
dry() { env -u BUILD make -n -C "$OE_ROOT" VENDOR="$vendor" "$@" 2>&1; }

out=$(dry BUILD="$OE_TMP/b" all)
echo "$out" | grep -q -- "-o $OE_TMP/b/odoh-edge " || fail "BUILD=DIR: no link to DIR/odoh-edge: $out"
! echo "$out" | grep -q -- "-o odoh-edge " || fail "BUILD=DIR still links ./odoh-edge"
out=$(dry BUILD="$OE_TMP/b" integration)
echo "$out" | grep -q "tests/integration/run.sh $OE_TMP/b/odoh-edge" ||
    fail "BUILD=DIR: integration does not test DIR/odoh-edge: $out"
out=$(dry BUILD="$OE_TMP/b" run)
echo "$out" | grep -q "^$OE_TMP/b/odoh-edge -c odoh-edge.conf" || fail "BUILD=DIR: run: $out"
# A relative BUILD works too.
out=$(dry BUILD=build-x all)
echo "$out" | grep -q -- "-o build-x/odoh-edge " || fail "BUILD=build-x: $out"

# The default: ./odoh-edge, whatever is up to date.
out=$(dry -B all)
echo "$out" | grep -q -- "-o odoh-edge " || fail "default build does not link ./odoh-edge: $out"
out=$(dry integration)
echo "$out" | grep -q "tests/integration/run.sh ./odoh-edge" || fail "default integration: $out"
echo "make-build ok"
