# `check` (-t) refuses what would make a run fail or quietly degrade, each with the exact
# FILE:LINE: [section] key: message and exit code 78 (issue 11 item 9). One config per defect:
#   a missing root; an access log, a zone file or a log file in a missing folder; a state-dir
#   that cannot be created; a host and an alias the site's certificate does not cover; an
#   access log on a site without root (it would stay empty); redirect = yes with no TLS
#   listener (it would redirect to port 0).
# The same configs with the defect repaired check clean, so each error is the defect's own.
. "$OE_ROOT/tests/integration/lib.sh"
command -v openssl >/dev/null || skip "openssl is not installed"
cd "$OE_TMP"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=a.test \
    -addext subjectAltName=DNS:a.test -keyout a.key -out a.pem >openssl.log 2>&1 ||
    fail "openssl: $(cat openssl.log)"
chmod 600 a.key
mkdir www
echo hello >www/index.html
echo "not a folder" >afile

# head PORT-LINES: [global] and a TLS listener (no site yet).
head() {
    printf '[global]\nstate-dir = state\n[listen "https"]\naddress = 127.0.0.1:1\n'
}
site() {
    printf '[site "a"]\nhost = a.test\ncert = a.pem\nkey = a.key\n'
}

# expect_refused NAME WANT: -t on NAME.conf exits 78 and prints exactly WANT, then the count.
expect_refused() {
    rc=0
    out=$("$OE_BIN" -t -c "$1.conf" 2>&1) || rc=$?
    expect_eq "$rc" 78 "$1: exit code ($out)"
    expect_eq "$out" "$2
$1.conf: 1 error(s)" "$1"
}
expect_ok() {
    out=$("$OE_BIN" -t -c "$1.conf" 2>&1) || fail "$1 should check clean: $out"
}

# A root that does not exist.
{ head; site; printf 'root = nowhere\n'; } >root.conf
expect_refused root "root.conf:9: [site \"a\"] root: ./nowhere: No such file or directory"
sed 's/^root = nowhere/root = www/' root.conf >root-ok.conf && expect_ok root-ok
# ... or a file.
{ head; site; printf 'root = afile\n'; } >rootfile.conf
expect_refused rootfile "rootfile.conf:9: [site \"a\"] root: ./afile: Not a directory"

# An access log in a folder that does not exist.
{ head; site; printf 'root = www\naccess-log = logs/access.log\n'; } >alog.conf
expect_refused alog "alog.conf:10: [site \"a\"] access-log: ./logs/access.log: the folder ./logs: No such file or directory"
mkdir logs && expect_ok alog

# An access log on a site without root: nothing would ever be written to it.
{ head; site; printf 'access-log = stderr\n'; } >noroot.conf
expect_refused noroot "noroot.conf:9: [site \"a\"] access-log: only static files are logged, and this site has no root"

# The global log file in a folder that does not exist (relative to the working directory).
{ printf '[global]\nlog-file = nolog/edge.log\n'; } >logfile.conf
expect_refused logfile "logfile.conf:2: [global] log-file: nolog/edge.log: the folder nolog: No such file or directory"

# A state-dir that cannot be created (root may write anywhere, so the parent is a plain file).
{ printf '[global]\nstate-dir = afile/state\n'; } >state.conf
expect_refused state "state.conf:2: [global] state-dir: ./afile/state cannot be created: ./afile: Not a directory"
# An existing state-dir that is a file.
{ printf '[global]\nstate-dir = afile\n'; } >state2.conf
expect_refused state2 "state2.conf:2: [global] state-dir: ./afile cannot be written: ./afile: Not a directory"
# Not there yet but creatable: fine, and check creates nothing.
{ printf '[global]\nstate-dir = new/deeper/state\n'; } >state-ok.conf
expect_ok state-ok
[ ! -e new ] || fail "check created the state-dir"

# A host and an alias that the certificate does not cover (every request for them: 421).
{ head; printf '[site "a"]\nhost = b.test\ncert = a.pem\nkey = a.key\n'; } >host.conf
expect_refused host "host.conf:6: [site \"a\"] host: \"b.test\" is not covered by the certificate ./a.pem"
{ head; site; printf 'alias = c.test\n'; } >alias.conf
expect_refused alias "alias.conf:9: [site \"a\"] alias: \"c.test\" is not covered by the certificate ./a.pem"

# redirect = yes without any TLS listener to send clients to.
printf '[global]\nstate-dir = state\n[listen "http"]\naddress = 127.0.0.1:1\ntls = no\nredirect = yes\n' >redir.conf
expect_refused redir "redir.conf:6: [listen \"http\"] redirect: no TLS listener to redirect to: add one, or set https-port"
printf 'https-port = 8443\n' >>redir.conf && expect_ok redir

# A zone file in a folder that does not exist.
{
    printf '[global]\nstate-dir = state\n[listen "https"]\naddress = 127.0.0.1:1\n'
    printf '[site "t"]\nhost = t.test\ncert = auto\n[odoh-target]\nsite = t\n'
    printf '[keys]\nzone-file = zones/odoh.zone\n'
}>zone.conf
expect_refused zone "zone.conf:11: [keys] zone-file: ./zones/odoh.zone: the folder ./zones: No such file or directory"
mkdir zones && expect_ok zone
[ ! -e state ] || fail "check wrote the state-dir: $(find state)"
echo "check-fs ok"
