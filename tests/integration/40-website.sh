# Static files (modules/website) with curl over HTTP/2 and HTTP/1.1: exact statuses, headers and
# bytes for 200/304/206/416/404/405/301/400, HEAD, precompressed siblings, traversal attempts
# sent verbatim (--path-as-is), symlinks in and out of the root, and the access log.
. "$OE_ROOT/tests/integration/lib.sh"
. "$OE_ROOT/tests/integration/site_lib.sh"
command -v curl >/dev/null || skip "curl not installed"
# A build without the website module (make MODULES=...) has nothing to test here; the build says
# which modules it selected. A build that selected it must serve files: no skip after this line.
"$OE_BIN" -V | grep -q '^  modules .* website\( \|$\)' || skip "no website module in this build"

# ---- a document root with known files, all dated 2020-01-02 (validators are deterministic) ----
root=$OE_TMP/www
mkdir -p "$root/sub" "$root/nodir" "$root/.git"
printf 'Hello, world!\n' > "$root/hello.txt"
printf '<h1>home</h1>\n' > "$root/index.html"
printf 'HOME-GZ' > "$root/index.html.gz"
printf '<h1>sub</h1>\n' > "$root/sub/index.html"
printf 'body{}\n' > "$root/sub/page.css"
printf 'plain text, compressible\n' > "$root/comp.txt"
printf 'BR' > "$root/comp.txt.br"
printf 'GZ' > "$root/comp.txt.gz"
printf 'let x = 1;\n' > "$root/only-gz.js"
printf 'JSGZ' > "$root/only-gz.js.gz"
printf 'SECRET\n' > "$OE_TMP/secret.txt"
printf 'hidden\n' > "$root/.git/config"
printf 'empty\n' > "$root/empty"
: > "$root/zero.txt"
head -c 100000 /dev/urandom > "$root/big.bin"
ln -s hello.txt "$root/in"
ln -s ../secret.txt "$root/out"
ln -s "$OE_TMP" "$root/outdir"
mkdir -p "$OE_TMP/bare"
printf '<p>custom 404</p>\n' > "$OE_TMP/bare/404.html"
printf 'bare\n' > "$OE_TMP/bare/x.txt"
find "$root" "$OE_TMP/bare" -exec touch -h -d '2020-01-02 03:04:05 UTC' {} +
LM='Thu, 02 Jan 2020 03:04:05 GMT'

port=$(oe_port)
cat > "$OE_TMP/edge.conf" <<CONF
[global]
workers = 2
state-dir = state
[listen "https"]
address = 127.0.0.1:$port
[site "files"]
host = files.test
cert = auto
root = www
precompressed = yes
access-log = access.log
[site "bare"]
host = bare.test
cert = auto
root = bare
CONF
# The module table must register the module the build selected: a config check that says
# "static files need the website module" is that regression, and it fails here.
site_start
get() { req files.test "$@"; }

