# The binary follows BUILD (issue 11 item 11): with BUILD=DIR make links DIR/odoh-edge and runs
# the tests against it; the default build keeps ./odoh-edge (make run, the README, the tests).
# A dry run (make -n) shows the commands without building anything. Flags on the command line,
# the module closure and TARGET are checked the same way.
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
# Flags given on the command line keep the required ones (issue 15): make CFLAGS=-O3 still
# compiles with -std, the warnings and -MMD; make LDFLAGS=... still links statically.
out=$(dry -B BUILD="$OE_TMP/b" CFLAGS=-O3 LDFLAGS=-Wl,-O1 CPPFLAGS=-DOE_X=1 all)
cc=$(echo "$out" | grep -- "-c main.c")
for f in -O3 -DOE_X=1 -std=gnu11 -Wall -Wextra -MMD -MP -I"$vendor"/include; do
    echo " $cc " | grep -q -- " $f " || fail "make CFLAGS=-O3 CPPFLAGS=-DOE_X=1: $f missing in: $cc"
done
cc=$(echo "$out" | grep -- "-c modules/hpke/hpke.c")
echo "$cc" | grep -q -- "-isystem $vendor/include/everest " || fail "module CPPFLAGS lost: $cc"
ld=$(echo "$out" | grep -- "-o $OE_TMP/b/odoh-edge ")
for f in -static -Wl,-O1 -Wl,--gc-sections; do
    echo " $ld " | grep -q -- " $f " || fail "make LDFLAGS=-Wl,-O1: $f missing in: $ld"
done
# MODULES is closed over REQUIRES to a fixed point, however long the chain: website -> keys (a
# made-up requirement) -> odoh_target -> http -> tls -> crypto is five steps (the old closure
# did three).
out=$(dry -B BUILD="$OE_TMP/b" MODULES=website REQUIRES.website=keys all)
echo "$out" | grep -q "OE_BUILD_MODULES='\"core crypto dns hpke http keys odoh odoh_target tls website\"'" ||
    fail "closure of website -> keys: $(echo "$out" | grep -o "OE_BUILD_MODULES='[^']*'" | head -n 1)"
# TARGET picks the cross compiler and its own folder (unless BUILD is given: make test exports
# it); an unknown one is an error.
out=$(unset BUILD; dry TARGET=mipsel all)
echo "$out" | grep -q -- "^mipsel-linux-gnu-gcc .*-o build/mipsel/odoh-edge " ||
    fail "TARGET=mipsel: $(echo "$out" | tail -n 3)"
out=$(dry TARGET=sparc all) && fail "TARGET=sparc was accepted"
echo "$out" | grep -q "unknown TARGET=sparc" || fail "TARGET=sparc: $out"
echo "make-build ok"
