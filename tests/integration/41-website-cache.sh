# The website's open-file cache (modules/website/website_cache.h) never serves stale bytes where
# it can know better: a file replaced by rename(2), rewritten in place, or deleted is served as it
# is now on the very next request; a file replaced while another hard link keeps the old inode
# (what only a fresh path walk can see) is served new within OE_WEBSITE_CACHE_MS (1 s; the test
# allows 1.5 s); more files than the cache has slots are all served right; a reload to a new root
# serves the new root at once. Small files left alone for a second are served from memory: a
# rewrite in place with the same size, even with the old mtime put back, is served new at once,
# and ranges, HEAD and 304 answer from the memory copy as from the file. One worker, so that
# every request meets the same cache.
. "$OE_ROOT/tests/integration/lib.sh"
command -v curl >/dev/null || skip "curl not installed"
"$OE_BIN" -V | grep -q '^  modules .* website\( \|$\)' || skip "no website module in this build"

root=$OE_TMP/www
mkdir -p "$root/d" "$OE_TMP/www2"
printf 'one\n' > "$root/a.txt"
printf 'home\n' > "$root/d/index.html"
printf 'old\n' > "$root/b.txt"
ln "$root/b.txt" "$OE_TMP/b.keep" # a second link keeps the old inode alive
printf 'second root\n' > "$OE_TMP/www2/a.txt"
printf 'old bytes 0123456789\n' > "$root/m.txt"
touch -d '-1 hour' "$root/m.txt" # unchanged for a second and more: its bytes are kept in memory
for i in $(seq 100); do printf 'file %d\n' "$i" > "$root/f$i.txt"; done

port=$(oe_port)
write_conf() { # root
    cat > "$OE_TMP/edge.conf" <<CONF
[global]
workers = 1
state-dir = state
[listen "plain"]
address = 127.0.0.1:$port
tls = no
[site "a"]
host = a.test
root = $1
CONF
}
write_conf www
oe_bg "$OE_TMP/edge.log" "$OE_BIN" -c "$OE_TMP/edge.conf"
pid=$OE_LASTPID
oe_wait_tcp "$port" || fail "server did not start: $(cat "$OE_TMP/edge.log")"

get() { # path: status and body on one line
    curl -s --max-time 5 -H 'host: a.test' -w ' %{http_code}' "http://127.0.0.1:$port$1" |
        tr '\n' '|'
}
expect_eq "$(get /a.txt)" "one| 200" "first GET"
expect_eq "$(get /a.txt)" "one| 200" "cached GET"

printf 'two-two\n' > "$root/a.txt.tmp"
mv "$root/a.txt.tmp" "$root/a.txt"
expect_eq "$(get /a.txt)" "two-two| 200" "GET right after a rename over the file"

printf 'three, longer than before\n' > "$root/a.txt" # same inode, truncated and rewritten
expect_eq "$(get /a.txt)" "three, longer than before| 200" "GET right after a rewrite in place"
len=$(curl -s -o /dev/null -H 'host: a.test' -w '%{size_download}' "http://127.0.0.1:$port/a.txt")
expect_eq "$len" 26 "length after a rewrite in place"

rm "$root/a.txt"
expect_eq "$(get /a.txt)" "404 Not Found| 404" "GET right after a delete"

expect_eq "$(get /d/)" "home| 200" "index"
printf 'home 2\n' > "$root/d/index.tmp"
mv "$root/d/index.tmp" "$root/d/index.html"
expect_eq "$(get /d/)" "home 2| 200" "index right after a rename over it"

expect_eq "$(get /b.txt)" "old| 200" "hard-linked file"
printf 'new\n' > "$root/b.tmp"
mv "$root/b.tmp" "$root/b.txt"
t0=$(date +%s%N)
got=''
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1500 ]; do
    got=$(get /b.txt)
    [ "$got" = "old| 200" ] || break
    sleep 0.05
done
expect_eq "$got" "new| 200" "replaced hard-linked file within 1.5 s"

expect_eq "$(get /m.txt)" "old bytes 0123456789| 200" "small old file"
expect_eq "$(get /m.txt)" "old bytes 0123456789| 200" "small old file, from memory"
range=$(curl -s --max-time 5 -H 'host: a.test' -H 'range: bytes=4-8' -w ' %{http_code}' \
    "http://127.0.0.1:$port/m.txt")
expect_eq "$range" "bytes 206" "range of a file held in memory"
head=$(curl -s --max-time 5 -I -H 'host: a.test' "http://127.0.0.1:$port/m.txt" | tr -d '\r' |
    sed -n 's/^content-length: //p')
expect_eq "$head" 21 "HEAD of a file held in memory"
etag=$(curl -s --max-time 5 -I -H 'host: a.test' "http://127.0.0.1:$port/m.txt" | tr -d '\r' |
    sed -n 's/^etag: //p')
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H 'host: a.test' \
    -H "if-none-match: $etag" "http://127.0.0.1:$port/m.txt")
expect_eq "$code" 304 "If-None-Match of a file held in memory"
printf 'new bytes 9876543210\n' > "$root/m.txt.part"
dd if="$root/m.txt.part" of="$root/m.txt" conv=notrunc status=none # in place, same size
expect_eq "$(get /m.txt)" "new bytes 9876543210| 200" "GET right after a same-size rewrite in place"
printf 'zzz bytes 0000000000\n' > "$root/m.txt.part"
dd if="$root/m.txt.part" of="$root/m.txt" conv=notrunc status=none
expect_eq "$(get /m.txt)" "zzz bytes 0000000000| 200" "GET right after a second rewrite"
sleep 1.1 # past the second: the bytes are held in memory again
expect_eq "$(get /m.txt)" "zzz bytes 0000000000| 200" "GET a second later"
touch -r "$root/m.txt" "$OE_TMP/m.when" # the mtime the bytes in memory were read with
dd if="$root/m.txt.part" of="$root/m.txt" conv=notrunc status=none
printf 'yyy' | dd of="$root/m.txt" conv=notrunc status=none
touch -r "$OE_TMP/m.when" "$root/m.txt" # the mtime put back: only the ctime tells
expect_eq "$(stat -c %y "$root/m.txt")" "$(stat -c %y "$OE_TMP/m.when")" "mtime put back"
expect_eq "$(get /m.txt)" "yyy bytes 0000000000| 200" "same-size rewrite with the old mtime put back"

bad=0
for pass in 1 2; do
    for i in $(seq 100); do
        [ "$(get "/f$i.txt")" = "file $i| 200" ] || bad=$((bad + 1))
    done
done
expect_eq "$bad" 0 "wrong answers over 100 files (more than the cache's 64 slots), twice"

write_conf www2
kill -HUP "$pid"
oe_wait_log "$OE_TMP/edge.log" 'configuration reloaded'
expect_eq "$(get /a.txt)" "second root| 200" "GET after a reload to a new root"
echo "41-website-cache ok"