# Regression guard: a server that answers 404 for the files in its root (the route of the
# website module missing or not reached) fails the first check below; it is never a skip.
for proto in --http2 --http1.1; do
    # 200 with every header a file response carries.
    expect_eq "$(get /hello.txt $proto)" 200 "GET $proto"
    expect_eq "$(body)" "Hello, world!" "body $proto"
    expect_eq "$(hdr content-type)" "text/plain; charset=utf-8" "content-type $proto"
    expect_eq "$(hdr content-length)" 14 "content-length $proto"
    expect_eq "$(hdr accept-ranges)" bytes "accept-ranges $proto"
    expect_eq "$(hdr last-modified)" "$LM" "last-modified $proto"
    expect_eq "$(hdr vary)" accept-encoding "vary $proto"
    no_hdr content-encoding "identity $proto"
    etag=$(hdr etag)
    case $etag in \"*-e\") ;; *) fail "etag '$etag'" ;; esac

    # HEAD: the same headers, no body (curl -I writes the headers where the body would go).
    expect_eq "$(get /hello.txt $proto -I)" 200 "HEAD $proto"
    expect_eq "$(tr -d '\r' < "$OE_TMP/body" | grep -c .)" "$(grep -c . "$OE_TMP/hdr")" \
        "HEAD body $proto"
    expect_eq "$(hdr content-length)" 14 "HEAD content-length $proto"
    expect_eq "$(hdr etag)" "$etag" "HEAD etag $proto"

    # 304: If-None-Match (weak comparison, lists, *) takes precedence over If-Modified-Since.
    expect_eq "$(get /hello.txt $proto -H "If-None-Match: $etag")" 304 "INM $proto"
    expect_eq "$(wc -c < "$OE_TMP/body")" 0 "304 body $proto"
    expect_eq "$(hdr etag)" "$etag" "304 etag $proto"
    expect_eq "$(get /hello.txt $proto -H "If-None-Match: W/$etag")" 304 "INM weak $proto"
    expect_eq "$(get /hello.txt $proto -H "If-None-Match: \"x\", $etag")" 304 "INM list $proto"
    expect_eq "$(get /hello.txt $proto -H 'If-None-Match: *')" 304 "INM * $proto"
    expect_eq "$(get /hello.txt $proto -H 'If-None-Match: "x"')" 200 "INM other $proto"
    expect_eq "$(get /hello.txt $proto -H "If-Modified-Since: $LM")" 304 "IMS $proto"
    expect_eq "$(get /hello.txt $proto -H 'If-Modified-Since: Thursday, 02-Jan-20 03:04:05 GMT')" \
        304 "IMS rfc850 $proto"
    expect_eq "$(get /hello.txt $proto -H 'If-Modified-Since: Thu Jan  2 03:04:05 2020')" 304 \
        "IMS asctime $proto"
    expect_eq "$(get /hello.txt $proto -H 'If-Modified-Since: Thu, 02 Jan 2020 03:04:04 GMT')" \
        200 "IMS older $proto"
    expect_eq "$(get /hello.txt $proto -H 'If-Modified-Since: garbage')" 200 "IMS junk $proto"
    expect_eq "$(get /hello.txt $proto -H 'If-None-Match: "x"' -H "If-Modified-Since: $LM")" \
        200 "INM beats IMS $proto"

    # 206 / 416 / ignored ranges.
    expect_eq "$(get /hello.txt $proto -r 0-4)" 206 "range $proto"
    expect_eq "$(body)" "Hello" "range body $proto"
    expect_eq "$(hdr content-range)" "bytes 0-4/14" "content-range $proto"
    expect_eq "$(hdr content-length)" 5 "range length $proto"
    expect_eq "$(get /hello.txt $proto -r 7-)" 206 "open range $proto"
    expect_eq "$(body)" "world!" "open range body $proto"
    expect_eq "$(hdr content-range)" "bytes 7-13/14" "open content-range $proto"
    expect_eq "$(get /hello.txt $proto -r -6)" 206 "suffix range $proto"
    expect_eq "$(hdr content-range)" "bytes 8-13/14" "suffix content-range $proto"
    expect_eq "$(get /hello.txt $proto -r 0-0)" 206 "one byte $proto"
    expect_eq "$(body)" "H" "one byte body $proto"
    expect_eq "$(get /hello.txt $proto -r 14-)" 416 "unsatisfiable $proto"
    expect_eq "$(hdr content-range)" "bytes */14" "416 content-range $proto"
    expect_eq "$(get /hello.txt $proto -H 'Range: bytes=-0')" 416 "suffix 0 $proto"
    expect_eq "$(get /zero.txt $proto -r 0-)" 416 "empty file range $proto"
    expect_eq "$(hdr content-range)" "bytes */0" "empty file content-range $proto"
    expect_eq "$(get /hello.txt $proto -r 5-2)" 200 "invalid range $proto"
    expect_eq "$(hdr content-length)" 14 "invalid range length $proto"
    expect_eq "$(get /hello.txt $proto -r 0-1,3-4)" 200 "multiple ranges $proto"
    expect_eq "$(hdr content-length)" 14 "multiple ranges length $proto"
    expect_eq "$(get /hello.txt $proto -H 'Range: items=0-1')" 200 "other unit $proto"
    expect_eq "$(get /hello.txt $proto -r 0-4 -I)" 200 "HEAD ignores Range $proto"
    expect_eq "$(get /hello.txt $proto -r 0-4 -H "If-Range: $etag")" 206 "If-Range etag $proto"
    expect_eq "$(get /hello.txt $proto -r 0-4 -H 'If-Range: "x"')" 200 "If-Range other $proto"
    expect_eq "$(get /hello.txt $proto -r 0-4 -H "If-Range: W/$etag")" 200 "If-Range weak $proto"
    expect_eq "$(get /hello.txt $proto -r 0-4 -H "If-Range: $LM")" 206 "If-Range date $proto"
    expect_eq "$(get /hello.txt $proto -r 0-4 -H 'If-Range: Thu, 02 Jan 2020 03:04:06 GMT')" 200 \
        "If-Range other date $proto"
    expect_eq "$(get /big.bin $proto -r 50000-59999)" 206 "big range $proto"
    dd if="$root/big.bin" bs=1 skip=50000 count=10000 of="$OE_TMP/want" 2>/dev/null
    cmp -s "$OE_TMP/body" "$OE_TMP/want" || fail "big range bytes $proto"
    expect_eq "$(get /big.bin $proto)" 200 "big $proto"
    cmp -s "$OE_TMP/body" "$root/big.bin" || fail "big bytes $proto"

    # Directories: index, redirect with the query kept, no listings.
    expect_eq "$(get /sub/ $proto)" 200 "dir index $proto"
    expect_eq "$(body)" "<h1>sub</h1>" "dir index body $proto"
    expect_eq "$(hdr content-type)" "text/html; charset=utf-8" "index type $proto"
    expect_eq "$(get /sub $proto)" 301 "dir redirect $proto"
    expect_eq "$(hdr location)" /sub/ "dir location $proto"
    expect_eq "$(get '/sub?a=1&b=%20' $proto)" 301 "dir redirect query $proto"
    expect_eq "$(hdr location)" '/sub/?a=1&b=%20' "dir location query $proto"
    expect_eq "$(get '//sub' $proto)" 301 "no scheme-relative redirect $proto"
    expect_eq "$(hdr location)" /sub/ "normalised location $proto"
    expect_eq "$(get /nodir/ $proto)" 404 "dir without index $proto"
    expect_eq "$(get /sub/page.css $proto)" 200 "css $proto"
    expect_eq "$(hdr content-type)" "text/css; charset=utf-8" "css type $proto"
    expect_eq "$(get /empty $proto)" 200 "no extension $proto"
    expect_eq "$(hdr content-type)" application/octet-stream "default type $proto"
    expect_eq "$(get /zero.txt $proto)" 200 "empty file $proto"
    expect_eq "$(hdr content-length)" 0 "empty file length $proto"

    # 404, 405, 400.
    expect_eq "$(get /missing.txt $proto)" 404 "missing $proto"
    expect_eq "$(body)" "404 Not Found" "404 body $proto"
    expect_eq "$(get /hello.txt/ $proto)" 404 "file with slash $proto"
    expect_eq "$(get /hello.txt $proto -X POST -d x)" 405 "POST $proto"
    expect_eq "$(hdr allow)" "GET, HEAD" "allow $proto"
    expect_eq "$(get /hello.txt $proto -X DELETE)" 405 "DELETE $proto"
    expect_eq "$(get /a%zz $proto)" 400 "bad escape $proto"
    expect_eq "$(get /hello.txt%00 $proto)" 400 "NUL $proto"
    expect_eq "$(get /a%2 $proto)" 400 "short escape $proto"

    # Traversal, sent verbatim: never outside the root, and never "403" (a hint).
    for p in /../secret.txt /../../../../etc/passwd /%2e%2e/secret.txt /%2E%2E/%2e%2e/etc/passwd \
        /sub/../../secret.txt /sub/%2e%2e/%2e%2e/secret.txt /..%2fsecret.txt /sub/..%2f..%2fsecret.txt \
        '/..\secret.txt' /%5c..%5csecret.txt /out /outdir/secret.txt /.git/config /%2egit/config; do
        st=$(get "$p" $proto)
        expect_eq "$st" 404 "traversal $p $proto"
        ! grep -q SECRET "$OE_TMP/body" || fail "served outside the root: $p $proto"
    done
    expect_eq "$(get /sub/../hello.txt $proto)" 200 "dot-dot inside $proto"
    expect_eq "$(body)" "Hello, world!" "dot-dot inside body $proto"
    expect_eq "$(get /./sub//./page.css $proto)" 200 "dot and empty segments $proto"
    expect_eq "$(get /%68ello.txt $proto)" 200 "percent-decoded name $proto"
    expect_eq "$(get /in $proto)" 200 "symlink inside $proto"
    expect_eq "$(body)" "Hello, world!" "symlink inside body $proto"

    # Precompressed siblings: br preferred, q=0 refuses, the original's type, its own validators.
    expect_eq "$(get /comp.txt $proto -H 'Accept-Encoding: gzip, deflate, br')" 200 "br $proto"
    expect_eq "$(body)" BR "br body $proto"
    expect_eq "$(hdr content-encoding)" br "br encoding $proto"
    expect_eq "$(hdr content-type)" "text/plain; charset=utf-8" "br type $proto"
    expect_eq "$(hdr vary)" accept-encoding "br vary $proto"
    br_etag=$(hdr etag)
    case $br_etag in \"*-2-br\") ;; *) fail "br etag '$br_etag'" ;; esac
    expect_eq "$(get /comp.txt $proto -H 'Accept-Encoding: gzip')" 200 "gzip $proto"
    expect_eq "$(body)" GZ "gzip body $proto"
    expect_eq "$(hdr content-encoding)" gzip "gzip encoding $proto"
    expect_eq "$(get /comp.txt $proto -H 'Accept-Encoding: br;q=0, gzip')" 200 "br refused $proto"
    expect_eq "$(body)" GZ "br refused body $proto"
    expect_eq "$(get /comp.txt $proto -H 'Accept-Encoding: gzip;q=1, br;q=0.5')" 200 "q order $proto"
    expect_eq "$(body)" GZ "q order body $proto"
    expect_eq "$(get /comp.txt $proto -H 'Accept-Encoding: gzip;q=0, br;q=0')" 200 "none $proto"
    expect_eq "$(body)" "plain text, compressible" "identity body $proto"
    no_hdr content-encoding "identity $proto"
    expect_eq "$(get /comp.txt $proto)" 200 "no accept-encoding $proto"
    expect_eq "$(body)" "plain text, compressible" "no accept-encoding body $proto"
    expect_eq "$(get /only-gz.js $proto -H 'Accept-Encoding: br, gzip')" 200 "only gz $proto"
    expect_eq "$(body)" JSGZ "only gz body $proto"
    expect_eq "$(hdr content-type)" "text/javascript; charset=utf-8" "only gz type $proto"
    expect_eq "$(get / $proto -H 'Accept-Encoding: gzip')" 200 "index gz $proto"
    expect_eq "$(body)" HOME-GZ "index gz body $proto"
    expect_eq "$(get /comp.txt $proto -H 'Accept-Encoding: br' -r 1-1)" 206 "range of br $proto"
    expect_eq "$(body)" R "range of br body $proto"
    expect_eq "$(hdr content-range)" "bytes 1-1/2" "range of br content-range $proto"
    expect_eq "$(get /comp.txt $proto -H 'Accept-Encoding: br' -H "If-None-Match: $br_etag")" 304 \
        "304 br $proto"
    expect_eq "$(get /comp.txt $proto -H 'Accept-Encoding: gzip' -H "If-None-Match: $br_etag")" \
        200 "br etag does not match gzip $proto"
    expect_eq "$(get /comp.txt.br $proto)" 200 "sibling by name $proto"
    expect_eq "$(hdr content-type)" application/octet-stream "sibling by name type $proto"

    # A site without precompressed = yes ignores siblings; its own 404.html is the 404 page.
    expect_eq "$(req bare.test /x.txt $proto -H 'Accept-Encoding: gzip')" 200 "bare $proto"
    no_hdr vary "bare $proto"
    expect_eq "$(req bare.test /nope $proto)" 404 "custom 404 $proto"
    expect_eq "$(body)" "<p>custom 404</p>" "custom 404 body $proto"
    expect_eq "$(hdr content-type)" "text/html; charset=utf-8" "custom 404 type $proto"
done

# The access log: one line per request of site "files", without any client address. Requests
# ran one after the other, so once the line of a last one is there, every earlier line is too.
expect_eq "$(get /last-request)" 404 "last request"
log=$OE_TMP/access.log
oe_wait_log "$log" ' files GET /last-request 404 ' 5
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z files GET /hello.txt 200 14 [0-9]+\.[0-9]{3}ms$' "$log" ||
    fail "access log line: $(head -n 3 "$log")"
grep -Eq ' files HEAD /hello.txt 200 0 ' "$log" || fail "HEAD in access log"
grep -Eq ' files GET /hello.txt 206 5 ' "$log" || fail "206 in access log"
grep -Eq ' files POST /hello.txt 405 ' "$log" || fail "405 in access log"
# The traversal attempts reached the server verbatim (curl --path-as-is), over both protocols.
expect_eq "$(grep -c ' files GET /\.\./secret\.txt 404 ' "$log")" 2 "raw traversal path logged"
expect_eq "$(grep -c ' files GET /%2e%2e/secret\.txt 404 ' "$log")" 2 "encoded traversal logged"
grep -q ' files GET /\.\.\\x5csecret\.txt 404 ' "$log" || fail "backslash escaped in the log"
! grep -q '127\.0\.0\.1' "$log" || fail "client address in the access log"
! grep -q ' bare ' "$log" || fail "site without access-log was logged"

kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
expect_eq "$rc" 0 "exit after SIGTERM"
echo "website ok"
